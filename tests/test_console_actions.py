"""Every console action, pressed as an agent would, checked on screen and in the store."""

from __future__ import annotations

import contextlib
import io
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input, TextArea

from adapters.base import AttachmentData, InboundMessage
from omni_tui import actions, outbox, queries
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.store.models import Customer, Message
from omni_tui.store.models import Outbox as OutboxRow
from omni_tui.tui.app import OmniApp
from omni_tui.tui.composer import Composer, Target
from omni_tui.tui.conversation import ConversationView, MessageList
from omni_tui.tui.screens.pickers import AskText, PickOne
from tests.test_console import console, make_store, open_case, settle, with_colleagues

NOW = datetime.now(UTC).replace(microsecond=0)
SIZE = (160, 40)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await with_colleagues(await make_store(tmp_path / "omni.db"))


def maria(pid: str, text: str, days_ago: float, **kw: Any) -> InboundMessage:
    """Maria's follow-up in the "Broken grinder" email thread."""
    return InboundMessage(
        "email", "mail", pid, "maria@example.com", text, subject="Re: Broken grinder",
        in_reply_to="<e1@example.com>", message_id=f"<{pid}@example.com>",
        sent_at=NOW - timedelta(days=days_ago), **kw,
    )  # fmt: skip


async def case_id(store: Store, subject: str) -> int:
    rows = await queries.list_conversations(store, queries.ListFilter(limit=500))
    return next(r["id"] for r in rows if r["subject"] == subject)


# -- helpers -------------------------------------------------------------------


def screen_text(app: OmniApp) -> str:
    """What the terminal shows right now, as plain text (dialogs included)."""
    width, height = app.size
    out = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    out.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return out.export_text(styles=False)


async def pick(app: OmniApp, pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    """In a PickOne dialog: type to filter, enter to choose the best match."""
    assert isinstance(app.screen, PickOne), app.screen
    await pilot.press(*query)
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)


