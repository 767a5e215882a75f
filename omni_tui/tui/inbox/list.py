"""The unified inbox: one list across channels, painted from summary rows, a page at a time."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Span, Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from omni_tui.store import Store, listing
from omni_tui.tui import format as fmt
from omni_tui.tui.cursor_list import CursorList, cursor_bindings
from omni_tui.tui.inbox.views import FIRST_SORT, PAGE, FirstPage, InboxView, page_filter

#: the next page is read when the cursor comes this close to the last row
MORE_WITHIN = 10
AGE_TICK_S = 30.0  # how often the rows' ages ("⏳2h10") are drawn again


def row_lines(row: dict[str, Any], width: int, warn: int, breach: int) -> tuple[Text, Text]:
    """Who, their channels and how long they have waited; then status, assignee, subject."""
    top = Text(no_wrap=True, overflow="ellipsis")
    top.append("● " if row["unread"] else "  ", style="bold")
    top.append_text(fmt.safe_line(row["customer_name"] or row.get("customer_address") or "?"))
    top.append(" ")
    top.append_text(fmt.channel_icons(row["channels"]))
    right = fmt.waiting(row["waiting_since"], warn, breach)
    if not right.plain:
        right = Text(fmt.age(row["last_message_at"]), style="dim")
    room = max(10, width - 2 - right.cell_len)
    top.truncate(room, overflow="ellipsis", pad=True)
    line = Text.assemble(top, " ", right)
    sub = Text(no_wrap=True, overflow="ellipsis", style="dim")
    sub.append("  ")
    if row["status"] != "open":
        sub.append(f"[{fmt.status(row)}] ")
    if row["assignee"]:
        sub.append(f"@{row['assignee']} ")
    if row.get("draft"):
        sub.append("✎ ", style="bold")  # a reply begun here and left: not forgotten
    sub.append_text(fmt.safe_line(row["subject"]))
    cut = max(20, width - 1)
    for part in (line, sub):
        part.truncate(cut, overflow="ellipsis")
    return line, sub


def _segments(line: Text, console: Console) -> list[Segment]:
    """``line`` as segments, its own style beneath its spans' (``Text.render`` drops
    the line's style when it has no spans)."""
    if line.style:
        line = line.copy()
        line.spans.insert(0, Span(0, len(line), line.style))
        line.style = ""
    return list(line.render(console, end=""))


