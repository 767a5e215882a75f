"""Copying the write-ahead log into the database on a thread of its own.

By default SQLite checkpoints inside the commit that takes the log past 1,000
pages (4 MB). A sync writing a mailbox crosses that in every batch, and spends
about a sixth of its time copying pages inside its commits, while nothing
else can happen. A store opened with ``background_checkpoints`` moves that copying
here, to run beside the next batch: a passive checkpoint, which never
waits for a writer or a reader. The writer keeps a checkpoint of its own at
``WRITER_LIMIT`` pages, so the log stays bounded even if this thread falls behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from omni_tui.store import sqlite

__all__ = ["WRITER_LIMIT", "Checkpointer"]

log = logging.getLogger(__name__)

#: The writer's own checkpoint threshold (pages, 4 KB each) while this thread runs.
WRITER_LIMIT = sqlite.WRITER_CHECKPOINT_PAGES


class Checkpointer:
    """A daemon thread that checkpoints ``path`` every ``every`` seconds until stopped."""

    def __init__(self, path: Path, every: float = 0.25) -> None:
        self.path = path
        self.every = every
        self.checkpoints = 0  # run while the log held pages
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="omni-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Blocks until the thread has made its last checkpoint."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite.connect_reader(self.path)
            while not self._stop.wait(self.every):
                self._checkpoint(conn)
            self._checkpoint(conn)
        except sqlite3.Error as exc:  # a store that went away or cannot be opened
            log.debug("background checkpoints of %s stopped: %s", self.path, exc)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            _, _, copied = conn.execute(sqlite.PASSIVE_CHECKPOINT_SQL).fetchone()
        except sqlite3.Error as exc:  # disk full, read-only: the writer reports those itself
            log.debug("checkpoint of %s failed: %s", self.path, exc)
            return
        if copied > 0:
            self.checkpoints += 1
