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

    class Earlier(Message):
        """The cursor reached the oldest message loaded, and there are older ones."""

    more = False  # older messages exist beyond the ones shown

    def show(
        self,
        history: list[dict[str, Any]],
        active_conversation: int | None,
        keep: int | None = None,
    ) -> None:
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
            ids = [m["id"] for m in history]
            self.highlighted = ids.index(keep) if keep in ids else len(options) - 1

    @on(OptionList.OptionHighlighted)
    def _near_the_top(self, event: OptionList.OptionHighlighted) -> None:
        if self.more and event.option_index < 3:
            self.more = False  # one request at a time; the next show() says again
            self.post_message(self.Earlier())

    @property
    def current_message(self) -> int | None:
        if self.highlighted is None:
            return None
        return self._targets[self.get_option_at_index(self.highlighted).id or ""][1]

    @on(OptionList.OptionSelected)
    def _jump(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        target = self._targets.get(event.option.id or "")
        if target:
            self.post_message(self.Jump(*target))


class CustomerPanel(Vertical):
    data: dict[str, Any] | None = None
    _active: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="customer-profile")
        yield Static("History — every channel", id="history-title", classes="pane-title")
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
        title = "History — every channel"
        if total > shown:
            title += f" (latest {shown} of {total}; older ones load as you go up)"
        self.query_one("#history-title", Static).update(title)
        timeline.more = total > shown
        timeline.show(data["history"], active_conversation, keep)
