"""The console, driven by keys as an agent would, against a real store."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled, WorkerFailed

from adapters.base import InboundMessage
from omni_tui import outbox, queries
from omni_tui.actions import ensure_agent, log_call, set_status
from omni_tui.config import parse_config
from omni_tui.config.keys import BINDING_IDS
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui import format as fmt
from omni_tui.tui.app import OmniApp
from omni_tui.tui.composer import Composer
from omni_tui.tui.conversation import ConversationView
from omni_tui.tui.customer import Timeline
from omni_tui.tui.inbox import InboxList
from omni_tui.tui.keybar import KeyBar
from omni_tui.tui.screens.help import HelpScreen

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await make_store(tmp_path / "omni.db")


async def make_store(path: Path) -> Path:
    async with await Store.open(path, create=True) as store:
        await ingest(
            store,
            [
                InboundMessage(
                    "email",
                    "mail",
                    "E1",
                    "Maria Lopez <maria@example.com>",
                    "My grinder arrived broken. [bold red]Fix it[/]",
                    subject="Broken grinder",
                    message_id="<e1@example.com>",
                    sent_at=NOW - timedelta(days=3),
                ),
                InboundMessage(
                    "chat",
                    "web",
                    "C1",
                    "web:visitor-1",
                    "do you ship to Canada?",
                    sender_name="Visitor",
                    sent_at=NOW - timedelta(hours=2),
                ),
                InboundMessage(
                    "sms",
                    "sms",
                    "S1",
                    "+14155550100",
                    "is the roastery open?",
                    sent_at=NOW - timedelta(hours=1),
                ),
            ],
        )
        # an older, resolved email case of Maria's: her history spans cases
        old = await ingest(
            store,
            [
                InboundMessage(
                    "email",
                    "mail",
                    "E0",
                    "maria@example.com",
                    "Where is my order?",
                    subject="Order 1001",
                    message_id="<e0@example.com>",
                    sent_at=NOW - timedelta(days=40),
                )
            ],
        )
        await set_status(store, old.conversation_ids[0] or 0, "resolved", agent="Ana")
    return path


async def with_colleagues(db: Path) -> Path:
    """The store with Ben and Chloe known as agents, to assign and hand cases to."""
    async with await Store.open(db) as store:
        for agent in ("Ben", "Chloe"):
            await ensure_agent(store, agent)
    return db


def console(db: Path, config: str = '[agent]\nname = "Ana"\n') -> OmniApp:
    return OmniApp(parse_config(config), db)


async def settle(app: OmniApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let the console finish its background work (but not a dialog waiting for the agent)."""
    for _ in range(4):
        await pilot.pause()
        modal = len(app.screen_stack) > 1
        for worker in list(app.workers):
            if worker.is_finished or (modal and worker.group == "default"):
                continue
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await asyncio.wait_for(worker.wait(), 10)


async def open_case(app: OmniApp, pilot, subject: str) -> None:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    index = next(i for i, r in enumerate(app.inbox.rows) if r["subject"] == subject)
    app.inbox.highlighted = index
    app.inbox.focus()
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.conversation is not None and app.conversation["subject"] == subject