class InboxList(CursorList):
    """Conversations of the current view; more are fetched as the cursor nears the end.

    Two lines a case. Opening a case moves the focus away and clears its unread
    dot: only the cursor's row and that row are drawn again.
    """

    ROW_HEIGHT = 2

    BINDINGS = [
        *cursor_bindings("inbox"),
        Binding(
            "o",
            "toggle_sort",
            "Sort",
            tooltip="Sort by waiting time or last activity",
            id="inbox.sort",
        ),
    ]

    COMPONENT_CLASSES = {"inbox--cursor", "inbox--cursor-blurred"}
    CURSOR_CLASSES = ("inbox--cursor", "inbox--cursor-blurred")

    class Selected(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class Loaded(Message):
        def __init__(self, view: InboxView, count: int) -> None:
            super().__init__()
            self.view, self.count = view, count

    view: reactive[InboxView | None] = reactive(None, init=False)
    sort: reactive[str] = reactive(FIRST_SORT, init=False)

    def __init__(
        self,
        store: Store,
        *,
        warn: int,
        breach: int,
        first_page: FirstPage | None = None,
        agent: str | None = None,
        **kw: Any,
    ) -> None:
        """``first_page``: a page read before the app started, drawn with the first frame;
        ``agent``: whose drafts the rows show."""
        super().__init__(**kw)
        self.store = store
        self.agent = agent
        self.warn, self.breach = warn, breach
        self.rows: list[dict[str, Any]] = []
        self._exhausted = False
        self._generation = 0
        self._first_page = first_page

    def on_mount(self) -> None:
        # waiting times and SLA colours move with the clock, not only with the data
        self.set_interval(AGE_TICK_S, self.redraw_all)
        if self._first_page is None:
            return
        view, rows = self._first_page
        self._first_page = None
        self.set_reactive(InboxList.view, view)  # shown as it is, not read again
        self._show(rows)
        self.post_message(self.Loaded(view, len(rows)))

    def watch_view(self) -> None:
        self.reload(fresh=True)

    def watch_sort(self) -> None:
        self.reload(fresh=True)

    def action_toggle_sort(self) -> None:
        self.sort = "last_activity" if self.sort == "waiting" else "waiting"
        self.notify(f"Sorted by {'waiting time' if self.sort == 'waiting' else 'last activity'}")

    def reload(self, keep: int | None = None, *, fresh: bool = False) -> None:
        """Read the list again, the cursor on case ``keep`` (else where it is);
        ``fresh``: another view or order, read from its top."""
        self._generation += 1
        self._load(self._generation, None, keep, fresh)

    @work(group="inbox", exit_on_error=False, description="Loading inbox")
    async def _load(
        self, generation: int, after: tuple[int, int] | None, keep: int | None, fresh: bool = False
    ) -> None:
        if self.view is None:
            return
        # a repaint reads as many rows as the agent has paged through: the cursor on
        # row 130 must not fall back to a first page of 100
        limit = PAGE if after is not None or fresh else max(PAGE, len(self.rows))
        where = page_filter(self.view, self.sort, after, limit, agent=self.agent)
        rows = await self.store.snapshot(listing.conversations, where)
        if generation != self._generation:
            return  # the view changed while we were reading: drop the stale page
        if after is not None:
            self.rows.extend(rows)
            self._exhausted = len(rows) < PAGE
            self.rows_added()
            return
        if self._same_rows(rows):  # a repaint: only the rows that changed are drawn
            self._exhausted = len(rows) < limit
            if keep is not None:
                found = next((i for i, r in enumerate(rows) if r["id"] == keep), None)
                self.highlighted = found if found is not None else self.highlighted
        else:
            highlighted = keep if keep is not None else self.current_id
            self._show(rows, highlighted, fresh=fresh)
        self.post_message(self.Loaded(self.view, len(self.rows)))

    def _show(
        self, rows: list[dict[str, Any]], highlighted: int | None = None, *, fresh: bool = True
    ) -> None:
        """New rows; the cursor stays on case ``highlighted`` if it is there, else on
        the same row (the next case, once one was resolved away), or the top if
        ``fresh``."""
        was = 0 if fresh else self.highlighted or 0
        self.rows = rows
        self._exhausted = len(rows) < PAGE
        self.reset_rows()
        index = next((i for i, r in enumerate(rows) if r["id"] == highlighted), None)
        self.highlighted = (min(was, len(rows) - 1) if index is None else index) if rows else None

    def _same_rows(self, rows: list[dict[str, Any]]) -> bool:
        """Same cases in the same order as shown: update those in place."""
        if [r["id"] for r in rows] != [r["id"] for r in self.rows]:
            return False
        for index, row in enumerate(rows):
            if self.rows[index] != row:
                self.rows[index] = row
                self.redraw_row(index)
        return True

    def mark_draft(self, conversation_id: int, present: bool) -> None:
        """The draft mark follows the composer at once, without reading the store again."""
        for index, row in enumerate(self.rows):
            if row["id"] == conversation_id and row.get("draft") != present:
                row["draft"] = present
                self.redraw_row(index)
                return

    def mark_read(self, conversation_id: int) -> None:
        """The unread dot goes at once, without reading the store again."""
        for index, row in enumerate(self.rows):
            if row["id"] == conversation_id and row["unread"]:
                row["unread"] = 0
                self.redraw_row(index)
                return

    @property
    def current_id(self) -> int | None:
        if self.highlighted is None or not self.rows or self.highlighted >= len(self.rows):
            return None
        return self.rows[self.highlighted]["id"]

    def row_text(self, index: int) -> str:
        """Row ``index`` as the pane shows it, cut to its width."""
        width = self.scrollable_content_region.width
        return "\n".join(line.plain for line in self._lines(index, width))

    # -- CursorList ------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def _lines(self, index: int, width: int) -> tuple[Text, Text]:
        return row_lines(self.rows[index], width, self.warn, self.breach)

    def row_segments(self, index: int, width: int) -> list[list[Segment]]:
        return [_segments(line, self.app.console) for line in self._lines(index, width)]

    def cursor_moved(self, index: int) -> None:
        if not self._exhausted and index >= len(self.rows) - MORE_WITHIN and self.rows:
            self._exhausted = True  # one page request at a time
            self._load(self._generation, listing.page_mark(self.rows[-1], self.sort), None)

    def select(self, index: int) -> None:
        self.post_message(self.Selected(self.rows[index]["id"]))
