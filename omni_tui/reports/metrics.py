"""The report's figures, as a handful of aggregate queries over the store.

Every per-case figure comes from the conversation's report columns (kept with
the inbox summary), read through one covering index; message volume and channel
switch pairs come from tables kept as messages arrive (``daily_volume`` by
triggers, ``channel_switch`` with the summary). The queries run concurrently, each
on its own read connection, and the case query as slices of the range. Each
group's durations come back as one packed list, ordered by Python's sort (C code,
~10x faster than SQLite's sorter); medians over several groups are found by
bisecting their sorted lists, never by merging them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any, TypeVar

from omni_tui.reports.hours import duration_sql, offsets
from omni_tui.reports.model import (
    AGE_BUCKETS,
    Backlog,
    Durations,
    Group,
    Report,
    ReportQuery,
    SwitchPair,
    VolumeRow,
)
from omni_tui.store import Store, sqlite
from omni_tui.store.sqlite import AUTO_AUTHOR, DAY_MS

T = TypeVar("T")

_KEYS = {
    "channel": "c.first_inbound_channel",
    "agent": "c.assignee",
    "team": "coalesce(c.team, a.team)",
    "day": f"c.created_at / {DAY_MS}",
}


def _filters(query: ReportQuery, *, channel: bool = True) -> tuple[str, str, dict[str, Any]]:
    """The JOIN, the extra WHERE and the parameters of the case filters."""
    where, params = [], {}
    if channel and query.channel:
        where.append("c.first_inbound_channel = :channel")
        params["channel"] = query.channel
    if query.agent:
        where.append("c.assignee = :agent")
        params["agent"] = query.agent
    if query.team:
        where.append("coalesce(c.team, a.team) = :team")
        params["team"] = query.team
    join = "LEFT JOIN agent a ON a.name = c.assignee" if query.team or query.by == "team" else ""
    return join, "".join(f" AND {w}" for w in where), params


def _values(packed: str | None) -> list[int]:
    """A group's packed durations, in order (json's C parser: 4x ``int()`` per item)."""
    if not packed:
        return []
    values: list[int] = json.loads(f"[{packed}]")
    values.sort()
    return values


async def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    async with store.read() as session:
        conn = await session.connection()
        result = await conn.exec_driver_sql(sql, params)
        return [tuple(r) for r in result.all()]


#: The case query runs as this many slices of the range at once, one per core here:
#: its cost is SQLite's GROUP BY sort, and two half-size sorts on two connections
#: finish in about half the time.
SLICES = 2


@dataclass
class _Partial:
    """One group's figures from one slice of the range; slices add up."""

    cases: int = 0
    responses: list[list[int]] = field(default_factory=list)
    resolutions: list[list[int]] = field(default_factory=list)
    counts: list[int] = field(default_factory=lambda: [0] * 5)

    def add(self, row: tuple[Any, ...]) -> None:
        self.cases += row[1]
        self.responses.append(row[2])
        self.resolutions.append(row[3])
        self.counts = [a + b for a, b in zip(self.counts, row[4:], strict=True)]


