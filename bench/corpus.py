"""Word lists and sentence templates for the synthetic support store.

Text is built from topic templates (so a conversation reads coherently and
two-word searches like "refund grinder" hit realistic rows), slot values that
make a long tail of rare tokens (order numbers, tracking codes, cities,
products), and a Zipf-weighted filler vocabulary, so the FTS index has the
frequency profile of real mail rather than a handful of repeated words.
"""

from __future__ import annotations

FIRST = """
maria james john robert michael william david richard joseph thomas charles chris daniel matthew
anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward
jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin
samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan
henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald
harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan
albert willie alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip
louis mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
nicole helen samantha katherine christine debra rachel carolyn janet catherine heather diane
ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea
cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail
alice judy sophia grace denise amber doris marilyn danielle beverly isabella theresa diana natalie
brittany charlotte marie kayla alexis lori priya aisha mei yuki ahmed fatima omar chen wei hiroshi
sofia lucas mateo valentina camila diego sven ingrid lars astrid pierre amelie giulia marco
""".split()

LAST = """
lopez smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill
flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans
turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez
ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks
chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers
long ross foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson
barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds
griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens
murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells
vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon
mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd
rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens
soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce hansen peters
santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews
yamamoto tanaka kowalski novak muller schneider dubois rossi bianchi larsen johansson okafor
""".split()

EMAIL_DOMAINS = (
    ["gmail.com"] * 8
    + ["yahoo.com"] * 3
    + ["outlook.com"] * 3
    + ["hotmail.com", "icloud.com", "proton.me", "aol.com", "fastmail.com"]
    + ["acme-corp.com", "bluebottle.co", "northwind.io", "globex.net", "initech.com"]
)

AGENTS = """
alice bob carmen dmitri elena farid greta hugo ines jonas kaia leo maya nils olga pablo quinn
rosa sami tariq uma viktor wren xia yusuf
""".split()
TEAMS = ["billing", "shipping", "tech", "wholesale"]

ITEMS = """
burr-grinder espresso-machine milk-frother kettle pour-over-dripper french-press cold-brew-maker
tamper scale knock-box carafe travel-mug thermos moka-pot aeropress filter-papers descaler
portafilter steam-wand gift-card subscription coffee-beans decaf-beans espresso-blend
single-origin-sampler grinder-burrs water-filter cleaning-tablets cups saucers tea-infuser
matcha-whisk syrup-pump bean-canister drip-tray gasket shower-screen power-adapter
""".split()
ITEMS = [i.replace("-", " ") for i in ITEMS]
MODELS = [
    "Pro", "Mini", "Classic", "Duo", "X2", "V60", "Max", "Lite", "S", "Plus", "Barista", "Home",
]
BRANDS = ["Fellow", "Baratza", "Breville", "Hario", "Chemex", "Bodum", "Sage", "Gaggia", "Rancilio"]
COLORS = [
    "black", "white", "matte black", "stainless", "copper", "sage green", "red", "navy", "sand",
]
CARRIERS = [
    "UPS", "FedEx", "USPS", "DHL", "Royal Mail", "Canada Post", "GLS", "DPD", "Australia Post",
]
CITIES = """
Portland Seattle Austin Denver Chicago Boston Atlanta Miami Phoenix Dallas Houston Toronto
Vancouver Montreal London Manchester Dublin Berlin Munich Hamburg Paris Lyon Madrid Barcelona
Lisbon Rome Milan Amsterdam Rotterdam Brussels Zurich Vienna Prague Warsaw Stockholm Oslo
Copenhagen Helsinki Sydney Melbourne Auckland Tokyo Osaka Singapore Oakland Sacramento Tucson
Raleigh Nashville Omaha Boise Spokane Tacoma Eugene Albuquerque Pittsburgh Cleveland Detroit
""".split()
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "tomorrow", "today", "next week", "the weekend"]

