"""The report's figures, as a handful of aggregate queries over the store.

Every per-case figure comes from the conversation's report columns (kept with
the inbox summary), read through one covering index; message volume is one
index-range count per day and channel. The queries run concurrently, each on
its own read connection. Each group's durations come back as one packed list
and are ordered by Python's sort (C code, ~10x faster than SQLite's sorter);
Python then only walks the groups.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any, TypeVar

from omni_tui.reports.hours import DAY_MS, duration_sql, offsets
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
from omni_tui.store.sqlite import AUTO_AUTHOR

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


async def case_groups(store: Store, query: ReportQuery) -> tuple[Group, list[Group]]:
    """All cases created in the range, and one group per ``query.by`` value."""
    join, where, params = _filters(query)
    table = (
        offsets(query.hours, _day(query.since) - _YEAR, query.now + _YEAR) if query.hours else []
    )
    sql = sqlite.REPORT_CASES_SQL.format(
        key=_KEYS[query.by],
        join=join,
        where=where,
        response=duration_sql("c.first_inbound_at", "c.first_reply_at", query.hours, table),
        resolution=duration_sql("c.created_at", "c.resolved_at", query.hours, table),
    )
    rows = await _rows(store, sql, {"since": query.since_ms, "until": query.until_ms, **params})
    groups, responses, resolutions = [], [], []
    totals = Group(key=None)
    for key, cases, response, resolution, resolved, reopened, switches, switched, other in rows:
        times, spans = _values(response), _values(resolution)
        responses.append(times)
        resolutions.append(spans)
        if query.by == "day" and key is not None:
            key = (date(1970, 1, 1) + timedelta(days=int(key))).isoformat()
        group = Group(key, cases, Durations.of(times), Durations.of(spans))
        group.resolved, group.reopened = resolved, reopened
        group.channel_switches, group.cases_with_switches = switches, switched
        group.answered_on_other_channel = other
        groups.append(group)
        for name in ("cases", "resolved", "reopened", "channel_switches"):
            setattr(totals, name, getattr(totals, name) + getattr(group, name))
        totals.cases_with_switches += switched
        totals.answered_on_other_channel += other
    # the groups' lists are sorted runs: merging them is cheap
    totals.first_response = Durations.of(sorted(chain.from_iterable(responses)))
    totals.resolution = Durations.of(sorted(chain.from_iterable(resolutions)))
    groups.sort(key=lambda g: (g.key is None, g.key or ""))
    return totals, groups


async def _volume(store: Store, query: ReportQuery) -> list[VolumeRow]:
    join, where, params = _filters(query, channel=False)
    scope = ""
    if where:
        scope = f"AND m.conversation_id IN (SELECT c.id FROM conversation c {join} WHERE 1 {where})"
    if query.channel:
        scope += " AND m.channel = :channel"
        params["channel"] = query.channel
    sql = sqlite.REPORT_VOLUME_SQL.format(day=DAY_MS, auto=AUTO_AUTHOR, scope=scope)
    first = query.since_ms // DAY_MS
    params |= {"first_day": first, "last_day": first + query.days - 1}
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
    age = f"({int(query.now.timestamp() * 1000)} - c.created_at)"
    buckets = ", ".join(
        f"sum({age} >= {lo * 1000}" + (f" AND {age} < {hi * 1000})" if hi else ")")
        if lo
        else f"sum({age} < {hi * 1000})"
        for _, lo, hi in AGE_BUCKETS
    )
    sql = sqlite.REPORT_BACKLOG_SQL.format(buckets=buckets, join=join, where=where)
    rows = await _rows(store, sql, params)
    by_age = tuple(
        (name, sum(row[2 + i] for row in rows)) for i, (name, _, _) in enumerate(AGE_BUCKETS)
    )
    return Backlog(sum(r[1] for r in rows), by_age, tuple((r[0], r[1]) for r in rows))


#: Offsets are tabled this far around the range: replies and resolutions come later.
_YEAR = timedelta(days=400)


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