async def answer(app: OmniApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """In an AskText dialog: replace the suggested value with ``text``, enter."""
    assert isinstance(app.screen, AskText), app.screen
    await pilot.press("end", "ctrl+u", *text)
    await pilot.press("enter")
    await settle(app, pilot)


async def press(app: OmniApp, pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*keys)
    await settle(app, pilot)


async def case_row(app: OmniApp) -> dict[str, Any]:
    assert app.store is not None and app.conversation is not None
    return await queries.show_conversation(app.store, app.conversation["id"])


def header(app: OmniApp) -> str:
    return str(app.query_one("#conversation-header").render())


def profile(app: OmniApp) -> str:
    return str(app.query_one("#customer-profile").render())


def inbox_subjects(app: OmniApp) -> list[str]:
    return [r["subject"] for r in app.inbox.rows]


# -- assignment, status, tags --------------------------------------------------


@pytest.mark.parametrize(
    ("query", "assignee"),
    [("me", "Ana"), ("Chloe", "Chloe"), ("nobody", None)],
    ids=["to-me", "to-another-agent", "to-nobody"],
)
async def test_assign_picks_by_typing_to_filter(db: Path, query: str, assignee: str | None) -> None:
    async with await Store.open(db) as store:  # Ben has it; the agent hands it on
        await actions.assign(store, await case_id(store, "Broken grinder"), "Ben", agent="Ben")
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert "@Ben" in header(app)
        await press(app, pilot, "a")
        await pick(app, pilot, query)
        assert (await case_row(app))["assignee"] == assignee
        row = next(r for r in app.inbox.rows if r["subject"] == "Broken grinder")
        assert row["assignee"] == assignee
        if assignee:
            assert f"@{assignee}" in header(app) and f"@{assignee}" in screen_text(app)
        else:
            assert "@" not in header(app)


async def test_a_case_is_handed_to_any_team_the_rules_define(db: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[teams]]\nname = "billing"\nagents = ["Ben"]\n', encoding="utf-8")
    app = console(
        db, f'[agent]\nname = "Ana"\nteam = "support"\n[routing]\nrules_file = "{rules}"\n'
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "a")
        await pick(app, pilot, "team billing")
        assert (await case_row(app))["team"] == "billing"


async def test_pending_takes_the_case_out_of_the_open_inbox(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "p")
        assert (await case_row(app))["status"] == "pending"
        assert "pending" in header(app)
        assert "Broken grinder" not in inbox_subjects(app)


async def test_a_case_key_in_the_inbox_acts_on_the_highlighted_case_and_says_so(
    db: Path,
) -> None:
    """With one case open and the cursor moved to another in the inbox, `e` resolved the
    open one, out of sight, without a word."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        app.inbox.focus()
        other = next(i for i, r in enumerate(app.inbox.rows) if r["subject"] != "Broken grinder")
        target = app.inbox.rows[other]
        app.inbox.highlighted = other
        await press(app, pilot, "e")
        assert app.store is not None
        assert (await queries.show_conversation(app.store, target["id"]))["status"] == "resolved"
        grinder = await case_id(app.store, "Broken grinder")
        assert (await queries.show_conversation(app.store, grinder))["status"] == "open"
        said = [str(n.message) for n in app._notifications]
        assert any(m.startswith(f"Resolved #{target['id']}") for m in said), said
        assert app.inbox.has_focus  # triage goes on from the list


async def test_snooze_for_two_hours_then_reopen(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "s")
        assert app.screen.query_one(Input).value == "tomorrow"  # the suggestion
        await answer(app, pilot, "someday")  # unreadable: explained, nothing changes
        assert (await case_row(app))["status"] == "open"
        assert any("cannot read time" in n.message for n in app._notifications)
        assert app.screen.query_one(Input).value == "someday"  # back to be fixed, not lost

        before = datetime.now(UTC)
        await answer(app, pilot, "2h")
        row = await case_row(app)
        assert row["status"] == "snoozed"
        until = datetime.fromisoformat(row["snoozed_until"]) - timedelta(hours=2)
        assert before - timedelta(seconds=1) <= until <= datetime.now(UTC)
        wakes = datetime.fromisoformat(row["snoozed_until"]).astimezone()
        assert "snoozed until" in header(app) and f"{wakes:%H:%M}" in header(app)  # back when
        assert any(f"Snoozed #{row['id']} until" in n.message for n in app._notifications)
        assert "Broken grinder" not in inbox_subjects(app)

        await press(app, pilot, "O")
        row = await case_row(app)
        assert row["status"] == "open" and row["snoozed_until"] is None
        assert "open" in header(app)
        assert "Broken grinder" in inbox_subjects(app)


async def test_tags_are_added_and_removed_with_a_minus(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "t")
        await answer(app, pilot, "refund, vip")
        assert (await case_row(app))["tags"] == ["refund", "vip"]
        assert "#refund" in header(app) and "#vip" in header(app)

        await press(app, pilot, "t")
        await answer(app, pilot, "-vip")
        assert (await case_row(app))["tags"] == ["refund"]
        assert "#refund" in header(app) and "#vip" not in header(app)


# -- writing ---------------------------------------------------------------------


async def test_new_outbound_conversation_picks_channel_and_subject_then_queues(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "c")
        await pick(app, pilot, "email")
        await answer(app, pilot, "Your replacement grinder")
        composer = app.query_one(Composer)
        assert composer.display and composer.target is not None
        assert composer.target == Target("email", "maria@example.com")
        assert app.conversation is not None
        assert app.conversation["subject"] == "Your replacement grinder"
        assert "Reply via [✉ mail] to maria@example.com" in screen_text(app)
        await pilot.press(*"It ships Monday")
        await press(app, pilot, "ctrl+s")
        assert not composer.display
        row = await case_row(app)
        assert row["assignee"] == "Ana"
        [sent] = row["messages"]
        assert (sent["direction"], sent["status"], sent["text"]) == (
            "out",
            "queued",
            "It ships Monday",
        )
        assert "Your replacement grinder" in header(app)


async def test_the_composer_opened_by_new_conversation_stays_open(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "c")
        await pick(app, pilot, "email")
        await answer(app, pilot, "Your replacement grinder")
        await pilot.pause(1.5)  # a few store polls
        await settle(app, pilot)
        assert app.query_one(Composer).display


async def test_a_new_conversation_left_without_a_word_is_not_kept(db: Path) -> None:
    """`c`, a subject, then esc left an empty case, assigned and open, in every inbox."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        before = len(app.inbox.rows)
        await press(app, pilot, "c")
        await pick(app, pilot, "email")
        await answer(app, pilot, "Your order")
        await press(app, pilot, "escape")
        await settle(app, pilot)
        assert "Your order" not in inbox_subjects(app) and len(app.inbox.rows) == before
        assert app.conversation is not None and app.conversation["subject"] == "Broken grinder"
        assert app.store is not None
        listed = await queries.list_conversations(app.store, queries.ListFilter(limit=500))
        assert "Your order" not in [r["subject"] for r in listed]
        # with a word written, the case and its draft stay
        await press(app, pilot, "c")
        await pick(app, pilot, "email")
        await answer(app, pilot, "Your refund")
        await pilot.press(*"Dear Maria")
        await press(app, pilot, "escape")
        listed = await queries.list_conversations(app.store, queries.ListFilter(limit=500))
        assert "Your refund" in [r["subject"] for r in listed]


async def test_a_reply_being_typed_survives_a_write_by_another_process(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "r", *"Thanks for your patience")
        async with await Store.open(db) as other:  # e.g. the sync daemon
            await ingest(other, [InboundMessage("sms", "sms", "S7", "+14155550199", "hello?")])
        await pilot.pause(1.5)
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert composer.display
        assert composer.query_one(TextArea).has_focus
        await pilot.press(*" we")  # w, e: must be typed, not resolve the case
        await settle(app, pilot)
        assert (await case_row(app))["status"] == "open"


async def test_retry_a_failed_delivery_puts_it_back_in_the_queue(db: Path) -> None:
    async with await Store.open(db) as store:
        case = await case_id(store, "do you ship to Canada?")
        queued = await outbox.queue_reply(store, case, "Yes we do", agent="Ana")
        async with store.write() as session:
            message = await session.get(Message, queued.message_id)
            box = await session.get(OutboxRow, queued.outbox_id)
            assert message is not None and box is not None
            message.status, message.status_reason = "failed", "relay said no"
            box.status, box.last_error, box.attempts = "failed", "relay said no", 5
            session.add_all([message, box])
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        view = app.query_one(ConversationView)
        await press(app, pilot, "k")
        assert view.current is not None and view.current["direction"] == "in"
        await press(app, pilot, "R")  # not a failed message: explained, nothing changes
        assert any("Pick a failed" in n.message for n in app._notifications)
        await press(app, pilot, "j")
        assert view.current is not None and view.current["status"] == "failed"
        assert "failed: relay said no" in str(view.card_text(-1))
        await press(app, pilot, "R")
        assert app.store is not None
        async with app.store.read() as session:
            box = await session.get(OutboxRow, queued.outbox_id)
        assert box is not None and box.status == "queued"
        assert (await case_row(app))["messages"][-1]["status"] == "queued"
        assert "queued" in str(view.card_text(-1))


async def test_save_attachments_writes_sanitised_names_with_equal_content(
    db: Path, tmp_path: Path
) -> None:
    data = b"order,qty\n1001,2\n"
    async with await Store.open(db) as store:
        evil = AttachmentData("../../etc/re:ceipt?.csv", "text/csv", data)
        await ingest(store, [maria("e2", "Here is the receipt", 2, attachments=[evil])])
    target = tmp_path / "downloads"
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        assert view.current is not None and view.current["attachments"]
        await press(app, pilot, "S")
        await answer(app, pilot, str(target))
        assert [p.name for p in target.iterdir()] == ["re_ceipt_.csv"]
        assert (target / "re_ceipt_.csv").read_bytes() == data
        assert any("Saved re_ceipt_.csv" in n.message for n in app._notifications)


CANNED = """
[agent]
name = "Ana"
[[canned]]
name = "greeting"
body = "Hi {customer.name}, thanks for writing. — {agent.name}"
[[canned]]
name = "closing"
body = "Anything else, just reply."
"""


async def test_canned_response_is_inserted_with_placeholders_filled(db: Path) -> None:
    app = console(db, CANNED)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "r")
        await press(app, pilot, "ctrl+r")
        assert isinstance(app.screen, PickOne)
        await pick(app, pilot, "greet")
        composer = app.query_one(Composer)
        assert composer.body == "Hi Maria Lopez, thanks for writing. — Ana"
        assert "Hi Maria Lopez" in screen_text(app)