# (topic, subject templates, customer sentences, agent sentences)
TOPICS: list[tuple[str, list[str], list[str], list[str]]] = [
    (
        "shipping",
        ["Where is my order #{order}?", "Order {order} not arrived", "Shipping status for #{order}",
         "Delivery delay", "Tracking not updating", "Package still not here"],
        ["My order #{order} still hasn't arrived and it's been {n} days.",
         "The tracking number {tracking} hasn't updated since {day}.",
         "Can you tell me where my package is? I'm in {city}.",
         "{carrier} says the parcel was delivered but there is nothing at my door.",
         "I paid for express shipping and the {item} is still not here.",
         "Is there any way to get it delivered before {day}? It's a gift.",
         "The website said 3-5 business days, it has been over a week now.",
         "My neighbour in {city} got their order yesterday, mine is still processing.",
         "any update on the delivery?? order {order}",
         "still waiting on my {item}"],
        ["I've checked with {carrier} and your parcel {tracking} is in transit to {city}.",
         "Sorry for the delay! Your order #{order} left our warehouse on {day}.",
         "The carrier shows a delivery exception; I've opened a trace with {carrier}.",
         "I've upgraded the shipping on order {order} at no cost.",
         "It looks like the parcel is held at the local depot in {city}.",
         "I've reshipped the {item} with a new tracking number {tracking}."],
    ),
    (
        "damaged",
        ["Broken {item}", "{item} arrived damaged", "Damaged in transit", "Cracked {item}",
         "Item arrived broken - order {order}"],
        ["My {item} arrived broken, the box was crushed.",
         "The glass carafe on my {brand} {item} is cracked.",
         "There's a dent in the side of the {color} {item} and it rattles.",
         "I attached photos of the damage to the {item} and the packaging.",
         "The {item} won't turn on at all out of the box.",
         "Water leaks from the bottom of the {item} every time I use it.",
         "the {item} came smashed, what do i do",
         "half the {item} was in pieces when I opened it"],
        ["I'm so sorry it arrived damaged. I've sent a replacement {item}.",
         "Could you send a photo of the damage and the shipping label?",
         "No need to return the damaged {item}; please recycle it.",
         "I've filed a damage claim with {carrier} and issued a replacement.",
         "A new {color} {item} is on its way, tracking {tracking}."],
    ),
    (
        "refund",
        ["Refund request", "Refund for order {order}", "Return and refund", "Money back please",
         "Still waiting for my refund", "Cancel and refund #{order}"],
        ["I'd like a refund for the {item}, it's not what I expected.",
         "I returned the {item} two weeks ago and haven't seen the refund of {amount}.",
         "Please cancel order {order} and refund me.",
         "Can I get a refund to my original card instead of store credit?",
         "The refund of {amount} shows as pending on my bank statement.",
         "I was charged {amount} but the item was out of stock.",
         "refund please, order {order}",
         "how long does a refund take?"],
        ["I've processed a refund of {amount} to your original payment method.",
         "Refunds take 5-10 business days to appear depending on your bank.",
         "Your return for order #{order} was received at our warehouse on {day}.",
         "I've cancelled order {order}; you won't be charged.",
         "Here is a prepaid return label; once it's scanned I'll refund {amount}."],
    ),
    (
        "billing",
        ["Double charged", "Invoice for order {order}", "Billing question", "Payment failed",
         "VAT invoice needed", "Wrong amount charged"],
        ["I've been charged twice for order #{order}, {amount} each time.",
         "Could you send me a VAT invoice for my company?",
         "My card was declined but the money left my account.",
         "The invoice shows {amount} but the checkout said less.",
         "Please update the billing address to {city}.",
         "why was i charged {amount}??"],
        ["I can see the duplicate charge and have voided it; it will drop off in a few days.",
         "I've attached the VAT invoice for order #{order}.",
         "The pending authorisation of {amount} will be released by your bank.",
         "I've updated the billing address on your account."],
    ),
    (
        "subscription",
        ["Subscription change", "Pause my subscription", "Cancel subscription",
         "Coffee subscription skipped", "Change delivery frequency"],
        ["Can I pause my {item} subscription for a month? I'm travelling.",
         "Please switch my subscription from {item} to decaf beans.",
         "I want to cancel my subscription, the coffee is piling up.",
         "My subscription box didn't ship this month.",
         "Can I change the delivery day to {day}?",
         "skip next month please"],
        ["Your subscription is paused until next month; nothing will ship before then.",
         "I've switched your subscription; the next box ships on {day}.",
         "Your subscription is cancelled. You won't be charged again.",
         "I've moved the delivery day to {day} as requested."],
    ),
    (
        "product",
        ["Question about the {item}", "Which grinder for espresso?", "{brand} {item} {model}",
         "Compatibility question", "How to descale", "Grind size advice"],
        ["Does the {brand} {item} {model} work with a 220V outlet?",
         "What grind setting should I use for a {item}?",
         "Is the {item} dishwasher safe?",
         "Which burrs fit the {brand} {model}?",
         "How often should I descale the espresso machine? The water here in {city} is hard.",
         "The shot runs too fast even on the finest setting.",
         "Is the {color} {item} coming back in stock?",
         "do you sell replacement parts for the {item}"],
        ["For espresso start at setting 8 and go finer until the shot takes 25-30 seconds.",
         "The {item} is dishwasher safe on the top rack only.",
         "Yes, the {brand} {model} is dual voltage.",
         "Descale every 2-3 months with hard water; use one packet of descaler.",
         "The {color} {item} is back in stock on {day}.",
         "Replacement parts for the {item} are on our spare parts page."],
    ),
    (
        "warranty",
        ["Warranty claim", "{item} stopped working", "Warranty repair", "Fault after {n} months",
         "Grinder motor noise"],
        ["My {item} stopped working after {n} months, is it under warranty?",
         "The motor on the {brand} {item} makes a grinding noise and smells burnt.",
         "The display on the {item} flickers and then shuts off.",
         "I bought it in {city} last year, serial number {serial}.",
         "It trips the breaker whenever I turn it on."],
        ["Your {item} is covered by the 2-year warranty; I've opened repair case {serial}.",
         "Please send the serial number from the base of the unit.",
         "We'll send a courier to collect the {item} on {day}.",
         "The repaired {item} has been shipped back with {carrier}."],
    ),
    (
        "account",
        ["Can't log in", "Password reset", "Change email address", "Delete my account",
         "Account locked"],
        ["I can't log in, the password reset email never arrives.",
         "Please change the email on my account to a new one.",
         "I'd like my account and data deleted please.",
         "My account says locked after too many attempts.",
         "I never got the confirmation email for order {order}."],
        ["I've sent a new password reset link; please check your spam folder too.",
         "Your account email has been updated.",
         "Your account deletion request is in progress and completes within 30 days.",
         "I've unlocked your account; you can sign in again."],
    ),
    (
        "address",
        ["Change delivery address", "Wrong address on order {order}", "Address correction",
         "Moving - update address"],
        ["I made a typo in the address for order {order}, it should be {city}.",
         "Can you change the shipping address? I'm moving to {city} on {day}.",
         "The apartment number is missing from my address.",
         "please ship to my office in {city} instead"],
        ["I've updated the address on order #{order} before it shipped.",
         "The order has already left; I've asked {carrier} to redirect it to {city}.",
         "Your address now includes the apartment number."],
    ),
    (
        "wholesale",
        ["Wholesale enquiry", "Cafe account pricing", "Bulk order for {city} cafe",
         "Trade account application"],
        ["We run a cafe in {city} and want to order {n} kg of espresso blend a week.",
         "Do you offer trade pricing for the {brand} {item}?",
         "Can we get net 30 terms on our wholesale account?",
         "Please quote {n} units of the {item} for our shop."],
        ["Thanks for your interest! I've attached our wholesale price list.",
         "Your trade account is approved with net 30 terms.",
         "I've prepared a quote for {n} units of the {item}.",
         "Our wholesale team in {city} will reach out to arrange a tasting."],
    ),
    (
        "feedback",
        ["Feedback", "Love the {item}!", "Suggestion", "Complaint about service",
         "Great customer service"],
        ["Just wanted to say the {item} is fantastic, best coffee I've made at home.",
         "The new packaging is hard to open, please bring back the old bags.",
         "Your delivery driver in {city} was rude.",
         "It would be great to have a {color} version of the {item}.",
         "thanks so much for the quick help!!"],
        ["Thank you, that's wonderful to hear! I've passed it to the team.",
         "Thanks for the feedback about the packaging; I've shared it with product.",
         "I'm sorry about the driver; I've reported it to {carrier}.",
         "Great idea, I've added the {color} {item} to our wishlist."],
    ),
]

