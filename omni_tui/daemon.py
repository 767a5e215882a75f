"""``omni-tui sync``: every account, all the time, one syncer per store.

Email waits in IMAP IDLE (re-issued well before 29 minutes, and at most
``poll`` seconds, which is also the fallback poll); failures back off
exponentially with jitter and are written to the store's account health so
every console shows them.  SIGTERM/SIGINT stop it between transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import signal
from datetime import timedelta
from pathlib import Path
from typing import IO

from adapters.base import ChannelError
from adapters.chat.relay import CURSOR_FOLDER
from adapters.email.imap import FolderState
from omni_tui import accounts
from omni_tui.config import AccountConfig, Config
from omni_tui.delivery import deliver_outbox
from omni_tui.errors import ConfigError, Refused, StoreError
from omni_tui.ingest import IngestOptions
from omni_tui.listener import SmsListener, endpoints
from omni_tui.recovery import recover_interrupted
from omni_tui.relay_pull import RelayPull
from omni_tui.sharing import share_with_group
from omni_tui.store import AccountHealth, Store, utcnow
from omni_tui.sync import AccountReport, cursors, forget_unconfigured, sync_account

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
OUTBOX_EVERY = 2.0
STOP_WAIT_S = 10.0  # for pulls to reach the end of a transaction
SEND_GRACE_S = 40.0  # more than a send's own timeout: one cut mid-send could go twice
LONG_POLL_S = 25.0  # under common proxies' idle timeouts


class SyncLock:
    """An exclusive lock next to the store: one ``omni-tui sync`` per store."""

    def __init__(self, db_path: Path) -> None:
        db_path = db_path.resolve()  # a symlink to the store must find the same lock
        self.path = db_path.with_name(db_path.name + ".sync.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._open()
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot take the sync lock ({exc.strerror}) — make"
                f" {self.path.parent} writable or move the store"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise Refused(
                f"another omni-tui sync (pid {holder}: a daemon, a console or"
                " sync --once) already syncs this store"
            ) from None
        if handle.writable():  # who holds it, for the next one refused
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        self._file = handle

    def _open(self) -> IO[str]:
        """The lock file, group-writable like the store. One another agent made without
        group write is still a lock: ``flock`` needs the file open, not writable."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:
            if not self.path.is_file():
                raise
            return self.path.open("r")
        share_with_group(fd, self.path.parent, directory=False)
        return os.fdopen(fd, "r+")

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def backoff(failures: int) -> float:
    """Exponential, capped, with full jitter so many accounts do not retry in step."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, 2.0 ** min(failures, 10))


class SyncDaemon:
    def __init__(self, store: Store, config: Config, *, poll: float = 60.0) -> None:
        self.store, self.config, self.poll = store, config, poll
        self.stop = asyncio.Event()
        self.options = IngestOptions.from_config(config)

    async def run(self, *, signals: bool = True) -> None:
        """Until ``stop``; ``signals``: SIGTERM/SIGINT set it (not inside the console)."""
        if signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop.set)
        await forget_unconfigured(self.store, [a.name for a in self.config.accounts])
        listeners = [
            SmsListener(self.store, e, self.options) for e in endpoints(self.config.accounts)
        ]
        for listener in listeners:
            await listener.start()
        tasks = [asyncio.create_task(self._account(a)) for a in self.config.accounts]
        delivering = asyncio.create_task(self._outbox())
        tasks.append(delivering)
        try:
            await self.stop.wait()
            for listener in listeners:  # a post being committed finishes before it closes
                await listener.stop()
            # each task checks ``stop`` between transactions; IDLE waits are woken
            _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
            if delivering in pending:  # a reply in flight: its send and its record first
                await asyncio.wait([delivering], timeout=SEND_GRACE_S)
        finally:  # also when run() itself is cancelled: no task outlives it
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _account(self, account: AccountConfig) -> None:
        failures = idle_failures = 0
        state = "starting"
        while not self.stop.is_set():
            try:
                report = await sync_account(
                    self.store, account, self.options, others=self.config.accounts, stop=self.stop
                )
                if report.state == "unsupported":
                    return
                if report.state != state:  # the journal says when an account breaks or heals
                    _changed(account.name, state, report)
                    state = report.state
                if report.failed:
                    failures += 1
                    delay = backoff(failures)
                    await self._next_retry(account.name, delay)
                    await self._sleep(delay)
                    continue
                failures = 0
                if account.channel == "email":
                    if await self._idle(account):
                        idle_failures = 0
                    else:  # a server that drops IDLE at once is not logged into nonstop
                        idle_failures += 1
                        await self._sleep(min(self.poll, backoff(idle_failures)))
                elif account.channel == "chat":
                    await self._long_poll(account)
                else:
                    await self._sleep(self.poll)
            except Exception as exc:  # retry, never go quiet
                failures += 1
                _trouble(account.name, exc)
                await self._sleep(backoff(failures))

    async def _idle(self, account: AccountConfig) -> bool:
        """Wait for new mail (or the poll); False when IDLE failed (the next sync says why)."""
        folder = (account.folders or ("INBOX",))[0]
        stored = FolderState.load((await cursors(self.store, account.name)).get(folder))
        try:
            imap = accounts.imap_account(account)
            last_uid = stored.last_uid if stored is not None else None
            await imap.wait_for_mail(folder, self.poll, stop=self.stop, last_uid=last_uid)
        except (ChannelError, ConfigError):
            return False
        return True

    async def _long_poll(self, account: AccountConfig) -> None:
        """Wait at the relay until it has something after our cursor, or ``stop``."""
        try:
            pull = RelayPull(self.store, account, self.options)
            after = int((await cursors(self.store, account.name)).get(CURSOR_FOLDER) or 0)
            waiting = asyncio.create_task(pull.wait(after, min(self.poll, LONG_POLL_S)))
            stopping = asyncio.create_task(self.stop.wait())
            await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in (waiting, stopping):
                task.cancel()
            if waiting.done() and not waiting.cancelled() and waiting.exception():
                raise waiting.exception()  # type: ignore[misc]
        except (ChannelError, ConfigError):
            await self._sleep(min(self.poll, 5.0))  # the next sync reports what is wrong

    async def _next_retry(self, account: str, delay: float) -> None:
        async with self.store.write() as session:
            health = await session.get(AccountHealth, account)
            if health is not None:
                health.next_retry_at = utcnow() + timedelta(seconds=delay)
                session.add(health)

    async def _outbox(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                await deliver_outbox(self.store, self.config, stop=self.stop)
                failures, wait = 0, OUTBOX_EVERY
            except Exception as exc:  # retry, never go quiet
                failures += 1
                _trouble("outbox", exc)
                wait = backoff(failures)
            await self._sleep(wait)


def _trouble(what: str, exc: Exception) -> None:
    """A store that stayed busy (another writer held it) in one line; anything else
    with its traceback, to be reported and fixed."""
    if isinstance(exc, StoreError):
        log.warning("omni-tui sync: %s: %s; trying again", what, exc)
    else:
        log.exception("omni-tui sync: %s stopped by an error; trying again", what)


def _changed(account: str, before: str, report: AccountReport) -> None:
    if report.failed or report.state == "warning":
        log.warning("%s: %s — %s", account, report.state, "; ".join(report.errors))
    elif before != "starting":
        log.info("%s: syncing again", account)


def log_to_stderr() -> None:
    """One line a record on stderr (the journal under systemd): omni-tui's own news at
    INFO, other libraries' at WARNING (httpx would log every long poll)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for ours in ("omni_tui", "adapters"):
        logging.getLogger(ours).setLevel(logging.INFO)


async def run_daemon(db_path: Path, config: Config, *, poll: float = 60.0) -> int:
    log_to_stderr()
    lock = SyncLock(db_path)
    lock.acquire()
    try:
        async with await Store.open(db_path, create=True, background_checkpoints=True) as store:
            names = ", ".join(a.name for a in config.accounts) or "none"
            log.info("syncing %s into %s (poll %g s)", names, db_path, poll)
            await recover_interrupted(store, config)
            await SyncDaemon(store, config, poll=poll).run()
    finally:
        lock.release()
    return 0
