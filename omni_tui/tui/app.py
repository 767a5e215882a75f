"""The agent console: inbox | conversation | customer, all from the store."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from omni_tui.activity import Activity
from omni_tui.config import Config
from omni_tui.lazy import deferred
from omni_tui.store import Store, listing
from omni_tui.store.failures import store_error
from omni_tui.tui import toasts
from omni_tui.tui.case_actions import CaseActions
from omni_tui.tui.commands import OmniCommands
from omni_tui.tui.composer import Composer
from omni_tui.tui.console_screen import ConsoleScreen
from omni_tui.tui.conversation import ConversationView, wrap
from omni_tui.tui.conversation.window import CaseWindow
from omni_tui.tui.customer import CustomerPanel, Timeline
from omni_tui.tui.heap import Sweeper, hold_for_frame, settle_heap, sweep_young
from omni_tui.tui.navigation import Navigation
from omni_tui.tui.toasts import Toasting

if TYPE_CHECKING:
    from omni_tui import actions, presence, queries
    from omni_tui.tui.local_sync import LocalSync
else:  # loaded while the agent reads the first page, not before it is painted
    actions = deferred("omni_tui.actions")
    presence = deferred("omni_tui.presence")
    queries = deferred("omni_tui.queries")
from omni_tui.tui.inbox import InboxList, InboxView, default_views
from omni_tui.tui.inbox.views import FIRST_SORT, FirstPage, page_filter
from omni_tui.tui.keybar import KeyBar
from omni_tui.tui.keys import CONSOLE_BINDINGS
from omni_tui.tui.pane import Pane
from omni_tui.tui.status import StatusBar
from omni_tui.tui.store_guard import StoreGuard

NARROW = 120
START_VIEW = 2  # "All open"
POLL_SECONDS = 0.5
#: how often a console that leaves syncing to another looks whether that one has gone
TAKE_OVER_SECONDS = 10.0
SEND_WAIT_S = 12.0  # a little over the store's busy timeout (10 s)
LEAVE_WAIT_S = 2.0  # how long quitting waits to tell colleagues it has gone
HEAP_SETTLES_AFTER = 1.0  # seconds after the first paint
HEAP_SETTLES_BY = 10.0  # seconds after mounting, even if the first page never came
HEAP_HELD_AT_MOST = 1.0  # seconds an open may keep the collector off
SWEEP_AFTER_PAINT = 0.05  # seconds after a case is drawn
SWEEP_CHECK_SECONDS = 5.0  # how often the sweeper looks for a quiet moment
HISTORY_PAGE = 40  # timeline rows loaded per page; more as the cursor goes up
#: What the first paint does without: the ORM behind these, and the local sync.
AFTER_THE_FIRST_PAINT = (
    "omni_tui.actions",
    "omni_tui.customers",
    "omni_tui.drafts",
    "omni_tui.outbox",
    "omni_tui.presence",
    "omni_tui.queries",
    "omni_tui.tui.local_sync",
)


class OmniApp(Toasting, Navigation, CaseActions):
    CSS_PATH = "app.tcss"
    TITLE = "omni-tui"
    COMMANDS = App.COMMANDS | {OmniCommands}
    BINDINGS = CONSOLE_BINDINGS

    def __init__(self, config: Config, db_path: Path) -> None:
        super().__init__()
        self.config = config
        self.db_path = db_path
        self.agent = config.agent.name
        self.views = default_views(self.agent)
        self.store: Store | None = None
        self._first_page: FirstPage | None = None
        self._view_title = ""
        self.conversation: dict[str, Any] | None = None
        self.customer: dict[str, Any] | None = None
        self._marker: tuple[object, ...] | None = None
        self._last_message_id: int | None = None
        self._open_generation = 0
        self._history_limit = HISTORY_PAGE
        self._window = CaseWindow()  # which messages of the open case are read
        self._wanted: int | None = None
        self._focus_on_open = False  # the open being painted also takes the focus
        self._polling = False
        self._quitting = False
        self._watching = False
        self._counts: dict[str, int] = {}
        self._narrow: bool | None = None  # the panes were last laid out for a narrow terminal
        self.local_sync: LocalSync | None = None
        self.activity = Activity()  # online or away, from the agent's keys
        self.replying: dict[int, tuple[str, ...]] = {}  # case → other agents writing in it
        self._draft_turns = {}
        self._draft_lock = asyncio.Lock()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.activity.touch()  # the agent is here: away ends with the next heartbeat
        await super().on_event(event)

    def get_default_screen(self) -> Screen[None]:
        return ConsoleScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Pane(id="inbox-pane", classes="pane"):
                yield Static("", id="view-title", classes="pane-title")
            with Pane(id="conversation-pane", classes="pane"):
                yield ConversationView(id="conversation")
                yield Composer(id="composer")
            yield CustomerPanel(id="customer-pane", classes="pane")
        yield StatusBar(id="status-bar")
        yield KeyBar()

    async def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.sub_title = f"{self.agent} · {self.db_path}"
        self.query_one(Composer).display = False
        self.set_timer(HEAP_SETTLES_BY, settle_heap)  # the collector is never held for long
        if self.store is None:
            self.store = await Store.open(self.db_path, create=True)
        self._guard = StoreGuard(self.db_path)
        inbox = InboxList(
            self.store,
            warn=self.config.sla.warn_after_minutes,
            breach=self.config.sla.breach_after_minutes,
            first_page=self._first_page,
            agent=self.agent,
            id="inbox",
        )
        await self.query_one("#inbox-pane").mount(inbox)
        if self._first_page is None:
            inbox.view = self.views[START_VIEW]  # read in a worker, drawn a frame later
        else:
            view, rows = self._first_page
            self._show_view_title(view, len(rows))  # in the first frame too
        self._first_page = None
        self.screen.set_focus(inbox)  # now, so the first frame shows it focused
        self._apply_width(self.size.width)

    async def read_first_page(self) -> None:
        """Open the store and read the inbox's first page before the app starts.

        The first frame then shows the cases; read in a worker, they come one
        full-screen frame later (about a tenth of a second on a small server).
        """
        self.store = await Store.open(self.db_path, create=True)
        view = self.views[START_VIEW]
        try:
            first = page_filter(view, FIRST_SORT, agent=self.agent)
            rows = await self.store.snapshot(listing.conversations, first)
        except sqlite3.Error as exc:
            await self.store.close()
            raise store_error(self.db_path, exc, "cannot read the inbox") from None
        self._first_page = (view, rows)

    async def action_quit(self) -> None:
        """Let database work finish before leaving, so the store closes cleanly."""
        self._quitting = True
        if (draft := self.query_one(Composer).pending_draft()) is not None:
            await self._save_draft(draft)  # typed in the last moment before quitting
        busy = [w for w in self.workers if w.group in ("watch", "open", "inbox", "counts")]
        if busy:
            await asyncio.wait([asyncio.ensure_future(w.wait()) for w in busy], timeout=3)
        # a reply being queued (or saved as a draft) may wait out a busy store; with a
        # dialog up, its text is already a draft and the dialog would never be answered
        sending = [w for w in self.workers if w.group in ("send", "drafts") and not w.is_finished]
        if sending and len(self.screen_stack) == 1:
            futures = [asyncio.ensure_future(w.wait()) for w in sending]
            await asyncio.wait(futures, timeout=SEND_WAIT_S)
        if self.local_sync is not None:
            await self.local_sync.stop()  # the transaction in flight finishes first
        if self.store is not None and not self._guard.lost:
            await presence.leave(self.store, self.agent, within=LEAVE_WAIT_S)
        self.exit()

    async def on_unmount(self) -> None:
        if self.local_sync is not None:
            await self.local_sync.stop()
        if self.store is not None:
            await self.store.close()

    # -- layout --------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        """The default panes for a wide or a narrow terminal, laid out again only when the
        terminal crosses from one to the other: a pane the agent folded or brought back
        with [ or ] stays so while the window is resized."""
        narrow = width < NARROW
        if narrow == self._narrow:
            return
        self._narrow = narrow
        self._fold("customer", narrow)
        self._fold("inbox", False)

    def _fold(self, pane: str, folded: bool = True) -> None:
        """Fold or show a pane; one that held the focus hands it to the case first,
        so the keys go on working."""
        widget = self.query_one(f"#{pane}-pane")
        if folded and widget.has_focus_within:
            target = self.query_one(ConversationView) if pane != "conversation" else self.inbox
            target.focus()
        widget.set_class(folded, "-collapsed")

    def action_toggle_pane(self, pane: str) -> None:
        showing = self.query_one(f"#{pane}-pane").has_class("-collapsed")  # folded till now
        self._fold(pane, not showing)
        if self.size.width < NARROW and showing:
            # two panes at most: the case keeps room to be read and answered
            other = {"inbox": "customer", "customer": "inbox"}.get(pane)
            if other is not None:
                self._fold(other)

    # -- loading -------------------------------------------------------------

    @on(InboxList.Loaded)
    def _inbox_loaded(self, event: InboxList.Loaded) -> None:
        self._show_view_title(event.view, event.count)
        if not self._watching:  # start watching once the first page is on screen
            self._watching = True
            self.call_after_refresh(self._start_watching)

    @work(group="watch", exit_on_error=False, description="Starting the store watchers")
    async def _start_watching(self) -> None:
        # the rest of the console loads on a thread while the agent reads the page:
        # the keys keep working (about 0.5 s of imports on a small server)
        await asyncio.to_thread(_load_the_rest)
        if self._quitting:
            return
        self.set_timer(HEAP_SETTLES_AFTER, settle_heap)  # once the agent is reading
        sweeper = Sweeper()
        self.set_interval(SWEEP_CHECK_SECONDS, lambda: sweeper.tick(self.activity.idle_for))
        self._refresh_counts()  # later, every reload() counts again
        assert self.store is not None
        if not self.query_one(Composer).display:  # a mark an earlier console left behind
            self._not_composing()
        from omni_tui.tui.local_sync import LocalSync

        self.local_sync = LocalSync(self.store, self.config, self.db_path, self._sync_stopped)
        if self.local_sync.start():  # no daemon on this store: the console syncs
            self.sub_title = f"{self.agent} · {self.db_path} · syncing here"
        self.set_interval(POLL_SECONDS, self._watch_store)
        self.set_interval(TAKE_OVER_SECONDS, self._take_over_sync)
        self._watch_store()

    def _take_over_sync(self) -> None:
        if self.local_sync is not None and self.local_sync.take_over():
            self.sub_title = f"{self.agent} · {self.db_path} · syncing here"
            self.notify("The sync that ran elsewhere stopped: this console syncs now")

    def _sync_stopped(self, reason: str) -> None:
        self.sub_title = f"{self.agent} · {self.db_path} · not syncing"
        self.notify(f"Syncing stopped: {reason}", severity="error", timeout=30)

    def _show_view_title(self, view: InboxView, loaded: int) -> None:
        total = self._counts.get(view.key)
        shown = f"{total}" if total is not None else f"{loaded}"
        sort = "waiting" if self.inbox.sort == "waiting" else "activity"
        title = f"{view.title} · {shown} · by {sort}"
        if title != self._view_title:  # an update lays the screen out again
            self._view_title = title
            self.query_one("#view-title", Static).update(Text(title))  # a tag is data

    @work(group="counts", exit_on_error=False, description="Counting views")
    async def _refresh_counts(self) -> None:
        assert self.store is not None
        self._counts = await queries.view_counts(self.store, self.agent)
        if self.inbox.view is not None:
            self._show_view_title(self.inbox.view, len(self.inbox.rows))

    @on(InboxList.Selected)
    def _inbox_selected(self, event: InboxList.Selected) -> None:
        self.open_conversation(event.conversation_id, focus=True)

    @on(Timeline.Earlier)
    def _earlier_history(self) -> None:
        self._history_limit += HISTORY_PAGE
        if self._wanted is not None:
            self.open_conversation(self._wanted)  # repaints the timeline, cursor kept

    @on(ConversationView.Earlier)
    def _earlier_messages(self, event: ConversationView.Earlier) -> None:
        self._window.earlier(event.loaded, everything=event.everything)
        if self._wanted is not None:
            self.open_conversation(self._wanted)  # the view goes on where it was going

    @on(Timeline.Jump)
    def _timeline_jump(self, event: Timeline.Jump) -> None:
        self.open_conversation(event.conversation_id, event.message_id)

    # Database workers are never cancelled mid-query (an aiosqlite connection
    # cancelled while closing can hang the exit); a newer request makes an
    # older result stale instead, and the stale result is dropped.
    def open_conversation(
        self, conversation_id: int, message_id: int | None = None, *, focus: bool = False
    ) -> Worker[None]:
        """Show a case; with ``focus`` the cursor moves to it in the frame that paints it.

        Moving focus first would restyle and draw both panes twice: once for the
        focus, again for the new case.
        """
        # Claimed now, not when the worker starts: a repaint asked for in
        # between must reopen this case, and an older worker must lose.
        self._open_generation += 1
        self._wanted = conversation_id
        hold_for_frame()
        self.set_timer(HEAP_HELD_AT_MOST, sweep_young)  # even if this open never paints
        self._focus_on_open = focus or self._focus_on_open
        return self._open(conversation_id, message_id, self._open_generation)

    async def conversation_opened(self, conversation_id: int) -> bool:
        """Wait until every pending open has painted; is ``conversation_id`` the one shown?"""
        opening = ("open", "mark_read")
        while pending := [w for w in self.workers if w.group in opening and not w.is_finished]:
            for worker in pending:
                with contextlib.suppress(WorkerCancelled, WorkerFailed):
                    await worker.wait()
        return self.conversation is not None and self.conversation["id"] == conversation_id

    async def _read_case(
        self, conversation_id: int, message_id: int | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self.store is not None
        shown = self.customer["id"] if self.customer else None
        conversation, customer = await queries.show_case(
            self.store,
            conversation_id,
            (shown, self._history_limit),
            HISTORY_PAGE,
            self._window.read(conversation_id, message_id),
        )
        if customer["id"] != shown:
            self._history_limit = HISTORY_PAGE  # another customer: their latest page
        return conversation, customer

    @work(group="open", exit_on_error=False, description="Opening conversation")
    async def _open(self, conversation_id: int, message_id: int | None, generation: int) -> None:
        assert self.store is not None
        try:
            conversation, customer = await self._read_case(conversation_id, message_id)
        except Exception:
            if generation == self._open_generation:
                self._focus_on_open = False  # the case is not shown: the focus stays
            raise
        if generation != self._open_generation:
            return
        previous = self.conversation["id"] if self.conversation else None
        # opened, or news while the agent is in it (not in the inbox): read
        looked = previous != conversation_id or self._focus_on_open or not self.inbox.has_focus
        self.conversation, self.customer = conversation, customer
        messages = conversation["messages"]
        self._window.loaded(conversation_id, messages[0]["id"] if messages else None)
        with self.batch_update():
            view = self.query_one(ConversationView)
            await view.show(conversation, message_id)
            view.show_replying(self._replying_here())
            self.query_one(CustomerPanel).show(customer, conversation_id)
            composer = self.query_one(Composer)
            if previous != conversation_id and composer.display:  # a repaint keeps it
                composer.flush_draft()
                composer.display = False
                self._room_to_write(False)
                self._not_composing()  # colleagues no longer see "Ana is replying" there
            if self._focus_on_open:
                self._focus_on_open = False
                view.focus()
        # the garbage of this switch goes once the case is on screen and being read
        self.call_after_refresh(self.set_timer, SWEEP_AFTER_PAINT, sweep_young)
        if previous is None:
            self.refresh_bindings()  # case actions become available
        if conversation["unread"] and looked:
            self.inbox.mark_read(conversation_id)  # the unread dot goes now
            self._mark_read(conversation_id)  # the store catches up after the paint

    @work(group="mark_read", exit_on_error=False, description="Marking read")
    async def _mark_read(self, conversation_id: int) -> None:
        assert self.store is not None
        await actions.mark_read(self.store, conversation_id)

    def _store_lost(self) -> bool:
        """Stop writing to a store that is no longer there; keep what the agent typed."""
        composer = self.query_one(Composer)
        draft = composer.body if composer.display else ""
        case = self.conversation["id"] if self.conversation else None
        assert self._guard is not None
        warning = self._guard.warning(draft, case)
        self.notify(warning, title="Store gone", severity="error", timeout=3600)
        self.refresh_bindings()
        return True

    def _replying_here(self) -> tuple[str, ...]:
        return self.replying.get(self.conversation["id"], ()) if self.conversation else ()

    def reload(self) -> None:
        """After any change: repaint the inbox (keeping the cursor) and the open case."""
        self.inbox.reload()
        if self._wanted is not None:  # the case being opened, not the one it replaces
            self.open_conversation(self._wanted)
        self._refresh_counts()

    @work(group="watch", exit_on_error=False, description="Watching the store")
    async def _watch_store(self) -> None:
        """The sync daemon, other agents and the CLI write too: repaint when the store moves."""
        if self.store is None or self._polling or self._quitting:
            return  # one poll at a time; a slow one is skipped, never cancelled
        self._polling = True
        try:
            await self._poll()
        finally:
            self._polling = False

    async def _poll(self) -> None:
        assert self.store is not None
        if self._guard.lost or self._guard.check() and self._store_lost():
            return
        if await actions.wake_snoozed(self.store):
            self.reload()
        if (status := self.activity.due()) is not None:
            await presence.heartbeat(self.store, self.agent, status=status)
        pulse = await queries.pulse(self.store)
        others = {
            case: tuple(a for a in agents if a != self.agent)
            for case, agents in pulse.replying.items()
        }
        others = {case: agents for case, agents in others.items() if agents}
        if others != self.replying:
            self.replying = others
            self.query_one(ConversationView).show_replying(self._replying_here())
        if pulse.marker == self._marker:
            return
        self.query_one(StatusBar).show(pulse)
        if self._marker is not None:
            self.reload()
        if self._last_message_id is not None and pulse.last_message_id > self._last_message_id:
            await self._toast_new(self._last_message_id)
        self._marker, self._last_message_id = pulse.marker, pulse.last_message_id

    async def _toast_new(self, after_id: int) -> None:
        """One toast per burst, however many messages arrived."""
        assert self.store is not None
        fresh = await queries.new_inbound(self.store, after_id)
        if fresh:
            who, title = toasts.new_mail(fresh)
            self.notify(who, title=title)


def _load_the_rest() -> None:
    for name in AFTER_THE_FIRST_PAINT:
        importlib.import_module(name)
    wrap.warm_up()


async def run_console(config: Config, db_path: Path) -> int:
    app = OmniApp(config, db_path)
    await app.read_first_page()
    await app.run_async()
    return app.return_code or 0
