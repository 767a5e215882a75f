"""The composer counts a text as its gateway will send it, and says when it cannot go."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.base import InboundMessage
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.composer import Composer
from tests.test_console import NOW, console, db, open_case, settle  # noqa: F401 (db: a fixture)
from tests.test_console_attachments import status

KANNEL = (
    '[agent]\nname = "Ana"\n'
    '[[accounts]]\nname = "sms"\nchannel = "sms"\nprovider = "kannel"\n'
    'number = "+15550001111"\nsendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms"\n'
    'username = "u"\npassword = "p"\nmax_parts = 3\n'
)
CASE = "is the roastery open?"


async def test_a_euro_sign_shows_the_two_parts_kannel_sends_not_one(db: Path) -> None:  # noqa: F811
    """ "10€" is GSM-7 on paper, but Kannel sends it as UCS-2: the counter said 1 SMS."""
    app = console(db, KANNEL)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_case(app, pilot, CASE)
        await pilot.press("r")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        composer.insert("Your refund of 10€ is on its way, expect it within five days.")
        await pilot.press(*" Thanks for your patience with us!")
        assert "UCS-2 · 95 · 2 SMS" in status(app)
        composer.insert(" more words" * 12)
        await pilot.pause()
        assert "the reply takes 4 texts and the gateway sends at most 3" in status(app)


async def test_a_customer_who_texted_stop_is_shown_so_before_a_word_is_typed(
    db: Path,  # noqa: F811
) -> None:
    async with await Store.open(db) as store:
        stop = InboundMessage(
            "sms", "sms", "S2", "+14155550100", "STOP", sent_at=NOW - timedelta(minutes=5)
        )
        await ingest(store, [stop])
    app = console(db, KANNEL)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_case(app, pilot, CASE)
        await pilot.press("r")
        await settle(app, pilot)
        assert "texted STOP: they cannot be texted" in status(app)
