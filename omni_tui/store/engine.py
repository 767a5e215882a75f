"""Opening, migrating and transacting on the SQLite store."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from omni_tui.errors import StoreError
from omni_tui.sharing import share_path
from omni_tui.store import sqlite
from omni_tui.store.checkpointer import Checkpointer
from omni_tui.store.failures import store_error

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")


class Store:
    """The single source of truth.  ``read()`` for queries, ``write()`` for changes.

    Writers begin with ``BEGIN IMMEDIATE`` so two processes never deadlock
    upgrading a read lock; readers never block writers (WAL).

    The SQLAlchemy engines are made on first use: opening a current store and
    reading ``snapshot``s needs only the stdlib, so the console paints its inbox
    before the ORM is even imported.
    """

    def __init__(self, path: Path, *, background_checkpoints: bool = False) -> None:
        self.path = path
        self._checkpointer: Checkpointer | None = None
        self._writer_pragmas = sqlite.WRITER_SETUP
        if background_checkpoints:
            self._checkpointer = Checkpointer(path)
            self._writer_pragmas += sqlite.BACKGROUND_CHECKPOINT_SETUP
        self._engines: dict[str, AsyncEngine] = {}
        self._snapshots: ThreadPoolExecutor | None = None
        self._snapshot_conn: sqlite3.Connection | None = None  # used on that thread only

    def _engine(self, begin: str) -> AsyncEngine:
        engine = self._engines.get(begin)
        if engine is None:
            pragmas = self._writer_pragmas if begin == sqlite.WRITE_BEGIN else ()
            engine = self._engines[begin] = sqlite.create_engine(self.path, begin, pragmas)
        return engine

    @property
    def _writer(self) -> AsyncEngine:
        return self._engine(sqlite.WRITE_BEGIN)

    @property
    def _reader(self) -> AsyncEngine:
        return self._engine("BEGIN")

    @property
    def data_dir(self) -> Path:
        return self.path.parent

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @classmethod
    async def open(
        cls, path: str | Path, *, create: bool = False, background_checkpoints: bool = False
    ) -> Store:
        """Open (and upgrade in place) the store at ``path``.

        Without ``create`` a missing file is an error, so a mistyped ``--db``
        never leaves an empty store behind. A process that writes in bulk (a
        sync) asks for ``background_checkpoints`` (see ``checkpointer``).
        """
        store = await cls._open(Path(path).expanduser(), create, background_checkpoints)
        if store._checkpointer is not None:
            store._checkpointer.start()
        return store

    @classmethod
    async def _open(cls, path: Path, create: bool, background_checkpoints: bool) -> Store:
        sqlite.check_file(path)
        exists = path.exists() and path.stat().st_size > 0
        if not exists and not create:
            raise StoreError(
                f"{path}: no store here — `omni-tui sync` creates it from the configured"
                " accounts; pass --db for another store"
            )
        version = 0
        if exists:
            version, tables = sqlite.inspect_file(path)
            if version > sqlite.SCHEMA_VERSION:
                raise StoreError(
                    f"{path}: store schema v{version} is newer than this omni-tui understands"
                    f" (v{sqlite.SCHEMA_VERSION}) — upgrade omni-tui"
                )
            if version == 0 and tables:
                raise StoreError(f"{path}: an SQLite database, but not an omni-tui store")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_file(path)
        store = cls(path, background_checkpoints=background_checkpoints)
        if version == sqlite.SCHEMA_VERSION:  # current: nothing to migrate
            try:
                version = sqlite.probe(path)
            except sqlite3.Error as exc:
                raise store_error(path, exc, "cannot open the store") from None
            if version == sqlite.SCHEMA_VERSION:
                return store
        from sqlalchemy.exc import DatabaseError, OperationalError

        try:
            await store._migrate()
        except StoreError:
            await store.close()
            raise
        except (OperationalError, DatabaseError) as exc:
            await store.close()
            raise store_error(path, exc, "cannot open the store") from None
        return store

    async def _migrate(self) -> None:
        async with self._writer.begin() as conn:
            version = (await conn.exec_driver_sql(sqlite.GET_VERSION_SQL)).scalar_one()
            if version > sqlite.SCHEMA_VERSION:  # seen through the WAL, after the quick check
                raise StoreError(
                    f"{self.path}: store schema v{version} is newer than this omni-tui"
                    f" understands (v{sqlite.SCHEMA_VERSION}) — upgrade omni-tui"
                )
            for number, statements in sqlite.migrations_after(version):
                for statement in statements:
                    await conn.exec_driver_sql(statement)
                await conn.exec_driver_sql(sqlite.set_version_sql(number))

    async def schema_version(self) -> int:
        async with self._reader.connect() as conn:
            return int((await conn.exec_driver_sql(sqlite.GET_VERSION_SQL)).scalar_one())

    async def snapshot(self, read: Callable[..., T], *args: Any) -> T:
        """Run ``read(conn, *args)`` in one read transaction on a thread of its own.

        For the hot read paths (opening a case): plain SQL with one thread hop
        instead of a round trip through the async driver for every statement.
        """
        if self._snapshots is None:
            self._snapshots = ThreadPoolExecutor(1, thread_name_prefix="omni-snapshot")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._snapshots, self._in_snapshot, read, args)

    def _in_snapshot(self, read: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self._snapshot_conn
        if conn is None:
            conn = self._snapshot_conn = sqlite.connect_reader(self.path)
        conn.execute("BEGIN")
        try:
            return read(conn, *args)
        finally:
            conn.execute("COMMIT")  # a read transaction: nothing to lose, the WAL moves on

    def _close_snapshot(self) -> None:
        if self._snapshot_conn is not None:
            self._snapshot_conn.close()
            self._snapshot_conn = None

    async def close(self) -> None:
        if self._snapshots is not None:
            pool, self._snapshots = self._snapshots, None
            await asyncio.get_running_loop().run_in_executor(pool, self._close_snapshot)
            pool.shutdown(wait=False)
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            await engine.dispose()
        if self._checkpointer is not None:
            checkpointer, self._checkpointer = self._checkpointer, None
            await asyncio.to_thread(checkpointer.stop)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One short write transaction; committed on exit, rolled back on error.

        A disk that is full or read-only, or a store busy for too long, is a
        ``StoreError`` with a line to show: nothing was written, nothing is damaged.
        """
        from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
        from sqlmodel.ext.asyncio.session import AsyncSession

        try:
            async with AsyncSession(self._writer, expire_on_commit=False) as session:
                async with session.begin():
                    yield session
        except IntegrityError:
            raise  # a constraint: the caller's to handle, not the disk's
        except (OperationalError, DatabaseError) as exc:
            raise store_error(self.path, exc, "nothing was saved") from None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        # closing returns the connection (ending its read transaction) without
        # expiring the loaded rows, which callers use after the block
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(self._reader, expire_on_commit=False) as session:
            yield session


def _create_file(path: Path) -> None:
    """The new store file made here, with the process umask: SQLite makes it 0644 (and
    its -wal and -shm after it, which take the store's mode), which no agent of a shared
    group could write to. In a group-writable directory it is group-writable whatever
    the umask of whoever made it (an admin's ``sudo -u omni omni-tui sync --once``)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        return
    share_path(path, path.parent, directory=False)


async def refresh_summaries(session: AsyncSession, conversation_ids: Iterable[int]) -> None:
    """Recompute the inbox summary of the given conversations from their messages."""
    from sqlalchemy import text

    for statement in sqlite.refresh_summary_sql(conversation_ids):
        await session.exec(text(statement))  # type: ignore[call-overload]
