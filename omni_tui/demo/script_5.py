"""The week at Larkspur Coffee Roasters, continued (5 of 6)."""

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
        "jenny",
        "Jenny Okoro",
        email="jenny.okoro@example.org",
        cases=(
            Case(
                "Just a thank you",
                (
                    Email(
                        "6d1h",
                        "Hi! No problem, I just wanted to say the Guji is the best coffee I've"
                        " ever had at home. The little handwritten note in the box made my"
                        " day.\n\nJenny",
                    ),
                    Reply(
                        "5d22h",
                        "Ben",
                        "Jenny, this made our whole team smile — thank you! The note was from"
                        " Chloe, by the way.\n\nBen",
                    ),
                    Tag("5d21h55m", "Ben", ("feedback",)),
                    Status("5d21h55m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "tanvir",
        "Tanvir Hossain",
        email="tanvir.hossain@example.com",
        cases=(
            Case(
                "Grinder won't turn on",
                (
                    Email(
                        "7h",
                        "My B40 (2 weeks old) won't turn on at all this morning. Tried another"
                        " outlet. Nothing. Help!\n\nTanvir",
                    ),
                    Assign("6h30m", "Ana", "Ben", "support"),
                    Reply(
                        "6h",
                        "Ben",
                        "Hi Tanvir,\n\nsorry! Two quick checks: is the hopper fully twisted"
                        " into place (there's a safety switch), and is the bean chute"
                        " clicked in? If both are fine, reply and I'll send a replacement.\n\n"
                        "Ben",
                    ),
                    Email(
                        "35m",
                        "Hopper is locked in, chute too. Still dead. Do I need to ship it"
                        " back first?",
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "bella",
        "Bella Moreno",
        email="bella.moreno@example.com",
        cases=(
            Case(
                "Espresso grinder under $300?",
                (
                    Email(
                        "5d7h",
                        "Hi! I'm upgrading from a blade grinder and mostly make espresso, with"
                        " the odd pour-over at weekends. Is the B40 enough or should I save"
                        " for the Pro 64?\n\nBella",
                    ),
                    Reply(
                        "5d6h",
                        "Ben",
                        "Hi Bella,\n\nfor home espresso the B40 is plenty — stepless"
                        " adjustment and very little retention. The Pro 64 only pays off if"
                        " you switch between espresso and filter every day.\n\nBen",
                    ),
                    Email(
                        "5d5h10m",
                        "Thanks! How loud is the B40? Our baby sleeps in the next room.",
                    ),
                    Reply(
                        "5d4h40m",
                        "Ben",
                        "About 70 dB for 10-15 seconds — quieter than a blade grinder, louder"
                        " than a kettle. Most parents tell us it's fine with the door"
                        " shut.\n\nBen",
                    ),
                    Email(
                        "5d3h",
                        "Sold. Does the subscriber discount work on grinders? I get the"
                        " Roaster's Choice.",
                    ),
                    Reply(
                        "5d2h30m",
                        "Ben",
                        "It does this month: $20 off with code SUB-GRIND at checkout.\n\nBen",
                    ),
                    Email("5d1h20m", "Ordered, #1052. Thank you for the patience!"),
                    Tag("5d1h", "Ben", ("presales", "grinder")),
                    Status("5d1h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "george",
        "George Whitaker",
        email="george.whitaker@example.net",
        cases=(
            Case(
                "Charged after I cancelled",
                (
                    Email(
                        "4d11h",
                        "Hello,\n\nI cancelled my subscription on Sunday evening and was"
                        " charged $34.00 on Monday anyway. Receipt attached. Please refund"
                        " it.\n\nGeorge Whitaker",
                        attach=(("receipt-1066.pdf", "Receipt #1066 - $34.00"),),
                    ),
                    Assign("4d10h", "Ana", "Chloe", "billing"),
                    Tag("4d10h", "Ana", ("billing", "refund", "subscription")),
                    Note(
                        "4d9h30m",
                        "Chloe",
                        "Cancel landed at 00:40 Monday, renewal ran at 00:05. Box not shipped"
                        " yet — stopping it and refunding.",
                    ),
                    Reply(
                        "4d9h20m",
                        "Chloe",
                        "Hi George,\n\nthe renewal ran just before your cancellation went"
                        " through, but the box hadn't shipped — I've stopped it and refunded"
                        " the $34.00. Your subscription is cancelled.\n\nChloe",
                    ),
                    Email(
                        "4d7h",
                        "Thank you. Nothing personal — I'm moving to Lisbon next month.",
                    ),
                    Reply(
                        "4d6h40m",
                        "Chloe",
                        "Good luck with the move! We ship to Portugal too, if you ever miss"
                        " us.\n\nChloe",
                    ),
                    Email("4d5h", "Ha, I might take you up on that."),
                    Status("4d4h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0112",
        None,
        phone="+14155550112",
        cases=(
            Case(
                "SMS: roast dates and 5 lb bags",
                (
                    Sms("4d6h", "hi whats the roast date on the guji shipping this week?"),
                    Reply(
                        "4d5h30m",
                        "Ana",
                        "Hi! This week's Guji was roasted Monday and ships the same week —"
                        " every bag has the roast date on the label.",
                    ),
                    Sms("4d5h20m", "nice. do you sell 5lb bags?"),
                    Reply(
                        "4d5h10m",
                        "Ana",
                        "Yes, Morning Hymn and Colombia Huila come in 5 lb bags ($62 and $68).",
                    ),
                    Sms("4d5h", "ok thx"),
                    Status("4d4h50m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "kofi",
        "Kofi Mensah",
        email="kofi.mensah@example.com",
        chat="web:visitor-6a3f",
        cases=(
            Case(
                "Chat: deliver a gift on a specific date",
                (
                    Chat(
                        "2d4h",
                        "Hello, can I choose a delivery date? It's for my mum's 60th on the"
                        " 14th and I don't want it to arrive too early",
                        {"order": "#1099", "topic": "gift", "page": "/checkout/thanks"},
                    ),
                    Reply(
                        "2d3h57m",
                        "Ana",
                        "Hi Kofi! Not at checkout yet, but I can hold #1099 and ship it on the"
                        " 12th so it lands on the 13th or 14th. What email should I confirm"
                        " to?",
                    ),
                    Chat("2d3h55m", "kofi.mensah@example.com — thank you!"),
                    Reply(
                        "2d3h40m",
                        "Ana",
                        "Hi Kofi,\n\nconfirming: order #1099 is on hold and ships on the 12th"
                        " by Priority Mail, gift-wrapped. If you'd like a message on the card,"
                        " just reply with it.\n\nAna",
                        channel="email",
                        to="kofi.mensah@example.com",
                    ),
                    Email(
                        "2d1h",
                        "Perfect! Please write: 'Happy 60th, Mum! Love, Kofi, Abena and the kids.'",
                    ),
                    Note("2d50m", "Ana", "Card text added to #1099. Ship on the 12th!"),
                    Reply(
                        "2d45m",
                        "Ana",
                        "Done — the card will say exactly that. I'll email you tracking on"
                        " the 12th.\n\nAna",
                    ),
                    Tag("2d40m", "Ana", ("gift",)),
                    Status("2d40m", "Ana", "snoozed", until="+2d"),
                ),
            ),
        ),
    ),
    Customer(
        "ingrid",
        "Ingrid Larsen",
        email="ingrid.larsen@example.org",
        cases=(
            Case(
                "Bag from the grocery store was 5 weeks old",
                (
                    Email(
                        "3d11h",
                        "Hi, I bought your Colombia Huila at Greenleaf Market and the roast"
                        " date says October 12. That's over 5 weeks! It tasted flat. Do you"
                        " know how old your stock is there?\n\nIngrid",
                    ),
                    Note(
                        "3d10h",
                        "Ben",
                        "Greenleaf should rotate every 3 weeks — emailing their buyer. Sending"
                        " Ingrid a fresh bag.",
                    ),
                    Reply(
                        "3d9h55m",
                        "Ben",
                        "Hi Ingrid,\n\nyou're right, that bag should have come off the shelf"
                        " two weeks ago. I've asked Greenleaf to check their stock, and a"
                        " fresh bag of Huila is on its way to you from our roastery.\n\nBen",
                    ),
                    Email(
                        "3d8h",
                        "Oh that's lovely, thank you. My address is 27 Poplar Ave, Oakland 94611.",
                    ),
                    Reply("3d7h50m", "Ben", "Got it — ships tomorrow.\n\nBen"),
                    Tag("3d7h45m", "Ben", ("quality", "stockist")),
                    Status("3d7h45m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "harbor",
        "Maria Santos",
        email="maria@harborstreetbakery.example.com",
        cases=(
            Case(
                "Invoice W-0398 paid twice",
                (
                    Email(
                        "2d12h",
                        html=(
                            "<html><body><p>Hi Chloe,</p><p>Our bookkeeper noticed that"
                            " invoice <b>W-0398</b> ($486.00) was paid twice, on the 3rd and"
                            " on the 5th.</p><p>Could you refund one, or credit it against"
                            " next month?</p><p>Maria Santos<br>Harbor Street Bakery</p>"
                            "</body></html>"
                        ),
                    ),
                    Assign("2d11h", "Ana", "Chloe", "billing"),
                    Tag("2d11h", "Ana", ("wholesale", "billing")),
                    Reply(
                        "2d10h",
                        "Chloe",
                        "Hi Maria,\n\nconfirmed — we received $486.00 twice. Refund or credit,"
                        " whichever your bookkeeper prefers.\n\nChloe",
                    ),
                    Call(
                        "2d7h",
                        "Chloe",
                        "Maria called: they'd rather have a credit. Created credit note"
                        " CN-021 for $486.00 against December's invoice.",
                    ),
                    Email(
                        "2d6h30m",
                        html="<p>Thanks for sorting it on the phone, Chloe!</p><p>Maria</p>",
                    ),
                    Reply(
                        "2d6h",
                        "Chloe",
                        "My pleasure. CN-021 will show on December's invoice.\n\nChloe",
                    ),
                    Status("2d5h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "leo",
        "Leo Fontaine",
        email="leo.fontaine@example.net",
        cases=(
            Case(
                "Why did my payment fail?",
                (
                    Email(
                        "1d14h",
                        "I got an email saying my renewal payment failed. My card is fine —"
                        " used it yesterday. What's going on?\n\nLeo",
                    ),
                    Reply(
                        "1d12h",
                        "Chloe",
                        "Hi Leo,\n\nyour bank returned 'expired card' — it looks like they"
                        " issued you a new card with a new expiry date. If you update it under"
                        " Account → Payment, I'll retry the charge straight away.\n\nChloe",
                    ),
                    Email("1d10h", "Ah, you're right, new card came last week. Updated."),
                    Reply(
                        "1d9h40m",
                        "Chloe",
                        "Retried and it went through — your box ships tomorrow.\n\nChloe",
                    ),
                    Tag("1d9h35m", "Chloe", ("billing", "subscription")),
                    Status("1d9h35m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "dev",
        "Dev Malhotra",
        chat="web:visitor-d901",
        cases=(
            Case(
                "Chat: student discount?",
                (
                    Chat("6d5h", "do you do a student discount?", {"page": "/shop"}),
                    Reply(
                        "6d4h58m",
                        "Ana",
                        "Hi Dev! No student discount, sorry — but the 6 oz bags are a cheaper"
                        " way to try things, and subscriptions are 10% off.",
                    ),
                    Chat("6d4h55m", "ok, whats the cheapest subscription?"),
                    Reply(
                        "6d4h54m",
                        "Ana",
                        "Roaster's Choice, 6 oz every 4 weeks: $12.60 with free shipping.",
                    ),
                    Chat("6d4h50m", "thats not bad, signing up"),
                    Status("6d4h48m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "charlotte",
        "Charlotte Evans",
        email="charlotte.evans@example.net",
        cases=(
            Case(
                "Christmas delivery to London",
                (
                    Email(
                        "2d13h",
                        "Hello from London! What's the last date to order for Christmas"
                        " delivery to the UK? Also, can one order go to two addresses?\n\n"
                        "Charlotte",
                    ),
                    Reply(
                        "2d11h",
                        "Ana",
                        "Hi Charlotte,\n\norder by December 9th for Royal Mail to make it"
                        " before Christmas. One order can only go to one address, so you'd"
                        " place two — the $12 shipping applies to each, sorry.\n\nAna",
                    ),
                    Email(
                        "2d9h",
                        "No problem. Will there be customs charges for my sister in"
                        " Edinburgh? It's a gift.",
                    ),
                    Reply(
                        "2d8h30m",
                        "Ana",
                        "Gifts under £39 are duty-free, but Royal Mail may still ask for a"
                        " small handling fee. If they do, tell us and we'll refund it.\n\nAna",
                    ),
                    Email("2d7h", "That's very fair. Two orders coming up!"),
                    Tag("2d6h55m", "Ana", ("international", "gift")),
                    Status("2d6h55m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "omar",
        "Omar Haddad",
        email="omar.haddad@example.com",
        cases=(
            Case(
                "Shots running way too fast",
                (
                    Email(
                        "3d13h",
                        "Hey, my espresso shots with the Espresso Club beans run in 15 seconds"
                        " and taste sour. 18 g in, pre-ground from you. Help!\n\nOmar",
                    ),
                    Reply(
                        "3d12h",
                        "Ben",
                        "Hi Omar,\n\n15 s means the grind is too coarse for your machine."
                        " Pre-ground can't be adjusted, so try tamping firmer and going up to"
                        " 19 g. Aim for 36 g out in 25-30 s.\n\nBen",
                    ),
                    Email(
                        "3d10h",
                        html=(
                            "<div>19 g got me to 22 seconds. Better but still a bit sour."
                            " Should I just buy a grinder?</div><div>Omar</div>"
                        ),
                    ),
                    Reply(
                        "3d9h",
                        "Ben",
                        "Honestly, yes — it's the biggest upgrade you can make. Meanwhile I've"
                        " switched your next bag to our fine 'espresso plus' grind.\n\nBen",
                    ),
                    Email("2d20h", "Grinder ordered. Thanks for the honest answer, Ben."),
                    Tag("2d19h", "Ben", ("brewing-help",)),
                    Status("2d19h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "hugo",
        "Hugo Lambert",
        chat="web:visitor-4c12",
        cases=(
            Case(
                "Chat: what's in the Espresso Club?",
                (
                    Chat(
                        "55m",
                        "hi, is the espresso club single origins or blends?",
                        {"page": "/subscriptions/espresso-club"},
                    ),
                    Chat("52m", "and can I skip a month if I'm away?"),
                ),
            ),
        ),
    ),
)
