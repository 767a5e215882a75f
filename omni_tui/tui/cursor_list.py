"""A list drawn line by line with a cursor: the inbox and the customer's history."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from omni_tui.tui.quiet_focus import QuietFocus


def cursor_bindings(prefix: str) -> list[Binding]:
    """The keys every cursor list answers, with ids under ``prefix`` so each list remaps alone."""
    return [
        Binding("j,down", "move(1)", "Down", show=False, id=f"{prefix}.down"),
        Binding("k,up", "move(-1)", "Up", show=False, id=f"{prefix}.up"),
        Binding("g,home", "first", "First", show=False, id=f"{prefix}.first"),
        Binding("G,end", "last", "Last", show=False, id=f"{prefix}.last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("enter", "select", "Open", show=False, id=f"{prefix}.open"),
    ]


class CursorList(ScrollView, QuietFocus, can_focus=True):
    """Rows of ``ROW_HEIGHT`` lines, drawn only when on screen and kept until they change.

    A cursor step, a focus move or one changed row redraws the rows concerned,
    not the list: the console moves the focus and marks a row read on every case
    it opens, and a list that drew itself whole each time made that switch slow.
    Subclasses give ``row_count``, ``row_segments`` and ``CURSOR_CLASSES``.
    """

    ROW_HEIGHT: ClassVar[int] = 1
    #: component classes of the cursor row: (focused, blurred)
    CURSOR_CLASSES: ClassVar[tuple[str, str]] = ("", "")

    highlighted: reactive[int | None] = reactive(None, init=False, always_update=True)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._strips: dict[int, tuple[tuple[object, ...], list[Strip]]] = {}

    # -- what a subclass gives -------------------------------------------------------

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def row_segments(self, index: int, width: int) -> list[list[Segment]]:
        """``ROW_HEIGHT`` lines of row ``index``; a line longer than the width is cut."""
        raise NotImplementedError

    def cursor_moved(self, index: int) -> None:
        """The cursor is on row ``index`` now (e.g. to read more rows near an end)."""

    def select(self, index: int) -> None:
        """Enter or a click on row ``index``."""

    # -- rows ------------------------------------------------------------------------

    def reset_rows(self) -> None:
        """Every row is new: forget what was drawn and size the list again."""
        self._strips.clear()
        self._resize_virtual()
        self.refresh()

    def redraw_all(self) -> None:
        """Every row drawn again from its data (what it shows depends on the time too)."""
        self._strips.clear()
        self.refresh()

    def redraw_row(self, index: int | None) -> None:
        if index is not None:
            self._strips.pop(index, None)
            self.refresh_lines(index * self.ROW_HEIGHT, self.ROW_HEIGHT)

    def rows_added(self) -> None:
        """Rows were appended: the ones drawn so far stay."""
        self._resize_virtual()

    def _resize_virtual(self) -> None:
        """The rows, and under them the lines that make the end a whole row from the
        top: scrolled to the end of rows two lines high in a pane of an odd number of
        lines, the top row showed only its second line (words without their date)."""
        region = self.scrollable_content_region
        spare = region.height % self.ROW_HEIGHT
        self.virtual_size = Size(region.width, self.row_count * self.ROW_HEIGHT + spare)

    # -- the cursor ------------------------------------------------------------------

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self.row_count:
            return None
        return max(0, min(self.row_count - 1, value))

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        if old != new:
            self.redraw_row(old)
        self.redraw_row(new)
        if new is not None:
            self._scroll_to_cursor()
            self.cursor_moved(new)

    def _scroll_to_cursor(self) -> None:
        """The cursor's row in view, and the top row whole: the view starts on a row."""
        if self.highlighted is None:
            return
        top, height = self.highlighted * self.ROW_HEIGHT, self.scrollable_content_region.height
        now = round(self.scroll_offset.y)
        if top < now:
            y = top
        elif top + self.ROW_HEIGHT > now + height:
            below = top + self.ROW_HEIGHT - height  # the row at the bottom ...
            y = -(-below // self.ROW_HEIGHT) * self.ROW_HEIGHT  # ... and a whole one on top
        else:
            return
        self.scroll_to(y=max(0, y), animate=False, immediate=True)

    def on_show(self) -> None:
        self._scroll_to_cursor()  # filled while its pane was folded away

    def on_focus(self) -> None:
        self.redraw_row(self.highlighted)  # the cursor's colours say where the focus is

    def on_blur(self) -> None:
        self.redraw_row(self.highlighted)

    # -- keys and mouse ----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.highlighted is not None:
            self.highlighted += step

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = self.row_count - 1

    def action_page(self, direction: int) -> None:
        if self.highlighted is not None:
            rows = self.scrollable_content_region.height // self.ROW_HEIGHT
            self.highlighted += direction * max(1, rows - 1)

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.select(self.highlighted)

    def on_click(self, event: events.Click) -> None:
        index = (event.y + self.scroll_offset.y) // self.ROW_HEIGHT
        if 0 <= index < self.row_count:
            self.highlighted = index
            self.select(index)

    # -- drawing -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index, part = divmod(y + self.scroll_offset.y, self.ROW_HEIGHT)
        if not 0 <= index < self.row_count:
            return Strip.blank(width, self.get_visual_style().rich_style)
        cursor = index == self.highlighted
        key = (width, cursor, cursor and self.has_focus, self.app.theme)
        cached = self._strips.get(index)
        if cached is None or cached[0] != key:
            if cursor:
                focused, blurred = self.CURSOR_CLASSES
                style = self.get_visual_style(focused if self.has_focus else blurred).rich_style
            else:
                style = self.get_visual_style().rich_style
            lines = self.row_segments(index, width)
            cached = self._strips[index] = (key, [_fit(line, width, style) for line in lines])
        return cached[1][part]

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._resize_virtual()
        self._scroll_to_cursor()  # shown again, or shorter under a longer profile


def _fit(segments: list[Segment], width: int, style: Style) -> Strip:
    """One line in the row's style, cut with "…" to leave the last column free."""
    segments = list(Segment.apply_style(segments, style))
    room = max(1, width - 1)
    if Segment.get_line_length(segments) > room:
        segments = Segment.adjust_line_length(segments, room - 1, style)
        segments.append(Segment("…", style))
    return Strip(Segment.adjust_line_length(segments, width, style, pad=True), width)
