"""Customer data that looks like markup (``[/]``, ``[bold]``) is shown as typed, and
never crashes the console: names, addresses, tags and file names are all data."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import OptionList

from adapters.base import InboundMessage
from omni_tui import actions, queries
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.app import OmniApp
from tests.test_console import NOW, console, open_case, settle

EVIL = "[/]Evil [bold]"


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "omni.db"
    async with await Store.open(path, create=True) as store:
        await ingest(
            store,
            [
                InboundMessage(
                    "email",
                    "mail",
                    "M1",
                    "evil@example.com",
                    "hello",
                    sender_name=EVIL,
                    subject="first",
                    message_id="<m1@x>",
                    sent_at=NOW - timedelta(days=2),
                ),
                InboundMessage(
                    "email",
                    "mail",
                    "M2",
                    "bob@example.com",
                    "hello",
                    sender_name="Bob Normal",
                    subject="normal case",
                    message_id="<m2@x>",
                    sent_at=NOW - timedelta(days=1),
                ),
                InboundMessage(
                    "chat",
                    "web",
                    "C1",
                    "web:[/]x",
                    "hi there",
                    sender_name="Visitor",
                    sent_at=NOW - timedelta(hours=1),
                ),
            ],
        )
        [case] = await queries.list_conversations(store, queries.ListFilter(customer_id=1))
        await actions.add_tags(store, case["id"], ["[/]x"], agent="Ana")
    return path


def toasts(app: OmniApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_new_message_from_a_markup_name_is_toasted_as_typed(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        async with await Store.open(db) as store:
            await ingest(
                store,
                [InboundMessage("email", "mail", "M3", "x@example.com", "hi", sender_name=EVIL)],
            )
        for _ in range(10):
            await asyncio.sleep(0.3)
            await pilot.pause()
            if EVIL in toasts(app):
                break
        assert EVIL in toasts(app)
    assert app.return_code in (None, 0)


async def test_filtering_a_picker_of_markup_names_shows_them_as_typed(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "normal case")
        await pilot.press("m")  # merge: a picker of the other customers
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(EVIL in label for label in shown), shown
    assert app.return_code in (None, 0)


async def test_the_palette_lists_a_markup_address_as_typed(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "hi there")
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press("r", "e")
        await asyncio.sleep(0.5)
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Reply via CHAT to web:[/]x" in label for label in shown), shown
    assert app.return_code in (None, 0)


async def test_a_tag_view_named_like_markup_is_titled_as_typed(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        await pilot.press(*"[/]x", "enter")
        await settle(app, pilot)
        assert app._view_title.startswith("#[/]x · 1")
        assert [r["subject"] for r in app.inbox.rows] == ["first"]
    assert app.return_code in (None, 0)


def test_a_busy_store_met_by_several_workers_is_one_toast_in_the_agents_words() -> None:
    """A note refused on a busy store toasted once, then "StoreError: …" again 10 s later."""
    from omni_tui.errors import StoreError
    from omni_tui.tui.toasts import Failures

    failures = Failures()
    busy = StoreError("the store stayed busy for 10 s, nothing was saved — try again")
    assert failures.fresh(busy) == str(busy)  # no class name before an error of ours
    assert failures.fresh(StoreError(str(busy))) is None  # the next worker: said already
    assert failures.fresh(ValueError("x")) == "ValueError: x"  # a surprise says what it is
    assert Failures(quiet=0).fresh(busy) == str(busy)
