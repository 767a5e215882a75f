"""What a report asks and what it answers: plain dataclasses, no database, no UI."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from omni_tui.routing import BusinessHours

GROUPINGS = ("channel", "agent", "team", "day")


#: Backlog age buckets: (name, from seconds inclusive, to seconds exclusive or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("<1h", 0, 3_600),
    ("1-4h", 3_600, 14_400),
    ("4-24h", 14_400, 86_400),
    ("1-3d", 86_400, 259_200),
    ("3-7d", 259_200, 604_800),
    (">7d", 604_800, None),
)


@dataclass(frozen=True)
class ReportQuery:
    """A date range of whole UTC days (both ends included) and optional filters."""

    since: date
    until: date
    now: datetime
    by: str = "channel"
    channel: str | None = None  #: cases that arrived on it; messages sent on it
    team: str | None = None  #: the case's team, or its assignee's team
    agent: str | None = None  #: the case's assignee
    hours: BusinessHours | None = None  #: count durations in these business hours

    @classmethod
    def last_days(cls, days: int, now: datetime | None = None, **kw: object) -> ReportQuery:
        """The ``days`` UTC days up to and including today."""
        now = now or datetime.now(UTC)
        until = now.astimezone(UTC).date()
        return cls(since=until - timedelta(days=days - 1), until=until, now=now, **kw)  # type: ignore[arg-type]

    @property
    def since_ms(self) -> int:
        return _day_ms(self.since)

    @property
    def until_ms(self) -> int:
        """The end of the range, exclusive: midnight after ``until``."""
        return _day_ms(self.until + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def _day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Durations:
    """How long something took over a set of cases, in seconds."""

    count: int
    median_s: float | None
    p90_s: float | None

    @classmethod
    def of(cls, values_ms: list[int]) -> Durations:
        """``values_ms`` sorted ascending. Median: the middle value, or the mean of the
        two middle ones; p90: nearest rank, the value at rank ⌈0.9·n⌉."""
        return cls.of_runs([values_ms])

    @classmethod
    def of_runs(cls, runs: list[list[int]]) -> Durations:
        """The same over several sorted runs of whole milliseconds, without merging them:
        each rank is found by bisecting the value range (a few thousand bisects where a
        merge of half a million values would take a quarter of a second)."""
        runs = [r for r in runs if r]
        n = sum(map(len, runs))
        if n == 0:
            return cls(0, None, None)
        mid = n // 2
        if n % 2:
            median: float = _rank(runs, mid)
        else:
            median = (_rank(runs, mid - 1) + _rank(runs, mid)) / 2
        p90 = _rank(runs, math.ceil(0.9 * n) - 1)
        return cls(n, round(median / 1000, 3), round(p90 / 1000, 3))


def _rank(runs: list[list[int]], k: int) -> int:
    """The ``k``-th smallest value (from 0) of sorted runs of integers."""
    if len(runs) == 1:
        return runs[0][k]
    lo, hi = min(r[0] for r in runs), max(r[-1] for r in runs)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(bisect_right(r, mid) for r in runs) > k:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass
class Group:
    """The case figures of one group (a channel, agent, team or day) or of them all."""

    key: str | None
    cases: int = 0
    first_response: Durations = field(default_factory=lambda: Durations(0, None, None))
    resolution: Durations = field(default_factory=lambda: Durations(0, None, None))
    resolved: int = 0  #: cases resolved at least once
    reopened: int = 0  #: of those, reopened afterwards
    channel_switches: int = 0
    cases_with_switches: int = 0
    answered_on_other_channel: int = 0

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.resolved)

    @property
    def answered_on_other_channel_share(self) -> float | None:
        return _share(self.answered_on_other_channel, self.first_response.count)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class VolumeRow:
    day: date
    channel: str
    inbound: int
    outbound: int


@dataclass(frozen=True)
class Backlog:
    """Unresolved cases (open, pending, snoozed) at the report's ``now``."""

    total: int
    by_age: tuple[tuple[str, int], ...]
    by_assignee: tuple[tuple[str | None, int], ...]


@dataclass(frozen=True)
class SwitchPair:
    source: str
    target: str
    count: int


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    totals: Group
    groups: list[Group]
    volume: list[VolumeRow]
    backlog: Backlog
    switch_pairs: list[SwitchPair]
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
