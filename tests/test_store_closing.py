"""Quitting while the store is busy exits: a connection torn down while its task is
cancelled never leaves the event loop waiting for ever (the console used to hang)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from omni_tui.store import closing


# the pool's record of the connection is abandoned on purpose, as a cancelled task
# leaves it: the garbage collector saying so afterwards is expected
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_a_connection_closed_as_its_task_is_cancelled_on_a_busy_store_lets_the_loop_end(
    tmp_path: Path,
) -> None:
    """What SQLAlchemy does when a task using a connection is cancelled: a shielded
    graceful close and a force close at once, while aiosqlite's thread is still busy
    (another process holds the store); then the program ends and the loop closes."""

    async def quit_while_busy() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        closing.install()
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'omni.db'}")
        conn = await engine.connect()
        adapted = (await conn.get_raw_connection()).dbapi_connection
        adapted._connection._tx.put_nowait((None, lambda: time.sleep(1)))  # busy
        asyncio.ensure_future(asyncio.shield(adapted._terminate_graceful_close()))
        await asyncio.sleep(0.1)
        adapted._terminate_force_close()

    ended = threading.Event()

    def program() -> None:
        asyncio.run(quit_while_busy())
        ended.set()

    threading.Thread(target=program, daemon=True).start()
    assert ended.wait(15), "the event loop never finished closing"
