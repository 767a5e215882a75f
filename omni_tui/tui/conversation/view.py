"""The active conversation: header, messages (quotes folded), delivery status."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from omni_tui.text_parts import split_parts
from omni_tui.tui import format as fmt


def render_message(m: dict[str, Any], expanded: bool) -> Text:
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append_text(fmt.badge(m["channel"] if m["direction"] != "note" else "note"))
    head.append(" ")
    if m["direction"] == "in":
        head.append("← ", style="bold")
        head.append_text(fmt.safe_line(m["sender_name"] or m["sender"]))
        if m["sender_name"]:
            head.append(" <", style="dim")
            head.append_text(fmt.safe_line(m["sender"], "dim"))
            head.append(">", style="dim")
    elif m["direction"] == "out":
        head.append("→ ", style="bold")
        head.append_text(fmt.safe_line(m["author"] or m["sender"]))
        head.append(" to ", style="dim")
        head.append_text(fmt.safe_line(", ".join(m["recipients"])))
    else:
        head.append_text(fmt.safe_line(m["author"] or m["sender"]))
        head.append(" (private)", style="dim")
    head.append(f"  {fmt.when(m['sent_at'])}", style="dim")
    if m["direction"] == "out":
        head.append("  ")
        head.append_text(status_text(m))
    body = Text()
    if m.get("subject") and m["channel"] == "email":
        body.append("Subject: ", style="dim")
        body.append_text(fmt.safe_line(m["subject"]))
        body.append("\n")
    parts = split_parts(m["text"] or "")
    body.append_text(fmt.safe(parts.body if not expanded else m["text"]))
    hidden = [p for p in (parts.signature, parts.quoted) if p]
    if hidden and not expanded:
        lines = sum(p.count("\n") + 1 for p in hidden)
        body.append(f"\n··· {lines} quoted/signature lines (x to expand)", style="dim italic")
    for a in m["attachments"]:
        body.append("\n📎 ")
        body.append_text(fmt.safe_line(a["filename"]))
        body.append(f"  {a['content_type']}  {_size(a['size'])}", style="dim")
        if a["skipped_reason"]:
            body.append(f"  not downloaded: {a['skipped_reason']}", style="yellow")
    if m.get("context"):
        for key, value in m["context"].items():
            body.append("\n")
            body.append(f"{key}: ", style="dim")
            body.append_text(fmt.safe_line(str(value)))
    return Text("\n").join([head, body])


def status_text(m: dict[str, Any]) -> Text:
    style = {"failed": "bold red", "queued": "yellow", "delivered": "green", "sent": "green"}
    out = Text(m["status"], style=style.get(m["status"], "dim"))
    if m.get("status_reason"):
        out.append(": ")
        out.append_text(fmt.safe_line(m["status_reason"]))
    return out


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n} {unit}"
        n //= 1024
    return f"{n} GB"


WINDOW = 30  # cards painted at once; k past the first one paints the earlier ones


class MessageCard(Static, can_focus=False):
    """One message; its classes tell the sheet its direction and channel."""

    expanded: reactive[bool] = reactive(False)

    def __init__(self, message: dict[str, Any]) -> None:
        classes = f"message -{message['direction']} -channel-{message['channel']}"
        super().__init__(id=f"message-{message['id']}", classes=classes)
        self.message = message
        self._rendered: tuple[dict[str, Any], bool, Text] | None = None

    def render(self) -> Text:
        # layout measures a card before painting it: build the text once, not per pass
        cached = self._rendered
        if cached is None or cached[0] is not self.message or cached[1] != self.expanded:
            cached = self._rendered = (
                self.message,
                self.expanded,
                render_message(self.message, self.expanded),
            )
        return cached[2]


class ConversationView(VerticalScroll, can_focus=True):
    """Messages of the active case, oldest first; j/k walk them."""

    BINDINGS = [
        Binding("j,down", "move(1)", "Next message", show=False, id="conversation.next"),
        Binding("k,up", "move(-1)", "Previous message", show=False, id="conversation.previous"),
        Binding("g", "edge(0)", "First message", show=False, id="conversation.first"),
        Binding("G", "edge(-1)", "Last message", show=False, id="conversation.last"),
        Binding(
            "x",
            "toggle_quotes",
            "Quotes",
            tooltip="Show or fold quoted text",
            id="conversation.quotes",
        ),
    ]

    class MessageChosen(Message):
        def __init__(self, message: dict[str, Any] | None) -> None:
            super().__init__()
            self.message = message

    cursor: reactive[int] = reactive(-1, init=False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.data: dict[str, Any] | None = None
        self._first = 0  # index in data["messages"] of the first card painted

    def compose(self) -> ComposeResult:
        yield Static("Select a conversation (enter in the inbox).", id="conversation-empty")
        yield Static(id="conversation-header")
        yield Static("", id="conversation-replying")
        yield Static(id="conversation-earlier")

    @property
    def cards(self) -> list[MessageCard]:
        return list(self.query(MessageCard))

    @property
    def current(self) -> dict[str, Any] | None:
        cards = self.cards
        return cards[self.cursor].message if 0 <= self.cursor < len(cards) else None

    async def show(self, data: dict[str, Any], focus_message: int | None = None) -> None:
        same = self.data is not None and self.data["id"] == data["id"]
        keep = self.current["id"] if same and self.current else None
        self.data = data
        messages = data["messages"]
        wanted = focus_message or keep
        all_ids = [m["id"] for m in messages]
        first = max(0, len(messages) - WINDOW)  # a long thread paints its latest part
        if same:
            first = min(first, self._first)  # earlier cards the agent paged to stay
        if wanted in all_ids:
            first = min(first, all_ids.index(wanted))
        await self._paint(messages[first:], first, same)
        ids = [m["id"] for m in messages[first:]]
        self.cursor = ids.index(wanted) if wanted in ids else len(ids) - 1
        self.watch_cursor()

    async def _paint(self, shown: list[dict[str, Any]], first: int, same: bool) -> None:
        assert self.data is not None
        self.add_class("-open")
        self._header(self.data)
        earlier = self.query_one("#conversation-earlier", Static)
        earlier.set_class(bool(first), "-on")
        if first:
            earlier.update(f"{first} earlier messages — k on the first one shows them")
        if not (same and first == self._first and await self._update(shown)):
            await self.remove_children(MessageCard)
            await self.mount_all(MessageCard(m) for m in shown)
        self._first = first

    async def _update(self, shown: list[dict[str, Any]]) -> bool:
        """The same case again (a repaint after any change): touch only what changed.

        New messages are appended, changed ones redrawn in place; anything else
        (a message went) is a rebuild.
        """
        cards = self.cards
        if len(shown) < len(cards):
            return False
        if [c.message["id"] for c in cards] != [m["id"] for m in shown[: len(cards)]]:
            return False
        for card, message in zip(cards, shown, strict=False):
            if card.message != message:
                card.message = message
                card.refresh(layout=True)
        if len(shown) > len(cards):
            await self.mount_all(MessageCard(m) for m in shown[len(cards) :])
        return True

    def _header(self, data: dict[str, Any]) -> None:
        header = Text()
        header.append_text(fmt.safe_line(data["subject"], "bold"))
        header.append(f"  #{data['id']}  {data['status']}", style="dim")
        if data["assignee"]:
            header.append(f"  @{data['assignee']}", style="dim")
        for tag in data["tags"]:
            header.append(f"  #{tag}", style="italic")
        self.query_one("#conversation-header", Static).update(header)

    async def _page_earlier(self) -> None:
        """k on the first card: paint the window before it, keeping the cursor there."""
        assert self.data is not None
        current = self.current
        first = max(0, self._first - WINDOW)
        await self._paint(self.data["messages"][first:], first, same=False)
        ids = [m["id"] for m in self.data["messages"][first:]]
        self.cursor = ids.index(current["id"]) - 1 if current else 0
        self.watch_cursor()

    def show_replying(self, agents: tuple[str, ...]) -> None:
        """Another agent is writing in this case: say so before anyone answers twice."""
        found = self.query("#conversation-replying")
        if not found:
            return
        line = found.first(Static)
        verb = "is" if len(agents) == 1 else "are"
        line.update(
            Text(f"✎ {' and '.join(agents)} {verb} replying", style="bold") if agents else ""
        )
        line.set_class(bool(agents), "-on")

    def watch_cursor(self) -> None:
        for i, card in enumerate(self.cards):
            card.set_class(i == self.cursor, "-current")
        cards = self.cards
        if 0 <= self.cursor < len(cards):
            self.call_after_refresh(self.scroll_to_widget, cards[self.cursor], animate=False)
        self.post_message(self.MessageChosen(self.current))

    async def action_move(self, step: int) -> None:
        if step < 0 and self.cursor == 0 and self._first:
            await self._page_earlier()
        elif self.cards:
            self.cursor = max(0, min(len(self.cards) - 1, self.cursor + step))

    async def action_edge(self, index: int) -> None:
        if index == 0 and self._first and self.data is not None:
            self._first = 0  # g means the very first message of the case
            await self._paint(self.data["messages"], 0, same=False)
        if self.cards:
            self.cursor = 0 if index == 0 else len(self.cards) - 1

    def action_toggle_quotes(self) -> None:
        cards = self.cards
        if 0 <= self.cursor < len(cards):
            cards[self.cursor].expanded = not cards[self.cursor].expanded
