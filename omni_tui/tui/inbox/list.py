"""The unified inbox: one list across channels, painted from summary rows, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from omni_tui.store import Store, listing
from omni_tui.tui import format as fmt

PAGE = 100
FIRST_SORT = "waiting"  # longest-waiting customer first


@dataclass(frozen=True, slots=True)
class InboxView:
    key: str
    title: str
    where: listing.ListFilter


def default_views(agent: str) -> list[InboxView]:
    unresolved = "open"
    views = [
        InboxView("mine", "Mine", listing.ListFilter(assignee=agent, status=unresolved)),
        InboxView(
            "unassigned", "Unassigned", listing.ListFilter(unassigned=True, status=unresolved)
        ),
        InboxView("all", "All open", listing.ListFilter(status=unresolved)),
    ]
    for channel in ("email", "sms", "chat", "phone"):
        views.append(
            InboxView(
                f"channel:{channel}",
                f"{fmt.BADGES[channel]}",
                listing.ListFilter(channel=channel, unresolved=True),
            )
        )
    for status in ("open", "pending", "snoozed", "resolved"):
        views.append(
            InboxView(f"status:{status}", status.capitalize(), listing.ListFilter(status=status))
        )
    return views


def tag_view(tag: str) -> InboxView:
    return InboxView(f"tag:{tag}", f"#{tag}", listing.ListFilter(tag=tag))


def page_filter(
    view: InboxView, sort: str, after: tuple[int, int] | None = None
) -> listing.ListFilter:
    """What one page of ``view`` reads: from the top, or ``after`` a row's mark."""
    return replace(view.where, sort=sort, limit=PAGE, after=after)


FirstPage = tuple[InboxView, list[dict[str, Any]]]