async def test_composer_in_editor_reads_back_what_the_editor_wrote(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headless there is no terminal to hand over, so ``App.suspend`` is replaced by a no-op;
    the editor command itself really runs."""
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "%s" " and a line from the editor" >> "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("VISUAL", "")
    monkeypatch.setenv("EDITOR", str(editor))
    app = console(db)
    suspended: list[bool] = []

    @contextlib.contextmanager
    def suspend():  # type: ignore[no-untyped-def]
        suspended.append(True)
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "r", *"Typed here")
        await press(app, pilot, "ctrl+e")
        assert suspended == [True]
        composer = app.query_one(Composer)
        assert composer.body == "Typed here and a line from the editor"


# -- hostile text -----------------------------------------------------------------

HOSTILE = "[bold red]x[/] [@click=app.quit]y[/] \x1b]52;c;aGk=\x07 \x1b[2J cba\u202eabc\u202c done"
LONG = "w" * 10_000


async def test_hostile_customer_text_renders_literally_and_harmlessly(db: Path) -> None:
    async with await Store.open(db) as store:
        chat = InboundMessage("chat", "web", "C9", "web:mallory", "placeholder", sent_at=NOW)
        result = await ingest(store, [chat])
        # whatever ingest cleans, the screen must be safe on its own: store the raw bytes
        async with store.write() as session:
            message = await session.get(Message, result.message_ids[0])
            assert message is not None
            customer = await session.get(Customer, message.customer_id)
            assert customer is not None
            message.text = HOSTILE + "\n" + LONG
            customer.name = "[bold red]Mallory\x1b[2J\u202e[/]"
            session.add_all([message, customer])
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "placeholder")
        view = app.query_one(ConversationView)
        rendered = view.card_text(-1)
        assert "[bold red]x[/]" in rendered.plain
        assert "[@click=app.quit]y[/]" in rendered.plain
        assert not any("@click" in str(span.style) for span in rendered.spans)
        text = screen_text(app)
        assert "[bold red]x[/]" in text
        assert "[@click=app.quit]y[/]" in text
        assert "[bold red]Mallory" in text  # the customer's name, literally
        for bad in ("\x1b", "\x07", "\u202e", "\u202c", "52;c;"):
            assert bad not in text
        svg = app.export_screenshot()
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in svg
        # the long line wrapped instead of stretching the card
        cards = app.query_one(MessageList)
        assert cards.size.width <= SIZE[0] and cards.virtual_size.height > 10_000 // SIZE[0]
        await pilot.click(MessageList, offset=(20, 2))
        await press(app, pilot, "k", "j", "x", "x")
        assert app.is_running and app.return_code is None


async def test_a_case_key_on_a_console_just_started_acts_on_the_highlighted_case(
    db: Path, tmp_path: Path
) -> None:
    """`r` on the first row of a fresh console said "open a case first"."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.inbox.focus()
        first = app.inbox.rows[0]
        await pilot.press("r")
        await settle(app, pilot)
        assert app.conversation is not None and app.conversation["id"] == first["id"]
        assert app.query_one(Composer).display
    async with await Store.open(tmp_path / "empty.db", create=True):
        pass
    app = console(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:  # nothing to act on: it says why
        await settle(app, pilot)
        app.inbox.focus()
        await pilot.press("r")
        await settle(app, pilot)
        assert app.conversation is None and not app.query_one(Composer).display
        said = [n.message for n in app._notifications]
        assert said == ["Reply: open a case first (enter on one in the inbox)"]


async def test_the_case_keys_do_nothing_while_the_reports_cover_the_case(db: Path) -> None:
    """`e` on the reports screen used to resolve the case hidden behind it."""
    from omni_tui.tui.screens.reports import ReportsScreen

    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "M")
        assert isinstance(app.screen, ReportsScreen)
        await press(app, pilot, "e", "a", "r", "s")
        assert isinstance(app.screen, ReportsScreen)  # no dialog opened behind it either
        assert (await case_row(app))["status"] == "open"
        await press(app, pilot, "escape", "e")  # back on the case, the key works again
        assert (await case_row(app))["status"] == "resolved"
