"""The active conversation: header, messages (quotes folded), delivery status."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from omni_tui.text_parts import split_parts
from omni_tui.tui import format as fmt
from omni_tui.tui.conversation.message_list import MessageList
from omni_tui.tui.quiet_focus import QuietFocus

#: Characters of a message drawn before ``x``: a card is wrapped on the UI's loop,
#: and 300,000 characters take it seconds (Gmail clips at about 100 KB too).
CLIP = 20_000
SUBJECT_CHARS = 120  # of a subject in the header; its status, id and tags follow


def _cut(subject: str) -> str:
    """A hostile 800-character subject took the whole pane; the rest is in the raw mail."""
    return subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 1] + "…"


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
        if m["recipients"]:  # a logged call has none: "→ Ben to" said nothing
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
        body.append_text(fmt.safe_line(_cut(m["subject"])))
        body.append("\n")
    text = m["text"] or ""
    clipped = 0
    if not expanded and len(text) > CLIP:  # a pasted log, a hostile mail: drawn on demand
        cut = text.rfind("\n", 0, CLIP)
        cut = cut if cut > CLIP // 2 else CLIP
        text, clipped = text[:cut], len(text) - cut
    parts = split_parts(text)
    body.append_text(fmt.safe(parts.body if not expanded else text))
    hidden = [p for p in (parts.signature, parts.quoted) if p]
    if hidden and not expanded:
        lines = sum(p.count("\n") + 1 for p in hidden)
        body.append(f"\n··· {lines} quoted/signature lines (x to expand)", style="dim italic")
    if clipped:
        body.append(f"\n··· clipped: {clipped:,} more characters (x to expand)", style="dim italic")
    for a in m["attachments"]:
        body.append("\n📎 ")
        body.append_text(fmt.safe_line(a["filename"]))
        body.append("  ")
        body.append_text(fmt.safe_line(f"{a['content_type']}  {fmt.size(a['size'])}", "dim"))
        if a["skipped_reason"]:
            body.append("  ")
            body.append_text(fmt.safe_line(f"not downloaded: {a['skipped_reason']}", "yellow"))
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


WINDOW = 20  # cards painted at once; k past the first one paints the earlier ones


class ConversationView(Vertical, QuietFocus, can_focus=True):
    """Messages of the active case, oldest first; j/k walk them.

    The case's header stays in place while the messages scroll under it.
    """

    BINDINGS = [
        Binding("escape", "app.back_to_inbox", "Inbox", show=False, id="conversation.back"),
        Binding("j,down", "move(1)", "Next message", show=False, id="conversation.next"),
        Binding("k,up", "move(-1)", "Previous message", show=False, id="conversation.previous"),
        Binding("g,home", "edge(0)", "First message", show=False, id="conversation.first"),
        Binding("G,end", "edge(-1)", "Last message", show=False, id="conversation.last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="conversation.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="conversation.page_down"),
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

    class Earlier(Message):
        """The cursor went past the oldest message read, and the case has older ones."""

        def __init__(self, loaded: int, *, everything: bool) -> None:
            super().__init__()
            self.loaded, self.everything = loaded, everything

    cursor: reactive[int] = reactive(-1, init=False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.data: dict[str, Any] | None = None
        self._first = 0  # index in data["messages"] of the first card painted
        # where to go once the case is read again: "earlier" or "first" (more were
        # asked for), "last" (the agent just wrote the newest message)
        self._then: str | None = None
        self._expanded: set[int] = set()  # messages whose quotes are unfolded
        self._replying: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("Select a conversation (enter in the inbox).", id="conversation-empty")
        yield Static(id="conversation-header")
        yield Static("", id="conversation-replying")
        yield MessageList(id="conversation-messages")

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The messages painted, oldest first."""
        return self.messages.messages

    def card_text(self, index: int) -> Text:
        """Card ``index`` as drawn (quotes folded or not)."""
        return self.messages.card_text(index)

    @property
    def current(self) -> dict[str, Any] | None:
        cards = self.cards
        return cards[self.cursor] if 0 <= self.cursor < len(cards) else None

    async def show(self, data: dict[str, Any], focus_message: int | None = None) -> None:
        same = self.data is not None and self.data["id"] == data["id"]
        keep = self.current["id"] if same and self.current else None
        painted_from = self.cards[0]["id"] if same and self.cards else None
        then, self._then = (self._then if same else None), None
        if not same:
            self._expanded.clear()
        self.data = data
        messages = data["messages"]
        wanted = focus_message or keep
        all_ids = [m["id"] for m in messages]
        first = max(0, len(messages) - WINDOW)  # a long thread paints its latest part
        if painted_from in all_ids:
            first = min(first, all_ids.index(painted_from))  # earlier cards paged to stay
        if wanted in all_ids:
            first = min(first, all_ids.index(wanted))
        if then == "first":
            first, wanted = 0, all_ids[0] if all_ids else None
        elif then == "last" and all_ids:
            wanted = all_ids[-1]
        self._paint(messages[first:], first, same)
        ids = [m["id"] for m in messages[first:]]
        self._set_cursor(ids.index(wanted) if wanted in ids else len(ids) - 1)
        if then == "earlier" and self._first:
            self._page_earlier()

    def follow_latest(self) -> None:
        """The next repaint of this case puts the cursor on its newest message."""
        self._then = "last"

    @property
    def _more_before(self) -> bool:
        """The case has messages older than the ones read."""
        data = self.data
        return data is not None and data.get("message_total", 0) > len(data["messages"])

    def _read_earlier(self, then: str) -> None:
        assert self.data is not None
        self._then = then
        everything = then == "first"
        self.post_message(self.Earlier(len(self.data["messages"]), everything=everything))

    def _paint(self, shown: list[dict[str, Any]], first: int, same: bool) -> None:
        assert self.data is not None
        if not self.has_class("-open"):
            self.add_class("-open")
        self._header(self.data)
        view = self.messages
        if same and first == self._first and self._update(view, shown):
            return
        unread = self.data.get("message_total", 0) - len(self.data["messages"])
        view.show(shown, [self._text(m) for m in shown], first + max(0, unread))
        self._first = first

    def _text(self, message: dict[str, Any]) -> Text:
        return render_message(message, message["id"] in self._expanded)

    def _update(self, view: MessageList, shown: list[dict[str, Any]]) -> bool:
        """The same case again (a repaint after any change): redraw only what changed.

        New messages are appended, changed ones redrawn in place; anything else
        (a message went) is a rebuild.
        """
        cards = view.messages
        if len(shown) < len(cards):
            return False
        if [c["id"] for c in cards] != [m["id"] for m in shown[: len(cards)]]:
            return False
        if len(shown) > len(cards):
            return False  # appended: a new list is as cheap as patching it
        for index, (card, message) in enumerate(zip(cards, shown, strict=True)):
            if card != message:
                view.replace(index, message, self._text(message))
        return True

    def _header(self, data: dict[str, Any]) -> None:
        # the case's facts first: a long subject must not push them out of the header
        header = Text(f"#{data['id']}  {fmt.status(data)}", style="dim")
        if data["assignee"]:
            header.append(f"  @{data['assignee']}", style="dim")
        for tag in data["tags"]:
            header.append(f"  #{tag}", style="italic")
        header.append("  ")
        header.append_text(fmt.safe_line(_cut(data["subject"] or ""), "bold"))
        self.query_one("#conversation-header", Static).update(header)

    def _page_earlier(self) -> None:
        """k on the first card: paint the window before it, keeping the cursor there."""
        assert self.data is not None
        current = self.current
        first = max(0, self._first - WINDOW)
        self._paint(self.data["messages"][first:], first, same=False)
        ids = [m["id"] for m in self.data["messages"][first:]]
        self._set_cursor(ids.index(current["id"]) - 1 if current else 0)

    def show_replying(self, agents: tuple[str, ...]) -> None:
        """Another agent is writing in this case: say so before anyone answers twice."""
        found = self.query("#conversation-replying")
        if not found:
            return
        line = found.first(Static)
        if agents == self._replying:
            return  # unchanged: no layout pass on every case switch
        self._replying = agents
        verb = "is" if len(agents) == 1 else "are"
        line.update(
            Text(f"✎ {' and '.join(agents)} {verb} replying", style="bold") if agents else ""
        )
        line.set_class(bool(agents), "-on")

    def _set_cursor(self, index: int) -> None:
        """Move the cursor, and say so even when it stays on the same index."""
        if self.cursor == index:
            self.watch_cursor()
        else:
            self.cursor = index

    def watch_cursor(self) -> None:
        view = self.messages
        view.set_current(self.cursor, self.has_focus)
        view.scroll_to_card(self.cursor)
        self.post_message(self.MessageChosen(self.current))

    def on_focus(self) -> None:
        self.messages.set_current(self.cursor, True)

    def on_blur(self) -> None:
        self.messages.set_current(self.cursor, False)

    def on_message_list_clicked(self, event: MessageList.Clicked) -> None:
        self.focus()
        self.cursor = event.index

    def action_move(self, step: int) -> None:
        if step < 0 and self.cursor == 0 and self._first:
            self._page_earlier()
        elif step < 0 and self.cursor == 0 and self._more_before:
            self._read_earlier("earlier")
        elif self.cards:
            self.cursor = max(0, min(len(self.cards) - 1, self.cursor + step))

    def action_edge(self, index: int) -> None:
        if index == 0 and self._more_before:
            self._read_earlier("first")
            return
        if index == 0 and self._first and self.data is not None:
            self._paint(self.data["messages"], 0, same=False)
        if self.cards:
            self._set_cursor(0 if index == 0 else len(self.cards) - 1)

    def action_page(self, direction: int) -> None:
        """Scroll a screen; the cursor follows, so j/k go on from what is in view."""
        view = self.messages
        page = direction * view.scrollable_content_region.height
        view.scroll_to(y=view.scroll_offset.y + page, animate=False, immediate=True)
        if self.cards:
            self._set_cursor(view.card_at_top())

    def action_toggle_quotes(self) -> None:
        current = self.current
        if current is None:
            return
        self._expanded ^= {current["id"]}
        self.messages.replace(self.cursor, current, self._text(current))
        self.messages.scroll_to_card(self.cursor)
