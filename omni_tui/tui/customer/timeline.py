"""The customer's messages across all cases, one line each, drawn as lines."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from omni_tui.text import clean_line
from omni_tui.tui import format as fmt

LINE_CHARS = 400  # more than any pane is wide: the rest of a long message is never drawn
ARROWS = {"in": " ← ", "out": " → ", "note": " ✎ "}
DIM = Style(dim=True)
PLAIN = Style()


def history_parts(m: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, style) pieces of one line; the message's own text is cleaned first."""
    channel = m["channel"] if m["direction"] != "note" else "note"
    return [
        (f"{fmt.when(m['sent_at']):>15} ", "dim"),
        (fmt.SHORT.get(channel, "?"), fmt.channel_style(channel)),
        (ARROWS[m["direction"]], ""),
        (clean_line(m["text"][:LINE_CHARS]), ""),
    ]


def history_line(m: dict[str, Any], active_conversation: int | None) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    for text, style in history_parts(m):
        line.append(text, style=style)
    if m["conversation_id"] != active_conversation:
        line.stylize("dim")  # other cases step back; this case's messages stand out
    return line


def _segments(m: dict[str, Any], active_conversation: int | None) -> list[Segment]:
    """``history_line`` as segments, without going through Rich's text layout."""
    dim = DIM if m["conversation_id"] != active_conversation else PLAIN
    return [
        Segment(text, Style.parse(style) + dim if style else dim)
        for text, style in history_parts(m)
    ]


class Timeline(ScrollView, can_focus=True):
    """Oldest first; enter jumps to that message's case.

    One line per message, cut to the pane's width, drawn only when on screen:
    a case switch rebuilds this list, so it has to cost next to nothing.
    """

    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False, id="timeline.down"),
        Binding("k,up", "move(-1)", "Up", show=False, id="timeline.up"),
        Binding("g,home", "first", "First", show=False, id="timeline.first"),
        Binding("G,end", "last", "Last", show=False, id="timeline.last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="timeline.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="timeline.page_down"),
        Binding("enter", "select", "Open", show=False, id="timeline.open"),
    ]

    COMPONENT_CLASSES = {"timeline--cursor", "timeline--cursor-blurred"}

    class Jump(Message):
        def __init__(self, conversation_id: int, message_id: int) -> None:
            super().__init__()
            self.conversation_id, self.message_id = conversation_id, message_id

    class Earlier(Message):
        """The cursor reached the oldest message loaded, and there are older ones."""

    highlighted: reactive[int | None] = reactive(None, init=False, always_update=True)
    more = False  # older messages exist beyond the ones shown

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._history: list[dict[str, Any]] = []
        self._active: int | None = None
        self._targets: list[tuple[int, int]] = []  # (conversation, message) per row
        self._strips: dict[int, tuple[tuple[object, ...], Strip]] = {}

    def show(
        self,
        history: list[dict[str, Any]],
        active_conversation: int | None,
        keep: int | None = None,
    ) -> None:
        self._history, self._active = history, active_conversation
        self._targets = [(m["conversation_id"], m["id"]) for m in history]
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(history))
        self.refresh()
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

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self._history:
            return None
        return max(0, min(len(self._history) - 1, value))

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for index in (old, new):
            if index is not None:
                self._strips.pop(index, None)
        self.refresh()
        if new is None:
            return
        self._scroll_to_cursor()
        if self.more and new < 3:
            self.more = False  # one request at a time; the next show() says again
            self.post_message(self.Earlier())

    def _scroll_to_cursor(self) -> None:
        if self.highlighted is not None:
            width = max(1, self.scrollable_content_region.width)
            region = Region(0, self.highlighted, width, 1)
            self.scroll_to_region(region, animate=False, immediate=True)

    def on_show(self) -> None:
        self._scroll_to_cursor()  # filled while its pane was folded away

    # -- keys and mouse ------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.highlighted is not None:
            self.highlighted += step

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self._history) - 1

    def action_page(self, direction: int) -> None:
        if self.highlighted is not None:
            self.highlighted += direction * max(1, self.scrollable_content_region.height - 1)

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Jump(*self._targets[self.highlighted]))

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._history):
            self.highlighted = row
            self.action_select()

    def on_focus(self) -> None:
        self._redraw_cursor()

    def on_blur(self) -> None:
        self._redraw_cursor()

    def _redraw_cursor(self) -> None:
        if self.highlighted is not None:
            self._strips.pop(self.highlighted, None)

    # -- drawing -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + self.scroll_offset.y
        base = self.get_visual_style().rich_style
        if not 0 <= row < len(self._history):
            return Strip.blank(width, base)
        cursor = row == self.highlighted
        key = (width, cursor, cursor and self.has_focus, self.app.theme)
        cached = self._strips.get(row)
        if cached is not None and cached[0] == key:
            return cached[1]
        style = base
        if cursor:
            name = "timeline--cursor" if self.has_focus else "timeline--cursor-blurred"
            style = self.get_visual_style(name).rich_style
        segments = list(Segment.apply_style(_segments(self._history[row], self._active), style))
        room = max(1, width - 1)  # one column stays free, as in the inbox
        if Segment.get_line_length(segments) > room:  # cut, and say so
            segments = Segment.adjust_line_length(segments, room - 1, style)
            segments.append(Segment("…", style))
        segments = Segment.adjust_line_length(segments, width, style, pad=True)
        strip = Strip(segments, width)
        self._strips[row] = (key, strip)
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._history))
        self._scroll_to_cursor()  # shown again, or shorter under a longer profile
