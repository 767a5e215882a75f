"""Sync inside the console when no ``omni-tui sync`` daemon runs on this store.

One agent on a laptop needs no daemon: the console takes the same lock a daemon
would and runs the same loops in its own event loop (pulls, IDLE, the outbox).
If a daemon holds the lock, the console leaves syncing to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from omni_tui.config import Config
from omni_tui.daemon import SyncDaemon, SyncLock
from omni_tui.errors import Refused
from omni_tui.recovery import recover_interrupted
from omni_tui.store import Store

STOP_WAIT_S = 5.0


class LocalSync:
    def __init__(self, store: Store, config: Config, db_path: Path) -> None:
        self.store, self.config = store, config
        self.lock = SyncLock(db_path)
        self.daemon: SyncDaemon | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> bool:
        """True when this console now syncs; False when a daemon does (or nothing to)."""
        if not self.config.accounts:
            return False
        try:
            self.lock.acquire()
        except (Refused, OSError):
            return False
        self.daemon = SyncDaemon(self.store, self.config)
        self._task = asyncio.create_task(self._run(self.daemon))
        return True

    async def _run(self, daemon: SyncDaemon) -> None:
        await recover_interrupted(self.store, self.config)
        await daemon.run(signals=False)

    async def stop(self) -> None:
        if self.daemon is None or self._task is None:
            return
        self.daemon.stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_S)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self.lock.release()
        self.daemon = self._task = None
