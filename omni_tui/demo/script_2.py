"""The week at Larkspur Coffee Roasters, continued (2 of 6)."""

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
        "northwind",
        "Dana Whitfield",
        email="orders@northwind-cafe.example.com",
        cases=(
            Case(
                "Weekly order — Northwind Café",
                (
                    Email(
                        "6d2h",
                        html=(
                            "<html><body><p>Hi Larkspur,</p><p>Here's this week's order for"
                            " Northwind Café:</p><table border='1'>"
                            "<tr><th>Coffee</th><th>Qty</th></tr>"
                            "<tr><td>Morning Hymn espresso, 5 lb</td><td>4</td></tr>"
                            "<tr><td>Colombia Huila, 5 lb</td><td>2</td></tr>"
                            "<tr><td>Night Owl decaf, 2 lb</td><td>1</td></tr>"
                            "</table><p>Same delivery window as usual please (Tue before"
                            " 9am).</p><p>Dana Whitfield<br>Northwind Café</p></body></html>"
                        ),
                        attach=(
                            (
                                "northwind-order-wk47.csv",
                                "item,qty\nMorning Hymn 5lb,4\nColombia Huila 5lb,2\n"
                                "Night Owl decaf 2lb,1\n",
                            ),
                        ),
                    ),
                    Assign("6d1h30m", "Ben", "Ben", "support"),
                    Tag("6d1h30m", "Ben", ("wholesale",)),
                    Reply(
                        "6d1h20m",
                        "Ben",
                        "Hi Dana, got it — roasting Monday, delivery Tuesday before 9. Invoice"
                        " to follow as usual.\n\nBen",
                    ),
                    Email(
                        "5d23h",
                        "Ben, could you add 2 more lb of the decaf? We ran out on Sunday.\n\nDana",
                    ),
                    Reply(
                        "5d22h40m",
                        "Ben",
                        "Done — 2 x 2 lb Night Owl on Tuesday's delivery.\n\nBen",
                    ),
                    Email("5d22h", "Perfect, thanks!"),
                    Status("5d21h50m", "Ben", "resolved"),
                ),
            ),
            Case(
                "Weekly order — Northwind Café (week 48)",
                (
                    Email(
                        "3h40m",
                        html=(
                            "<html><body><p>Hi Ben,</p><p>Same as last week please, but 5 bags"
                            " of Morning Hymn instead of 4 — we've got a catering job on"
                            " Thursday.</p><p>Dana</p></body></html>"
                        ),
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "grace",
        "Grace Liu",
        email="grace.liu@example.org",
        cases=(
            Case(
                "B40 squeaks when grinding",
                (
                    Email(
                        "4d3h",
                        "Hello,\n\nmy Burrow B40 (bought in March) has started squeaking loudly"
                        " for the first few seconds of every grind. Is that normal? It's still"
                        " under warranty I think.\n\nGrace Liu",
                    ),
                    Assign("4d2h", "Ana", "Ben", "support"),
                    Tag("4d2h", "Ana", ("grinder", "warranty")),
                    Reply(
                        "4d1h40m",
                        "Ben",
                        "Hi Grace,\n\nnot normal, but usually easy to fix. Could you tell me the"
                        " serial number (under the base) and whether you grind oily dark"
                        " roasts? Happy to call you and go through it too.\n\nBen",
                    ),
                    Email(
                        "3d23h",
                        "Serial BR40-22-08817. Mostly the Night Owl decaf. A call would be"
                        " great, I'm free after 5: (415) 555-0166.",
                    ),
                    Call(
                        "3d21h",
                        "Ben",
                        "Called Grace. Walked her through removing the upper burr and brushing"
                        " out the chute — packed oily fines. Squeak gone. Suggested a cleaning"
                        " every two weeks with dark roasts.",
                        direction="out",
                    ),
                    Email(
                        "3d20h",
                        "Thanks again for the call, Ben — quiet as a mouse now.",
                    ),
                    Status("3d19h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "tom",
        "Tom Alvarez",
        chat="web:visitor-8f2a",
        cases=(
            Case(
                "Chat: beans for a moka pot",
                (
                    Chat(
                        "5d5h",
                        "hey, which of your coffees works best in a moka pot?",
                        {"page": "/shop/beans"},
                    ),
                    Reply(
                        "5d4h58m",
                        "Ana",
                        "Hi Tom! For moka I'd go Guatemala Huehuetenango — chocolatey and"
                        " forgiving. Morning Hymn works too if you like it bolder.",
                    ),
                    Chat("5d4h56m", "nice. can you grind it for moka?"),
                    Reply(
                        "5d4h55m",
                        "Ana",
                        "Yes — pick 'Moka pot' in the grind menu. Fine, but a bit coarser than"
                        " espresso.",
                    ),
                    Chat("5d4h53m", "great, and is shipping free?"),
                    Reply(
                        "5d4h52m",
                        "Ana",
                        "Free on orders over $40 in the US, otherwise $6.",
                    ),
                    Chat("5d4h50m", "ok 2 bags it is. thanks!"),
                    Tag("5d4h48m", "Ana", ("presales",)),
                    Status("5d4h48m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "rachel",
        "Rachel Kim",
        email="rachel.kim@example.com",
        chat="web:visitor-c4d2",
        cases=(
            Case(
                "Gift subscription — new address for my dad",
                (
                    Email(
                        "2d3h",
                        "Hi,\n\nI bought my dad a 6-month Roaster's Choice gift subscription"
                        " (order #1063). He's just moved — could the next bags go to 1184"
                        " Alder Street, Apt 3, Portland OR 97205 instead?\n\nThank you!\n"
                        "Rachel Kim",
                    ),
                    Chat(
                        "1d22h",
                        "Hi! I emailed yesterday about my dad's gift subscription address,"
                        " the next box ships Thursday so just want to make sure it's seen",
                        {"email": "rachel.kim@example.com", "order": "#1063"},
                    ),
                    Assign("1d21h58m", "Ana", "Ana", "support"),
                    Reply(
                        "1d21h57m",
                        "Ana",
                        "Hi Rachel, Ana here — sorry for the wait! I've changed the gift"
                        " address to 1184 Alder Street, Apt 3, Portland. Thursday's box goes"
                        " there.",
                    ),
                    Chat("1d21h55m", "Amazing, thank you. Will he still get the gift note?"),
                    Reply(
                        "1d21h54m",
                        "Ana",
                        "Yes, the note travels with every box of a gift subscription.",
                    ),
                    Tag("1d21h50m", "Ana", ("gift", "address-change")),
                    Status("1d21h50m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "daniel",
        "Daniel Osei",
        email="daniel.osei@example.net",
        cases=(
            Case(
                "Grind size for AeroPress?",
                (
                    Email(
                        "6d4h",
                        "Quick question: what grind should I choose for an AeroPress? The"
                        " menu has 'filter' and 'fine' and I'm not sure which.\n\nDaniel",
                    ),
                    Reply(
                        "6d3h15m",
                        "Ana",
                        "Hi Daniel,\n\n'Fine' is the one — a touch coarser than espresso. If"
                        " it tastes bitter with a 2-minute steep, try 'filter' next"
                        " time.\n\nAna",
                    ),
                    Email("6d2h", "Perfect, thanks Ana."),
                    Status("6d1h55m", "Ana", "resolved"),
                ),
            ),
            Case(
                "Wrong beans in my subscription box",
                (
                    Email(
                        "40m",
                        "Hi again,\n\ntoday's box has a bag of Night Owl decaf in it, but my"
                        " subscription is the Colombia Huila. Photo of the label attached. I"
                        " really need the caffeine this week!\n\nDaniel",
                        attach=(("bag-label.png", "Night Owl decaf label"),),
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "sms-0177",
        None,
        phone="+14155550177",
        cases=(
            Case(
                "SMS: pickup on Saturday",
                (
                    Sms("12m", "hey is the roastery open saturday for pickup? order 1102"),
                    Sms("9m", "also can my friend pick it up for me if I can't make it"),
                ),
            ),
        ),
    ),
    Customer(
        "kate",
        "Kate",
        chat="web:visitor-51d0",
        cases=(
            Case(
                "Chat: paid for express, got standard",
                (
                    Chat(
                        "25m",
                        "Hi, I picked Express shipping but my confirmation email says Standard?",
                        {"order": "#1104", "topic": "shipping", "page": "/orders/1104"},
                    ),
                    Chat("23m", "I paid $14.95 for it so I'd like it to actually be express"),
                ),
            ),
        ),
    ),
    Customer(
        "aisha",
        "Aisha Rahman",
        email="aisha.rahman@example.com",
        cases=(
            Case(
                "Renewal email shows the wrong price",
                (
                    Email(
                        "3h5m",
                        html=(
                            "<div dir='ltr'><div>Hello,</div><div><br></div><div>My renewal"
                            " reminder says my Espresso Club will be <b>$44.00</b> next month."
                            " I signed up at $36 with the launch offer — was that only for"
                            " the first month? Nobody told me that.</div><div><br></div>"
                            "<div>Aisha</div><div><br></div><div>Sent from my phone</div>"
                            "</div>"
                        ),
                    ),
                    Assign("2h50m", "Ana", "Chloe", "billing"),
                    Tag("2h50m", "Ana", ("billing", "subscription")),
                ),
            ),
        ),
    ),
    Customer(
        "william",
        "William Grant",
        email="will.grant@example.org",
        cases=(
            Case(
                "Switch my subscription to espresso grind",
                (
                    Email(
                        "1h50m",
                        "Hi,\n\nI finally bought an espresso machine. Can my Roaster's Choice"
                        " bags come ground for espresso from now on? Or should I get whole"
                        " beans and a grinder?\n\nWill",
                    ),
                    Assign("1h20m", "Ben", "Ben", "support"),
                    Reply(
                        "8m",
                        "Ben",
                        "Hi Will,\n\ncongrats on the machine! I've switched your next bag"
                        " (shipping Thursday) to espresso grind. Honest advice though: ground"
                        " coffee goes stale fast for espresso, so if you can, whole beans and"
                        " a grinder will taste noticeably better — the Burrow B40 is $20 off"
                        " for subscribers this month.\n\nBen",
                        queued=True,
                    ),
                ),
            ),
        ),
    ),
    Customer(
        "emma",
        "Emma Novak",
        email="emma.novak@example.com",
        cases=(
            Case(
                "When is the Yirgacheffe back?",
                (
                    Email(
                        "3d7h",
                        "Hi! The Ethiopia Yirgacheffe has been sold out for weeks. Is it coming"
                        " back? It's the only one my partner drinks.\n\nEmma",
                    ),
                    Reply(
                        "3d6h",
                        "Ana",
                        "Hi Emma,\n\ngood news: the new harvest lands at the port next week and"
                        " we should be roasting it in about 10 days. I'll email you the day it"
                        " goes live.\n\nAna",
                    ),
                    Email("3d5h", "You're a star, thank you!"),
                    Tag("3d4h50m", "Ana", ("beans", "restock")),
                    Status("3d4h50m", "Ana", "snoozed", until="+6d"),
                ),
            ),
        ),
    ),
    Customer(
        "parcelgo",
        None,
        phone="PARCELGO",
        cases=(
            Case(
                "SMS: carrier pickup booked",
                (
                    Sms(
                        "1d18h",
                        "PARCELGO: Collection for LARKSPUR COFFEE ROASTERS booked tomorrow"
                        " 10:00-14:00. Ref PG-88213. Replies to this number are not"
                        " monitored.",
                    ),
                    Note(
                        "1d17h",
                        "Ana",
                        "Just the carrier confirming Thursday's pickup. Nothing to do.",
                    ),
                    Tag("1d17h", "Ana", ("vendor",)),
                    Status("1d17h", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "noah",
        "Noah Fischer",
        email="noah.fischer@example.com",
        cases=(
            Case(
                "Cancel my subscription",
                (
                    Email(
                        "5d6h",
                        "Please cancel my Roaster's Choice subscription. I'm drinking less"
                        " coffee and the bags are piling up.\n\nNoah Fischer",
                    ),
                    Assign("5d5h", "Ana", "Chloe", "billing"),
                    Reply(
                        "5d4h30m",
                        "Chloe",
                        "Hi Noah,\n\nsure, I can do that. Before I do: would every 4 weeks"
                        " instead of every 2 help? Or one 6 oz bag instead of 12 oz? Same"
                        " price per ounce. If not, just reply 'cancel' and it's done.\n\nChloe",
                    ),
                    Email(
                        "5d2h",
                        "Oh, the 6 oz every 4 weeks sounds about right actually. Let's try that.",
                    ),
                    Reply(
                        "5d1h45m",
                        "Chloe",
                        "Done — 6 oz every 4 weeks, next one ships on the 14th. You can change"
                        " it any time under Account → Subscription.\n\nChloe",
                    ),
                    Tag("5d1h40m", "Chloe", ("subscription", "retention")),
                    Status("5d1h40m", "Chloe", "resolved"),
                    Email(
                        "10h",
                        "First 6 oz box came today — much better size for me. Glad I didn't"
                        " cancel!",
                    ),
                    Reply("9h", "Chloe", "That's great to hear, Noah. Enjoy!\n\nChloe"),
                    Status("8h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "mei",
        "Mei Tanaka",
        email="mei.tanaka@example.org",
        cases=(
            Case(
                "Night Owl decaf tastes burnt",
                (
                    Email(
                        "4d4h",
                        "Hi,\n\nI've bought the Night Owl decaf for a year and love it, but the"
                        " bag I got last week tastes really burnt and ashy. Roast date 11/14."
                        " Did something change?\n\nMei",
                    ),
                    Note(
                        "4d3h",
                        "Ben",
                        "Checked with the roastery: batch D-114 (11/14) went about 20 s long —"
                        " they pulled the rest of it on Friday. Replacing for anyone who"
                        " writes in.",
                    ),
                    Reply(
                        "4d2h50m",
                        "Ben",
                        "Hi Mei,\n\nyour palate is spot on — that batch was roasted too dark"
                        " and we've pulled it. A fresh bag from Monday's roast is on its way"
                        " to you, no charge. Thank you for telling us.\n\nBen",
                    ),
                    Email(
                        "1d6h",
                        "The new bag arrived and it's back to normal — chocolatey and sweet."
                        " Thanks!",
                    ),
                    Reply(
                        "1d5h",
                        "Ben",
                        "So glad to hear it. Enjoy!\n\nBen",
                    ),
                    Tag("1d5h", "Ben", ("feedback", "beans", "quality")),
                    Status("1d4h55m", "Ben", "resolved"),
                ),
            ),
        ),
    ),
)
