"""Who the customer is, and everything they ever sent us, on every channel."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from omni_tui.tui import format as fmt
from omni_tui.tui.customer.timeline import Timeline
from omni_tui.tui.pane import Pane


def profile(data: dict[str, Any]) -> Text:
    out = Text()
    # "customer 3", as `omni-tui customer show 3` takes it; "#3" would read as a case
    if data["name"]:
        out.append_text(fmt.safe_line(data["name"], "bold"))
        out.append(f"  customer {data['id']}", style="dim")
    else:
        out.append(f"customer {data['id']}", style="bold")
    if data.get("opted_out"):
        out.append("  SMS opted out", style="bold red")
    for identity in data["identities"]:
        out.append("\n")
        out.append_text(fmt.badge(identity["channel"]))
        out.append(" ")
        out.append_text(fmt.safe_line(identity["address"]))
    if data["tags"]:
        out.append("\n")
        out.append(" ".join(f"#{t}" for t in data["tags"]), style="italic")
    if data["note"]:
        out.append("\n")
        out.append_text(fmt.safe(data["note"], "italic"))
    cases = data["case_counts"]
    out.append(f"\n{cases['open']} open / {cases['total']} cases", style="dim")
    for s in data["suggestions"]:
        out.append("\n⚑ ", style="bold yellow")
        out.append_text(fmt.safe_line(s["reason"]))
        out.append("  (L to link, D to dismiss)", style="dim")
    return out


HISTORY_TITLE = "History — every channel"


class CustomerPanel(Pane):
    data: dict[str, Any] | None = None
    _active: int | None = None
    _title = HISTORY_TITLE

    def compose(self) -> ComposeResult:
        yield Static("", id="customer-profile")
        yield Static(HISTORY_TITLE, id="history-title", classes="pane-title")
        yield Timeline(id="timeline")

    def show(self, data: dict[str, Any], active_conversation: int | None) -> None:
        if self.data == data and self._active == active_conversation:
            return  # a repaint with nothing new: keep the timeline and its cursor
        timeline = self.query_one(Timeline)
        same = self.data is not None and self.data["id"] == data["id"]
        keep = timeline.current_message if same else None
        self.data, self._active = data, active_conversation
        self.query_one("#customer-profile", Static).update(profile(data))
        shown, total = len(data["history"]), data.get("history_total", len(data["history"]))
        title = HISTORY_TITLE
        if total > shown:  # short enough for the pane: older ones load going up
            title = f"History — latest {shown} of {total} ↑"
        if title != self._title:
            self._title = title
            self.query_one("#history-title", Static).update(title)
        timeline.more = total > shown
        timeline.show(data["history"], active_conversation, keep)
