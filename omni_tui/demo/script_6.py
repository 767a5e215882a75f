"""The week at Larkspur Coffee Roasters, continued (6 of 6)."""

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
        "susan",
        "Susan Wright",
        email="susan.wright@example.org",
        cases=(
            Case(
                "Review request for a grinder I returned",
                (
                    Email(
                        "1d16h",
                        "You've now sent me three emails asking me to review the grinder I"
                        " returned last month. Please stop.\n\nSusan Wright",
                    ),
                    Reply(
                        "1d14h",
                        "Ana",
                        "Hi Susan,\n\nI'm sorry — returned orders should never get review"
                        " requests. I've stopped them for your account and reported the bug to"
                        " our web team.\n\nAna",
                    ),
                    Note(
                        "1d13h55m", "Ana", "Bug: review emails ignore returns. Told the web team."
                    ),
                    Email("1d12h", "Thank you."),
                    Tag("1d11h", "Ana", ("feedback", "bug")),
                    Status("1d11h", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "julia",
        "Julia Berg",
        email="julia.berg@example.com",
        cases=(
            Case(
                "Parcel delivered to a locker I can't open",
                (
                    Email(
                        "1d15h",
                        "Tracking says my order was delivered to a parcel locker on Grand"
                        " Ave, but I never got a pickup code. Order #1097.\n\nJulia",
                    ),
                    Assign("1d13h", "Ben", "Ben", "support"),
                    Call(
                        "1d12h",
                        "Ben",
                        "Julia called while I was on hold with the carrier. Got the locker"
                        " code (4471) from them and gave it to her; it's valid until Friday.",
                    ),
                    Email(
                        "1d9h",
                        "Got it out of the locker — thanks for chasing them, Ben!",
                    ),
                    Reply(
                        "1d8h30m",
                        "Ben",
                        "Great! Sorry for the hassle — the carrier's code emails have been"
                        " flaky this week.\n\nBen",
                    ),
                    Tag("1d8h25m", "Ben", ("shipping",)),
                    Status("1d8h25m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0138",
        None,
        phone="+14155550138",
        cases=(
            Case(
                "SMS: whole bean instead of ground",
                (
                    Sms("5d10h", "hi can I switch my espresso club to whole bean? got a grinder"),
                    Reply(
                        "5d9h",
                        "Ben",
                        "Hi! Done — whole bean from the next box on. Enjoy the new grinder!",
                    ),
                    Sms("5d8h50m", "thanks!!"),
                    Status("5d8h45m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "elena",
        "Elena Petrakis",
        email="elena.petrakis@example.net",
        cases=(
            Case(
                "B40 with a European plug?",
                (
                    Email(
                        "4d14h",
                        "Hallo from Munich! Do you sell the B40 grinder with an EU plug (230"
                        " V)?\n\nElena",
                    ),
                    Reply(
                        "4d12h",
                        "Ben",
                        "Hi Elena,\n\nsorry, our B40s are the 120 V US model only, and a"
                        " converter would void the warranty. Burrow's EU distributor sells the"
                        " 230 V version. Our beans ship to Germany in 2-4 days, though!\n\nBen",
                    ),
                    Email("4d10h", "Then beans it is — 2 bags of the Guji on the way."),
                    Tag("4d9h", "Ben", ("international", "grinder")),
                    Status("4d9h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    # Grace gave this number in an email; now it texts us as a stranger.
    Customer(
        "grace-sms",
        None,
        phone="+14155550166",
        cases=(
            Case(
                "SMS: the squeak is back",
                (
                    Sms(
                        "20h", "Hi it's Grace again, the squeak is back :( cleaned it like you said"
                    ),
                    Reply(
                        "19h30m",
                        "Ben",
                        "Hi Grace, Ben here. Sorry to hear it! That points to the motor"
                        " bearing, so it's a warranty swap. I'll email the details.",
                    ),
                    Note(
                        "19h25m",
                        "Ben",
                        "This number is Grace Liu's (she gave it in her email) — see the link"
                        " suggestion. Warranty replacement for BR40-22-08817.",
                    ),
                    Tag("19h25m", "Ben", ("grinder", "warranty")),
                    Status("19h20m", "Ben", "pending"),
                ),
            ),
        ),
    ),
    Customer(
        "peter",
        "Peter Lindqvist",
        email="peter.lindqvist@example.com",
        cases=(
            Case(
                "Subscription box arrived crushed",
                (
                    Email(
                        "5d12h",
                        "Hi,\n\nmy Roaster's Choice box arrived flattened and one bag had"
                        " split — beans all over the porch. Photo attached.\n\nPeter",
                        attach=(("crushed-box.png", "crushed subscription box"),),
                    ),
                    Reply(
                        "5d10h",
                        "Ana",
                        "Hi Peter,\n\nugh, sorry! A replacement bag ships today. Was the other"
                        " bag OK, or should I replace both?\n\nAna",
                    ),
                    Email("5d8h", "The other one's fine. Thanks for the quick reply."),
                    Reply(
                        "5d7h40m",
                        "Ana",
                        "Great — one replacement bag on its way, tracking to follow.\n\nAna",
                    ),
                    Email("3d22h", "Replacement arrived safe and sound."),
                    Tag("3d21h", "Ana", ("damaged", "subscription")),
                    Status("3d21h", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0171",
        None,
        phone="+14155550171",
        cases=(
            Case(
                "SMS: decaf for espresso?",
                (
                    Sms("3d12h", "do you have a decaf that works for espresso"),
                    Reply(
                        "3d11h",
                        "Ana",
                        "Hi! Night Owl decaf is roasted with espresso in mind — chocolate and"
                        " cherry, no bitterness. Order it with 'espresso' grind or whole bean.",
                    ),
                    Sms("3d10h50m", "is it swiss water?"),
                    Reply("3d10h45m", "Ana", "Yes, Swiss Water Process — no chemicals."),
                    Status("3d10h40m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "wei",
        "Wei Chen",
        chat="web:visitor-7d4e",
        cases=(
            Case(
                "Chat: tracking link doesn't work",
                (
                    Chat(
                        "1d19h",
                        "the tracking link in my shipping email gives a 404",
                        {"order": "#1094", "topic": "shipping", "page": "/orders/1094"},
                    ),
                    Reply(
                        "1d18h58m",
                        "Ben",
                        "Hi Wei, sorry about that — the carrier changed their link format."
                        " Your tracking number is 9400100000000000000456 (USPS), expected"
                        " Thursday.",
                    ),
                    Chat("1d18h55m", "thanks. will you fix the emails?"),
                    Reply("1d18h54m", "Ben", "Yes, the fix goes out today. Thanks for flagging!"),
                    Chat("1d18h52m", "👍"),
                    Note("1d18h50m", "Ben", "Web team: USPS tracking links in emails 404."),
                    Tag("1d18h50m", "Ben", ("shipping", "bug")),
                    Status("1d18h50m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "anita",
        "Anita Desai",
        email="anita.desai@example.org",
        cases=(
            Case(
                "Gift a grinder to my dad in London?",
                (
                    Email(
                        "6d7h",
                        "Hi, could I send a B40 grinder to my father in London as a gift?\n\nAnita",
                    ),
                    Reply(
                        "6d6h",
                        "Ana",
                        "Hi Anita,\n\nsadly not — our grinders are 120 V US models and won't"
                        " work safely in the UK. A gift subscription ships there though, and"
                        " he'd get a fresh bag every month.\n\nAna",
                    ),
                    Email("6d4h30m", "Oh good idea. 3 months of Roaster's Choice then."),
                    Reply(
                        "6d4h",
                        "Ana",
                        "Lovely choice. You can set it up at larkspur.example.com/gift.\n\nAna",
                    ),
                    Status("6d3h55m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "jordan",
        "Jordan Cole",
        email="jordan.cole@example.net",
        cases=(
            Case(
                "Re: This month at Larkspur — brew guide",
                (
                    Email(
                        "2d15h",
                        html=(
                            "<p>Loved the brew guide in this month's newsletter!</p>"
                            "<p>Any tips for <em>cold brew</em>? Mine always tastes"
                            " muddy.</p><p>— Jordan</p>"
                        ),
                    ),
                    Reply(
                        "2d13h",
                        "Ben",
                        "Hi Jordan,\n\nmuddy usually means too fine a grind or too long a"
                        " steep. Try 1:8 coffee to water, coarse grind, 16 hours in the"
                        " fridge, then filter twice. The Huila is great for it.\n\nBen",
                    ),
                    Email(
                        "1d1h30m",
                        html="<p>16 hours + double filter = perfect. Thanks!</p><p>Jordan</p>",
                    ),
                    Reply("1d1h", "Ben", "Cheers to that!\n\nBen"),
                    Tag("1d55m", "Ben", ("brewing-help",)),
                    Status("1d55m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "rosa",
        "Rosa Delgado",
        email="rosa.delgado@example.com",
        cases=(
            Case(
                "Checkout doesn't work with my screen reader",
                (
                    Email(
                        "4d13h",
                        "Hello,\n\nI'm blind and use VoiceOver. On your checkout page the"
                        " 'Place order' button isn't announced, so I can't finish my order."
                        " Could I order by email?\n\nRosa Delgado",
                    ),
                    Assign("4d12h", "Ana", "Ana", "support"),
                    Reply(
                        "4d11h30m",
                        "Ana",
                        "Hi Rosa,\n\nthank you for telling us, and I'm sorry. Of course — tell"
                        " me what you'd like and I'll place the order and send you a secure"
                        " payment link.\n\nAna",
                    ),
                    Email(
                        "4d10h",
                        "Two bags of Morning Hymn, whole bean, to my address on file please.",
                    ),
                    Reply(
                        "4d9h30m",
                        "Ana",
                        "Done — order #1074 is placed and the payment link is on its way in a"
                        " separate email. I've also reported the button to our web"
                        " team.\n\nAna",
                    ),
                    Note(
                        "4d9h25m",
                        "Ana",
                        "Accessibility bug: 'Place order' button has no label for screen"
                        " readers. High priority for the web team.",
                    ),
                    Email("4d8h", "Paid. Thank you for being so helpful."),
                    Tag("4d7h", "Ana", ("bug", "accessibility")),
                    Status("4d7h", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "fred",
        "Fred Kowalski",
        email="fred.kowalski@example.org",
        cases=(
            Case(
                "Coffee for our church hall",
                (
                    Email(
                        "3d14h",
                        "Good morning,\n\nI look after the coffee at St. Brendan's hall —"
                        " about 8 lb a month for Sunday fellowship. Do you offer anything for"
                        " community groups? Please call me, I'm not much of an emailer: (415)"
                        " 555-0155.\n\nFred Kowalski",
                    ),
                    Assign("3d13h", "Ana", "Chloe", "billing"),
                    Call(
                        "3d8h",
                        "Chloe",
                        "Called Fred. Set up 2 x 5 lb Morning Hymn monthly at wholesale price"
                        " with our 10% community discount, invoiced quarterly. First delivery"
                        " Saturday.",
                        direction="out",
                    ),
                    Reply(
                        "3d7h50m",
                        "Chloe",
                        "Hi Fred,\n\nlovely talking to you. As agreed: 10 lb Morning Hymn each"
                        " month, first delivery this Saturday, invoiced every quarter.\n\n"
                        "Chloe",
                    ),
                    Email("3d4h", "Received with thanks. God bless!\n\nFred"),
                    Tag("3d3h", "Chloe", ("wholesale", "community")),
                    Status("3d3h", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "nadia",
        "Nadia Volkova",
        chat="web:visitor-b5a0",
        cases=(
            Case(
                "Chat: two discount codes at once?",
                (
                    Chat("5d2h", "can I use two discount codes on one order?", {"page": "/cart"}),
                    Reply(
                        "5d1h58m",
                        "Chloe",
                        "Hi Nadia, one code per order I'm afraid — the checkout keeps the"
                        " bigger one automatically.",
                    ),
                    Chat("5d1h56m", "ok fair, thanks"),
                    Status("5d1h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0145",
        None,
        phone="+14155550145",
        cases=(
            Case(
                "SMS: wrong number",
                (
                    Sms("1d20h", "Hey Mike, are we still on for tonight? Bring the board game"),
                    Reply(
                        "1d19h",
                        "Ana",
                        "Hi! I think you have the wrong number — this is Larkspur Coffee"
                        " Roasters. Have fun tonight though!",
                    ),
                    Sms("1d18h55m", "omg sorry!! 😅"),
                    Status("1d18h50m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "amelia",
        "Amelia Hart",
        email="amelia.hart@example.com",
        cases=(
            Case(
                "My gift subscription ends — can I keep it going?",
                (
                    Email(
                        "4d15h",
                        "Hi! My brother gave me 3 months of Roaster's Choice and the last box just"
                        " came. I'd love to keep it going and pay for it myself. How do I do that"
                        " without starting from scratch?\n\nAmelia",
                    ),
                    Assign("4d13h", "Ana", "Chloe", "billing"),
                    Reply(
                        "4d12h30m",
                        "Chloe",
                        "Hi Amelia,\n\nso glad you enjoyed it! I can turn the gift into a regular"
                        " subscription in your name — same coffee, same schedule, 10% subscriber"
                        " discount. Just add a card under Account → Payment and reply"
                        " here.\n\nChloe",
                    ),
                    Email("4d9h", "Card added!"),
                    Reply(
                        "4d8h40m",
                        "Chloe",
                        "All done — your first paid box ships on the 3rd. Welcome aboard!\n\nChloe",
                    ),
                    Email("4d8h", "Yay, thank you!"),
                    Tag("4d7h55m", "Chloe", ("gift", "subscription")),
                    Status("4d7h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0199",
        None,
        phone="+14155550199",
        cases=(
            Case(
                "SMS: are you hiring?",
                (
                    Sms(
                        "2d14h",
                        "Hi, are you hiring? I have 3 yrs barista experience and love your coffee",
                    ),
                    Reply(
                        "2d12h",
                        "Ben",
                        "Hi! Thanks for asking. We're hiring a part-time roastery assistant — send"
                        " your CV to jobs@larkspur.example.com.",
                    ),
                    Sms("2d11h50m", "Will do, thank you!"),
                    Note(
                        "2d11h45m",
                        "Ben",
                        "Possible candidate for the roastery job, told them to email jobs@.",
                    ),
                    Status("2d11h45m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
)