GREETINGS_IN = ["Hi,", "Hello,", "Hi there,", "Good morning,", "Hey,", "Dear support team,", ""]
SIGNOFFS_IN = ["Thanks,", "Thank you,", "Best,", "Regards,", "Cheers,", "Kind regards,", "Thx"]
AGENT_OPENERS = [
    "Thanks for reaching out.", "Thanks for your patience.", "Sorry for the trouble.",
    "Happy to help with this.", "Thanks for getting back to me.", "I hope you're well.",
]
AGENT_CLOSERS = [
    "Let me know if there's anything else I can do.", "Have a great day!",
    "Just reply here if you have questions.", "Thanks again for your patience.",
    "Enjoy your coffee!", "",
]
CUSTOMER_CLOSERS = [
    "Thanks for your help.", "Looking forward to hearing from you.", "Please let me know asap.",
    "Appreciate it.", "This is really frustrating.", "", "", "",
]
SHORT_IN = ["ok thanks", "thank you!", "great, thanks", "👍", "ok", "got it", "perfect",
            "any update?", "hello?", "yes please", "no that's all", "will do", "STOP"]
NOTES = [
    "Checked with the warehouse: {carrier} lost the parcel, reship approved.",
    "Customer is a repeat buyer, approved goodwill refund of {amount}.",
    "Escalated to {team} team, see ticket {serial}.",
    "Possible fraud - billing city {city} does not match shipping.",
    "Called the customer, left a voicemail.",
    "Replacement {item} reserved, ships {day}.",
    "VIP customer, handle with care.",
    "Waiting on {carrier} claim {tracking}.",
]

