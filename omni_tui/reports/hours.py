"""Business time between two instants, as SQL arithmetic.

``B(t)`` is the business milliseconds from the local epoch up to ``t``:
whole weeks × the week's business days, the business days of the part week,
and the part of ``t``'s own day inside opening hours. A duration in business
time is ``B(end) - B(start)``, exact across weekends and, through a per-range
table of UTC offsets, across daylight-saving changes. It runs inside the
aggregate query, so no row ever reaches Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from omni_tui.errors import ConfigError
from omni_tui.routing import BusinessHours
from omni_tui.store.sqlite import DAY_MS

if TYPE_CHECKING:
    from omni_tui.config import Config

#: 1970-01-01, day 0 of the epoch, was a Thursday (Monday = 0).
EPOCH_WEEKDAY = 3


def _ms_of_day(hours: BusinessHours, which: str) -> int:
    clock = hours.start if which == "start" else hours.end
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * 1000


def offsets(hours: BusinessHours, lo: datetime, hi: datetime) -> list[tuple[int, int]]:
    """``(from_ms, utc_offset_ms)`` for every offset in force between ``lo`` and ``hi``."""
    zone = ZoneInfo(hours.timezone)

    def offset_at(ms: int) -> int:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone)
        delta = moment.utcoffset() or timedelta(0)
        return int(delta.total_seconds() * 1000)

    start, stop = int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)
    table = [(start, offset_at(start))]
    step = DAY_MS
    at = start
    while at < stop:
        nxt = min(at + step, stop)
        if offset_at(nxt) != table[-1][1]:
            low, high = at, nxt  # the change lies in (low, high]: find its minute
            while high - low > 60_000:
                mid = (low + high) // 2
                low, high = (mid, high) if offset_at(mid) == table[-1][1] else (low, mid)
            table.append((high, offset_at(high)))
        at = nxt
    return table


def local_sql(column: str, table: list[tuple[int, int]]) -> str:
    """``column`` (UTC ms) shifted to local wall-clock ms."""
    if len(table) == 1:
        return f"({column} + {table[0][1]})" if table[0][1] else column
    # offset i holds from transition i until transition i + 1
    branches = " ".join(
        f"WHEN {column} < {table[i + 1][0]} THEN {table[i][1]}" for i in range(len(table) - 1)
    )
    return f"({column} + CASE {branches} ELSE {table[-1][1]} END)"


def business_sql(column: str, hours: BusinessHours, table: list[tuple[int, int]]) -> str:
    """SQL for ``B(column)``: business ms from the local epoch up to ``column``."""
    start, end = _ms_of_day(hours, "start"), _ms_of_day(hours, "end")
    length = end - start
    week = [(EPOCH_WEEKDAY + k) % 7 in hours.days for k in range(7)]
    open_days = "".join("1" if w else "0" for w in week)
    before = "".join(str(sum(week[:k])) for k in range(7))
    local = local_sql(column, table)
    day = f"({local} / {DAY_MS})"
    into = f"({local} - {day} * {DAY_MS})"
    cycle = f"({day} % 7 + 1)"
    days_before = (
        f"({day} / 7 * {len(hours.days)} + CAST(substr('{before}', {cycle}, 1) AS INTEGER))"
    )
    today = (
        f"CAST(substr('{open_days}', {cycle}, 1) AS INTEGER)"
        f" * min(max({into} - {start}, 0), {length})"
    )
    return f"({days_before} * {length} + {today})"


def duration_sql(
    begin: str, end: str, hours: BusinessHours | None, table: list[tuple[int, int]]
) -> str:
    """Milliseconds from ``begin`` to ``end``: wall-clock, or business time with ``hours``."""
    if hours is None:
        return f"({end} - {begin})"
    return f"({business_sql(end, hours, table)} - {business_sql(begin, hours, table)})"


def configured_hours(config: Config) -> BusinessHours:
    """The ``[business_hours]`` of the routing rules file; Mon–Fri 09–17 UTC without one."""
    from omni_tui.routing import parse_rules

    path = config.routing.rules_path(config.source)
    if not path.exists():
        return BusinessHours()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read it ({exc})", "check the file") from None
    return parse_rules(text, path).hours