class InboxList(OptionList):
    """Conversations of the current view; more are fetched as the cursor nears the end."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="inbox.down"),
        Binding("k", "cursor_up", "Up", show=False, id="inbox.up"),
        Binding("g", "first", "First", show=False, id="inbox.first"),
        Binding("G", "last", "Last", show=False, id="inbox.last"),
        Binding(
            "o",
            "toggle_sort",
            "Sort",
            tooltip="Sort by waiting time or last activity",
            id="inbox.sort",
        ),
    ]

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
        **kw: Any,
    ) -> None:
        """``first_page``: a page read before the app started, drawn with the first frame."""
        super().__init__(**kw)
        self.store = store
        self.warn, self.breach = warn, breach
        self.rows: list[dict[str, Any]] = []
        self._exhausted = False
        self._generation = 0
        self._first_page = first_page
        self._drawn_for = 0  # the text width the rows were cut to

    def on_mount(self) -> None:
        if self._first_page is None:
            return
        view, rows = self._first_page
        self._first_page = None
        self.set_reactive(InboxList.view, view)  # shown as it is, not read again
        self.rows = rows
        self._exhausted = len(rows) < PAGE
        self.add_options([self._option(row) for row in rows])
        self.highlighted = 0 if rows else None
        self.post_message(self.Loaded(view, len(rows)))

    def on_resize(self) -> None:
        if self.rows and self._text_width() != self._drawn_for:
            for index, row in enumerate(self.rows):  # cut to the width it really has
                self.replace_option_prompt_at_index(index, self._option(row).prompt)

    def _text_width(self) -> int:
        """The width a row is cut to; before the first layout, what the stylesheet gives."""
        return self.scrollable_content_region.width or self.width_before_layout()

    def width_before_layout(self) -> int:
        pane = self.parent
        width = pane.styles.width if isinstance(pane, Widget) else None
        if width is None or not width.is_cells:
            return 0
        gutter = pane.styles.gutter.width + self.styles.gutter.width
        return max(0, int(width.value) - gutter - self.styles.scrollbar_size_vertical)

    def watch_view(self) -> None:
        self.reload()

    def watch_sort(self) -> None:
        self.reload()

    def action_toggle_sort(self) -> None:
        self.sort = "last_activity" if self.sort == "waiting" else "waiting"
        self.notify(f"Sorted by {'waiting time' if self.sort == 'waiting' else 'last activity'}")

    def reload(self, keep: int | None = None) -> None:
        self._generation += 1
        self._load(self._generation, None, keep)

    def _where(self, after: tuple[int, int] | None) -> listing.ListFilter:
        assert self.view is not None
        return page_filter(self.view, self.sort, after)

    @work(group="inbox", exit_on_error=False, description="Loading inbox")
    async def _load(self, generation: int, after: tuple[int, int] | None, keep: int | None) -> None:
        if self.view is None:
            return
        rows = await self.store.snapshot(listing.conversations, self._where(after))
        if generation != self._generation:
            return  # the view changed while we were reading: drop the stale page
        if after is None:
            highlighted = keep if keep is not None else self.current_id
            if self._same_rows(rows):  # a repaint: redraw only the rows that changed
                self._exhausted = len(rows) < PAGE
                if keep is not None:
                    self.highlighted = next(
                        (i for i, r in enumerate(rows) if r["id"] == keep), self.highlighted
                    )
                self.post_message(self.Loaded(self.view, len(self.rows)))
                return
            self.rows = rows
            self.clear_options()
        else:
            highlighted = None
            self.rows.extend(rows)
        self._exhausted = len(rows) < PAGE
        self.add_options([self._option(row) for row in rows])
        if after is None:
            index = next((i for i, r in enumerate(self.rows) if r["id"] == highlighted), 0)
            self.highlighted = index if self.rows else None
            self.post_message(self.Loaded(self.view, len(self.rows)))

    def _same_rows(self, rows: list[dict[str, Any]]) -> bool:
        """Same cases in the same order as shown: update those in place."""
        if [r["id"] for r in rows] != [r["id"] for r in self.rows]:
            return False
        for index, row in enumerate(rows):
            if self.rows[index] != row:
                self.rows[index] = row
                self.replace_option_prompt_at_index(index, self._option(row).prompt)
        return True

    def mark_read(self, conversation_id: int) -> None:
        """The unread dot goes at once, without reading the store again."""
        for index, row in enumerate(self.rows):
            if row["id"] == conversation_id and row["unread"]:
                row["unread"] = 0
                self.replace_option_prompt_at_index(index, self._option(row).prompt)
                return

    @property
    def current_id(self) -> int | None:
        if self.highlighted is None or not self.rows or self.highlighted >= len(self.rows):
            return None
        return self.rows[self.highlighted]["id"]

    def _option(self, row: dict[str, Any]) -> Option:
        top = Text(no_wrap=True, overflow="ellipsis")
        top.append("● " if row["unread"] else "  ", style="bold")
        top.append_text(fmt.safe_line(row["customer_name"] or row.get("customer_address") or "?"))
        top.append(" ")
        top.append_text(fmt.channel_icons(row["channels"]))
        right = fmt.waiting(row["waiting_since"], self.warn, self.breach)
        if not right.plain:
            right = Text(fmt.age(row["last_message_at"]), style="dim")
        self._drawn_for = text_width = self._text_width()
        room = max(10, text_width - 2 - right.cell_len)
        top.truncate(room, overflow="ellipsis", pad=True)
        line = Text.assemble(top, " ", right)
        sub = Text(no_wrap=True, overflow="ellipsis", style="dim")
        sub.append("  ")
        if row["status"] != "open":
            sub.append(f"[{row['status']}] ")
        if row["assignee"]:
            sub.append(f"@{row['assignee']} ")
        sub.append_text(fmt.safe_line(row["subject"]))
        width = max(20, text_width - 1)
        for part in (line, sub):
            part.truncate(width, overflow="ellipsis")
        return Option(Text("\n").join([line, sub]), id=str(row["id"]))

    @on(OptionList.OptionHighlighted)
    def _maybe_more(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if not self._exhausted and event.option_index >= len(self.rows) - 10 and self.rows:
            self._exhausted = True  # one page request at a time
            self._load(self._generation, listing.page_mark(self.rows[-1], self.sort), None)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(int(event.option.id)))
