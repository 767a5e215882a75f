"""Reading the times agents type: ``2h``, ``3d``, ``tomorrow``, ``2026-12-01 09:00``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

_RELATIVE = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


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
    if value.lower() == "tomorrow":
        # 09:00 on the agent's clock tomorrow, at tomorrow's offset (a DST change may
        # fall in between): a naive local time, placed by the zone rules
        tomorrow = now.astimezone().date() + timedelta(days=1)
        return datetime.combine(tomorrow, time(9)).astimezone().astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read time {value!r} — use 30m, 2h, 3d, 1w, tomorrow or 2026-12-01T09:00"
        ) from None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.astimezone()  # a bare time is the agent's local time
        return parsed.astimezone(UTC)
    except (OverflowError, OSError):  # 9999-12-31T23:00-05:00 is past the last year
        raise ValueError(f"time {value!r} is out of range") from None
