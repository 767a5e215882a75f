"""The week at Larkspur Coffee Roasters, continued (4 of 6)."""

from __future__ import annotations

from omni_tui.demo.steps import (
    Assign,
    Call,
    Case,
    Chat,
    Customer,
    Email,
    Note,
    Reply,
    Sms,
    Status,
    Tag,
)

CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        "sam",
        "Sam Patel",
        email="sam.patel@example.net",
        phone="+14155550183",
        cases=(
            Case(
                "Third late delivery in a row",
                (
                    Email(
                        "2d10h",
                        "This is the third month in a row my Espresso Club box has arrived a"
                        " week late. I pay for a subscription so I don't run out, and I keep"
                        " running out. If it happens again I'm cancelling.\n\nSam Patel",
                    ),
                    Assign("2d9h", "Ana", "Ben", "support"),
                    Tag("2d9h", "Ana", ("shipping", "late", "vip")),
                    Note(
                        "2d8h",
                        "Ben",
                        "Sam's address is in a USPS 'delayed' zone (94124) — three of his last"
                        " four boxes took 8+ days. Moving him to UPS Ground.",
                    ),
                    Call(
                        "2d6h",
                        "Ben",
                        "Called Sam, apologised. Moved his subscription to UPS Ground at no"
                        " extra cost and shipped this month's box again today, free. He's"
                        " staying. Will confirm by email.",
                        direction="out",
                    ),
                    Reply(
                        "2d5h45m",
                        "Ben",
                        "Hi Sam,\n\nthanks for taking my call. As promised: your Espresso Club"
                        " now ships by UPS Ground, and a replacement box went out today —"
                        " tracking 1Z999AA10123456791. No charge.\n\nBen",
                    ),
                    Email(
                        "1d10h",
                        "Box arrived in 2 days. That's more like it. Thanks for sorting it"
                        " out, Ben.",
                    ),
                    Reply(
                        "1d9h",
                        "Ben",
                        "Great to hear! I'll keep an eye on the next one too.\n\nBen",
                    ),
                    Status("1d8h55m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "isabel",
        "Isabel Costa",
        email="isabel.costa@example.org",
        cases=(
            Case(
                "Skip next delivery please",
                (
                    Email(
                        "4d10h",
                        "Hi, could you skip my next Roaster's Choice delivery? Still have a"
                        " full bag. Thanks! Isabel",
                    ),
                    Reply(
                        "4d9h",
                        "Chloe",
                        "Hi Isabel, done — the next delivery is skipped and you won't be"
                        " charged for it. The one after ships on the 28th.\n\nChloe",
                    ),
                    Tag("4d8h55m", "Chloe", ("subscription",)),
                    Status("4d8h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "diego",
        None,
        phone="+14155550193",
        cases=(
            Case(
                "SMS: parcel at the wrong door",
                (
                    Sms(
                        "1d11h",
                        "Hi, tracking says my coffee was delivered but it's not here. The"
                        " photo shows a different door (blue, mine is red). Order 1093",
                    ),
                    Assign("1d10h", "Ana", "Ana", "support"),
                    Reply(
                        "1d9h50m",
                        "Ana",
                        "Hi, Ana from Larkspur. So sorry! Could you check with neighbours"
                        " nearby with a blue door? If it doesn't turn up by tomorrow I'll"
                        " send a new one.",
                    ),
                    Sms(
                        "1d2h",
                        "Neighbour across the street had it. All good!",
                    ),
                    Reply("1d1h40m", "Ana", "Great news — enjoy the coffee!"),
                    Status("1d1h35m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "hannah",
        "Hannah Schmidt",
        email="hannah.schmidt@example.com",
        cases=(
            Case(
                "Office coffee samples",
                (
                    Email(
                        "3d4h",
                        html=(
                            "<html><body><p>Hi,</p><p>We're a 30-person design studio in SoMa"
                            " looking to replace our office coffee. Could you send a few"
                            " samples? We use a <b>Moccamaster</b> and one espresso"
                            " machine.</p><p>Thanks!<br>Hannah Schmidt<br>Studio Nord</p>"
                            "</body></html>"
                        ),
                    ),
                    Assign("3d3h", "Ana", "Ben", "support"),
                    Tag("3d3h", "Ana", ("wholesale", "samples")),
                    Reply(
                        "3d2h",
                        "Ben",
                        "Hi Hannah,\n\nwith pleasure — three 100 g samples (Morning Hymn,"
                        " Colombia Huila, Guji) ship tomorrow to the studio. Office plans start"
                        " at 3 kg/month with free delivery in SF.\n\nBen",
                    ),
                    Email(
                        "1d5h",
                        html=(
                            "<html><body><p>Samples were a hit! The Huila won the vote. Can"
                            " we start with 4 kg a month, delivered Mondays?</p>"
                            "<p>Hannah</p></body></html>"
                        ),
                    ),
                    Reply(
                        "1d4h",
                        "Ben",
                        "Wonderful! 4 kg of Huila every Monday, starting next week. Chloe will"
                        " send the agreement and first invoice.\n\nBen",
                    ),
                    Assign("1d3h55m", "Ben", "Chloe", "billing"),
                    Status("1d3h55m", "Ben", "pending"),
                    Email(
                        "6h",
                        html=(
                            "<p>Hi Chloe,</p><p>Signed agreement attached. Invoices to"
                            " accounts@studionord.example.com please.</p><p>Hannah</p>"
                        ),
                        attach=(
                            (
                                "studio-nord-agreement-signed.pdf",
                                "Office coffee agreement - signed",
                            ),
                        ),
                    ),
                    Reply(
                        "5h20m",
                        "Chloe",
                        "Thanks Hannah! All set — the first 4 kg of Huila arrives Monday and"
                        " invoices go to accounts@studionord.example.com.\n\nChloe",
                    ),
                    Status("5h15m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "victor",
        "Victor Nguyen",
        email="victor.nguyen@example.net",
        chat="web:visitor-e3f7",
        cases=(
            Case(
                "Chat: grinder clicking noise",
                (
                    Chat(
                        "1d7h",
                        "my B40 makes a clicking noise since yesterday, every second or so",
                        {"order": "#1055", "topic": "grinder", "page": "/help/grinders"},
                    ),
                    Reply(
                        "1d6h58m",
                        "Ben",
                        "Hi Victor, that's often a small stone or a bean fragment caught in"
                        " the burrs. Could you email a short photo or video of the burrs to"
                        " us? What's your email?",
                    ),
                    Chat("1d6h55m", "victor.nguyen@example.net"),
                    Reply(
                        "1d6h45m",
                        "Ben",
                        "Hi Victor,\n\nhere's the follow-up from chat. Please unplug the"
                        " grinder, remove the hopper and upper burr (guide:"
                        " larkspur.example.com/b40-burrs) and send a photo of what you see."
                        "\n\nBen",
                        channel="email",
                        to="victor.nguyen@example.net",
                    ),
                    Email(
                        "1d5h",
                        "Found it — a tiny stone wedged in the lower burr. Photo attached. Is"
                        " the burr damaged?\n\nVictor",
                        attach=(("burr-stone.png", "stone in the lower burr"),),
                    ),
                    Tag("1d4h30m", "Ben", ("grinder", "warranty")),
                    Reply(
                        "1d4h20m",
                        "Ben",
                        "Good find! From the photo one tooth on the lower burr is chipped. It's"
                        " under warranty — a new burr set ships today.\n\nBen",
                    ),
                    Status("1d4h15m", "Ben", "pending"),
                    Email(
                        "3h20m", "New burrs are in — silent and grinding beautifully. Thanks Ben!"
                    ),
                    Reply("2h45m", "Ben", "Great to hear, enjoy!\n\nBen"),
                    Status("2h44m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "paul",
        "Paul Dubois",
        email="paul.dubois@example.net",
        cases=(
            Case(
                "Invoice with VAT number for my company",
                (
                    Email(
                        "5d4h",
                        "Bonjour,\n\nI need an invoice for order #1041 with my company's name"
                        " and VAT number (FR 40 123456824) for my accountant. Is that"
                        " possible?\n\nPaul Dubois",
                    ),
                    Assign("5d3h", "Ana", "Chloe", "billing"),
                    Reply(
                        "5d2h",
                        "Chloe",
                        "Bonjour Paul,\n\nof course. What company name and address should go on"
                        " it?\n\nChloe",
                    ),
                    Email(
                        "4d20h",
                        "Atelier Dubois SARL, 12 rue des Lilas, 69003 Lyon, France. Merci!",
                    ),
                    Reply(
                        "4d18h",
                        "Chloe",
                        "Done — the invoice for #1041 with Atelier Dubois SARL and your VAT"
                        " number is now under Account → Orders → Download invoice.\n\nChloe",
                    ),
                    Email("4d16h", "Parfait, got it. Thanks Chloe."),
                    Tag("4d15h", "Chloe", ("billing", "invoice", "international")),
                    Status("4d15h", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "nina",
        "Nina Petrova",
        email="nina.petrova@example.org",
        cases=(
            Case(
                "Gift card never arrived",
                (
                    Email(
                        "2d7h",
                        html=(
                            "<p>Hi,</p><p>I bought a <strong>$50 gift card</strong> for my"
                            " sister on Saturday (order #1090) but she never got the email."
                            " Her address is mila.petrova@example.org.</p><p>Thanks,"
                            " Nina</p>"
                        ),
                    ),
                    Reply(
                        "2d6h",
                        "Ana",
                        "Hi Nina,\n\nthe gift card email went to 'mila.petorva@example.org' —"
                        " a small typo at checkout. I've resent it to the right address just"
                        " now.\n\nAna",
                    ),
                    Email(
                        "2d4h",
                        html="<p>She got it! Thank you so much.</p><p>Nina</p>",
                    ),
                    Tag("2d3h55m", "Ana", ("gift",)),
                    Status("2d3h55m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "ahmed",
        None,
        phone="+14155550127",
        cases=(
            Case(
                "SMS: has the Espresso Club shipped?",
                (
                    Sms(
                        "6d11h",
                        "Hey did this month's espresso club ship? need beans for the weekend lol",
                    ),
                    Reply(
                        "6d10h",
                        "Ben",
                        "Hi! It shipped yesterday — should be with you Friday. Tracking"
                        " 9400100000000000000123.",
                    ),
                    Sms("6d9h50m", "legend, thanks"),
                    Status("6d9h45m", "Ben", "resolved"),
                ),
            ),
            Case(
                "SMS: missing a bag",
                (
                    Sms(
                        "2h40m",
                        "hey, box came but only 1 bag in it, espresso club is 2 bags right?",
                    ),
                    Sms("2h38m", "can send a pic if you need one"),
                ),
            ),
        ),
    ),
    Customer(
        "laura",
        "Laura Chen",
        email="laura.chen@example.com",
        cases=(
            Case(
                "Too many emails",
                (
                    Email(
                        "5d1h",
                        "Hi, I love your coffee but I'm getting 3-4 marketing emails a week."
                        " Can I just get the monthly newsletter?\n\nLaura",
                    ),
                    Reply(
                        "4d23h",
                        "Ana",
                        "Hi Laura,\n\nfair enough! I've switched you to the monthly newsletter"
                        " only. Order and shipping emails still come as usual.\n\nAna",
                    ),
                    Status("4d22h55m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "greg",
        "Greg Holloway",
        email="greg.holloway@example.net",
        cases=(
            Case(
                "Password reset email never arrives",
                (
                    Email(
                        "1d1h",
                        "I've requested a password reset four times and never got the email."
                        " Checked spam. I want to update my card before my renewal.\n\nGreg",
                    ),
                    Reply(
                        "23h",
                        "Ana",
                        "Hi Greg,\n\nsorry about that — your address was on our bounce list"
                        " after a mailbox-full error last year. I've cleared it; could you try"
                        " the reset once more?\n\nAna",
                    ),
                    Email(
                        "2h05m",
                        "Tried again this morning, still nothing. Renewal is tomorrow.",
                    ),
                    Note(
                        "1h50m",
                        "Ana",
                        "Still bouncing — mail provider rejects our reset emails. Chloe: can"
                        " we push his renewal a few days so his old card isn't charged?",
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "mia",
        "Mia Rossi",
        chat="web:visitor-2b88",
        cases=(
            Case(
                "Chat: how much caffeine in the decaf?",
                (
                    Chat(
                        "4d1h",
                        "hi, how much caffeine is left in Night Owl? I'm pregnant and trying"
                        " to be careful",
                        {"page": "/shop/night-owl-decaf"},
                    ),
                    Reply(
                        "4d59m",
                        "Ana",
                        "Hi Mia, congratulations! Night Owl is Swiss Water decaf, 99.9%"
                        " caffeine-free — about 2-5 mg per cup vs ~95 mg for regular. Best to"
                        " check with your doctor about how much is right for you.",
                    ),
                    Chat("4d57m", "thats really helpful, thank you"),
                    Status("4d55m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "frank",
        "Frank Ibarra",
        email="frank.ibarra@example.com",
        cases=(
            Case(
                "Upgrade to the Espresso Club",
                (
                    Email(
                        "3d9h",
                        "Hi, can I switch my Roaster's Choice to the Espresso Club without"
                        " losing the 10% subscriber discount? Frank",
                    ),
                    Reply(
                        "3d8h",
                        "Chloe",
                        "Hi Frank,\n\nyes — the discount comes with you. You'd go from $34 to"
                        " $39.60 per box (after 10%). Shall I switch it from the next"
                        " delivery?\n\nChloe",
                    ),
                    Email("3d6h", "Yes please!"),
                    Reply(
                        "3d5h30m",
                        "Chloe",
                        "Done, your next box is the Espresso Club. Enjoy!\n\nChloe",
                    ),
                    Tag("3d5h25m", "Chloe", ("subscription", "upgrade")),
                    Status("3d5h25m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "yusuf",
        "Yusuf Demir",
        email="yusuf.demir@example.net",
        cases=(
            Case(
                "Coffee for our new café — call next week?",
                (
                    Email(
                        "1d12h",
                        "Hi Larkspur,\n\nwe're opening a small café in Alameda in January and"
                        " would like to talk about wholesale. I'm busy with the fit-out this"
                        " week — could someone call me on Monday?\n\nYusuf Demir",
                    ),
                    Assign("1d11h", "Ana", "Ben", "support"),
                    Reply(
                        "1d10h",
                        "Ben",
                        "Hi Yusuf,\n\ncongratulations on the café! I'll call you Monday"
                        " morning. What number is best?\n\nBen",
                    ),
                    Email("1d8h", "(510) 555-0147, any time before noon. Thanks Ben."),
                    Tag("1d7h", "Ben", ("wholesale",)),
                    Status("1d7h", "Ben", "snoozed", until="+3d"),
                ),
            ),
        ),
    ),
)
