"""``omni-tui stats``: the reports of the console's reports screen, for scripts."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, date, datetime

from omni_tui import queries
from omni_tui.cli import output
from omni_tui.cli.commands import Context, command
from omni_tui.cli.context import YEARS, UsageError, iso_time

DEFAULT_DAYS = 30
#: a report reaches the day after its last one
LAST_DAY = date(YEARS[1], 12, 31)


def _day(flag: str, value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag}: {value!r} is not a date — write it as YYYY-MM-DD") from None
    return _in_range(flag, day)


def _in_range(flag: str, day: date) -> date:
    if day > LAST_DAY:
        raise UsageError(f"{flag}: {day} is out of range — use a day up to {LAST_DAY}")
    return day


def _now(value: str | None) -> datetime:
    return iso_time("--now", value) if value else datetime.now(UTC)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


@command("stats")
async def stats(ctx: Context) -> int:
    from omni_tui.reports import ReportQuery, build_report, report_csv, report_json
    from omni_tui.reports.hours import configured_hours
    from omni_tui.reports.shape import duration

    a = ctx.args
    now = _now(a.now)
    until = _day("--until", a.until) if a.until else _in_range("--now", now.astimezone(UTC).date())
    first = date.fromordinal(max(1, until.toordinal() - (DEFAULT_DAYS - 1)))  # not before year 1
    since = _day("--since", a.since) if a.since else first
    if since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    query = ReportQuery(
        since=since,
        until=until,
        now=now,
        by=a.by,
        channel=a.channel,
        team=a.team,
        agent=a.agent,
        hours=configured_hours(ctx.config) if a.business_hours else None,
    )
    async with await ctx.open() as store:
        if query.agent:  # "ben" is Ben, as assign takes it
            query = replace(query, agent=await queries.agent_named(store, query.agent))
        report = await build_report(store, query)
    if a.json:
        output.emit_json(report_json(report))
        return 0
    if a.csv:
        sys.stdout.write(report_csv(report))
        return 0
    print(f"{since} – {until}: {report.totals.cases} cases")
    rows = [(g.key or "-", g) for g in report.groups] + [("all", report.totals)]
    output.table(
        [a.by.upper(), "CASES", "FIRST RESPONSE (MEDIAN/P90)", "RESOLUTION", "REOPEN", "SWITCHES"],
        [
            [
                label,
                g.cases,
                f"{duration(g.first_response.median_s)} / {duration(g.first_response.p90_s)}",
                f"{duration(g.resolution.median_s)} / {duration(g.resolution.p90_s)}",
                _share(g.reopen_rate),
                g.channel_switches,
            ]
            for label, g in rows
        ],
    )
    backlog = report.backlog
    ages = "  ".join(f"{name} {count}" for name, count in backlog.by_age)
    print(f"backlog {backlog.total}: {ages}")
    share = _share(report.totals.answered_on_other_channel_share)
    print(f"answered on another channel than the customer wrote on: {share}")
    return 0
