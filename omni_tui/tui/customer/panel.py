"""Who the customer is, and everything they ever sent us, on every channel."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from omni_tui.tui import format as fmt


def profile(data: dict[str, Any]) -> Text:
    out = Text()
    out.append_text(fmt.safe_line(data["name"] or f"customer #{data['id']}", "bold"))
    out.append(f"  #{data['id']}", style="dim")
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
    open_cases = [c for c in data["conversations"] if c["status"] != "resolved"]
    out.append(f"\n{len(open_cases)} open / {len(data['conversations'])} cases", style="dim")
    for s in data["suggestions"]:
        out.append("\n⚑ ", style="bold yellow")
        out.append_text(fmt.safe_line(s["reason"]))
        out.append("  (L to link, D to dismiss)", style="dim")
    return out


class Timeline(OptionList):
    """The customer's messages across all cases, oldest first; enter jumps there."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="timeline.down"),
        Binding("k", "cursor_up", "Up", show=False, id="timeline.up"),
        Binding("g", "first", "First", show=False, id="timeline.first"),
        Binding("G", "last", "Last", show=False, id="timeline.last"),
    ]

    class Jump(Message):
        def __init__(self, conversation_id: int, message_id: int) -> None:
            super().__init__()
            self.conversation_id, self.message_id = conversation_id, message_id

    def show(self, history: list[dict[str, Any]], active_conversation: int | None) -> None:
        self.clear_options()
        self._targets: dict[str, tuple[int, int]] = {}
        options = []
        for m in history:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{fmt.when(m['sent_at']):>15} ", style="dim")
            channel = m["channel"] if m["direction"] != "note" else "note"
            line.append(fmt.SHORT.get(channel, "?"), style=fmt.channel_style(channel))
            line.append({"in": " ← ", "out": " → ", "note": " ✎ "}[m["direction"]])
            line.append_text(fmt.safe_line(m["text"]))
            if m["conversation_id"] != active_conversation:
                line.stylize("dim")
            line.truncate(max(20, self.scrollable_content_region.width - 1), overflow="ellipsis")
            key = f"m{m['id']}"
            self._targets[key] = (m["conversation_id"], m["id"])
            options.append(Option(line, id=key))
        self.add_options(options)
        if options:
            self.highlighted = len(options) - 1

    @on(OptionList.OptionSelected)
    def _jump(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        target = self._targets.get(event.option.id or "")
        if target:
            self.post_message(self.Jump(*target))


class CustomerPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", id="customer-profile")
        yield Static("History — every channel", id="history-title", classes="pane-title")
        yield Timeline(id="timeline")

    def show(self, data: dict[str, Any], active_conversation: int | None) -> None:
        self.data = data
        self.query_one("#customer-profile", Static).update(profile(data))
        shown, total = len(data["history"]), data.get("history_total", len(data["history"]))
        title = "History — every channel"
        if total > shown:
            title += f" (latest {shown} of {total}; `omni-tui customer show` has all)"
        self.query_one("#history-title", Static).update(title)
        self.query_one(Timeline).show(data["history"], active_conversation)
