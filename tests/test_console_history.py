"""A line of the customer's history: what it says of each message, whatever it holds."""

from __future__ import annotations


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
