"""What the console's toasts say: a failure once, a burst of new mail as one line."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from omni_tui.errors import OmniError

#: the same background failure again within this long is not shown again
SAME_FAILURE_QUIET_S = 60.0


class Failures:
    """One busy store is one toast, not one for every worker that met it."""

    def __init__(self, quiet: float = SAME_FAILURE_QUIET_S) -> None:
        self.quiet = quiet
        self._last: tuple[str, float] = ("", 0.0)

    def fresh(self, error: BaseException) -> str | None:
        """What to say of ``error``, or None when it was just said. Ours say what and
        what to do; a surprise also says what it is."""
        name = "" if isinstance(error, OmniError) else f"{type(error).__name__}: "
        text, now = f"{name}{error}", time.monotonic()
        said, at = self._last
        if text == said and now - at < self.quiet:
            return None
        self._last = (text, now)
        return text


def new_mail(fresh: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """(who, title) of one toast for a burst, however many messages arrived."""
    names = list(dict.fromkeys(m["who"] for m in fresh))
    who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    count = len(fresh)
    return who, f"{count} new message{'s' if count > 1 else ''}"


class Toasting(App[int]):
    """The console's toasts: plain text always, and each background failure once."""

    _failures: Failures | None = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast as plain text: toasts name customers, files and errors, and a
        ``[/]`` in any of them is data, not markup (it would crash the console)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Background failures are shown, never swallowed."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self._failures = self._failures or Failures()
            if (text := self._failures.fresh(event.worker.error)) is not None:
                self.notify(text, title=event.worker.description or "Error", severity="error")
