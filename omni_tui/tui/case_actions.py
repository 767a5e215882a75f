"""What an agent does to the open case from the console.  Every change runs in a
worker through the same functions the CLI uses, then the panes repaint."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from textual import events, work
from textual.css.query import NoMatches

from omni_tui.errors import OmniError
from omni_tui.lazy import deferred
from omni_tui.tui.console_screen import ConsoleScreen
from omni_tui.tui.customer_actions import CustomerActions, tag_words
from omni_tui.tui.inbox import InboxList
from omni_tui.tui.keys import CONSOLE_BINDINGS
from omni_tui.tui.screens.pickers import AskText, EditText, PickOne
from omni_tui.when import hint, parse_when

if TYPE_CHECKING:
    from omni_tui import accounts, actions, attachments, drafts, outbox, queries, teams
else:  # the ORM loads after the first paint (see ``omni_tui.lazy``)
    _LAZY = ("accounts", "actions", "attachments", "drafts", "outbox", "queries", "teams")
    accounts, actions, attachments, drafts, outbox, queries, teams = (
        deferred(f"omni_tui.{name}") for name in _LAZY
    )

NEEDS_CASE = {
    "reply",
    "note",
    "assign",
    "resolve",
    "reopen",
    "pending",
    "snooze",
    "tag",
    "merge",
    "split",
    "log_call",
    "compose_new",
    "retry",
    "cancel_reply",
    "edit_reply",
    "save_attachments",
    "open_attachments",
    "reply_to",
    "link_suggestion",
    "customer_tag",
    "customer_note",
    "add_address",
}


#: a case's keys that, pressed in the inbox, mean the highlighted row's case (as in
#: neomutt's index), not the one left open beside it
ON_THE_ROW = NEEDS_CASE - {
    "retry",
    "cancel_reply",
    "edit_reply",
    "save_attachments",
    "open_attachments",
    "link_suggestion",
}  # these act on the message picked in the conversation, where the cursor is

#: what a status change says it did, e.g. "Resolved #71 (Alex Morgan)"
DONE = {"resolved": "Resolved", "open": "Reopened", "pending": "Pending:", "snoozed": "Snoozed"}

#: the console's own keys (a case, a view, search): not while another screen is up
CONSOLE_ONLY = {b.action.partition("(")[0] for b in CONSOLE_BINDINGS} - {"help", "quit"}


class CaseActions(CustomerActions):
    """The console's case actions; the app supplies loading and repainting."""

    async def conversation_opened(self, conversation_id: int) -> bool:
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CONSOLE_ONLY and not isinstance(self.screen, ConsoleScreen):
            return False  # behind the reports (or a dialog): never on a case out of sight
        if action in NEEDS_CASE and self.conversation is None:
            if action in ON_THE_ROW and self._row_in_the_inbox() is not None:
                return True  # the highlighted case: opened first (``run_action``)
            return None  # shown disabled until a case is open
        return True

    def _row_in_the_inbox(self) -> int | None:
        """The case the agent's cursor is on in the inbox, when the inbox has the focus."""
        try:
            inbox = self.query_one(InboxList)
        except NoMatches:  # asked before the console is on screen
            return None
        return inbox.current_id if inbox.has_focus else None

    async def run_action(
        self,
        action: str | Any,
        default_namespace: Any = None,
        namespaces: Any = None,
    ) -> bool:
        """A case's key in the inbox opens the highlighted case first, then acts on it:
        the agent moved the cursor there, so that is the case they mean."""
        name = action.rpartition(".")[2].partition("(")[0] if isinstance(action, str) else ""
        row = self._row_in_the_inbox() if name in ON_THE_ROW else None
        if row is not None and (self.conversation is None or row != self.conversation["id"]):
            self.open_conversation(row)  # also the first key of a console just started
            if not await self.conversation_opened(row):
                return True  # it could not be opened (gone meanwhile): nothing done
        return await super().run_action(action, default_namespace, namespaces)

    def on_key(self, event: events.Key) -> None:
        """A case's key with no case open says why nothing happened."""
        if self.conversation is not None:
            return
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        if active.binding.action.partition("(")[0] in NEEDS_CASE:
            event.stop()
            label = active.binding.description or active.binding.action
            self.notify(f"{label}: open a case first (enter on one in the inbox)", markup=False)

    # -- case actions ----------------------------------------------------------

    @work(exit_on_error=False)
    async def action_assign(self) -> None:
        assert self.store is not None
        agents = [a for a in await queries.agents(self.store) if a != self.agent]
        choices = [("me", f"me ({self.agent})"), ("nobody", "nobody")]
        choices += [(f"agent:{a}", a) for a in agents]
        choices += [(f"team:{t}", f"team {t}") for t in await teams.known(self.store, self.config)]
        pick = await self.push_screen_wait(PickOne("Assign to", choices))
        if not pick:
            return
        store, case = self.store, self._case
        if pick.startswith("team:"):
            team = pick.removeprefix("team:")
            hand = lambda: actions.hand_to_team(store, case, team, agent=self.agent)  # noqa: E731
            if await self._do("Assign", hand):
                self.notify(f"Handed #{case} to team {team}")
            return
        assignee = {"me": self.agent, "nobody": None}.get(pick, pick.removeprefix("agent:"))
        if pick == "me" and self.conversation and self.conversation["assignee"] is None:
            # a claim: if a colleague took it since this screen was drawn, they keep it
            if await self._do("Claim", lambda: actions.claim(store, case, agent=self.agent)):
                self.notify(f"#{case} is yours")
            return
        if await self._do(
            "Assign", lambda: actions.assign(store, case, assignee, agent=self.agent)
        ):  # said: the case may leave the view the agent is looking at
            self.notify(f"Assigned #{case} to {assignee}" if assignee else f"Unassigned #{case}")

    async def _status(self, status: str, until: Any = None) -> None:
        assert self.store is not None
        store, case = self.store, self._case
        who = (self.customer or {}).get("name") or ""
        done = await self._do(
            status.capitalize(),
            lambda: actions.set_status(store, case, status, agent=self.agent, until=until),
        )
        if done:  # said, since the case may leave the view the agent is looking at
            wakes = f" until {until.astimezone():%a %d %b %H:%M}" if until else ""
            said = f"{DONE[status]} #{case}{wakes}" + (f" ({who})" if who else "")
            self.notify(said, markup=False)

    @work(exit_on_error=False)
    async def action_resolve(self) -> None:
        await self._status("resolved")

    @work(exit_on_error=False)
    async def action_reopen(self) -> None:
        await self._status("open")

    @work(exit_on_error=False)
    async def action_pending(self) -> None:
        await self._status("pending")

    @work(exit_on_error=False)
    async def action_snooze(self) -> None:
        """What cannot be read comes back to be fixed, not thrown away."""
        typed = "tomorrow"
        while True:
            examples = f"2h, tomorrow 14:00, mon, {hint().rsplit(', ', 1)[-1]}"
            answer = await self.push_screen_wait(
                AskText(f"Snooze until — {examples}", hint(), typed)
            )
            if not answer:  # esc, or nothing typed: nothing changes
                return
            try:
                until = parse_when(answer)
            except ValueError as exc:
                self.notify(str(exc), severity="error")
                typed = answer
                continue
            await self._status("snoozed", until)
            return

    @work(exit_on_error=False)
    async def action_tag(self) -> None:
        assert self.store is not None
        answer = await self.push_screen_wait(
            AskText("Tags", "refund vip  (prefix - to remove: -vip)")
        )
        if not answer:
            return
        add, remove = tag_words(answer)
        store, case = self.store, self._case

        async def change() -> None:
            if add:
                await actions.add_tags(store, case, add, agent=self.agent)
            if remove:
                await actions.add_tags(store, case, remove, agent=self.agent, remove=True)

        if await self._do("Tag", change):
            words = [f"#{t}" for t in add] + [f"-#{t}" for t in remove]
            self.notify(f"Tagged #{case}: {' '.join(words)}")

    @work(exit_on_error=False)
    async def action_log_call(self) -> None:
        assert self.store is not None and self.customer is not None
        kind = await self.push_screen_wait(
            PickOne("Log", [("phone", "Phone call"), ("in-person", "Visit in person")])
        )
        if not kind:
            return
        body = await self.push_screen_wait(AskText("What was said?", "summary of the call"))
        if body:
            store, customer, case = self.store, int(self.customer["id"]), self._case
            await self._do(
                "Log call",
                lambda: actions.log_call(
                    store, customer, body, agent=self.agent, channel=kind, conversation_id=case
                ),
            )

    @work(exit_on_error=False)
    async def action_compose_new(self) -> None:
        assert self.store is not None and self.customer is not None
        targets = self.reply_targets()
        if not targets:
            self.notify("This customer has no email, phone or chat address", severity="error")
            return
        pick = await self.push_screen_wait(
            PickOne(
                "New conversation on",
                [(str(i), f"{t.channel}: {t.address}") for i, t in enumerate(targets)],
            )
        )
        if pick is None:
            return
        subject = await self.push_screen_wait(AskText("Subject", "what is it about?"))
        if not subject:
            return
        case = await actions.new_conversation(
            self.store, int(self.customer["id"]), subject, agent=self.agent
        )
        # left without a word, it goes again and the case it was begun from comes back
        self._started_case = (case, self._case)
        self.open_conversation(case)
        if await self.conversation_opened(case):
            self._open_composer("reply", targets[int(pick)])

    @work(exit_on_error=False)
    async def action_retry(self) -> None:
        assert self.store is not None
        message = self.query_one("#conversation").current
        if not message or message["status"] != "failed":
            self.notify("Pick a failed outbound message (j/k) to retry")
            return
        store = self.store
        await self._do("Retry", lambda: outbox.retry(store, message["id"], agent=self.agent))

    def _unsent(self, verb: str) -> dict[str, Any] | None:
        message = self.query_one("#conversation").current
        if (
            not message
            or message["direction"] != "out"
            or message["status"]
            not in (
                "queued",
                "failed",
            )
        ):
            self.notify(f"Pick a queued or failed reply (j/k) to {verb}")
            return None
        return message

    @work(exit_on_error=False)
    async def action_cancel_reply(self) -> None:
        assert self.store is not None
        if not (message := self._unsent("cancel")):
            return
        store, case = self.store, self._case
        if not await self._do(
            "Cancel", lambda: outbox.cancel(store, message["id"], agent=self.agent)
        ):
            return
        # the words are not thrown away: the usual reason to cancel is to send them another
        # way (by email, not SMS), and retyping them is what the agent should not have to do
        if await drafts.load_draft(store, case, self.agent, "reply") is None:
            await drafts.save_draft(store, case, self.agent, message["text"], mode="reply")
            self.notify("Reply cancelled; its text is your draft: r to send it another way")
        else:
            self.notify("Reply cancelled (your draft here is kept as it was)")

    @work(exit_on_error=False)
    async def action_edit_reply(self) -> None:
        assert self.store is not None
        if not (message := self._unsent("edit")):
            return
        title = "Edit reply — ctrl+s saves it to the outbox, esc leaves it as it was"
        body = await self.push_screen_wait(EditText(title, message["text"]))
        if body:
            store, limits = self.store, accounts.text_limits(self.config.accounts)
            await self._do(
                "Edit",
                lambda: outbox.edit(
                    store, message["id"], body, agent=self.agent, text_limits=limits
                ),
            )

    @work(exit_on_error=False)
    async def action_save_attachments(self) -> None:
        assert self.store is not None
        message = self.query_one("#conversation").current
        files = (message or {}).get("attachments") or []
        if not files:
            self.notify("This message has no attachments")
            return
        default = platformdirs.user_downloads_dir()
        answer = await self.push_screen_wait(AskText("Save to directory", default, default))
        if not answer:
            return
        saved = []
        for a in files:
            try:
                saved.append(await attachments.save_attachment(self.store, a["id"], Path(answer)))
            except OmniError as exc:
                self.notify(str(exc), severity="warning")
        if saved:
            self.notify("Saved " + ", ".join(p.name for p in saved))

    @work(exit_on_error=False)
    async def action_open_attachments(self) -> None:
        """Hand a copy to the desktop's viewer; nothing is executed by us."""
        assert self.store is not None
        message = self.query_one("#conversation").current
        files = (message or {}).get("attachments") or []
        opener = shutil.which("xdg-open") or shutil.which("open")
        if not files or opener is None:
            self.notify("Nothing to open" if not files else "No system opener (xdg-open) here")
            return
        directory = Path(tempfile.mkdtemp(prefix="omni-tui-"))
        for a in files:
            try:
                path = await attachments.save_attachment(self.store, a["id"], directory)
            except OmniError as exc:
                self.notify(str(exc), severity="warning")
                continue
            subprocess.Popen(
                [opener, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
