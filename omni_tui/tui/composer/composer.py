"""Writing a reply or a private note, on any of the customer's channels."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static, TextArea

from adapters.sms.encoding import TextLimit, count_segments
from omni_tui.errors import OmniError
from omni_tui.lazy import deferred
from omni_tui.tui import format as fmt
from omni_tui.tui.screens.pickers import AskText, PickOne

BODY_ROWS = 8  # the text area's height when there is room

if TYPE_CHECKING:
    from omni_tui import attachments
else:  # the ORM loads after the first paint (see ``omni_tui.lazy``)
    attachments = deferred("omni_tui.attachments")


@dataclass(frozen=True, slots=True)
class Target:
    channel: str
    address: str
    cc: tuple[str, ...] = ()  #: email: copies


def reply_targets(customer: dict[str, Any]) -> list[Target]:
    return [
        Target(i["channel"], i["address"])
        for i in customer["identities"]
        if i["channel"] in ("email", "sms", "chat")
    ]


def with_copies(targets: list[Target], copies: list[str]) -> list[Target]:
    """Each email target twice when the customer's last email copied others: to all
    of them first (as it was written), then to the customer alone."""
    theirs = {t.address for t in targets if t.channel == "email"}  # one copy reaches them
    out: list[Target] = []
    for t in targets:
        others = tuple(a for a in copies if a not in theirs)
        if t.channel == "email" and others:
            out.append(replace(t, cc=others))
        out.append(t)
    return out


def default_target(conversation: dict[str, Any], targets: list[Target]) -> int:
    """Reply where the customer last wrote."""
    for m in reversed(conversation["messages"]):
        if m["direction"] == "in" and m["channel"] in ("email", "sms", "chat"):
            for i, t in enumerate(targets):
                if t.channel == m["channel"] and t.address == m["sender"]:
                    return i
            for i, t in enumerate(targets):
                if t.channel == m["channel"]:
                    return i
    return 0


class Composer(Vertical):
    BINDINGS = [
        Binding(
            "ctrl+s",
            "send",
            "Send",
            tooltip="Commit to the outbox",
            priority=True,
            id="composer.send",
        ),
        Binding(
            "ctrl+o",
            "next_target",
            "Channel",
            tooltip="Reply on another of the customer's channels",
            priority=True,
            id="composer.channel",
        ),
        Binding(
            "ctrl+e",
            "editor",
            "$EDITOR",
            tooltip="Write in your editor",
            priority=True,
            id="composer.editor",
        ),
        Binding(
            "ctrl+r",
            "canned",
            "Canned",
            tooltip="Insert a canned response",
            priority=True,
            id="composer.canned",
        ),
        Binding(
            "ctrl+t",
            "attach",
            "Attach",
            tooltip="Attach a file to the reply (email), or remove one",
            priority=True,
            id="composer.attach",
        ),
        Binding(
            "escape", "close", "Close", tooltip="Close; the draft is kept", id="composer.close"
        ),
    ]

    class Send(Message):
        def __init__(
            self, mode: str, target: Target | None, body: str, files: tuple[Path, ...] = ()
        ) -> None:
            super().__init__()
            self.mode, self.target, self.body, self.files = mode, target, body, files

    class DraftChanged(Message):
        """``case`` is the one the text was typed in, whatever is on screen by now."""

        def __init__(
            self,
            case: int,
            mode: str,
            target: Target | None,
            body: str,
            files: tuple[Path, ...] = (),
        ) -> None:
            super().__init__()
            self.case, self.mode, self.target, self.body = case, mode, target, body
            self.files = files

    class Closed(Message):
        pass

    class CannedRequested(Message):
        pass

    mode: reactive[str] = reactive("reply")
    target_index: reactive[int] = reactive(0)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.targets: list[Target] = []
        self._save_timer: Timer | None = None
        self._case: int | None = None
        self._sms_limit: TextLimit | None = None
        self._opted_out = False
        self._files: dict[int, list[Path]] = {}  # by case, until sent: never another case's

    def compose(self) -> ComposeResult:
        yield Static("", id="composer-status")
        yield TextArea(id="composer-body", soft_wrap=True, show_line_numbers=False)

    @property
    def body(self) -> str:
        return self.query_one(TextArea).text

    @property
    def target(self) -> Target | None:
        if self.mode == "note" or not self.targets:
            return None
        return self.targets[self.target_index % len(self.targets)]

    @property
    def files(self) -> list[Path]:
        """What is attached to this case's reply."""
        return [] if self._case is None else self._files.get(self._case, [])

    def discard_files(self, case: int) -> None:
        """The reply carrying them is in the outbox, with its own copies."""
        self._files.pop(case, None)
        self._update_status()

    def open(
        self,
        mode: str,
        targets: list[Target],
        index: int,
        body: str = "",
        *,
        case: int,
        files: Sequence[Path] = (),
        sms_limit: TextLimit | None = None,
        opted_out: bool = False,
    ) -> None:
        """``files``: those the case's saved draft names; the ones attached since this
        console started, if any, are the newer word. ``sms_limit``: how the gateway a text
        goes out by counts it; ``opted_out``: the customer texted STOP."""
        self.flush_draft()  # the last keys typed in another case go to that case
        self._case = case
        self._sms_limit, self._opted_out = sms_limit, opted_out
        self._files.setdefault(case, list(files))
        self.targets = targets
        self.mode = mode
        self.target_index = index
        area = self.query_one(TextArea)
        area.text = body
        area.move_cursor(area.document.end)
        self.display = True
        area.focus()
        self._update_status()

    def insert(self, text: str) -> None:
        self.query_one(TextArea).insert(text)

    def watch_mode(self) -> None:
        self.set_class(self.mode == "note", "-note")
        self._update_status()

    def watch_target_index(self) -> None:
        self._update_status()

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._update_status()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.4, self._emit_draft)

    def _emit_draft(self) -> None:
        if (draft := self.pending_draft(always=True)) is not None:
            self.post_message(draft)

    def pending_draft(self, *, always: bool = False) -> Composer.DraftChanged | None:
        """What was typed since the last save (everything, with ``always``), to save now."""
        pending, self._save_timer = self._save_timer, None
        if pending is not None:
            pending.stop()
        if self._case is None or (pending is None and not always):
            return None
        files = tuple(self.files)
        return self.DraftChanged(self._case, self.mode, self.target, self.body, files)

    def flush_draft(self) -> None:
        """Save what is still waiting for the typing pause, before the case changes."""
        if (draft := self.pending_draft()) is not None:
            self.post_message(draft)

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        status = Text()
        if self.mode == "note":
            status.append("✎ Private note", style="bold yellow")
            status.append(" — only agents see it", style="dim")
        elif self.target is None:
            status.append("This customer has no address to reply to", style="bold red")
        else:
            status.append("Reply via ")
            status.append_text(fmt.badge(self.target.channel))
            status.append(" to ")
            status.append_text(fmt.safe_line(self.target.address))
            if self.target.cc:
                status.append(", copied to ")
                status.append_text(fmt.safe_line(", ".join(self.target.cc)))
            if self.target.channel == "email" and any(t.cc for t in self.targets):
                status.append("  (ctrl+o: with or without copies, other channel)", style="dim")
            elif len(self.targets) > 1:
                status.append("  (ctrl+o: other channel)", style="dim")
            if self.target.channel == "sms":
                self._sms_status(status)
        if self.files:
            status.append("\n")
            status.append_text(self._files_line())
        self.query_one("#composer-status", Static).update(status)
        self.call_after_refresh(self._fit)

    def _sms_status(self, status: Text) -> None:
        if self._opted_out:
            status.append("   texted STOP: they cannot be texted", style="bold red")
            return
        limit = self._sms_limit
        counted = limit.segments(self.body) if limit else count_segments(self.body)
        status.append(f"   {counted}", style="dim")
        if limit is not None and (why := limit.refusal(self.body)):
            status.append(f"   {why}", style="bold red")

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The text area takes what is left of half the pane under the status, at most
        BODY_ROWS: at 80x24 a fixed height put the line being typed below the screen."""
        if self.parent is None or not self.display:
            return
        status = self.query_one("#composer-status", Static).outer_size.height
        room = self.parent.size.height // 2 - status - 1  # the border above
        height = max(2, min(BODY_ROWS, room))
        body = self.query_one(TextArea)
        if body.styles.height is None or body.styles.height.value != height:
            body.styles.height = height

    def _files_line(self) -> Text:
        line = Text("📎 ")
        for n, path in enumerate(self.files):
            line.append(", " if n else "")
            line.append_text(fmt.safe_line(path.name))
        if self.mode == "note":
            line.append("  not on a note", style="bold red")
        elif self.target and self.target.channel != "email":
            line.append("  email only: ctrl+o", style="bold red")
        else:
            line.append("  (ctrl+t: add or remove)", style="dim")
        return line

    def action_send(self) -> None:
        if self.files and self.mode == "note":
            self.notify("A private note carries text only: ctrl+t removes the files.")
        elif self.body.strip():
            self.pending_draft()  # being sent: a late save would bring the text back as a draft
            self.post_message(self.Send(self.mode, self.target, self.body, tuple(self.files)))

    @work(exit_on_error=False)
    async def action_attach(self) -> None:
        if self._case is None:
            return
        files = self._files.setdefault(self._case, [])
        if self.mode == "note" and not files:  # taken, then refused at send, and kept as a draft
            self.notify("A private note carries text only: attach files to a reply.")
            return
        choice = "add"
        if files:
            remove = [(str(n), f"Remove {f.name}  ({f.parent})") for n, f in enumerate(files)]
            choice = await self.app.push_screen_wait(
                PickOne("Attachments", [("add", "Attach another file"), *remove])
            )
        if choice is None:
            return
        if choice != "add":
            del files[int(choice)]
        else:
            typed = await self.app.push_screen_wait(
                AskText("Attach a file", placeholder="its path, e.g. ~/invoices/1101.pdf")
            )
            if not typed:
                return
            path = Path(typed).expanduser().absolute()
            try:
                await asyncio.to_thread(attachments.check_for_reply, [*files, path])
            except OmniError as exc:
                self.notify(str(exc), title="Attach", severity="error", markup=False)
                return
            files.append(path)
        self._update_status()
        self._emit_draft()  # the draft keeps its files too
        self.query_one(TextArea).focus()

    def action_next_target(self) -> None:
        if self.mode != "reply":
            self.notify("A private note has no channel: only agents see it.", severity="warning")
        elif len(self.targets) < 2:
            self.notify(self._why_no_other_channel(), severity="warning")
        else:
            self.target_index = (self.target_index + 1) % len(self.targets)
            self._emit_draft()

    def _why_no_other_channel(self) -> str:
        if not self.targets:
            return "This customer has no address to reply to."
        only = self.targets[0].channel
        other = "--channel email --to ADDRESS" if only == "sms" else "--channel sms --to NUMBER"
        return (
            f"No other channel: this customer can only be reached by {only}. Another address"
            f" they gave you is added by answering on it: omni-tui reply CASE {other}"
        )

    def action_close(self) -> None:
        self._emit_draft()
        self.display = False
        self.post_message(self.Closed())

    def action_canned(self) -> None:
        self.post_message(self.CannedRequested())

    def action_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write(self.body)
            path = Path(fh.name)
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), str(path)])
            self.query_one(TextArea).text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
