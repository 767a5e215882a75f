"""The case and history panes as lines: what the agent sees, clicks and walks."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from omni_tui import queries
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui import heap
from omni_tui.tui.app import HISTORY_PAGE
from omni_tui.tui.conversation import ConversationView, MessageList, window
from omni_tui.tui.conversation.view import WINDOW
from omni_tui.tui.customer import Timeline
from tests.test_console import console, make_store, open_case, settle
from tests.test_console_actions import maria, screen_text

SIZE = (160, 40)


async def add_follow_ups(db: Path, count: int) -> None:
    """Maria writes ``count`` more times in "Broken grinder", in order, over the last days."""
    async with await Store.open(db) as store:
        follow_ups = [maria(f"f{n}", f"follow-up number {n}", 2 - n / 100) for n in range(count)]
        await ingest(store, follow_ups)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await make_store(tmp_path / "omni.db")


@pytest.fixture
async def long_case(db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ "Broken grinder" with 45 follow-ups (46 messages); a case opens with its latest 30."""
    monkeypatch.setattr(window, "MESSAGE_PAGE", 30)
    await add_follow_ups(db, 45)
    return db


async def test_only_the_pane_holding_the_focus_is_marked(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panes = {p: app.query_one(f"#{p}-pane") for p in ("inbox", "conversation", "customer")}

        def active() -> set[str]:
            return {name for name, pane in panes.items() if pane.has_class("-active")}

        assert active() == {"inbox"}
        await open_case(app, pilot, "Broken grinder")  # enter: the case takes the focus
        assert active() == {"conversation"}
        app.query_one(Timeline).focus()
        await pilot.pause()
        assert active() == {"customer"}
        app.inbox.focus()
        await pilot.pause()
        assert active() == {"inbox"}


async def test_clicking_a_card_makes_it_the_current_message(db: Path) -> None:
    async with await Store.open(db) as store:
        await ingest(store, [maria("e2", "A second word about the grinder", 1)])
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        assert view.current is not None and view.current["text"].startswith("A second")
        cards = app.query_one(MessageList)
        first = cards.card_region(0).y - cards.scroll_offset.y
        await pilot.click(MessageList, offset=(10, first + 1))
        await pilot.pause()
        assert view.current is not None and view.current["text"].startswith("My grinder")
        assert app.focused is view


async def test_a_long_message_is_one_line_in_the_history_cut_with_an_ellipsis(db: Path) -> None:
    """Under its date and channel in a narrow pane: beside them it had ~9 columns."""
    words = "the grinder makes a loud rattling noise every single morning " * 20
    async with await Store.open(db) as store:
        await ingest(store, [maria("e2", words, 1)])
    app = console(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        pane = [line.rsplit("││", 1)[-1] for line in screen_text(app).splitlines()]
        history = [n for n, line in enumerate(pane) if "the grinder makes" in line]
        assert len(history) == 1  # one line, not wrapped
        cell = pane[history[0]].split("│")[0].strip()
        assert cell.endswith("…") and len(cell) >= 30
        assert "←" in pane[history[0] - 1]  # its date, channel and direction above it


async def test_j_k_walk_the_history_and_a_click_opens_that_case(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        timeline = app.query_one(Timeline)
        timeline.focus()
        await pilot.pause()
        assert timeline.highlighted == 1  # the latest message, this case's
        await pilot.press("k")
        assert timeline.highlighted == 0
        await pilot.press("k")  # the top stays the top
        assert timeline.highlighted == 0
        await pilot.press("j")
        assert timeline.highlighted == 1
        await pilot.click(Timeline, offset=(5, 0))
        await settle(app, pilot)
        assert app.conversation is not None and app.conversation["subject"] == "Order 1001"


async def test_opening_a_case_holds_the_collector_only_until_it_is_drawn(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        heap.settle_heap()
        app.open_conversation(app.inbox.rows[0]["id"])
        assert not gc.isenabled()  # the switch's garbage waits for the frame
        await settle(app, pilot)
        await pilot.pause(2 * 0.05 + 0.1)
        assert gc.isenabled()


def test_a_held_collector_frees_the_frames_cycles_when_it_is_given_back() -> None:
    heap.settle_heap()

    class Node:
        def __init__(self) -> None:
            self.me = self

    def nodes() -> int:
        return sum(isinstance(o, Node) for o in gc.get_objects())

    heap.hold_for_frame()
    assert not gc.isenabled()
    for _ in range(50_000):  # far past the young threshold: nothing runs by itself
        Node()
    assert nodes() == 50_000
    heap.sweep_young()
    assert gc.isenabled() and nodes() == 0


async def test_a_long_thread_shows_its_latest_cards_and_k_on_the_first_shows_earlier(
    db: Path,
) -> None:
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        total = len(view.data["messages"]) if view.data else 0
        assert total == 46 and len(view.cards) == WINDOW
        assert view.current is not None and view.current["text"] == "follow-up number 44"
        app.query_one(MessageList).scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert f"{total - WINDOW} earlier messages" in screen_text(app)
        await pilot.press("G", "g")  # g: the very first message, wherever the window is
        assert view.current is not None and view.current["text"].startswith("My grinder")
        assert len(view.cards) == total
        await open_case(app, pilot, "do you ship to Canada?")
        await open_case(app, pilot, "Broken grinder")
        for _ in range(WINDOW - 1):
            await pilot.press("k")
        assert view.cards[view.cursor]["text"] == f"follow-up number {45 - WINDOW}"
        await pilot.press("k")  # past the first card: the window before it is painted
        assert len(view.cards) == 2 * WINDOW
        assert view.current is not None
        assert view.current["text"] == f"follow-up number {44 - WINDOW}"


async def test_a_new_theme_redraws_the_cards_and_the_history_in_its_colours(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        cards, timeline = app.query_one(MessageList), app.query_one(Timeline)

        def backgrounds() -> tuple[set[object], set[object]]:
            card_line = cards.card_region(0).y - cards.scroll_offset.y
            return (
                {s.style.bgcolor for s in cards.render_line(card_line) if s.style},
                {s.style.bgcolor for s in timeline.render_line(0) if s.style},
            )

        dark = backgrounds()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        light = backgrounds()
        assert light[0] and light[1]
        assert light[0].isdisjoint(dark[0]) and light[1].isdisjoint(dark[1])


async def test_going_up_the_history_loads_older_messages_and_keeps_the_cursor(db: Path) -> None:
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        timeline = app.query_one(Timeline)
        assert len(timeline.rows) == HISTORY_PAGE
        assert f"History — latest {HISTORY_PAGE} of 47 ↑" in screen_text(app)
        timeline.focus()
        await pilot.press("g")  # the oldest loaded: the older ones come
        await settle(app, pilot)
        assert len(timeline.rows) == 47
        assert "latest" not in screen_text(app)
        assert timeline.highlighted == 47 - HISTORY_PAGE  # the same message as before
        assert str(timeline.rows[timeline.highlighted]).endswith("follow-up number 5")
        assert "Where is my order?" in str(timeline.rows[0])  # the other case, oldest first


async def test_pagedown_scrolls_a_screen_and_the_cursor_follows_what_is_in_view(db: Path) -> None:
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view, cards = app.query_one(ConversationView), app.query_one(MessageList)
        await pilot.press("g")
        assert cards.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert cards.scroll_offset.y > 0
        current = view.current
        assert current is not None and current["text"] in screen_text(app)
        await pilot.press("j")  # on from what the agent sees, not back to the top
        assert view.cursor == view.cards.index(current) + 1
        assert view.cards[view.cursor]["text"] in screen_text(app)


async def test_a_folded_history_shown_again_shows_its_cursor(db: Path) -> None:
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:  # the customer pane starts folded
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        timeline = app.query_one(Timeline)
        top, height = timeline.scroll_offset.y, timeline.scrollable_content_region.height
        assert timeline.highlighted == HISTORY_PAGE - 1  # the latest message
        line = timeline.highlighted * Timeline.ROW_HEIGHT
        assert height > 0 and top <= line < top + height


async def test_folding_the_pane_that_has_the_focus_hands_the_keys_to_the_case(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        app.query_one(Timeline).focus()
        await pilot.pause()
        await pilot.press("right_square_bracket")  # fold the customer pane
        await pilot.pause()
        assert isinstance(app.focused, ConversationView)
        assert app.query_one("#conversation-pane").has_class("-active")


async def test_a_pane_folded_to_make_room_hands_its_keys_to_the_case(db: Path) -> None:
    """At 80 columns ``]`` shows the customer and folds the inbox, which had the keys;
    and a terminal shrunk under a focused history folds that history."""
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.inbox.focus()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        assert isinstance(app.focused, ConversationView)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        app.query_one(Timeline).focus()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.query_one("#customer-pane").has_class("-collapsed")
        assert isinstance(app.focused, ConversationView)


async def test_choosing_a_view_shows_the_folded_inbox_it_gives_the_keys_to(db: Path) -> None:
    """`2` with the inbox folded used to send j/enter into a list nobody could see."""
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("left_square_bracket")  # fold the inbox
        await pilot.pause()
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        await pilot.press("2")
        await settle(app, pilot)
        assert app.focused is app.inbox
        assert not app.query_one("#inbox-pane").has_class("-collapsed")


async def test_escape_from_the_case_or_the_history_goes_back_to_the_inbox(db: Path) -> None:
    """At 80 columns with the customer shown, the inbox was folded and only tab led
    back to it; escape now does, from the case or the history."""
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.inbox
        await pilot.press("enter", "right_square_bracket")  # the case, then its customer
        await settle(app, pilot)
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        app.query_one(Timeline).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.inbox
        assert not app.query_one("#inbox-pane").has_class("-collapsed")


async def test_the_customer_pane_counts_open_and_all_cases_of_the_customer(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")  # Maria: this case, and a resolved one
        assert "1 open / 2 cases" in screen_text(app)
        assert app.customer is not None and app.customer["case_counts"] == {"open": 1, "total": 2}


async def test_a_long_case_reads_its_latest_messages_and_k_reads_earlier_ones(
    long_case: Path,
) -> None:
    app = console(long_case)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        assert view.data is not None
        assert len(view.data["messages"]) == 30 and view.data["message_total"] == 46
        app.query_one(MessageList).scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert f"{46 - WINDOW} earlier messages" in screen_text(app)  # read or not
        for _ in range(29):
            await pilot.press("k")
        assert view.current is not None and view.current["text"] == "follow-up number 15"
        await pilot.press("k")  # past the oldest message read: the rest are read
        await settle(app, pilot)
        assert len(view.data["messages"]) == 46
        assert view.current is not None and view.current["text"] == "follow-up number 14"
        for _ in range(15):
            await pilot.press("k")
        assert view.current is not None and view.current["text"].startswith("My grinder")


async def test_a_new_message_keeps_the_cursor_on_the_oldest_message_read(long_case: Path) -> None:
    """The case grows by the new message; the one the agent is reading stays put."""
    app = console(long_case)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        for _ in range(29):
            await pilot.press("k")
        assert view.current is not None and view.current["text"] == "follow-up number 15"
        async with await Store.open(long_case) as store:  # as the sync daemon would
            await ingest(store, [maria("late", "one more thing", 0)])
        app.open_conversation(view.data["id"])  # the repaint the live watch asks for
        await settle(app, pilot)
        assert view.data is not None and len(view.data["messages"]) == 31
        assert view.data["messages"][-1]["text"] == "one more thing"
        assert view.current is not None and view.current["text"] == "follow-up number 15"


async def test_g_in_a_long_case_goes_to_its_very_first_message(long_case: Path) -> None:
    app = console(long_case)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        await pilot.press("g")
        await settle(app, pilot)
        assert view.current is not None and view.current["text"].startswith("My grinder")
        await pilot.press("G")
        assert view.current is not None and view.current["text"] == "follow-up number 44"


async def test_opening_a_long_case_at_an_old_message_reads_from_it(long_case: Path) -> None:
    """Search and the history open a case at a message, however far back it is."""
    app = console(long_case)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        assert view.data is not None
        case, first = view.data["id"], view.data["messages"][0]["id"]
        async with await Store.open(long_case) as store:
            old = await queries.search(store, "follow-up number 3", limit=5)
        wanted = next(h["message_id"] for h in old if "number 3" in h["snippet"])
        assert wanted < first  # not among the messages read
        app.open_conversation(case, wanted)
        await settle(app, pilot)
        assert view.current is not None and view.current["id"] == wanted
        assert "follow-up number 3" in view.current["text"]


async def test_a_huge_message_is_drawn_clipped_until_x(tmp_path: Path) -> None:
    """300,000 characters on one line took the console seconds to draw."""
    from adapters.base import InboundMessage
    from omni_tui.tui.conversation.view import render_message
    from tests.conftest import T0

    db = tmp_path / "omni.db"
    huge = "log line " * 40_000 + "\nTHE END"
    message = InboundMessage(
        "email", "mail", "1", "a@example.com", huge, subject="Logs", sent_at=T0
    )
    async with await Store.open(db, create=True) as store:
        await ingest(store, [message])
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Logs")
        current = app.query_one(ConversationView).current
        assert current is not None
        folded = render_message(current, expanded=False).plain
        assert "clipped: 340,008 more characters (x to expand)" in folded
        assert "THE END" not in folded and len(folded) < 21_000
        assert render_message(current, expanded=True).plain.endswith("THE END")


async def test_at_80x24_the_line_being_typed_stays_on_screen(db: Path) -> None:
    """The text area had a fixed 8 rows in a composer allowed half the pane: at 80x24
    the line being typed was below the bottom of the composer."""
    from textual.widgets import TextArea

    from omni_tui.tui.composer import Composer

    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("r")
        for n in range(1, 10):
            await pilot.press(*f"line{n}", "enter")
        await pilot.press(*"LAST")
        await settle(app, pilot)
        composer, area = app.query_one(Composer), app.query_one(TextArea)
        assert area.region.bottom <= composer.region.bottom
        assert composer.region.y <= area.cursor_screen_offset.y < composer.region.bottom


async def test_a_very_long_subject_leaves_the_case_readable_at_80x24(tmp_path: Path) -> None:
    """An 800-character subject took 21 of the pane's rows and pushed out its status."""
    from adapters.base import InboundMessage

    db = await make_store(tmp_path / "omni.db")
    subject = ("Order problem " + "please help " * 65).strip()
    async with await Store.open(db) as store:
        await ingest(store, [InboundMessage("email", "mail", "long-1", "lee@example.com",
                                            "The box was empty.", subject=subject)])  # fmt: skip
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(app, pilot, subject)
        header = app.query_one("#conversation-header")
        assert header.region.height <= 4
        assert str(header.render()).startswith(f"#{app.conversation['id']}  open")
        assert "The box was empty." in screen_text(app)


async def test_the_footer_offers_no_key_the_composer_takes_as_text(db: Path) -> None:
    """With the composer focused, "/" types a slash: the footer offered "/ Search"."""
    app = console(db)
    async with app.run_test(size=(200, 30)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        footer = screen_text(app).splitlines()[-1]
        assert "/ Search" in footer
        await pilot.press("r")
        await settle(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "/ Search" not in footer and "Close" in footer
        await pilot.press(*"a/b")
        assert app.query_one("#composer-body").text == "a/b"  # type: ignore[attr-defined]


async def test_a_pane_the_agent_folded_stays_folded_while_the_window_is_resized(
    db: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(90, 24)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("left_square_bracket")  # the inbox folded away to read the case
        await pilot.pause()
        await pilot.resize_terminal(100, 30)  # a terminal dragged a little wider
        await pilot.pause()
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        await pilot.resize_terminal(160, 40)  # wide now: the usual three panes
        await pilot.pause()
        assert not app.query_one("#inbox-pane").has_class("-collapsed")
        assert not app.query_one("#customer-pane").has_class("-collapsed")
