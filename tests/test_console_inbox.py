"""The inbox as lines: what the agent sees, walks and clicks, and what a switch redraws."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.base import InboundMessage
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui import inbox as inbox_package
from omni_tui.tui.inbox import InboxList
from omni_tui.tui.inbox import views as inbox_views
from tests.test_console import console, make_store, open_case, settle
from tests.test_console_actions import NOW, screen_text

SIZE = (160, 40)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await make_store(tmp_path / "omni.db")


def row_index(inbox: InboxList, subject: str) -> int:
    return next(i for i, r in enumerate(inbox.rows) if r["subject"] == subject)


def cursor_background(inbox: InboxList) -> Any:
    """The background the cursor row is drawn in, as the screen shows it."""
    assert inbox.highlighted is not None
    y = inbox.highlighted * InboxList.ROW_HEIGHT - inbox.scroll_offset.y
    strip = inbox.render_line(y)
    return next(s.style.bgcolor for s in strip if s.style is not None and s.text.strip())


async def test_opening_an_unread_case_clears_its_dot_and_redraws_only_that_row(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        inbox = app.inbox
        index = row_index(inbox, "Broken grinder")
        assert inbox.rows[index]["unread"] and inbox.row_text(index).startswith("●")
        others = [inbox.row_text(i) for i in range(len(inbox.rows)) if i != index]
        drawn: list[int] = []
        draw = inbox.row_segments

        def counted(i: int, width: int) -> Any:
            drawn.append(i)
            return draw(i, width)

        inbox.row_segments = counted  # type: ignore[method-assign]
        await open_case(app, pilot, "Broken grinder")
        assert not inbox.row_text(index).startswith("●")
        assert "● Maria Lopez" not in screen_text(app)
        # the rest of the inbox is as it was, and was not drawn again
        assert [inbox.row_text(i) for i in range(len(inbox.rows)) if i != index] == others
        assert set(drawn) == {index}


async def test_clicking_an_inbox_row_opens_that_case(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        index = row_index(app.inbox, "Broken grinder")
        y = index * InboxList.ROW_HEIGHT + 1  # the row's second line: its subject
        await pilot.click(InboxList, offset=(4, y))
        await settle(app, pilot)
        assert app.conversation is not None and app.conversation["subject"] == "Broken grinder"
        assert app.inbox.highlighted == index


async def test_the_inbox_cursor_steps_back_when_the_case_takes_the_focus(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        inbox = app.inbox
        focused = inbox.get_visual_style("inbox--cursor").rich_style.bgcolor
        blurred = inbox.get_visual_style("inbox--cursor-blurred").rich_style.bgcolor
        assert focused != blurred
        assert cursor_background(inbox) == focused
        await open_case(app, pilot, "Broken grinder")
        assert cursor_background(inbox) == blurred
        inbox.focus()
        await pilot.pause()
        assert cursor_background(inbox) == focused


async def test_walking_down_the_inbox_reads_the_next_pages_on_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_views, "PAGE", 15)
    monkeypatch.setattr(inbox_package.list, "PAGE", 15)
    db = tmp_path / "omni.db"
    async with await Store.open(db, create=True) as store:
        await ingest(
            store,
            [
                InboundMessage(
                    "sms",
                    "texts",
                    f"SM{n}",
                    f"+1415555{n:04d}",
                    f"question {n}",
                    sent_at=NOW - timedelta(minutes=100 - n),
                )
                for n in range(40)
            ],
        )
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        inbox = app.inbox
        assert len(inbox.rows) == 15
        for _ in range(45):
            await pilot.press("j")
            await settle(app, pilot)
        assert len(inbox.rows) == 40  # three pages, each read once
        assert len({r["id"] for r in inbox.rows}) == 40
        assert inbox.highlighted == 39 and "question 39" in inbox.row_text(39)
        assert "question 39" in screen_text(app)  # the cursor's row is in view
        await pilot.press("g")
        assert inbox.highlighted == 0 and "question 0" in screen_text(app)


async def _many_cases(path: Path, n: int) -> Path:
    async with await Store.open(path, create=True) as store:
        await ingest(
            store,
            [
                InboundMessage(
                    channel="email", account="mail", provider_id=f"imap:{i}",
                    sender=f"customer{i}@example.com", subject=f"Help {i}", text="Hello?",
                    sent_at=NOW - timedelta(minutes=i),
                )
                for i in range(n)
            ],
        )  # fmt: skip
    return path


async def test_the_cursor_past_the_first_page_stays_on_its_case_when_the_inbox_repaints(
    tmp_path: Path,
) -> None:
    """With a daemon running the inbox repaints on every new message; the cursor on
    row 129 used to jump to row 0, and rows 100-129 were gone."""
    db = await _many_cases(tmp_path / "omni.db", 130)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.inbox.focus()
        for _ in range(3):  # the end, a page more, the end again
            await pilot.press("G")
            await settle(app, pilot)
        assert app.inbox.highlighted == 129
        case = app.inbox.current_id
        app.inbox.reload()
        await settle(app, pilot)
        assert (app.inbox.highlighted, app.inbox.current_id) == (129, case)
        assert len(app.inbox.rows) == 130


async def test_resolving_the_case_under_the_cursor_leaves_the_cursor_on_the_next_one(
    tmp_path: Path,
) -> None:
    db = await _many_cases(tmp_path / "omni.db", 10)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.inbox.focus()
        await pilot.press("j", "j", "j", "j", "j")
        await settle(app, pilot)
        following = app.inbox.rows[6]["id"]
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("e")  # resolved: it leaves the open view
        await settle(app, pilot)
        assert (app.inbox.highlighted, app.inbox.current_id) == (5, following)


async def test_waiting_times_move_on_with_the_clock(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing about a case changed, but three hours passed: its row says so."""
    from datetime import datetime

    from omni_tui.tui import format as fmt
    from omni_tui.tui.inbox import list as inbox_list

    monkeypatch.setattr(inbox_list, "AGE_TICK_S", 0.2)
    now = datetime.now(NOW.tzinfo)
    monkeypatch.setattr(fmt, "now", lambda: now)
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = screen_text(app)
        later = now + timedelta(hours=3)
        monkeypatch.setattr(fmt, "now", lambda: later)
        await pilot.pause(0.5)
        after = screen_text(app)
        assert before != after and "⏳" in after
        assert after == screen_text(app)  # steady until the clock moves again


