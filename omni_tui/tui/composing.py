"""Writing from the console: the composer's drafts, sends and canned responses, and
``_do``, the one way every console action changes the store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.worker import Worker

from omni_tui.errors import OmniError
from omni_tui.lazy import deferred
from omni_tui.tui.composer import Composer, Target
from omni_tui.tui.composer.composer import default_target, reply_targets, with_copies
from omni_tui.tui.conversation import ConversationView
from omni_tui.tui.inbox import InboxList
from omni_tui.tui.screens.pickers import PickOne
from omni_tui.tui.store_guard import StoreGuard

if TYPE_CHECKING:
    from adapters.sms.encoding import TextLimit
    from omni_tui import (
        accounts,
        actions,
        attachments,
        collisions,
        drafts,
        outbox,
        presence,
        recipients,
    )
    from omni_tui.config import Config
    from omni_tui.store import Store
else:  # the ORM loads after the first paint (see ``omni_tui.lazy``)
    _LAZY = (
        "accounts",
        "actions",
        "attachments",
        "collisions",
        "drafts",
        "outbox",
        "presence",
        "recipients",
    )
    accounts, actions, attachments, collisions, drafts, outbox, presence, recipients = (
        deferred(f"omni_tui.{name}") for name in _LAZY
    )


#: Columns below which the inbox folds away while the composer is open.
ROOM_TO_WRITE = 72


class Composing(App[int]):
    """The composer's side of the console; the app supplies loading and repainting."""

    store: Store | None
    conversation: dict[str, Any] | None
    customer: dict[str, Any] | None
    agent: str
    config: Config
    replying: dict[int, tuple[str, ...]]
    _guard: StoreGuard | None = None
    _draft_trouble: str | None = None  # the last draft-saving error shown
    #: a case this console began with `c`, until its first words are written
    _started_case: tuple[int, int] | None = None
    #: where the case stood when the composer opened (``collisions``)
    _composer_mark: collisions.Mark | None = None
    _folded_to_write = False  # the inbox was folded to make room for the composer
    #: each draft's latest save asked for, by (case, mode): an older text is never
    #: written over a newer one
    _draft_turns: dict[tuple[int, str], int]
    _draft_lock: asyncio.Lock

    def reload(self) -> None:
        raise NotImplementedError

    def _room_to_write(self, writing: bool) -> None:
        """Below ``ROOM_TO_WRITE`` columns the inbox folds while a reply is written (the
        composer had two rows, one of them visible) and comes back when it closes."""
        inbox = self.query_one("#inbox-pane")
        if writing and self.size.width < ROOM_TO_WRITE and not inbox.has_class("-collapsed"):
            self._folded_to_write = True
            inbox.add_class("-collapsed")
        elif not writing and self._folded_to_write:
            self._folded_to_write = False
            inbox.remove_class("-collapsed")

    def open_conversation(
        self, conversation_id: int, message_id: int | None = None, *, focus: bool = False
    ) -> Worker[None]:
        raise NotImplementedError

    async def _do(self, label: str, change: Callable[[], Awaitable[object]]) -> bool:
        if self._guard is not None and self._guard.lost:
            self.notify("The store is gone: nothing can be saved", title=label, severity="error")
            return False
        try:
            await change()
        except OmniError as exc:
            self.notify(str(exc), title=label, severity="error", markup=False)
            return False
        self.reload()
        return True

    @property
    def _case(self) -> int:
        assert self.conversation is not None
        return int(self.conversation["id"])

    # -- composer --------------------------------------------------------------

    def reply_targets(self) -> list[Target]:
        return reply_targets(self.customer) if self.customer else []

    def _copies(self) -> list[str]:
        """Who the last email in the case came from and copied: a reply goes to them too."""
        for m in reversed((self.conversation or {}).get("messages", [])):
            if m["direction"] == "in" and m["channel"] == "email":
                own = accounts.own_addresses(self.config.accounts)
                cc = (m.get("context") or {}).get("cc", "")
                return recipients.copies_from(cc, own, author=m["sender"] or "")
        return []

    @work(exit_on_error=False)
    async def _open_composer(self, mode: str, target: Target | None = None) -> None:
        assert self.store is not None and self.conversation is not None
        case = self._case  # the case asked for, even if another opens meanwhile
        targets = with_copies(self.reply_targets(), self._copies())
        index = default_target(self.conversation, targets)
        await self._drafts_saved()  # a save still waiting on the store is what to load
        draft = await drafts.load_draft(self.store, case, self.agent, mode)  # the key's mode
        body, files = "", []
        if draft is not None:
            body, files = draft.body, [Path(p) for p in draft.files]
            for i, t in enumerate(targets):
                if (t.channel, t.address) == (draft.channel, draft.to_address):
                    index = i  # to all its mail copied, as first offered
                    break
        for i, t in enumerate(targets if target is not None else ()):
            if target is not None and (t.channel, t.address) == (target.channel, target.address):
                index = i  # the palette's address, to all its mail copied
                break
        seen = await collisions.mark(self.store, case)
        if case != self._case:
            return  # another case opened while its draft was read: not this composer's
        self._composer_mark = seen  # what this agent saw when they began
        stopped = bool(self.customer and self.customer.get("opted_out"))
        self.query_one(Composer).open(
            mode, targets, index, body, case=case, files=files,
            sms_limit=self._sms_limit(), opted_out=stopped,
        )  # fmt: skip
        self._room_to_write(True)
        await presence.heartbeat(self.store, self.agent, composing=case)

    def _sms_limit(self) -> TextLimit | None:
        """How the gateway a text in this case goes out by counts it: the account the
        customer last texted, as the outbox picks it."""
        assert self.conversation is not None
        texts = (m for m in reversed(self.conversation["messages"]) if m["channel"] == "sms")
        account = next((m["account"] for m in texts if m["direction"] == "in"), None)
        return accounts.text_limits(self.config.accounts).get(account)

    def action_reply(self) -> None:
        self._open_composer("reply")

    def action_reply_to(self, channel: str, address: str) -> None:
        self._open_composer("reply", Target(channel, address))

    def action_note(self) -> None:
        self._open_composer("note")

    @on(Composer.DraftChanged)
    def _draft_changed(self, event: Composer.DraftChanged) -> None:
        """Saved in a worker: keys typed meanwhile must not wait on a busy store."""
        self._save_draft_later(event, self._draft_turn(event))

    def _draft_turn(self, event: Composer.DraftChanged) -> int:
        key = (event.case, event.mode)
        self._draft_turns[key] = turn = self._draft_turns.get(key, 0) + 1
        return turn

    @work(group="drafts", exit_on_error=False, description="Saving the draft")
    async def _save_draft_later(self, event: Composer.DraftChanged, turn: int) -> None:
        await self._save_draft(event, turn)

    async def _save_draft(self, event: Composer.DraftChanged, turn: int | None = None) -> None:
        """Saves one at a time; a text older than one saved after it is not written."""
        if self.store is None:
            return
        if turn is None:
            turn = self._draft_turn(event)
        async with self._draft_lock:
            if self._draft_turns[(event.case, event.mode)] == turn:
                await self._write_draft(event)

    async def _write_draft(self, event: Composer.DraftChanged) -> None:
        assert self.store is not None
        target = event.target
        try:
            await drafts.save_draft(
                self.store,
                event.case,
                self.agent,
                event.body,
                mode=event.mode,
                channel=target.channel if target else None,
                to=target.address if target else None,
                files=[str(p) for p in event.files],
            )
        except OmniError as exc:  # e.g. a full disk: say so once, keep the text on screen
            if str(exc) != self._draft_trouble:
                self._draft_trouble = str(exc)
                self.notify(
                    f"{exc}. The draft stays in the composer.",
                    title="Draft",
                    severity="error",
                    markup=False,
                )
        else:
            self._draft_trouble = None
            written = bool(event.body.strip() or event.files)
            self.query_one(InboxList).mark_draft(event.case, written)

    @on(Composer.Send)
    @work(exit_on_error=False, group="send")
    async def _send(self, event: Composer.Send) -> None:
        assert self.store is not None and self.conversation is not None
        store, case = self.store, self._case
        # a draft until the outbox has it: a quit, a crash or a busy store before the
        # commit loses nothing (the composer dropped its own pending save on ctrl+s)
        await self._keep_as_draft(case, event)
        if event.mode == "reply" and (news := await self._since_composer_opened(case)):
            choice = await self.push_screen_wait(
                PickOne("; ".join(news), [("send", "Send anyway"), ("wait", "Keep editing")])
            )
            if choice != "send":
                return  # kept as a draft
        if event.mode == "note":
            change = lambda: actions.add_note(store, case, event.body, agent=self.agent)  # noqa: E731
        else:
            target = event.target

            async def change() -> None:
                files = await asyncio.to_thread(attachments.read_for_reply, event.files)
                await outbox.queue_reply(
                    store,
                    case,
                    event.body,
                    agent=self.agent,
                    channel=target.channel if target else None,
                    to=target.address if target else None,
                    default_region=self.config.identity.default_region,
                    domains=accounts.reply_domains(self.config.accounts),
                    text_limits=accounts.text_limits(self.config.accounts),
                    attachments=files,
                    cc=target.cc if target else (),
                    own=accounts.own_addresses(self.config.accounts),
                )

        if await self._do("Send", change):
            view = self.query_one(ConversationView)
            view.follow_latest()  # what was just written shows when the case repaints
            self.query_one(Composer).discard_files(case)
            self.query_one(Composer).display = False
            self._room_to_write(False)
            view.focus()  # j/k go on at once: the hidden composer held the focus
            await drafts.delete_draft(store, case, self.agent, event.mode)
            self.query_one(InboxList).mark_draft(case, False)
            self.notify("Note added" if event.mode == "note" else "Reply queued in the outbox")
            await presence.heartbeat(store, self.agent, composing=None)

    async def _since_composer_opened(self, case: int) -> list[str]:
        """Colleagues writing here now, and what they did here since the composer opened."""
        assert self.store is not None
        others = self.replying.get(case, ())
        news = [f"{' and '.join(others)} {'is' if len(others) == 1 else 'are'} replying here too"]
        news = news if others else []
        seen = self._composer_mark
        if seen is not None and seen.case == case:
            news += await collisions.since(self.store, seen, agent=self.agent)
        return news

    async def _keep_as_draft(self, case: int, event: Composer.Send) -> None:
        """What is being sent, saved as the case's draft (deleted once it is sent)."""
        draft = Composer.DraftChanged(case, event.mode, event.target, event.body, event.files)
        await self._save_draft(draft)

    @on(Composer.Closed)
    def _composer_closed(self) -> None:
        self._room_to_write(False)
        self.query_one("#conversation").focus()
        self._not_composing()
        started, self._started_case = self._started_case, None
        if started is not None and self.conversation is not None:
            if self.conversation["id"] == started[0]:
                self._drop_started_case(*started)

    @work(exit_on_error=False)
    async def _drop_started_case(self, case: int, came_from: int) -> None:
        """A case begun with `c` and closed before a word was written: gone again (the
        draft saved on closing, if any, keeps it), and the case it came from is back."""
        assert self.store is not None
        await self._drafts_saved()  # the words typed just before closing count
        if await actions.drop_if_empty(self.store, case):
            self.notify("Nothing was written: the new conversation was not kept")
            self.open_conversation(came_from, focus=True)
            self.reload()

    async def _drafts_saved(self) -> None:
        """Wait for the draft saves begun so far (they run in workers of their own)."""
        for worker in [w for w in self.workers if w.group == "drafts" and not w.is_finished]:
            with contextlib.suppress(Exception):  # a failed save has said so already
                await worker.wait()

    @work(exit_on_error=False, group="presence")
    async def _not_composing(self) -> None:
        if self.store is not None:
            await presence.heartbeat(self.store, self.agent, composing=None)

    @on(Composer.CannedRequested)
    @work(exit_on_error=False)
    async def _canned(self) -> None:
        canned = {c.name: c for c in self.config.canned}
        if not canned:
            self.notify("No canned responses: add [[canned]] to the config")
            return
        name = await self.push_screen_wait(
            PickOne("Canned response", [(n, f"{n} — {c.body[:60]}") for n, c in canned.items()])
        )
        if name:
            name_of_customer = (self.customer or {}).get("name") or "there"
            text = canned[name].render(customer_name=name_of_customer, agent=self.config.agent)
            self.query_one(Composer).insert(text)
