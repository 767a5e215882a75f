"""The reports screen: volume per channel over time, response times, the team's table.

Figures come from :mod:`omni_tui.reports` in a worker, so the screen paints at
once and fills in; a result for a range or filter no longer chosen is dropped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static

from omni_tui.reports import Group, Report, ReportQuery, build_report, case_groups
from omni_tui.reports.shape import duration
from omni_tui.routing import BusinessHours
from omni_tui.store import Store
from omni_tui.store.models import CHANNELS
from omni_tui.tui import format as fmt
from omni_tui.tui.keybar import KeyBar

RANGES = (7, 30, 90)
TABLE_BY = ("agent", "team")
BAR = 10


def share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def response_bars(groups: list[Group]) -> Text:
    """One line per channel: median and p90 first response, a bar scaled to the slowest."""
    longest = max((g.first_response.median_s or 0 for g in groups), default=0) or 1
    text = Text(no_wrap=True, overflow="ellipsis")
    for g in groups:
        if g.key is None:
            continue
        median = g.first_response.median_s
        width = round(BAR * (median or 0) / longest)
        style = fmt.channel_style(g.key)
        text.append(f"{g.key:<6}", style=style)
        text.append(f" {duration(median):>5} p90 {duration(g.first_response.p90_s):>5} ")
        text.append("█" * width + "·" * (BAR - width) + "\n", style=style)
    text.rstrip()
    return text if text.plain else Text("no answered cases in this range", style="dim")


class ReportsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="reports.close"),
        Binding("7", "range(7)", "7 days", id="reports.range-7"),
        Binding("3", "range(30)", "30 days", id="reports.range-30"),
        Binding("9", "range(90)", "90 days", id="reports.range-90"),
        Binding("c", "next_channel", "Channel", tooltip="Filter by channel", id="reports.channel"),
        Binding("b", "next_table", "Agents/teams", id="reports.table"),
        Binding("h", "toggle_hours", "Business hours", id="reports.hours"),
    ]

    def __init__(
        self, store: Store, *, now: datetime | None = None, hours: BusinessHours | None = None
    ) -> None:
        super().__init__(id="reports")
        self.store = store
        self.now = now
        self.business = hours or BusinessHours()
        self.days = 30
        self.channel: str | None = None
        self.table_by = "agent"
        self.in_hours = False
        self.report: Report | None = None
        self.table_groups: list[Group] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="reports-title", classes="pane-title")
        with VerticalScroll(id="reports-body"):
            yield Static("loading…", id="reports-summary")
            with Horizontal(id="reports-charts"):
                with Vertical(id="reports-volume", classes="reports-box"):
                    yield Static("Inbound per day", classes="reports-heading")
                    for channel in CHANNELS[:3]:
                        with Horizontal(classes="reports-spark-row"):
                            yield Static(channel, classes="reports-spark-label")
                            yield Sparkline([], id=f"spark-{channel}", classes="reports-spark")
                            yield Static("", id=f"spark-total-{channel}", classes="reports-total")
                with Vertical(id="reports-response", classes="reports-box"):
                    yield Static("First response (median)", classes="reports-heading")
                    yield Static("", id="reports-bars")
            yield Static("", id="reports-backlog")
            yield DataTable(id="reports-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_report()

    def query_for(self) -> ReportQuery:
        return ReportQuery.last_days(
            self.days,
            now=self.now,
            by="channel",
            channel=self.channel,
            hours=self.business if self.in_hours else None,
        )

    def _state(self) -> tuple[object, ...]:
        return (self.days, self.channel, self.table_by, self.in_hours)

    @work(exclusive=True, group="reports", exit_on_error=False, description="Reports")
    async def refresh_report(self) -> None:
        wanted = self._state()
        query = self.query_for()
        self._title(query, loading=True)
        report = await build_report(self.store, query)
        _, groups = await case_groups(self.store, replace(query, by=self.table_by))
        if self._state() != wanted:
            return  # stale: another range or filter was chosen meanwhile
        self.report, self.table_groups = report, groups
        self._paint()

    def _title(self, query: ReportQuery, *, loading: bool = False) -> None:
        clock = "business hours" if query.hours else "wall clock"
        text = (
            f" Reports · {query.since} – {query.until} ({query.days} days)"
            f" · channel: {query.channel or 'all'} · {clock}" + (" · loading…" if loading else "")
        )
        self.query_one("#reports-title", Static).update(text)

    def _paint(self) -> None:
        report = self.report
        assert report is not None
        self._title(report.query)
        t = report.totals
        summary = Text()
        summary.append(f"{t.cases} case{'' if t.cases == 1 else 's'}", style="bold")
        summary.append(
            f" · first response {duration(t.first_response.median_s)}"
            f" (p90 {duration(t.first_response.p90_s)})"
            f" · resolution {duration(t.resolution.median_s)}"
            f" (p90 {duration(t.resolution.p90_s)})"
            f" · reopened {share(t.reopen_rate)}"
            f" · {t.channel_switches} channel switches"
            f" · answered on another channel {share(t.answered_on_other_channel_share)}"
        )
        self.query_one("#reports-summary", Static).update(summary)
        for channel in CHANNELS[:3]:
            series = [0] * report.query.days
            for row in report.volume:
                if row.channel == channel:
                    series[(row.day - report.query.since).days] = row.inbound
            self.query_one(f"#spark-{channel}", Sparkline).data = series
            total = f"{sum(series):>5}"
            self.query_one(f"#spark-total-{channel}", Static).update(total)
        self.query_one("#reports-bars", Static).update(response_bars(report.groups))
        backlog = Text(f"Backlog {report.backlog.total}: ", style="bold")
        backlog.append("  ".join(f"{name} {count}" for name, count in report.backlog.by_age))
        self.query_one("#reports-backlog", Static).update(backlog)
        self._table(report)

    def _table(self, report: Report) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(
            self.table_by.title(), "Cases", "1st resp", "p90", "Resolve", "p90", "Reopen", "Open"
        )
        open_by = dict(report.backlog.by_assignee)
        for g in self.table_groups:
            label = fmt.safe_line(g.key or ("(unassigned)" if self.table_by == "agent" else "-"))
            table.add_row(
                label,
                str(g.cases),
                duration(g.first_response.median_s),
                duration(g.first_response.p90_s),
                duration(g.resolution.median_s),
                duration(g.resolution.p90_s),
                share(g.reopen_rate),
                str(open_by.get(g.key, 0)) if self.table_by == "agent" else "",
            )

    def action_range(self, days: int) -> None:
        self.days = days
        self.refresh_report()

    def action_next_channel(self) -> None:
        order = [None, *CHANNELS[:3]]
        self.channel = order[(order.index(self.channel) + 1) % len(order)]
        self.refresh_report()

    def action_next_table(self) -> None:
        self.table_by = TABLE_BY[(TABLE_BY.index(self.table_by) + 1) % len(TABLE_BY)]
        self.refresh_report()

    def action_toggle_hours(self) -> None:
        self.in_hours = not self.in_hours
        self.refresh_report()

    def action_close(self) -> None:
        self.dismiss(None)