async def _case_slice(store: Store, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """One slice's groups, durations unpacked as soon as it arrives (while the others
    are still in SQLite, which runs without the GIL)."""
    rows = await _rows(store, sql, params)
    return [(key, n, _values(a), _values(b), *rest) for key, n, a, b, *rest in rows]


def _slices(lo: int, hi: int) -> list[tuple[int, int]]:
    step = -(-(hi - lo) // SLICES)
    return [(a, min(a + step, hi)) for a in range(lo, hi, step)] or [(lo, hi)]


async def case_groups(store: Store, query: ReportQuery) -> tuple[Group, list[Group]]:
    """All cases created in the range, and one group per ``query.by`` value."""
    join, where, params = _filters(query)
    table = offsets(query.hours, *_hours_span(query)) if query.hours else []
    sql = sqlite.REPORT_CASES_SQL.format(
        key=_KEYS[query.by],
        join=join,
        where=where,
        response=duration_sql("c.first_inbound_at", "c.first_reply_at", query.hours, table),
        resolution=duration_sql("c.created_at", "c.resolved_at", query.hours, table),
    )
    slices = await asyncio.gather(
        *(
            _case_slice(store, sql, {"since": a, "until": b, **params})
            for a, b in _slices(query.since_ms, query.until_ms)
        )
    )
    partials: dict[Any, _Partial] = {}
    for row in chain.from_iterable(slices):
        partials.setdefault(row[0], _Partial()).add(row)
    groups, responses, resolutions = [], [], []
    totals = Group(key=None)
    for key, part in partials.items():
        responses += part.responses
        resolutions += part.resolutions
        if query.by == "day" and key is not None:
            key = (date(1970, 1, 1) + timedelta(days=int(key))).isoformat()
        group = Group(
            key, part.cases, Durations.of_runs(part.responses), Durations.of_runs(part.resolutions)
        )
        resolved, reopened, switches, switched, other = part.counts
        group.resolved, group.reopened = resolved, reopened
        group.channel_switches, group.cases_with_switches = switches, switched
        group.answered_on_other_channel = other
        groups.append(group)
        for name in ("cases", "resolved", "reopened", "channel_switches"):
            setattr(totals, name, getattr(totals, name) + getattr(group, name))
        totals.cases_with_switches += switched
        totals.answered_on_other_channel += other
    totals.first_response = Durations.of_runs(responses)
    totals.resolution = Durations.of_runs(resolutions)
    groups.sort(key=lambda g: (g.key is None, g.key or ""))
    return totals, groups


async def _volume(store: Store, query: ReportQuery) -> list[VolumeRow]:
    join, where, params = _filters(query, channel=False)
    first = query.since_ms // DAY_MS
    params |= {"first_day": first, "last_day": first + query.days - 1}
    if query.channel:
        params["channel"] = query.channel
    if not where:
        channel = "AND channel = :channel" if query.channel else ""
        sql = sqlite.REPORT_DAILY_VOLUME_SQL.format(channel=channel)
        return [
            VolumeRow(date(1970, 1, 1) + timedelta(days=d), channel, inbound, outbound)
            for d, channel, inbound, outbound in await _rows(store, sql, params)
        ]
    scope = f"AND m.conversation_id IN (SELECT c.id FROM conversation c {join} WHERE 1 {where})"
    if query.channel:
        scope += " AND m.channel = :channel"
    sql = sqlite.REPORT_VOLUME_SQL.format(day=DAY_MS, auto=AUTO_AUTHOR, scope=scope)
    return [
        VolumeRow(date(1970, 1, 1) + timedelta(days=d), channel, inbound, outbound)
        for d, packed in await _rows(store, sql, params)
        for channel, inbound, outbound in sorted(json.loads(packed))
        if inbound or outbound
    ]


async def _pairs(store: Store, query: ReportQuery) -> list[SwitchPair]:
    join, where, params = _filters(query)
    sql = sqlite.REPORT_PAIRS_SQL.format(join=join, where=where)
    params |= {"since": query.since_ms, "until": query.until_ms}
    return [SwitchPair(a, b, n) for a, b, n in await _rows(store, sql, params)]


async def _backlog(store: Store, query: ReportQuery) -> Backlog:
    join, where, params = _filters(query)
    now = int(query.now.timestamp() * 1000)
    age = f"({now} - c.created_at)"
    buckets = ", ".join(
        f"sum({age} >= {lo * 1000}" + (f" AND {age} < {hi * 1000})" if hi else ")")
        if lo
        else f"sum({age} < {hi * 1000})"
        for _, lo, hi in AGE_BUCKETS
    )
    sql = sqlite.REPORT_BACKLOG_SQL.format(buckets=buckets, join=join, where=where, now=now)
    rows = await _rows(store, sql, params)
    by_age = tuple(
        (name, sum(row[2 + i] for row in rows)) for i, (name, _, _) in enumerate(AGE_BUCKETS)
    )
    return Backlog(sum(r[1] for r in rows), by_age, tuple((r[0], r[1]) for r in rows))


#: Offsets are tabled this far around the range: replies and resolutions come later.
_YEAR = timedelta(days=400)
#: what the business-hours table may cover: no message is older, and the last year
#: datetime can count in is 9999
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _hours_span(query: ReportQuery) -> tuple[datetime, datetime]:
    """The range and a year either side of it (a case may start before it and end
    after), kept within what the table can cover."""
    since, now = _day(query.since), query.now
    lo = since - _YEAR if since - _EARLIEST > _YEAR else _EARLIEST
    hi = now + _YEAR if _LATEST - now > _YEAR else _LATEST
    return max(lo, _EARLIEST), max(hi, lo)


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def build_report(store: Store, query: ReportQuery) -> Report:
    """Every figure of the report for ``query``; the queries run side by side."""
    timings: dict[str, float] = {}

    async def timed(name: str, run: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            return await run()
        finally:
            timings[name] = round((time.perf_counter() - started) * 1000, 1)

    (totals, groups), volume, pairs, backlog = await asyncio.gather(
        timed("cases", lambda: case_groups(store, query)),
        timed("volume", lambda: _volume(store, query)),
        timed("channel_switches", lambda: _pairs(store, query)),
        timed("backlog", lambda: _backlog(store, query)),
    )
    return Report(query, totals, groups, volume, backlog, pairs, timings)
