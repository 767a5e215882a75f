"""The report as JSON and CSV: stable snake_case names, documented in README "Reports"."""

from __future__ import annotations

import csv
import io
from typing import Any

from omni_tui.reports.model import AGE_BUCKETS, Durations, Group, Report
from omni_tui.routing import DAYS


def duration(seconds: float | None) -> str:
    """A response or resolution time for people: 42m, 3.5h, 2.1d."""
    if seconds is None:
        return "-"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f}m"
    hours = minutes / 60
    return f"{hours:.1f}h" if hours < 48 else f"{hours / 24:.1f}d"


CSV_COLUMNS = (
    "group",
    "cases",
    "first_response_count",
    "first_response_median_s",
    "first_response_p90_s",
    "resolution_count",
    "resolution_median_s",
    "resolution_p90_s",
    "resolved",
    "reopened",
    "reopen_rate",
    "channel_switches",
    "cases_with_switches",
    "answered_on_other_channel",
    "answered_on_other_channel_share",
)


def _durations(d: Durations) -> dict[str, Any]:
    return {"count": d.count, "median_s": d.median_s, "p90_s": d.p90_s}


def group_json(group: Group) -> dict[str, Any]:
    return {
        "group": group.key,
        "cases": group.cases,
        "first_response": _durations(group.first_response),
        "resolution": _durations(group.resolution),
        "resolved": group.resolved,
        "reopened": group.reopened,
        "reopen_rate": group.reopen_rate,
        "channel_switches": group.channel_switches,
        "cases_with_switches": group.cases_with_switches,
        "answered_on_other_channel": group.answered_on_other_channel,
        "answered_on_other_channel_share": group.answered_on_other_channel_share,
    }


def report_json(report: Report) -> dict[str, Any]:
    q, totals = report.query, report.totals
    hours = q.hours
    return {
        "range": {"since": q.since.isoformat(), "until": q.until.isoformat(), "days": q.days},
        "now": q.now.isoformat().replace("+00:00", "Z"),  # as every time in the JSON
        "filters": {"channel": q.channel, "team": q.team, "agent": q.agent},
        "clock": "business" if hours else "wall",
        "business_hours": None
        if hours is None
        else {
            "timezone": hours.timezone,
            "days": [DAYS[d] for d in hours.days],
            "start": hours.start.strftime("%H:%M"),
            "end": hours.end.strftime("%H:%M"),
        },
        "by": q.by,
        "cases": totals.cases,
        "first_response": _durations(totals.first_response),
        "resolution": _durations(totals.resolution),
        "resolved": totals.resolved,
        "reopened": totals.reopened,
        "reopen_rate": totals.reopen_rate,
        "channel_switches": {
            "switches": totals.channel_switches,
            "cases_with_switches": totals.cases_with_switches,
            "per_case": round(totals.channel_switches / totals.cases, 4) if totals.cases else None,
            "pairs": [
                {"from": p.source, "to": p.target, "count": p.count} for p in report.switch_pairs
            ],
        },
        "answered_on_other_channel": totals.answered_on_other_channel,
        "answered_on_other_channel_share": totals.answered_on_other_channel_share,
        "groups": [group_json(g) for g in report.groups],
        "volume": [
            {
                "day": v.day.isoformat(),
                "channel": v.channel,
                "inbound": v.inbound,
                "outbound": v.outbound,
            }
            for v in report.volume
        ],  # fmt: skip
        "backlog": {
            "total": report.backlog.total,
            "by_age": [
                {"bucket": name, "min_s": lo, "max_s": hi, "count": count}
                for (name, lo, hi), (_, count) in zip(
                    AGE_BUCKETS, report.backlog.by_age, strict=True
                )
            ],
            "by_assignee": [{"assignee": a, "count": n} for a, n in report.backlog.by_assignee],
        },
    }


def csv_row(group: Group) -> list[Any]:
    data = group_json(group)
    flat: dict[str, Any] = {**data}
    for name in ("first_response", "resolution"):
        for part, value in flat.pop(name).items():
            flat[f"{name}_{part}"] = value
    return [_cell(flat[c]) for c in CSV_COLUMNS]


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell that starts with = + - @ as a formula: an agent or team
    named ``=HYPERLINK(…)`` is written as text (OWASP's CSV injection advice)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: Report) -> str:
    """One row per group of ``--by``, after a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in report.groups:
        writer.writerow(csv_row(group))
    return out.getvalue()