async def test_the_inbox_shows_every_channel_in_one_list(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        channels = {c for row in app.inbox.rows for c in row["channels"]}
        assert channels == {"email", "sms", "chat"}
        # sorted by waiting time: the customer who has waited longest comes first
        assert app.inbox.rows[0]["subject"] == "Broken grinder"


@pytest.mark.parametrize("size", [(160, 40), (80, 24)])
async def test_the_first_page_read_before_start_is_drawn_as_a_page_read_later(
    db: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`omni-tui` reads the first page before the first frame; it must look the same."""
    frozen = datetime.now(UTC)  # both drawings in the same minute of waiting
    monkeypatch.setattr(fmt, "now", lambda: frozen)

    async def drawn(app: OmniApp) -> tuple[str, list[str]]:
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            inbox = app.inbox
            assert app.focused is inbox and inbox.highlighted == 0
            prompts = [inbox.row_text(i) for i in range(len(inbox.rows))]
            return str(app.query_one("#view-title").render()), prompts

    early = console(db)
    await early.read_first_page()
    title, prompts = await drawn(early)
    assert await drawn(console(db)) == (title, prompts)
    assert title == "All open · 3 · by waiting" and len(prompts) == 3
    assert "Broken grinder" in prompts[0]


async def test_opening_a_case_shows_the_customers_whole_history_beside_it(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        cards = app.query_one(ConversationView).cards
        assert [c["text"] for c in cards][0].startswith("My grinder")
        timeline = app.query_one(Timeline)
        texts = [str(row) for row in timeline.rows]
        assert len(texts) == 2 and "Where is my order?" in texts[0]  # older case first


async def test_enter_moves_the_focus_to_the_case_only_once_it_is_shown(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        app.inbox.post_message(InboxList.Selected(999_999))  # a case deleted meanwhile
        await settle(app, pilot)
        assert app.focused is app.inbox and app.conversation is None
        await open_case(app, pilot, "Broken grinder")
        assert isinstance(app.focused, ConversationView)


async def test_untrusted_text_is_shown_literally_not_as_markup(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert "[bold red]Fix it[/]" in str(app.query_one(ConversationView).card_text(0))


async def test_enter_on_the_timeline_jumps_to_that_conversation(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        timeline = app.query_one(Timeline)
        timeline.focus()
        timeline.highlighted = 0
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.conversation is not None and app.conversation["subject"] == "Order 1001"


async def test_reply_by_sms_to_an_email_customer_keeps_history(db: Path) -> None:
    async with await Store.open(db) as store:
        maria = (await queries.list_customers(store, "maria"))[0]
        case = (
            await queries.list_conversations(
                store, queries.ListFilter(customer_id=maria["id"], status="open")
            )
        )[0]
        # Maria gave her mobile on a call; the agent adds it by answering on it
        await outbox.queue_reply(
            store, case["id"], "Got it", agent="Ana", channel="sms", to="+1 415 555 0134"
        )
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("r")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert composer.target is not None and composer.target.channel == "email"
        await pilot.press("ctrl+o")
        assert composer.target is not None and composer.target.channel == "sms"
        await pilot.press(*"A new grinder ships today")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    async with await Store.open(db) as store:
        history = (await queries.show_customer(store, maria["id"]))["history"]
    assert [(m["channel"], m["direction"]) for m in history][-2:] == [
        ("sms", "out"),
        ("sms", "out"),
    ]
    assert history[-1]["text"] == "A new grinder ships today"
    assert history[-1]["status"] == "queued"
    assert {m["channel"] for m in history} == {"email", "sms"}


async def test_another_channel_for_a_customer_with_one_says_why_there_is_none(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")  # Maria has written by email only
        await pilot.press("r", "ctrl+o")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert composer.target is not None and composer.target.channel == "email"
        said = [n.message for n in app._notifications]
        assert any("only be reached by email" in m and "--to NUMBER" in m for m in said)


async def test_after_sending_the_cursor_is_on_the_reply_and_the_keys_go_on(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        await pilot.press("g")  # reading the case from its start
        await pilot.press("r", *"A new grinder ships today", "ctrl+s")
        await settle(app, pilot)
        assert not app.query_one(Composer).display
        assert app.focused is view
        assert view.current is not None and view.current["text"] == "A new grinder ships today"
        await pilot.press("k")  # the keys work without a tab first
        assert view.current is not None and view.current["text"] != "A new grinder ships today"


async def test_a_typed_reply_survives_quitting_as_a_draft(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        await pilot.press("r", *"Yes, we do")
        await pilot.pause(0.6)  # the draft is saved as the agent types
        await settle(app, pilot)
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        await pilot.press("r")
        await settle(app, pilot)
        assert app.query_one(Composer).body == "Yes, we do"


async def test_a_note_is_private_and_resolve_takes_the_case_out_of_open(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "is the roastery open?")
        await pilot.press("n", *"regular, knows Ben")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert [m["direction"] for m in app.conversation["messages"]] == ["in", "note"]
        await pilot.press("e")
        await settle(app, pilot)
        assert app.conversation["status"] == "resolved"
        assert "is the roastery open?" not in [r["subject"] for r in app.inbox.rows]


async def test_help_lists_every_key_of_the_console_with_its_id_the_focused_ones_first(
    db: Path,
) -> None:
    """Every id ``[keys]`` takes is on the help screen, with the key it has now, even
    for a part that is not on screen (the composer, search, reports)."""
    app = console(db, '[agent]\nname = "Ana"\n[keys]\n"composer.send" = "ctrl+j"\n')
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        # what works where the focus is, first
        assert titles[:3] == ["Inbox", "Every pane", "Console"]
        assert "Composer (when there)" in titles
        rows = [(keys, b) for _, bindings in app.screen.sections for keys, b in bindings]
        listed = [b.id for _, b in rows]
        assert set(listed) >= BINDING_IDS
        ids = [i for i in listed if i]
        assert len(ids) == len(set(ids))  # a binding with two keys is one row
        keys = {b.id: k for k, b in rows}
        # keys as the terminal shows them, not their names; remapped ones as remapped
        assert (keys["app.help"], keys["app.search"], keys["inbox.down"]) == ("?", "/", "j ↓")
        assert keys["composer.send"] == "^j"


async def test_help_on_an_80_by_24_terminal_says_what_each_key_does(db: Path) -> None:
    from tests.test_console_actions import screen_text

    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        assert "Down" in shown and "inbox.down" in shown
        assert "Open" in shown and "inbox.open" in shown


async def test_keys_can_be_remapped_by_binding_id(db: Path) -> None:
    app = console(db, '[agent]\nname = "Ana"\n[keys]\n"app.search" = "f"\n')
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        assert type(app.screen).__name__ == "SearchScreen"


async def test_the_footer_follows_focus_and_a_click_on_a_hint_presses_its_key(db: Path) -> None:
    app = console(db, '[agent]\nname = "Ana"\n[keys]\n"app.search" = "f"\n')
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        bar = app.query_one(KeyBar)
        shown = str(bar.render())
        assert " f Search " in shown and shown.rstrip().endswith("^p palette")  # remapped
        assert "Quotes" not in shown
        await open_case(app, pilot, "Broken grinder")
        shown = str(bar.render())
        assert " x Quotes " in shown and " r Reply " in shown  # the conversation's keys
        await pilot.click(KeyBar, offset=(shown.index(" f Search ") + 2, 0))
        await pilot.pause()
        assert type(app.screen).__name__ == "SearchScreen"


async def test_search_opens_the_case_at_the_matching_message(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"canada")
        await pilot.pause(0.3)  # the search waits for a pause in typing
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.conversation is not None
        assert app.conversation["subject"] == "do you ship to Canada?"
        view = app.query_one(ConversationView)
        assert view.current is not None and "Canada" in view.current["text"]


async def test_enter_right_after_typing_opens_a_hit_of_what_was_typed(db: Path) -> None:
    """Enter within the typing pause opened a hit of the previous words."""
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"canada")
        await pilot.pause(0.3)
        await settle(app, pilot)
        await pilot.press(*"xyzzy", "enter")  # "canadaxyzzy": nothing has those words
        await settle(app, pilot)
        assert app.conversation is None and type(app.screen).__name__ == "SearchScreen"
        await pilot.press(*["backspace"] * 11, *"grinder", "enter")  # no pause at all
        await settle(app, pilot)
        assert app.conversation is not None and app.conversation["subject"] == "Broken grinder"


def test_a_search_hit_says_whether_the_customer_wrote_it_or_we_did() -> None:
    from omni_tui.tui.screens.search import hit_text

    hit = {
        "sent_at": "2026-11-16T09:00:00.000Z",
        "channel": "sms",
        "customer_name": "Alex Morgan",
        "sender": "+14155550150",
        "snippet": "any news on my order?",
        "highlights": [[0, 3]],
    }
    assert "✆ ← Alex Morgan  any news" in hit_text({**hit, "direction": "in"}).plain
    assert "✆ → Alex Morgan  any news" in hit_text({**hit, "direction": "out"}).plain


PANES = ("inbox", "conversation", "customer")


async def test_the_console_is_usable_at_80_by_24(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert app.query_one("#customer-pane").has_class("-collapsed")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert not app.query_one("#customer-pane").has_class("-collapsed")
        # the history takes the inbox's place: the case keeps room to be read
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        assert app.query_one("#conversation-pane").size.width >= 30
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert app.query_one("#customer-pane").has_class("-collapsed")
        assert app.query_one("#conversation-pane").size.width >= 30


async def test_at_120_columns_the_case_is_the_widest_pane(db: Path) -> None:
    from tests.test_console_actions import screen_text

    app = console(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        widths = {p: app.query_one(f"#{p}-pane").size.width for p in PANES}
        assert widths["conversation"] > max(widths["inbox"], widths["customer"])
        await pilot.press("r")
        await settle(app, pilot)
        assert "maria@example.com" in screen_text(app)  # who the reply goes to, in full


async def test_a_message_ingested_by_another_process_appears_within_a_second(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(50):  # the console starts watching once its first page is shown
            if app._marker is not None:
                break
            await pilot.pause(0.1)
        before = len(app.inbox.rows)
        async with await Store.open(db) as other:  # e.g. the sync daemon
            await ingest(
                other,
                [
                    InboundMessage(
                        "sms", "sms", f"LIVE{n}", f"+1415555020{n}", "hello?", sent_at=NOW
                    )
                    for n in range(3)
                ],
            )
        notes: list[str] = []
        for _ in range(10):  # no key pressed: the console notices on its own
            await pilot.pause(0.1)
            notes = [n.title for n in app._notifications]
            if len(app.inbox.rows) == before + 3 and notes:  # the rows and the toast
                break
        assert len(app.inbox.rows) == before + 3
        assert notes.count("3 new messages") == 1  # a burst is one toast


async def test_a_call_an_agent_logs_raises_no_new_message_toast(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(50):
            if app._marker is not None:
                break
            await pilot.pause(0.1)
        async with await Store.open(db) as other:
            await log_call(other, 1, "Called about the refund", agent="Ben")
            await ingest(other, [InboundMessage("sms", "sms", "AFTER", "+14155550299", "hi?")])
        notes: list[str] = []
        for _ in range(20):
            await pilot.pause(0.1)
            if notes := [n.title for n in app._notifications]:
                break
        assert notes == ["1 new message"]


async def test_the_status_bar_shows_the_outbox(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        await pilot.press("r", *"Yes!", "ctrl+s")
        await settle(app, pilot)
        await pilot.pause(0.7)
        await settle(app, pilot)
        assert "1 queued" in str(app.query_one("#status-bar").render())


def test_no_two_console_bindings_share_a_key() -> None:
    keys = [key for b in OmniApp.BINDINGS for key in b.key.split(",")]  # type: ignore[union-attr]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
