"""A line of the customer's history: what it says of each message, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from omni_tui.tui.customer import Timeline
from tests.test_console import console, make_store, open_case, settle
from tests.test_console_panes import add_follow_ups


def test_a_history_line_of_today_says_today_and_a_note_carries_one_pen() -> None:
    """ "01:00" under "Fri 04 Dec 01:00" read as the 4th; a note showed "✎ ✎"."""
    from datetime import UTC, datetime

    from omni_tui.tui.customer.timeline import history_lines

    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    note = {"sent_at": now, "channel": "email", "direction": "note", "text": "called back"}
    note["conversation_id"] = 7
    line = "".join(text for text, _ in history_lines(note)[0])
    assert line.strip().startswith("today ") and line.count("✎") == 1


def test_a_photo_sent_without_words_is_named_in_the_history_not_a_blank_line() -> None:
    from omni_tui.tui.customer.timeline import history_lines

    photo = {"sent_at": "2026-12-01T09:00:00Z", "channel": "sms", "direction": "in"}
    photo |= {"conversation_id": 7, "text": "", "attachments": [{"filename": "bag.jpg"}]}
    assert history_lines(photo)[1] == [("  📎 bag.jpg", "")]
    empty = photo | {"attachments": []}
    assert history_lines(empty)[1] == [("  (a message without words)", "")]


@pytest.mark.parametrize("height", [36, 37])  # the history pane an odd and an even number
async def test_a_long_history_never_shows_a_message_cut_in_half(
    tmp_path: Path, height: int
) -> None:
    """At 120×36 the latest messages showed with the top one's words alone, its date
    scrolled away; paging left a date at the bottom without its words."""
    db = await make_store(tmp_path / "omni.db")
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=(120, height)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        timeline = app.query_one(Timeline)
        timeline.focus()
        for keys in ((), ("g",), ("pagedown",), ("pagedown",), ("G",), ("pageup",), ("k",)):
            await pilot.press(*keys)
            await settle(app, pilot)
            top = round(timeline.scroll_offset.y)
            assert top % Timeline.ROW_HEIGHT == 0, (keys, top)  # a whole row at the top
            first = timeline.render_line(0).text
            assert " #" in first, (keys, first)  # a message's date and case, not its words
            cursor = timeline.highlighted * Timeline.ROW_HEIGHT - top
            assert 0 <= cursor <= timeline.scrollable_content_region.height - 2, keys


async def test_the_wheel_up_to_the_top_of_the_history_loads_older_messages(
    tmp_path: Path,
) -> None:
    """Older messages came only when the keyboard's cursor neared the top: scrolled
    with the mouse, the history stopped at the 40 latest, as if that were all."""
    db = await make_store(tmp_path / "omni.db")
    await add_follow_ups(db, 45)
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        timeline = app.query_one(Timeline)
        assert timeline.more and len(timeline.rows) < 47
        for _ in range(60):  # what the wheel does: the view moves, the cursor stays
            timeline.scroll_up(animate=False, immediate=True)
            await pilot.pause()
        await settle(app, pilot)
        assert len(timeline.rows) == 47
        top = round(timeline.scroll_offset.y) // Timeline.ROW_HEIGHT
        shown = timeline.scrollable_content_region.height // Timeline.ROW_HEIGHT
        assert top <= 47 - 40 < top + shown  # where the wheel was, older ones above it
