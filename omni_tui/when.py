"""Reading the times agents type: ``2h``, ``tomorrow 14:00``, ``mon``, ``2026-12-01 09:00``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

_RELATIVE = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: "tomorrow", "tomorrow 14:00", "mon", "monday 9", "14:30": a day and an hour of the agent's
_DAY_AND_HOUR = re.compile(
    r"^(?:(?P<day>tomorrow|today|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\s*)?"
    r"(?:(?P<at>at\s*)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?)?$",
    re.IGNORECASE,
)


def hint(now: datetime | None = None) -> str:
    """What can be typed, with a date that is still to come."""
    day = (now or datetime.now(UTC)).astimezone().date() + timedelta(days=1)
    return f"30m, 2h, 3d, 1w, tomorrow, tomorrow 14:00, mon, {day.isoformat()} 09:00"


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """A UTC time after ``now`` from what an agent typed (a snooze that ends at once
    looks like it worked and does nothing); ValueError with a hint otherwise."""
    now = now or datetime.now(UTC)
    when = _when(value.strip(), now)
    if when <= now:
        raise ValueError(f"{value.strip()!r} is not in the future — give a later time")
    return when


def _when(value: str, now: datetime) -> datetime:
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        try:
            return now + timedelta(**{_UNITS[unit]: amount})
        except OverflowError:
            raise ValueError(f"{value!r} is too far in the future") from None
    if value and (spoken := _DAY_AND_HOUR.match(value)) and _day_or_hour(spoken):
        return _spoken(spoken, now)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read time {value!r} — use {hint(now)}") from None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.astimezone()  # a bare time is the agent's local time
        return parsed.astimezone(UTC)
    except (OverflowError, OSError):  # 9999-12-31T23:00-05:00 is past the last year
        raise ValueError(f"time {value!r} is out of range") from None


def _day_or_hour(spoken: re.Match[str]) -> bool:
    """A day, or an hour that says it is one ("9:00", "9am", "at 9"): "3" alone is
    more likely 3 days with the "d" forgotten than 03:00."""
    day = (spoken["day"] or "").lower()
    if day not in ("", "today", "tomorrow") and _weekday(day) is None:
        return False
    said_an_hour = any(spoken[g] for g in ("minute", "half", "at"))
    return bool(day) or (spoken["hour"] is not None and said_an_hour)


def _weekday(typed: str) -> int | None:
    """Monday's 0 for "mon", "mond", "monday"; None for "month"."""
    for index, name in enumerate(_WEEKDAYS):
        if len(typed) >= 3 and name.startswith(typed):
            return index
    return None


def _spoken(spoken: re.Match[str], now: datetime) -> datetime:
    """That day (today when none is named, or tomorrow once the hour has passed) at that
    hour (09:00 when none is named) on the agent's clock, at that day's offset (a DST
    change may fall in between): a naive local time, placed by the zone rules."""
    local = now.astimezone()
    hour, minute = int(spoken["hour"] or 9), int(spoken["minute"] or 0)
    if spoken["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"{spoken.group(0)!r}: an hour of am or pm is 1 to 12")
        hour = hour % 12 + (12 if spoken["half"].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{spoken.group(0)!r} is not a time of day — e.g. 14:30")
    day = (spoken["day"] or "").lower()
    date = local.date()
    if day == "tomorrow":
        date += timedelta(days=1)
    elif day not in ("", "today"):
        weekday = _weekday(day)
        assert weekday is not None
        ahead = (weekday - date.weekday()) % 7 or 7  # "mon" on a Monday: the next one
        date += timedelta(days=ahead)
    when = datetime.combine(date, time(hour, minute)).astimezone()
    if not day and when <= local:  # "14:30" said at 15:00: tomorrow's
        when = datetime.combine(date + timedelta(days=1), time(hour, minute)).astimezone()
    return when.astimezone(UTC)