# ~600 common English words, most frequent first; used with Zipf weights for filler text.
FILLER = """
the be to of and a in that have i it for not on with he as you do at this but his by from they
we say her she or an will my one all would there their what so up out if about who get which go
me when make can like time no just him know take people into year your good some could them see
other than then now look only come its over think also back after use two how our work first well
way even new want because any these give day most us is was are been has had were said did got
made went saw came took gave told felt left called tried asked used found seemed became kept
really very much still never always often sometimes usually again already quite rather almost
maybe perhaps probably actually certainly definitely simply please sorry thanks hello yes okay
morning afternoon evening night week month yesterday today tomorrow soon later early late
before during while since until though although unless whether however therefore anyway also
order package parcel box delivery shipping shipment tracking courier driver door porch neighbour
address apartment building street road city town postcode zip country warehouse store shop
coffee beans espresso grinder machine kettle cup mug milk water filter roast blend bag bags
price cost charge charged payment card bank account refund return exchange replacement credit
invoice receipt discount code coupon sale offer subscription plan box monthly weekly delivery
broken damaged cracked dented leaking missing wrong late lost stuck noisy loud hot cold warm
help support service team manager agent email phone call message text chat reply answer
question problem issue trouble mistake error fault defect warranty repair fix check update
happy unhappy disappointed frustrated pleased glad sure certain worried confused annoyed
great fine nice bad poor terrible excellent amazing lovely perfect awful horrible decent
again waiting waited wait hours days weeks minutes ago since still yet already soon
gift birthday christmas holiday wedding anniversary present surprise friend family mother
father sister brother wife husband partner son daughter kids colleague boss office home
kitchen counter cupboard sink outlet plug cable switch button light display screen setting
grind fine coarse medium shot crema taste bitter sour sweet strong weak fresh stale smell
pour brew steep press pull tamp clean descale rinse wash dry empty fill pack open close
tried turned plugged unplugged restarted reset followed watched read checked opened emailed
website app login password username browser link page form checkout cart basket button
number reference ticket case status info information details photo photos picture video
first second third last next previous another same different new old original spare extra
small large big little tiny huge whole half full empty heavy light short long quick slow
because instead otherwise besides meanwhile finally eventually suddenly recently exactly
everyone someone anyone nobody everything something anything nothing somewhere anywhere
thing things stuff part parts piece pieces side top bottom front inside outside edge corner
left right center middle end start beginning halfway around through across along behind
should would could might must shall may need needs needed want wants wanted hope hoped
believe think thought understand understood remember forgot know knew mean meant guess
""".split()
