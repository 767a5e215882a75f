"""Parsing a long first sync in a process of its own.

Parsing and preparing email is Python from end to end; in the sync's process it
competes for the interpreter with the writing of the batch before it, whose
SQLite thread then waits for its turn at every row. A folder with more than a
couple of batches to fetch is parsed in one worker process instead
(``parse_worker``), on another core. Short syncs (the everyday case) never start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from pathlib import Path

from adapters.email.fetched import FetchedBatch
from omni_tui.parse_batch import Answer, Parsed, parse_and_prepare, with_raw
from omni_tui.parse_worker import READY, SIZE, size_of

log = logging.getLogger(__name__)

#: Batches still to come, beyond the one at hand, for the worker to be worth starting.
WORTH_IT = 2


def _worker_env() -> dict[str, str]:
    """This process's environment, with the folder this omni-tui was imported from first."""
    import omni_tui

    root = str(Path(omni_tui.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class ParsePool:
    """One worker process, started by the first batch with enough after it.

    Batches are parsed here until the worker says it is ready; if the worker ever
    fails, the rest is parsed here too: a sync never depends on it.
    """

    #: ``-P``: the worker imports omni-tui from where this process did (``env``), never
    #: from the directory the console happens to be started in.
    command: tuple[str, ...] = (sys.executable, "-P", "-m", "omni_tui.parse_worker")

    def __init__(self, account: str, max_bytes: int, region: str, attachments: Path) -> None:
        self.account, self.max_bytes, self.region = account, max_bytes, region
        self.attachments = attachments
        self._worker: asyncio.subprocess.Process | None = None
        self._ready: asyncio.Future[bytes] | None = None  # the worker has imported
        self._failed = False
        self._asking = False  # a batch is with the worker

    async def parse(self, fetched: FetchedBatch) -> Parsed:
        args = (self.account, self.max_bytes, self.region, self.attachments, fetched)
        if self._worker is not None and not self._failed and self._is_ready():
            try:
                return with_raw(fetched, await self._ask(args))
            except (OSError, EOFError, asyncio.IncompleteReadError, pickle.PickleError) as exc:
                log.warning("%s: the parsing process failed (%s); parsing here", self.account, exc)
                self._failed = True
                await self.close()
        elif self._worker is None and not self._failed and fetched.left >= WORTH_IT:
            await self._start()
        return await asyncio.to_thread(parse_and_prepare, *args)

    def _is_ready(self) -> bool:
        """Until the worker has started, batches are parsed here: none waits for it."""
        ready = self._ready
        if ready is None or not ready.done():
            return False
        if ready.cancelled() or ready.exception() is not None or ready.result() != READY:
            self._failed = True
            return False
        return True

    async def _start(self) -> None:
        try:
            self._worker = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                # not the console's screen: a failure shows as the same error raised
                # again when the sync parses that batch itself
                stderr=asyncio.subprocess.DEVNULL,
                env=_worker_env(),
            )
        except OSError as exc:
            log.warning("%s: no parsing process (%s)", self.account, exc)
            self._failed = True
            return
        assert self._worker.stdout is not None
        self._ready = asyncio.ensure_future(self._worker.stdout.readexactly(len(READY)))

    async def _ask(self, args: tuple[object, ...]) -> Answer:
        worker = self._worker
        assert worker is not None and worker.stdin is not None and worker.stdout is not None
        request = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        self._asking = True
        worker.stdin.write(size_of(request))
        worker.stdin.write(request)
        await worker.stdin.drain()
        size = int.from_bytes(await worker.stdout.readexactly(SIZE), "big")
        answered: Answer = pickle.loads(await worker.stdout.readexactly(size))
        self._asking = False
        return answered

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        started = self._ready is not None and self._ready.done()
        if self._ready is not None and not started:
            self._ready.cancel()
        if worker is None:
            return
        if worker.stdin is not None:
            worker.stdin.close()  # the worker's end of the conversation: it exits
        # One still starting up is not waited for: the sync is done without it. Nor is
        # one holding a batch nobody will read (the sync failed or was stopped): it
        # would sit writing its answer into a full pipe.
        patience = 5 if started and not self._asking else 0
        try:
            await asyncio.wait_for(worker.wait(), patience)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                worker.kill()
            await worker.wait()
