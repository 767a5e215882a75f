"""Sync inside the console when no ``omni-tui sync`` daemon runs on this store.

One agent on a laptop needs no daemon: the console takes the same lock a daemon
would and runs the same loops in its own event loop (pulls, IDLE, the outbox).
If a daemon holds the lock, the console leaves syncing to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from omni_tui.config import Config
from omni_tui.daemon import SEND_GRACE_S, SyncDaemon, SyncLock
from omni_tui.daemon import STOP_WAIT_S as PULLS_STOP_S
from omni_tui.errors import OmniError, Refused, StoreError
from omni_tui.recovery import recover_interrupted
from omni_tui.store import Store

#: as long as the daemon gives a reply in flight: one cut mid-send, and the lock let go,
#: would be sent again by whoever syncs next
STOP_WAIT_S = PULLS_STOP_S + SEND_GRACE_S + 5.0

log = logging.getLogger(__name__)


class LocalSync:
    def __init__(
        self,
        store: Store,
        config: Config,
        db_path: Path,
        on_stop: Callable[[str], None] | None = None,
    ) -> None:
        """``on_stop`` hears why syncing stopped on its own (a port taken, a failing
        secret command): the console must not go on saying it syncs."""
        self.store, self.config, self.on_stop = store, config, on_stop
        self.lock = SyncLock(db_path)
        self.daemon: SyncDaemon | None = None
        self._task: asyncio.Task[None] | None = None
        #: another sync held the lock: this console takes over when it goes
        self.waiting = False

    def start(self) -> bool:
        """True when this console now syncs; False when a daemon does (or nothing to)."""
        if not self.config.accounts:
            return False
        try:
            self.lock.acquire()
        except Refused:
            self.waiting = True
            return False
        except (StoreError, OSError) as exc:  # e.g. a lock file nobody can open
            log.warning("the console cannot take the sync lock: %s", exc)
            return False
        self.waiting = False
        self.daemon = SyncDaemon(self.store, self.config)
        self._task = asyncio.create_task(self._run(self.daemon))
        return True

    def take_over(self) -> bool:
        """True when the sync that held the lock has gone and this console now syncs:
        a team whose only syncing console quit would otherwise sync nothing."""
        return self.waiting and self.daemon is None and self.start()

    async def _run(self, daemon: SyncDaemon) -> None:
        try:
            await recover_interrupted(self.store, self.config)
            await daemon.run(signals=False)
        except Exception as exc:  # the lock goes, so a daemon started now can sync
            if not isinstance(exc, OmniError):
                log.exception("the console's sync stopped")
            self.lock.release()
            if self.on_stop is not None:
                self.on_stop(str(exc))

    async def stop(self) -> None:
        if self.daemon is None or self._task is None:
            return
        self.daemon.stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_S)
        if not self._task.done():
            self._task.cancel()  # run() cancels and awaits its own tasks: none outlives it
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self.lock.release()
        self.daemon = self._task = None
