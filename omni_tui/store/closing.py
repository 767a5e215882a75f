"""A SQLite connection torn down while its task is cancelled must not hang the loop.

When a task using the store is cancelled (a console quitting while the store is busy),
SQLAlchemy tears its connection down twice at once: a graceful close, shielded, and a
force close that stops aiosqlite's thread.  aiosqlite (0.22) then has the graceful
close wait, in a ``finally``, for a thread that has already gone, so the event loop
never finishes closing and the console never exits (the same deadlock as
wapiti-scanner/wapiti#802).  The graceful close here asks the thread to close the
connection and stop, and waits for the thread itself from the loop's executor: a
cancel is not held up, and the loop's shutdown, which waits for its executor, closes
only once the thread has finished with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: How long a close waits for aiosqlite's thread (a busy store holds it up to 10 s).
CLOSE_WAIT_S = 12.0


async def graceful_close(adapted: Any) -> None:
    """SQLAlchemy's ``_terminate_graceful_close`` for aiosqlite, never stuck."""
    connection = adapted._connection
    connection.stop()  # the thread closes the connection, then ends
    await asyncio.to_thread(connection._thread.join, CLOSE_WAIT_S)


def install() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection

    AsyncAdapt_aiosqlite_connection._terminate_graceful_close = graceful_close  # type: ignore[method-assign]
