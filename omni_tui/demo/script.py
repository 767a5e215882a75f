"""The demo's story: one week of support at Larkspur Coffee Roasters, as plain data.

Larkspur is a small roaster in Oakland selling beans, subscriptions ("Roaster's
Choice", "Espresso Club") and Burrow grinders online, plus a handful of cafés
on wholesale.  Ana and Ben answer support, Chloe does billing.

Every customer is a :class:`Customer` with their cases; a case is a list of
steps, each stamped with how long before "now" it happened (``"6d4h30m"``) —
``"+2d"`` means two days in the future (a snooze's wake-up time).  The seed
driver plays all steps of all cases in time order through the real ingest,
action and outbox APIs.

All addresses are example.com/.org/.net; all numbers are fictional
(US 555-01xx, UK 07700 900xxx, German 030 23125xxx / 069 90009xxx).
"""

from __future__ import annotations

from omni_tui.demo import script_2, script_3, script_4, script_5, script_6
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

_FIRST: tuple[Customer, ...] = (
    Customer(
        "priya",
        "Priya Raman",
        email="priya.raman@example.com",
        cases=(
            Case(
                "Grinder arrived with a cracked hopper (order #1031)",
                (
                    Email(
                        "6d20h",
                        "Hi,\n\nmy Burrow B40 arrived this morning and the hopper is cracked"
                        " right through — it looks like the box was dropped. Photo attached.\n\n"
                        "Can you send a replacement hopper, or do I need to send the whole"
                        " grinder back?\n\nThanks,\nPriya",
                        attach=(("cracked-hopper.png", "cracked hopper"),),
                    ),
                    Assign("6d19h50m", "Ana", "Ana", "support"),
                    Tag("6d19h50m", "Ana", ("damaged", "grinder")),
                    Reply(
                        "6d19h40m",
                        "Ana",
                        "Hi Priya,\n\nI'm so sorry — that's not the welcome we want for a new"
                        " grinder. No need to send anything back.\n\nCould you send one more"
                        " photo of the outer box, label side? UPS asks for it when we file the"
                        " damage claim. As soon as I have it I'll ship a new hopper by 2-day"
                        " air.\n\nAna\nLarkspur Coffee Roasters",
                    ),
                    Email(
                        "6d17h5m",
                        "Here you go — the corner is completely crushed.\n\nPriya",
                        attach=(("box-corner.png", "crushed box corner"),),
                    ),
                    Note(
                        "6d16h30m",
                        "Ana",
                        "UPS damage claim filed, ref 7Q-22918. Spare hopper (part H-40) pulled"
                        " from the shelf, shipping 2nd Day Air at our cost.",
                    ),
                    Reply(
                        "6d16h25m",
                        "Ana",
                        "Thanks Priya, that's all I needed. A new hopper ships today by UPS 2nd"
                        " Day Air — tracking 1Z999AA10123456784. Keep the cracked one or"
                        " recycle it, whichever is easier.\n\nAna",
                    ),
                    Email(
                        "4d22h10m",
                        "The hopper arrived and fits perfectly. First espresso this morning was"
                        " lovely. Thank you, Ana!",
                    ),
                    Reply(
                        "4d21h55m",
                        "Ana",
                        "Wonderful — enjoy! If the grind ever seems uneven, the burr calibration"
                        " guide is at larkspur.example.com/b40.\n\nAna",
                    ),
                    Status("4d21h50m", "Ana", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "marcus",
        "Marcus Webb",
        email="marcus.webb@example.net",
        phone="+14155550142",
        cases=(
            Case(
                "Order #1047 still says label created",
                (
                    Email(
                        "5d3h",
                        "Hello,\n\nI ordered two bags of the Kenya Nyeri AA last Thursday"
                        " (#1047) and tracking still says 'label created'. They're a birthday"
                        " present for Saturday. Could you check?\n\nEasiest to reach me by"
                        " text: (415) 555-0142.\n\nMarcus Webb",
                    ),
                    Assign("5d2h40m", "Ben", "Ben", "support"),
                    Reply(
                        "5d2h30m",
                        "Ben",
                        "Hi Marcus, Ben from Larkspur Coffee here about order #1047. The label"
                        " was printed but the bags missed Friday's pickup — sorry about that."
                        " They go out today by Priority Mail and should reach you Friday.",
                        channel="sms",
                        to="+14155550142",
                    ),
                    Sms("5d1h50m", "Ok thanks. Friday is cutting it close but fine"),
                    Note(
                        "5d1h40m",
                        "Ben",
                        "Upgraded #1047 to Priority at our cost and added a 100 g Guji sample"
                        " as an apology.",
                    ),
                    Tag("5d1h40m", "Ben", ("shipping", "late")),
                    Sms("3d4h12m", "any news on my order? tracking hasn't updated since Tuesday"),
                    Reply(
                        "3d3h50m",
                        "Ben",
                        "USPS tracking was lagging — it was scanned in Oakland this morning and"
                        " is out for delivery tomorrow. I'll keep an eye on it.",
                    ),
                    Sms("2d6h20m", "Arrived! And thanks for the extra sample, nice touch"),
                    Reply(
                        "2d6h5m",
                        "Ben",
                        "Glad it made it in time. Happy birthday to the lucky recipient!",
                    ),
                    Status("2d6h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "sofia",
        "Sofia Marquez",
        email="sofia.marquez@example.org",
        chat="web:visitor-3c9e",
        cases=(
            Case(
                "Pausing my subscription while I travel",
                (
                    Email(
                        "4d6h",
                        "Hi there,\n\nI'm travelling from the 3rd to the 24th of next month."
                        " Can I pause my Roaster's Choice subscription for those weeks instead"
                        " of cancelling? I don't want to lose my founding-member price.\n\n"
                        "Sofia",
                    ),
                    Assign("4d5h20m", "Ana", "Chloe", "billing"),
                    Tag("4d5h20m", "Ana", ("subscription",)),
                    Reply(
                        "4d5h",
                        "Chloe",
                        "Hi Sofia,\n\nabsolutely — a pause keeps your founding price. I've"
                        " paused deliveries from the 3rd; they resume with the shipment on the"
                        " 26th, and you'll get a reminder two days before.\n\nChloe\n"
                        "Larkspur billing",
                    ),
                    Chat(
                        "1d2h",
                        "hi, quick one — my account page still shows a delivery on the 10th."
                        " is the pause actually on?",
                        {"email": "sofia.marquez@example.org", "page": "/account/subscription"},
                    ),
                    Chat("1d1h59m", "that's in the middle of my trip"),
                    Reply(
                        "1d1h56m",
                        "Chloe",
                        "Hi Sofia, Chloe here. The pause is on — the account page shows the"
                        " next date as scheduled before the pause, which is confusing, sorry."
                        " Nothing ships until the 26th.",
                    ),
                    Chat("1d1h54m", "ah ok perfect, thanks!"),
                    Status("1d1h50m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    # Someone texts from a number we don't know...
    Customer(
        "unknown-0134",
        None,
        phone="+14155550134",
        cases=(
            Case(
                "SMS: did my grinder ship?",
                (
                    Sms("2d8h", "Hi is this Larkspur? Did my grinder ship? I ordered Sunday night"),
                    Reply(
                        "2d7h45m",
                        "Ben",
                        "Hi! Yes, this is Larkspur Coffee. Happy to check — what's the order"
                        " number or the name on the order?",
                    ),
                    Status("2d7h40m", "Ben", "pending"),
                ),
            ),
        ),
    ),
    # ...and later the same person emails with that number in her signature.
    Customer(
        "helen",
        "Helen Park",
        email="helen.park@example.com",
        cases=(
            Case(
                "Order #1088 — has the grinder shipped?",
                (
                    Email(
                        "2d5h",
                        "Hi,\n\nI texted earlier but thought email might be easier. I ordered"
                        " the Burrow B40 on Sunday (order #1088) and haven't had a shipping"
                        " confirmation yet. Could you let me know when it will go out?\n\n"
                        "Thanks,\nHelen Park\nMobile: +1 415 555 0134",
                    ),
                    Assign("2d4h30m", "Ben", "Ben", "support"),
                    Tag("2d4h30m", "Ben", ("grinder", "shipping")),
                    Reply(
                        "2d4h20m",
                        "Ben",
                        "Hi Helen,\n\nthanks — I think that text was you too, so I'll answer"
                        " here. Your B40 ships tomorrow morning; we were waiting on a restock"
                        " that arrived today. You'll get tracking by email.\n\nBen",
                    ),
                    Note(
                        "2d4h15m",
                        "Ben",
                        "Helen is almost certainly the unknown texter on +1 415 555 0134 — the"
                        " link suggestion is in her profile; leaving the merge for Ana.",
                    ),
                    Email("2d3h", "Great, thank you! Sorry for the double message."),
                    Status("2d2h50m", "Ben", "pending"),
                    Email("22h", "Tracking came through — thanks Ben!"),
                    Status("21h", "Ben", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "oliver",
        "Oliver Bennett",
        phone="+447700900123",
        chat="web:visitor-77b1",
        cases=(
            Case(
                "SMS: shipping to the UK?",
                (
                    Sms(
                        "3d10h",
                        "Hello! Do you ship beans to the UK? A friend recommended your Guji."
                        " Cheers, Oliver",
                    ),
                    Reply(
                        "3d9h40m",
                        "Ana",
                        "Hi Oliver — yes! UK orders go out every Monday by Royal Mail"
                        " International Tracked: $12 flat, 5-8 working days. Heads up that UK"
                        " VAT can be charged on delivery for orders over £135.",
                    ),
                    Sms("3d9h20m", "Brilliant, ordering now"),
                    Tag("3d9h15m", "Ana", ("international",)),
                    Status("3d9h15m", "Ana", "resolved"),
                ),
            ),
            Case(
                "Royal Mail wants a customs fee",
                (
                    Chat(
                        "20h",
                        "Hi, I got a card from Royal Mail asking for £4.80 before they'll"
                        " deliver my 2 bags (order 1096). I thought there was no charge under"
                        " £135?",
                        {"phone": "+44 7700 900123", "order": "#1096", "topic": "customs"},
                    ),
                    Reply(
                        "19h52m",
                        "Chloe",
                        "Hi Oliver, Chloe from billing. That's Royal Mail's handling fee on"
                        " imports, not VAT — annoying, and we should have mentioned it. Pay it"
                        " and I'll refund the £4.80 (about $6.10) to your card today.",
                    ),
                    Chat("19h49m", "That's very kind, thanks Chloe"),
                    Note(
                        "19h40m",
                        "Chloe",
                        "Refunded $6.10 on #1096 as goodwill. Ana: let's add the Royal Mail"
                        " handling fee to the UK shipping FAQ.",
                    ),
                    Tag("19h40m", "Chloe", ("international", "refund")),
                    Status("19h38m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "lena",
        "Lena Hoffmann",
        email="lena.hoffmann@example.net",
        cases=(
            Case(
                "Wholesale pricing for a café in Berlin",
                (
                    Email(
                        "5d8h",
                        html=(
                            "<html><body><p>Hello Larkspur team,</p>"
                            "<p>I run <b>Café Amsel</b> in Berlin-Neukölln (40 seats). A guest"
                            " brought us a bag of your <i>Morning Hymn</i> and we would love to"
                            " serve it.</p><p>Could you send wholesale prices for:</p><ul>"
                            "<li>about 10 kg espresso per month</li>"
                            "<li>1 kg decaf</li></ul>"
                            "<p>Do you ship DDP to Germany?</p>"
                            "<p>Viele Grüße<br>Lena Hoffmann<br>Café Amsel</p>"
                            "</body></html>"
                        ),
                    ),
                    Assign("5d7h", "Ana", "Ben", "support"),
                    Tag("5d7h", "Ana", ("wholesale", "international")),
                    Reply(
                        "5d6h10m",
                        "Ben",
                        "Hi Lena,\n\nthank you — Berlin would be a first for us! Wholesale"
                        " Morning Hymn is $19.50/kg at 10 kg a month, decaf $22/kg, and yes, we"
                        " can ship DDP with DHL Express. Would a quick call help to sort out"
                        " the details?\n\nBen",
                    ),
                    Email(
                        "4d9h",
                        html=(
                            "<html><body><p>Hi Ben,</p><p>yes please — tomorrow 10:00 Berlin"
                            " time works. Our number is +49 30 23125417.</p>"
                            "<p>Lena</p></body></html>"
                        ),
                    ),
                    Call(
                        "3d20h",
                        "Ben",
                        "Called Lena (Café Amsel). 2 x 5 kg Morning Hymn per month + 1 kg decaf,"
                        " starting next week. Needs our EORI on invoices, DDP via DHL. Sending"
                        " a written quote today.",
                        direction="out",
                    ),
                    Reply(
                        "3d19h",
                        "Ben",
                        "Danke for the call, Lena. As discussed: 10 kg Morning Hymn + 1 kg"
                        " Night Owl decaf monthly, $217 plus DHL Express DDP ($48). Send a PO"
                        " whenever you're ready and we'll roast the following Monday.\n\nBen",
                    ),
                    Email(
                        "2d3h",
                        html=(
                            "<html><body><p>Hi Ben,</p><p>the quote looks good, our purchase"
                            " order is attached. Please invoice in EUR if possible.</p>"
                            "<p>Lena</p></body></html>"
                        ),
                        attach=(("PO-2291-Cafe-Amsel.pdf", "Purchase order PO-2291"),),
                    ),
                    Assign("2d2h30m", "Ben", "Chloe", "billing"),
                    Note(
                        "2d2h25m",
                        "Chloe",
                        "Wholesale account created for Café Amsel, net 30, EUR invoicing."
                        " Invoice W-0412 goes out once the first roast is booked.",
                    ),
                    Reply(
                        "2d2h",
                        "Chloe",
                        "Hi Lena, Chloe from billing here. PO-2291 received, thank you. Invoice"
                        " W-0412 (EUR, net 30) follows once your first roast is scheduled for"
                        " Monday.\n\nChloe",
                    ),
                    Status("2d1h55m", "Chloe", "pending"),
                    Email(
                        "20h",
                        html=(
                            "<p>Hi Chloe,</p><p>Invoice W-0412 received and paid today. We're"
                            " looking forward to Monday!</p><p>Lena</p>"
                        ),
                    ),
                    Reply(
                        "19h",
                        "Chloe",
                        "Wunderbar, thank you Lena! Roasting Monday, DHL pickup Tuesday.\n\nChloe",
                    ),
                    Status("18h55m", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
    Customer(
        "jamal",
        "Jamal Carter",
        email="jamal.carter@example.com",
        cases=(
            Case(
                "Charged twice this month?",
                (
                    Email(
                        "3d5h",
                        "Hi,\n\nmy card statement shows two charges of $38.00 from LARKSPUR"
                        " COFFEE on the 2nd. I only have one subscription. Screenshot"
                        " attached.\n\nJamal",
                        attach=(("statement.png", "two $38.00 charges"),),
                    ),
                    Assign("3d4h30m", "Ana", "Chloe", "billing"),
                    Tag("3d4h30m", "Ana", ("billing", "subscription")),
                    Note(
                        "3d3h10m",
                        "Chloe",
                        "Payment log: a soft decline, then a retry — both captured by the bank."
                        " Refunding the duplicate.",
                    ),
                    Reply(
                        "3d3h",
                        "Chloe",
                        "Hi Jamal,\n\nyou're right, and I'm sorry. The first attempt showed as"
                        " declined on our side but your bank captured it anyway, so the retry"
                        " charged you again. I've refunded the duplicate $38.00 today; it"
                        " usually shows within 5-10 business days.\n\nChloe",
                    ),
                    Email(
                        "3d1h",
                        "Thanks for the quick fix. Will the refund show as a separate line or"
                        " just reduce the charge?",
                    ),
                    Reply(
                        "2d22h",
                        "Chloe",
                        "It will show as a separate $38.00 credit from LARKSPUR COFFEE. Some"
                        " banks drop the pending charge instead, in which case you'll just see"
                        " one charge.\n\nChloe",
                    ),
                    Status("2d21h55m", "Chloe", "resolved"),
                    Email("1d8h", "The refund is there already. Thanks again, Chloe!"),
                    Status("1d7h", "Chloe", "resolved"),
                ),
            ),
        ),
    ),
)

CUSTOMERS: tuple[Customer, ...] = (
    *_FIRST,
    *script_2.CUSTOMERS,
    *script_3.CUSTOMERS,
    *script_4.CUSTOMERS,
    *script_5.CUSTOMERS,
    *script_6.CUSTOMERS,
)
"""Everyone who gets in touch this week, in script order."""
