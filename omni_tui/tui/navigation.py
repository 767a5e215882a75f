"""Getting around the console: inbox views, search, help, reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.worker import Worker

from omni_tui.lazy import deferred
from omni_tui.tui.commands import palette_entries
from omni_tui.tui.inbox import InboxList, InboxView
from omni_tui.tui.inbox.views import tag_view
from omni_tui.tui.screens.help import HelpScreen, key_sections
from omni_tui.tui.screens.pickers import PickOne
from omni_tui.tui.screens.search import SearchScreen

if TYPE_CHECKING:
    from omni_tui import queries
    from omni_tui.config import Config
    from omni_tui.store import Store
    from omni_tui.tui.composer import Target
else:  # loaded while the agent reads the first page
    queries = deferred("omni_tui.queries")


class Navigation(App[int]):
    """The console's ways to other views and screens; the app supplies the panes."""

    store: Store | None
    config: Config
    views: list[InboxView]
    conversation: dict[str, Any] | None
    customer: dict[str, Any] | None
    _counts: dict[str, int]

    if TYPE_CHECKING:  # the app's and CaseActions'

        def open_conversation(
            self, conversation_id: int, message_id: int | None = None, *, focus: bool = False
        ) -> Worker[None]: ...

        def reply_targets(self) -> list[Target]: ...

        def action_toggle_pane(self, pane: str) -> None: ...

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def action_back_to_inbox(self) -> None:
        """``escape`` from the case or the history: back to the list, unfolded if folded."""
        if self.query_one("#inbox-pane").has_class("-collapsed"):
            self.action_toggle_pane("inbox")
        self.inbox.focus()

    def action_view(self, key: str) -> None:
        for view in self.views:
            if view.key == key:
                self._show_view(view)

    def _show_view(self, view: InboxView) -> None:
        self.inbox.view = view
        if self.query_one("#inbox-pane").has_class("-collapsed"):
            self.action_toggle_pane("inbox")  # the keys go where the agent looks
        self.inbox.focus()

    @work(exit_on_error=False)
    async def action_pick_view(self) -> None:
        assert self.store is not None
        tags = await queries.all_tags(self.store)
        choices = [(v.key, f"{v.title}  ({self._counts.get(v.key, '…')})") for v in self.views] + [
            (f"tag:{t}", f"#{t}  ({self._counts.get(f'tag:{t}', '…')})") for t in tags
        ]
        key = await self.push_screen_wait(PickOne("Inbox view", choices))
        if key and key.startswith("tag:"):
            self._show_view(tag_view(key[4:]))
        elif key:
            self.action_view(key)

    @work(exit_on_error=False)
    async def action_search(self) -> None:
        assert self.store is not None
        found = await self.push_screen_wait(SearchScreen(self.store))
        if found:
            self.open_conversation(*found, focus=True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(key_sections(self)))

    def palette_commands(self) -> list[tuple[str, str, str]]:
        """What fits the screen under the palette: a case's actions only over the console
        (over reports, say, they were offered and then refused without a word)."""
        from textual.command import CommandPalette

        from omni_tui.tui.console_screen import ConsoleScreen

        under = [s for s in self.screen_stack if not isinstance(s, CommandPalette)]
        if under and not isinstance(under[-1], ConsoleScreen):
            return palette_entries(self.views, None, [], None)
        return palette_entries(self.views, self.conversation, self.reply_targets(), self.customer)

    def palette_keys(self) -> dict[str, str]:
        """The key of each console action, as the config's ``[keys]`` binds it: the
        palette teaches the key, so next time it is one press."""
        from dataclasses import replace

        from omni_tui.tui.keys import CONSOLE_BINDINGS

        keys: dict[str, str] = {}
        for binding in CONSOLE_BINDINGS:
            bound = self.config.keys.get(binding.id or "", binding.key).split(",")[0].strip()
            keys.setdefault(binding.action, self.get_key_display(replace(binding, key=bound)))
        return keys

    @work(exclusive=True, group="reports", exit_on_error=False)
    async def action_reports(self) -> None:
        """The rules file (business hours) is read in a thread: it may sit on a slow disk."""
        import asyncio

        from omni_tui.errors import ConfigError
        from omni_tui.reports.hours import configured_hours
        from omni_tui.tui import format as fmt
        from omni_tui.tui.screens.reports import ReportsScreen

        assert self.store is not None
        try:
            hours = await asyncio.to_thread(configured_hours, self.config)
        except ConfigError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            hours = None
        self.push_screen(ReportsScreen(self.store, now=fmt.now(), hours=hours))
