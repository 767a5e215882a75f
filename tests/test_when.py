"""Times an agent types for snoozing: relative, tomorrow, or a clock time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from omni_tui.when import parse_when


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agent's clock in Berlin, which goes to summer time on 29 March 2026."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_tomorrow_is_nine_in_the_morning_even_across_a_clock_change(berlin: None) -> None:
    saturday_noon = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)  # 12:00 in Berlin, UTC+1
    woken = parse_when("tomorrow", saturday_noon)
    assert woken == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 summer time, UTC+2
    assert woken.astimezone().hour == 9


def test_tomorrow_on_an_ordinary_day(berlin: None) -> None:
    assert parse_when("tomorrow", datetime(2026, 6, 1, 15, 0, tzinfo=UTC)) == datetime(
        2026, 6, 2, 7, 0, tzinfo=UTC
    )


def test_a_relative_time_counts_from_now() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert parse_when("2h", now) == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["2020-01-01", "0m", "2026-12-07T09:59Z"])
def test_a_time_that_is_not_in_the_future_is_refused(typed: str) -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="not in the future"):
        parse_when(typed, now)


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("tomorrow 9:00", "2026-12-08 09:00"),  # refused, and the typed text thrown away
        ("tomorrow 14:30", "2026-12-08 14:30"),
        ("mon", "2026-12-14 09:00"),  # said on a Monday: next Monday
        ("friday 4pm", "2026-12-11 16:00"),
        ("tues 10:00", "2026-12-08 10:00"),
        ("16:00", "2026-12-07 16:00"),  # later today
        ("14:30", "2026-12-08 14:30"),  # passed today: tomorrow's
    ],
)
def test_a_day_and_an_hour_are_read_on_the_agents_clock(
    berlin: None, typed: str, local: str
) -> None:
    monday_three_pm = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
    woken = parse_when(typed, monday_three_pm).astimezone()
    assert f"{woken:%Y-%m-%d %H:%M}" == local


@pytest.mark.parametrize("typed", ["month", "someday", "tomorrow 25:00", "13pm", "3"])
def test_what_is_no_day_or_hour_is_refused_with_examples_still_to_come(typed: str) -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError) as refused:
        parse_when(typed, now)
    if "cannot read" in str(refused.value):
        assert "2026-12-08 09:00" in str(refused.value)  # not an example in the past
