"""The messages of one case drawn as lines: one widget, however many cards.

A widget per message made every case switch mount, style and lay out a few
dozen widgets; here a switch wraps each card's text once and the compositor
asks for the lines on screen only.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from omni_tui.tui.conversation.wrap import card_lines

BAR = "▌"
INDENT = 4  # our replies and notes sit to the right of the customer's words


class MessageList(ScrollView, can_focus=False):
    """Cards of messages, oldest first, with one current card.

    The parent ``ConversationView`` owns the cursor and the keys; this widget
    draws what it is given and says which card was clicked.
    """

    COMPONENT_CLASSES = {
        "message-list--card",
        "message-list--note",
        "message-list--current",
        "message-list--current-focused",
        "message-list--bar-in",
        "message-list--bar-out",
        "message-list--bar-note",
        "message-list--bar-current",
        "message-list--earlier",
    }

    class Clicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.messages: list[dict[str, Any]] = []
        self.earlier = 0  # messages of the case before the first card
        self.current = -1
        self.focused = False
        self._texts: list[Text] = []
        self._lines: list[tuple[int, int]] = []  # (card or -1 for the earlier line, line)
        self._tops: list[int] = []
        self._strips: dict[int, tuple[tuple[object, ...], list[Strip]]] = {}
        self._width = 0
        self._scroll_pending: int | None = None

    # -- what is shown ------------------------------------------------------------

    def show(self, messages: list[dict[str, Any]], texts: list[Text], earlier: int) -> None:
        """Draw these cards (``texts[i]`` is message ``i``'s card text)."""
        self.messages, self._texts, self.earlier = messages, texts, earlier
        self.current = -1  # the owner sets it next: only that card is drawn twice
        self._strips.clear()
        self._layout()

    def replace(self, index: int, message: dict[str, Any], text: Text) -> None:
        """One card changed (its status, or its quotes unfolded)."""
        self.messages[index], self._texts[index] = message, text
        self._strips.pop(index, None)
        self._layout()

    def set_current(self, index: int, focused: bool) -> None:
        old = self.current
        self.current, self.focused = index, focused
        for i in {old, index}:
            self._strips.pop(i, None)
        self.refresh()

    def card_text(self, index: int) -> Text:
        return self._texts[index]

    def card_region(self, index: int) -> Region:
        """Where card ``index`` is, in lines of the whole list."""
        height = self._height(index)
        return Region(0, self._tops[index], self._width, height)

    def card_at_top(self) -> int:
        """The first card that starts on screen (or the one filling it)."""
        top = self.scroll_offset.y
        for index, start in enumerate(self._tops):
            if start >= top:
                return index
        return max(0, len(self._tops) - 1)

    def scroll_to_card(self, index: int) -> None:
        if 0 <= index < len(self._tops):
            region = self.card_region(index)
            if index == 0:  # the line about earlier messages comes into view with it
                region = Region(0, 0, region.width, region.bottom)
            self.scroll_to_region(region, animate=False, immediate=True)
        elif index >= 0:
            self._scroll_pending = index  # once there is a width to draw at

    # -- drawing -------------------------------------------------------------------

    def _layout(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._strips.clear()
            self._width = width
        lines: list[tuple[int, int]] = []
        tops: list[int] = []
        if width <= 0:  # not laid out yet (or its pane is folded): drawn on resize
            self._lines, self._tops = lines, tops
            return
        if self.earlier:
            lines.append((-1, 0))
        for index in range(len(self.messages)):
            lines.append((index, -1))  # the gap above each card
            tops.append(len(lines))
            lines += [(index, n) for n in range(len(self._card(index)))]
        self._lines, self._tops = lines, tops
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def _height(self, index: int) -> int:
        return len(self._card(index))

    def _card(self, index: int) -> list[Strip]:
        message = self.messages[index]
        current = index == self.current
        key = (
            id(message),
            id(self._texts[index]),
            current,
            current and self.focused,
            self._width,
            self.app.theme,  # a new theme draws the cards in its colours
        )
        cached = self._strips.get(index)
        if cached is not None and cached[0] == key:
            return cached[1]
        strips = self._draw(index, message, current)
        self._strips[index] = (key, strips)
        return strips

    def _draw(self, index: int, message: dict[str, Any], current: bool) -> list[Strip]:
        style = self.get_visual_style
        direction = message["direction"]
        card = ["message-list--card"]  # and one of: current, a note
        if current:
            focused = "-focused" if self.focused else ""
            card.append(f"message-list--current{focused}")
        elif direction == "note":
            card.append("message-list--note")
        background = style(*card).rich_style
        bar = style(*card, f"message-list--bar-{'current' if current else direction}").rich_style
        indent = INDENT if direction in ("out", "note") else 0
        inner = max(1, self._width - indent - 3)  # bar, one space each side
        lines = card_lines(self._texts[index], inner, background, self.app.console)
        plain = style().rich_style
        left = [Segment(" " * indent, plain)] if indent else []
        left += [Segment(BAR, bar), Segment(" ", background)]
        right = [Segment(" ", background)]
        return [Strip([*left, *line, *right], indent + inner + 3) for line in lines]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._layout()  # resized: every card wraps again
        y += self.scroll_offset.y
        plain = self.get_visual_style().rich_style
        if not 0 <= y < len(self._lines):
            return Strip.blank(width, plain)
        index, line = self._lines[y]
        if index == -1:
            note = f"{self.earlier} earlier messages — k on the first one shows them"
            earlier = self.get_visual_style("message-list--earlier").rich_style
            return Strip([Segment(note[:width], earlier)]).extend_cell_length(width, plain)
        if line == -1:
            return Strip.blank(width, plain)
        return self._card(index)[line].extend_cell_length(width, plain).crop(0, width)

    def on_resize(self, event: events.Resize) -> None:
        self._layout()
        pending, self._scroll_pending = self._scroll_pending, None
        # the current card stays in view (the composer opening takes half the pane)
        self.scroll_to_card(self.current if pending is None else pending)

    def on_click(self, event: events.Click) -> None:
        y = event.y + self.scroll_offset.y
        if 0 <= y < len(self._lines) and self._lines[y][0] >= 0:
            self.post_message(self.Clicked(self._lines[y][0]))
