"""The customer's messages across all cases, two lines each: when, channel and
direction above, the words below with the pane's width to themselves (beside the
date they had ~9 columns at a 120-column terminal)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from omni_tui.text import case_title, clean_line
from omni_tui.tui import format as fmt
from omni_tui.tui.cursor_list import CursorList, cursor_bindings

LINE_CHARS = 400  # more than any pane is wide: the rest of a long message is never drawn
DIM = Style(dim=True)
PLAIN = Style()


def history_lines(m: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """(text, style) pieces of the row's two lines; the message's own text is cleaned."""
    channel = m["channel"] if m["direction"] != "note" else "note"
    head = [
        (f"{fmt.when(m['sent_at'], in_a_list=True)} ", "dim"),
        (fmt.SHORT.get(channel, "?"), fmt.channel_style(channel)),
        (fmt.ARROWS[m["direction"]], ""),
        (f"#{m['conversation_id']}", "dim"),
    ]
    return [head, [("  " + _words(m), "")]]


def _words(m: dict[str, Any]) -> str:
    """Its words; a photo sent without any, by its file, as the inbox names such a case."""
    files = [a["filename"] for a in m.get("attachments") or []]
    return clean_line(m["text"][:LINE_CHARS]) or case_title(None, "", files)


def history_line(m: dict[str, Any], active_conversation: int | None) -> Text:
    """The row as one line of text (what it says, before it is cut to the pane)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    for text, style in (piece for part in history_lines(m) for piece in part):
        line.append(text, style=style)
    if m["conversation_id"] != active_conversation:
        line.stylize("dim")  # other cases step back; this case's messages stand out
    return line


def _segments(m: dict[str, Any], active_conversation: int | None) -> list[list[Segment]]:
    """``history_lines`` as segments, without going through Rich's text layout."""
    dim = DIM if m["conversation_id"] != active_conversation else PLAIN
    return [
        [Segment(text, Style.parse(style) + dim if style else dim) for text, style in line]
        for line in history_lines(m)
    ]


class Timeline(CursorList):
    """Oldest first; enter jumps to that message's case.

    Lines cut to the pane's width, drawn only when on screen: a case switch
    rebuilds this list, so it has to cost next to nothing.
    """

    BINDINGS = [
        Binding("escape", "app.back_to_inbox", "Inbox", show=False, id="timeline.back"),
        *cursor_bindings("timeline"),
    ]

    ROW_HEIGHT = 2
    COMPONENT_CLASSES = {"timeline--cursor", "timeline--cursor-blurred"}
    CURSOR_CLASSES = ("timeline--cursor", "timeline--cursor-blurred")

    class Jump(Message):
        def __init__(self, conversation_id: int, message_id: int) -> None:
            super().__init__()
            self.conversation_id, self.message_id = conversation_id, message_id

    class Earlier(Message):
        """The cursor reached the oldest message loaded, and there are older ones."""

    more = False  # older messages exist beyond the ones shown

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._history: list[dict[str, Any]] = []
        self._active: int | None = None
        self._targets: list[tuple[int, int]] = []  # (conversation, message) per row

    def show(
        self,
        history: list[dict[str, Any]],
        active_conversation: int | None,
        keep: int | None = None,
    ) -> None:
        self._history, self._active = history, active_conversation
        self._targets = [(m["conversation_id"], m["id"]) for m in history]
        self.reset_rows()
        if history:
            ids = [m["id"] for m in history]
            self.highlighted = ids.index(keep) if keep in ids else len(history) - 1
        else:
            self.highlighted = None

    @property
    def rows(self) -> list[Text]:
        """The lines as text (what the pane shows, before it is cut to width)."""
        return [history_line(m, self._active) for m in self._history]

    @property
    def current_message(self) -> int | None:
        if self.highlighted is None or not self._targets:
            return None
        return self._targets[self.highlighted][1]

    @property
    def row_count(self) -> int:
        return len(self._history)

    def row_segments(self, index: int, width: int) -> list[list[Segment]]:
        return _segments(self._history[index], self._active)

    def cursor_moved(self, index: int) -> None:
        if self.more and index < 3:
            self._ask_earlier()

    def watch_scroll_y(self, old: float, new: float) -> None:
        """The wheel up to the top asks for older messages too, not only the keys; the
        cursor comes to the top row first, so the view stays there when they come (it
        went back down to a cursor left on the latest message)."""
        super().watch_scroll_y(old, new)
        if self.more and new < old and new < 3 * self.ROW_HEIGHT:
            self.highlighted = round(new) // self.ROW_HEIGHT
            if self.more:  # the cursor's move did not already ask
                self._ask_earlier()

    def _ask_earlier(self) -> None:
        self.more = False  # one request at a time; the next show() says again
        self.post_message(self.Earlier())

    def select(self, index: int) -> None:
        self.post_message(self.Jump(*self._targets[index]))
