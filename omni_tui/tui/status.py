"""The status bar: each account's sync health and what waits in the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from omni_tui.tui import format as fmt

if TYPE_CHECKING:
    from omni_tui.queries import Pulse

STATE_STYLE = {
    "ok": "green",
    "idle": "green",
    "syncing": "cyan",
    "backoff": "yellow",
    "warning": "yellow",
    "error": "bold red",
    "auth": "bold red",
}


def status_line(pulse: Pulse) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    if not pulse.accounts:
        out.append("no sync running", style="dim")
    for account in pulse.accounts:
        out.append("● ", style=STATE_STYLE.get(account["state"], "dim"))
        out.append_text(fmt.safe_line(account["account"]))
        if account["last_error"] and account["state"] not in ("ok", "idle"):
            out.append(" ")
            out.append_text(fmt.safe_line(account["last_error"][:40], "dim"))
        elif account["last_success_at"]:
            out.append(f" {fmt.age(account['last_success_at'])}", style="dim")
        out.append("  ")
    queued = pulse.outbox.get("queued", 0) + pulse.outbox.get("sending", 0)
    failed = pulse.outbox.get("failed", 0)
    out.append("  outbox: ")
    out.append(f"{queued} queued", style="yellow" if queued else "dim")
    out.append(" · ")
    out.append(f"{failed} failed", style="bold red" if failed else "dim")
    return out


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def show(self, pulse: Pulse) -> None:
        self.update(status_line(pulse))
