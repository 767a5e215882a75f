"""The week at Larkspur Coffee Roasters, continued (3 of 6)."""

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
        "carlos",
        "Carlos Mendes",
        phone="+14155550161",
        chat="web:visitor-9ae0",
        cases=(
            Case(
                "SMS: moved, subscription address",
                (
                    Sms(
                        "2d9h",
                        "Hi this is Carlos Mendes, I moved last weekend. Can my subscription"
                        " go to 88 Harbor View Dr, Sausalito CA 94965 from now on?",
                    ),
                    Reply(
                        "2d8h30m",
                        "Ana",
                        "Hi Carlos, Ana from Larkspur. Done — the next bag (Friday) goes to"
                        " 88 Harbor View Dr, Sausalito.",
                    ),
                    Chat(
                        "2d2h",
                        "hi, texted earlier about my new address, the website still shows the"
                        " old one on my account page. is that ok?",
                        {"phone": "+1 415 555 0161", "page": "/account"},
                    ),
                    Reply(
                        "2d1h58m",
                        "Ana",
                        "Hi Carlos! I changed it on the subscription itself, which is what"
                        " ships. I've now updated your default address on the account too.",
                    ),
                    Chat("2d1h55m", "perfect thank you"),
                    Tag("2d1h50m", "Ana", ("address-change", "subscription")),
                    Status("2d1h50m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "fatima",
        "Fatima Noor",
        email="fatima.noor@example.net",
        cases=(
            Case(
                "WELCOME10 code doesn't work",
                (
                    Email(
                        "1d9h",
                        "Hello, the WELCOME10 code from your newsletter says 'not valid' at"
                        " checkout. I have 3 bags in my cart.\n\nFatima",
                    ),
                    Assign("1d8h", "Ana", "Chloe", "billing"),
                    Reply(
                        "1d7h30m",
                        "Chloe",
                        "Hi Fatima,\n\nWELCOME10 only works on a first order, and our system"
                        " found an order from 2022 under your email — sorry for the confusion."
                        " Here's a one-time code that will work: LARK-FN10 (10% off, valid"
                        " this week).\n\nChloe",
                    ),
                    Email("1d6h40m", "That worked, thank you! Forgot I ordered back then."),
                    Tag("1d6h30m", "Chloe", ("billing", "promo")),
                    Status("1d6h30m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "ethan",
        "Ethan Brooks",
        email="ethan.brooks@example.com",
        chat="web:visitor-a71c",
        cases=(
            Case(
                "Chat: returning an unopened grinder",
                (
                    Chat(
                        "4d8h",
                        "Hi, I'd like to return my Burrow B40, it's still sealed. Got one as a"
                        " gift as well",
                        {"order": "#1079", "topic": "returns", "page": "/help/returns"},
                    ),
                    Reply(
                        "4d7h58m",
                        "Ana",
                        "Hi Ethan, no problem — unopened returns within 30 days get a full"
                        " refund. What email should I send the prepaid return label to?",
                    ),
                    Chat("4d7h56m", "ethan.brooks@example.com"),
                    Reply(
                        "4d7h40m",
                        "Ana",
                        "Hi Ethan,\n\nas promised in chat, your prepaid UPS return label for"
                        " order #1079 is at larkspur.example.com/returns/RMA-5531. Drop the"
                        " box at any UPS point; the refund goes out when it reaches us.\n\n"
                        "Ana\nLarkspur Coffee Roasters",
                        channel="email",
                        to="ethan.brooks@example.com",
                    ),
                    Tag("4d7h35m", "Ana", ("returns", "grinder")),
                    Status("4d7h35m", "Ana", "pending"),
                    Email(
                        "3d2h",
                        "Dropped it off at UPS this morning, receipt attached.\n\nEthan",
                        attach=(("ups-dropoff-receipt.pdf", "UPS drop-off receipt RMA-5531"),),
                    ),
                    Assign("1d3h", "Ana", "Chloe", "billing"),
                    Note("1d2h", "Chloe", "RMA-5531 received sealed. Refunded $189.00 to Visa."),
                    Reply(
                        "1d1h50m",
                        "Chloe",
                        "Hi Ethan,\n\nthe grinder arrived back with us today and I've refunded"
                        " $189.00 to your Visa. Thanks for shopping with us!\n\nChloe",
                    ),
                    Status("1d1h45m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "olivia",
        "Olivia Turner",
        email="olivia.turner@example.com",
        cases=(
            Case(
                "Holiday gifts for our team — 25 bags",
                (
                    Email(
                        "3d8h",
                        html=(
                            "<html><body><p>Hi there!</p><p>I'm organising holiday gifts for"
                            " our team at Turner &amp; Hale. We'd like <b>25 bags</b> of"
                            " coffee, ideally a mix of Morning Hymn and the Guji, shipped to"
                            " 25 home addresses (list attached).</p><p>Can you include a short"
                            " card with our logo? And do you offer a volume discount?</p>"
                            "<p>Best,<br>Olivia Turner<br>People &amp; Culture, Turner &amp;"
                            " Hale</p></body></html>"
                        ),
                        attach=(
                            (
                                "gift-recipients.csv",
                                "name,city,coffee\nJ. Alvarez,Austin,Guji\n"
                                "M. Chen,Seattle,Morning Hymn\nR. Patel,Denver,Guji\n",
                            ),
                            ("turner-hale-logo.png", "Turner & Hale logo"),
                        ),
                    ),
                    Assign("3d7h", "Ana", "Ben", "support"),
                    Tag("3d7h", "Ana", ("gift", "corporate")),
                    Reply(
                        "3d6h",
                        "Ben",
                        "Hi Olivia,\n\nwe'd love to! For 25+ bags it's 15% off, and a printed"
                        " card with your logo is free. Shipping to individual addresses is"
                        " $6 each. Want me to put together an invoice? Last date for delivery"
                        " before the holidays is the 18th.\n\nBen",
                    ),
                    Email(
                        "2d9h",
                        "Yes please — 15 Guji, 10 Morning Hymn. Invoice to"
                        " accounts@turnerhale.example.com, reference PO 7781.\n\nOlivia",
                    ),
                    Assign("2d8h", "Ben", "Chloe", "billing"),
                    Reply(
                        "2d6h",
                        "Chloe",
                        "Hi Olivia, Chloe from billing. Invoice INV-2087 ($424.75 incl."
                        " shipping) is on its way to accounts@turnerhale.example.com. We'll"
                        " roast and ship as soon as it's paid.\n\nChloe",
                    ),
                    Note(
                        "2d5h50m",
                        "Chloe",
                        "INV-2087 sent, net 15. Card proof approved by Olivia via the attached"
                        " logo — print shop has it.",
                    ),
                    Status("2d5h45m", "Chloe", "pending"),
                    Email(
                        "1d6h",
                        "Invoice paid this morning! Could the card say 'Happy holidays from all of"
                        " us at Turner & Hale'?",
                    ),
                    Reply(
                        "1d5h",
                        "Chloe",
                        "Payment received, thank you! Card text noted — the bags roast Monday and"
                        " ship Tuesday, and you'll get a list of tracking numbers.\n\nChloe",
                    ),
                    Email("1d3h", "Perfect, thank you both!"),
                    Status("1d2h50m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "hiroshi",
        "Hiroshi Sato",
        email="hiroshi.sato@example.net",
        cases=(
            Case(
                "Which burrs for pour-over?",
                (
                    Email(
                        "6d6h",
                        "Hello,\n\nI brew mostly V60. Is the standard B40 burr set fine, or is"
                        " the 'brew' burr upgrade worth it?\n\nHiroshi",
                    ),
                    Reply(
                        "6d5h",
                        "Ben",
                        "Hi Hiroshi,\n\nfor V60 the brew burrs are worth it — fewer fines,"
                        " clearer cups. The standard set is a better all-rounder if you also"
                        " make espresso.\n\nBen",
                    ),
                    Email("6d3h", "V60 only, so brew burrs it is. Ordered. Thanks!"),
                    Reply("6d2h50m", "Ben", "Great choice — enjoy!\n\nBen"),
                    Tag("6d2h45m", "Ben", ("grinder", "presales")),
                    Status("6d2h45m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "zoe",
        None,
        phone="+447700900456",
        cases=(
            Case(
                "SMS: parcel stuck in customs",
                (
                    Sms(
                        "2d11h",
                        "Hiya, my Larkspur order has said 'held at customs' in Coventry for"
                        " 6 days now. Order 1071. Anything you can do?",
                    ),
                    Assign("2d10h", "Ana", "Ana", "support"),
                    Reply(
                        "2d9h50m",
                        "Ana",
                        "Hi Zoe, Ana from Larkspur. I've opened an enquiry with Royal Mail for"
                        " #1071. Customs holds usually clear in 7-10 days; I'll text you as"
                        " soon as I hear.",
                    ),
                    Note(
                        "2d9h45m",
                        "Ana",
                        "Royal Mail enquiry RM-40021187. If nothing by Friday, reship.",
                    ),
                    Sms("1d3h", "Just got a 'released from customs' update!"),
                    Reply(
                        "1d2h40m",
                        "Ana",
                        "Brilliant — it should reach you in 1-2 days. Sorry it took so long.",
                    ),
                    Sms("4h10m", "Arrived this morning, smells amazing x"),
                    Tag("4h", "Ana", ("international", "shipping")),
                ),
            ),
        ),
    ),
    Customer(
        "lukas",
        None,
        phone="+496990009118",
        cases=(
            Case(
                "SMS: Versand nach Deutschland?",
                (
                    Sms(
                        "5d9h",
                        "Hallo! Do you ship to Germany (Frankfurt)? Versand nach Deutschland"
                        " möglich?",
                    ),
                    Reply(
                        "5d8h",
                        "Ben",
                        "Hallo Lukas! Yes — DHL Express to Germany, $24 flat, 2-4 days, duties"
                        " paid by us. Viele Grüße, Ben (Larkspur Coffee)",
                    ),
                    Sms("5d7h30m", "Super, danke! Ordering the Kenya."),
                    Tag("5d7h25m", "Ben", ("international", "presales")),
                    Status("5d7h25m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "ruth",
        "Ruth Adler",
        email="ruth.adler@example.org",
        cases=(
            Case(
                "Please call me about my order",
                (
                    Email(
                        "3d6h",
                        "Dear Larkspur,\n\nI am not very good with the website. I would like"
                        " to order the same coffee as last time for my daughter's birthday"
                        " but I cannot find it. Could someone please telephone me? (415)"
                        " 555-0119, any afternoon.\n\nKind regards,\nRuth Adler",
                    ),
                    Assign("3d5h", "Ana", "Ana", "support"),
                    Call(
                        "3d1h",
                        "Ana",
                        "Called Ruth. Last order was Guatemala Huehuetenango, whole bean."
                        " Placed order #1084 for her (2 bags, gift wrap, to her daughter in"
                        " San Jose), paid by card over the phone. She'd like a call, not an"
                        " email, next time.",
                        direction="out",
                    ),
                    Note(
                        "3d55m",
                        "Ana",
                        "Ruth prefers phone. Please call rather than email her.",
                    ),
                    Email(
                        "2d5h",
                        "Thank you for your kind help on the telephone, dear. My daughter"
                        " will be so pleased.\n\nRuth",
                    ),
                    Tag("2d4h", "Ana", ("phone-preferred",)),
                    Status("2d4h", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "alex",
        "Alex Morgan",
        email="alex.morgan@example.com",
        phone="+14155550150",
        cases=(
            Case(
                "Typo in my shipping address",
                (
                    Email(
                        "6d9h",
                        "Hi, I just placed order #1038 and typed 'Mian St' instead of 'Main"
                        " St' (412 Main St, Berkeley). Can you fix it before it ships? Text me"
                        " if that's quicker: 415-555-0150.\n\nAlex",
                    ),
                    Reply(
                        "6d8h40m",
                        "Ben",
                        "Hi Alex, Ben at Larkspur — fixed, #1038 will go to 412 Main St,"
                        " Berkeley. It hadn't shipped yet.",
                        channel="sms",
                        to="415-555-0150",
                    ),
                    Sms("6d8h30m", "Phew, thanks Ben!"),
                    Tag("6d8h25m", "Ben", ("address-change",)),
                    Status("6d8h25m", "Ben", "resolved"),
                ),
            ),
            Case(
                "Can I add a bag to my open order?",
                (
                    Email(
                        "5h30m",
                        "Hi again! Could you add a bag of the Kenya Nyeri to order #1101? It"
                        " hasn't shipped yet, happy to pay the difference.\n\nAlex",
                    ),
                    Sms(
                        "1h15m",
                        "any news on my order? want to make sure it goes out with the Kenya",
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "kevin",
        "Kevin O'Brien",
        email="kevin.obrien@example.com",
        cases=(
            Case(
                "Where is my refund?",
                (
                    Email(
                        "4d5h",
                        "Hi, I returned a bag of beans (wrong grind) on the 3rd and was told"
                        " I'd get a refund. Nothing has come through yet. Order #1012.\n\n"
                        "Kevin O'Brien",
                    ),
                    Assign("4d4h", "Ana", "Chloe", "billing"),
                    Note(
                        "4d3h",
                        "Chloe",
                        "Return was logged but the refund never got issued — the warehouse"
                        " marked it 'opened'. It wasn't; it was the wrong grind. Issuing now.",
                    ),
                    Reply(
                        "4d2h55m",
                        "Chloe",
                        "Hi Kevin,\n\nsorry — your return was received but the refund got"
                        " stuck on our side. I've just refunded $19.00 to your card; allow 5-10"
                        " business days.\n\nChloe",
                    ),
                    Email(
                        "1d4h",
                        "It's been 3 days and my bank still shows nothing pending. Can you"
                        " send me some proof of the refund?",
                    ),
                    Reply(
                        "1d3h",
                        "Chloe",
                        "Of course. The refund reference is re_4Nq81 (ARN 74123456789012345"
                        "678901) — your bank can trace it with that ARN. Pending refunds often"
                        " don't show until they settle.\n\nChloe",
                    ),
                    Tag("1d3h", "Chloe", ("refund", "billing")),
                    Status("1d2h55m", "Chloe", "pending"),
                    Email(
                        "5h",
                        "It finally showed up this morning. Thanks for the ARN, my bank found it"
                        " straight away.",
                    ),
                    Reply("4h30m", "Chloe", "Glad it's sorted, Kevin!\n\nChloe"),
                    Status("4h29m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "amara",
        "Amara Okafor",
        chat="web:visitor-0e6b",
        cases=(
            Case(
                "Chat: compostable bags?",
                (
                    Chat(
                        "3d3h",
                        "Hello! Are your bags compostable? I can't find it on the site",
                        {"page": "/about"},
                    ),
                    Reply(
                        "3d2h58m",
                        "Ben",
                        "Hi Amara! The kraft bags are home-compostable, but the one-way valve"
                        " isn't — pop it out first. Subscription boxes are 100% recycled card.",
                    ),
                    Chat("3d2h55m", "Good to know. You should put that on the product page!"),
                    Reply("3d2h54m", "Ben", "Fair point — passing it on to the team today."),
                    Note("3d2h50m", "Ben", "Idea: add packaging info to every product page."),
                    Tag("3d2h50m", "Ben", ("feedback",)),
                    Status("3d2h50m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
)