async def test_a_new_message_in_the_open_case_keeps_its_dot_until_the_agent_looks(
    db: Path,
) -> None:
    """Every repaint of the open case marked it read: an agent triaging the inbox never
    saw that the customer of the case left open had written again."""
    from tests.test_console_actions import maria

    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        app.inbox.focus()
        for _ in range(50):  # the console watches the store once its first page is shown
            if app._marker is not None:
                break
            await pilot.pause(0.1)
        async with await Store.open(db) as other:  # the sync daemon
            await ingest(other, [maria("e9", "Any news on the grinder?", 0)])
        index = row_index(app.inbox, "Broken grinder")
        for _ in range(30):
            await pilot.pause(0.1)
            if "Any news" in str(app.conversation):
                break
        await settle(app, pilot)
        assert "Any news" in str(app.conversation)  # the open case shows it
        index = row_index(app.inbox, "Broken grinder")
        assert app.inbox.rows[index]["unread"] and app.inbox.row_text(index).startswith("●")
        await open_case(app, pilot, "Broken grinder")
        assert not app.inbox.row_text(row_index(app.inbox, "Broken grinder")).startswith("●")


async def test_a_reply_begun_and_left_marks_its_case_in_the_inbox_until_sent(
    db: Path,
) -> None:
    """A draft was saved, but nothing in the inbox showed it, even after a restart."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("r", *"Sorry about the grinder")
        await pilot.press("escape")
        await settle(app, pilot)
        index = row_index(app.inbox, "Broken grinder")
        assert "✎ Broken grinder" in app.inbox.row_text(index)
    again = console(db)  # the next morning
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        index = row_index(again.inbox, "Broken grinder")
        assert "✎ Broken grinder" in again.inbox.row_text(index)
        await open_case(again, pilot, "Broken grinder")
        await pilot.press("r", "ctrl+s")  # the draft comes back in the composer, and is sent
        await settle(again, pilot)
        index = row_index(again.inbox, "Broken grinder")
        assert "✎" not in again.inbox.row_text(index)
