"""Full-text search across every channel; enter opens the case at that message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from omni_tui.lazy import deferred
from omni_tui.store import Store
from omni_tui.tui import format as fmt

if TYPE_CHECKING:
    from omni_tui import queries
else:
    queries = deferred("omni_tui.queries")


def hit_text(hit: dict[str, Any]) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{fmt.when(hit['sent_at'], in_a_list=True):>15} ", style="dim")
    line.append(fmt.SHORT.get(hit["channel"], "?"), style=fmt.channel_style(hit["channel"]))
    # ← the customer wrote it, → we wrote to them: the name is always the customer's
    line.append(fmt.ARROWS.get(hit["direction"], " "))
    line.append_text(fmt.safe_line(hit["customer_name"] or hit["sender"], "bold"))
    line.append("  ")
    snippet = fmt.safe_line(hit["snippet"])
    for start, end in hit["highlights"]:
        snippet.stylize("reverse bold", start, end)
    line.append_text(snippet)
    return line


class SearchScreen(ModalScreen[tuple[int, int] | None]):
    BINDINGS = [Binding("escape", "cancel", "Close", id="search.close")]

    def __init__(self, store: Store) -> None:
        super().__init__(classes="dialog")
        self.store = store
        self.hits: list[dict[str, Any]] = []
        self._hits_for: str | None = None  # the query the hits are of
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box search-box"):
            yield Label("Search every channel", classes="dialog-title")
            yield Input(placeholder="words… (prefix match on the last one)", id="search-input")
            yield OptionList(id="search-results")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # wait for a pause in typing: a search already running in SQLite cannot be stopped
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, lambda: self._search(event.value))

    @work(group="search", exit_on_error=False, description="Searching")
    async def _search(self, query: str, then_open: bool = False) -> None:
        hits = await queries.search(self.store, query, limit=100)
        if self.query_one(Input).value != query:
            return  # stale: the agent kept typing
        self.hits, self._hits_for = hits, query
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options([Option(hit_text(h), id=str(i)) for i, h in enumerate(hits)])
        if hits:
            results.highlighted = 0
            if then_open:
                self._open(0)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        results = self.query_one(OptionList)
        if self._hits_for != event.value:  # enter before the search for what is typed
            if self._debounce is not None:
                self._debounce.stop()
            self._search(event.value, then_open=True)
        elif results.highlighted is not None and self.hits:
            self._open(results.highlighted)
        elif self.hits:
            results.focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        results = self.query_one(OptionList)
        if event.key in ("down", "up") and self.query_one(Input).has_focus:
            results.action_cursor_down() if event.key == "down" else results.action_cursor_up()
            event.stop()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(int(event.option.id or 0))

    def _open(self, index: int) -> None:
        hit = self.hits[index]
        self.dismiss((hit["conversation_id"], hit["message_id"]))

    def action_cancel(self) -> None:
        self.dismiss(None)
