"""IMAP pull: incremental by UID, exactly-once together with ingest's cursor commit.

IMAPClient is synchronous and well kept (it parses FETCH responses, knows
CONDSTORE and IDLE); every call runs in a worker thread through
``asyncio.to_thread`` so the event loop never blocks.  The IDLE connection is
a separate one, and nothing else is sent on it before DONE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from adapters.base import (
    AuthError,
    ChannelError,
    Cursor,
    InboundMessage,
    PullResult,
    TransientError,
)
from adapters.email import fetch as fast_fetch
from adapters.email.fetched import FetchedBatch, RawMail, parse_fetched

IDLE_RENEW_SECONDS = 25 * 60  # servers may drop IDLE after 29 minutes
#: One IDLE is ended and begun again within this, well under the 29 minutes servers
#: allow and the 350 s after which NAT gateways forget a quiet connection: a link
#: dropped without a word is then found within minutes, not at the next poll.
IDLE_WAIT_SECONDS = 290
#: An IDLE holds its thread for minutes: IDLEs get threads of their own, so seven
#: accounts never take the six a small machine's default pool has (the last account's
#: mail then waited for the poll) nor the ones the store and the parser run on.
_IDLE_THREADS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="omni-idle")


@dataclass(frozen=True, slots=True)
class ImapSettings:
    account: str
    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    username: str
    password: str
    folders: Sequence[str] = ("INBOX",)
    ca_file: Path | None = None
    mark_seen: bool = False
    max_attachment_bytes: int = 25 * 1024 * 1024
    batch_size: int = 500
    #: a batch stops short of ``batch_size`` messages at this many bytes (a message
    #: bigger than that is a batch of its own): what a sync holds in memory at once
    batch_bytes: int = 32 * 1024 * 1024
    timeout: float = 30.0
    #: the account's own address: mail "from" it (a group rewriting the sender) is the
    #: Reply-To's, the customer the group forwarded
    own_address: str | None = None
    #: the folder our sent mail is kept in (``sent_folder``): pulled too, what is in it
    #: from ``own_address`` is our answer, written here or in any other mail program
    sent_folder: str | None = None


@dataclass(frozen=True, slots=True)
class FolderState:
    """The cursor of one folder: UIDVALIDITY, the last UID stored, HIGHESTMODSEQ."""

    uidvalidity: int
    last_uid: int
    highestmodseq: int | None = None

    def dump(self) -> str:
        return json.dumps(
            {
                "uidvalidity": self.uidvalidity,
                "last_uid": self.last_uid,
                "highestmodseq": self.highestmodseq,
            }
        )

    @classmethod
    def load(cls, value: str | None) -> FolderState | None:
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(int(data["uidvalidity"]), int(data["last_uid"]), data.get("highestmodseq"))
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable cursor means a full, deduplicated resync


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verification always on; a custom CA file adds trust, it never removes checks."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def _close(client: IMAPClient | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError, IMAPClientError):
            client.shutdown()


class MissingFolder(ChannelError):
    """A configured folder the server will not open; the account's other folders are pulled."""


class ImapConnection:
    """One logged-in connection; blocking methods, called from worker threads."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None

    def open(self) -> None:
        s = self.settings
        context = tls_context(s.ca_file) if s.security != "none" else None
        client: IMAPClient | None = None
        try:
            client = IMAPClient(
                s.host,
                port=s.port,
                ssl=s.security == "tls",
                ssl_context=context,
                timeout=s.timeout,
            )
            if s.security == "starttls":
                client.starttls(context)
            client.login(s.username, s.password)
        except LoginError as exc:
            _close(client)  # a refused login leaves no connection behind (retried for hours)
            raise AuthError(f"{s.account}: IMAP login refused ({_text(exc)})") from None
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError) as exc:
            _close(client)
            raise TransientError(f"{s.account}: cannot reach {s.host}:{s.port} ({exc})") from None
        if b"CONDSTORE" in client.capabilities():
            try:
                client.enable("CONDSTORE")
            except IMAPClientError:
                pass
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (OSError, IMAPClientError):  # e.g. interrupted: logout never closed it
                with contextlib.suppress(OSError):
                    self.client.shutdown()
            self.client = None

    def select(self, folder: str) -> tuple[FolderState, int]:
        """The folder's state and how many messages it holds."""
        assert self.client is not None
        info = self.client.select_folder(folder, readonly=not self.settings.mark_seen)
        modseq = info.get(b"HIGHESTMODSEQ")
        next_uid = int(info.get(b"UIDNEXT", 1))
        uidvalidity = int(info[b"UIDVALIDITY"])
        state = FolderState(uidvalidity, next_uid - 1, int(modseq) if modseq else None)
        return state, int(info.get(b"EXISTS", 1))

    def sizes_from(self, first_uid: int) -> list[tuple[int, int]]:
        """(uid, size) of the messages from ``first_uid`` on, in UID order."""
        assert self.client is not None
        try:
            found = fast_fetch.fetch_sizes(self.client._imap, first_uid)
        except fast_fetch.FastFetchError:
            answer = self.client.fetch(f"{first_uid}:*", ["RFC822.SIZE"])
            # an unsolicited FLAGS update carries no size (nor, here, a UID)
            found = [(u, int(i[b"RFC822.SIZE"])) for u, i in answer.items() if b"RFC822.SIZE" in i]
        # "n:*" still returns the last message when n is past the end
        return sorted((uid, size) for uid, size in found if uid >= first_uid)

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes, datetime | None]]:
        assert self.client is not None
        try:
            fetched = fast_fetch.fetch_bodies(self.client._imap, uids)
        except fast_fetch.FastFetchError:
            fetched = self._fetch_slowly(uids)  # the answer held something unusual
        by_uid = {uid: (uid, raw, when) for uid, raw, when in fetched}
        # in the order asked for; a message expunged meanwhile is simply not there
        out = [by_uid[uid] for uid in uids if uid in by_uid]
        if self.settings.mark_seen and out:
            self.client.add_flags([uid for uid, _, _ in out], [b"\\Seen"])
        return out

    def _fetch_slowly(self, uids: list[int]) -> list[tuple[int, bytes, datetime | None]]:
        assert self.client is not None
        data = self.client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        out = []
        for uid, item in data.items():
            body = item.get(b"BODY[]")
            if body is None:
                continue
            when = item.get(b"INTERNALDATE")
            if isinstance(when, datetime) and when.tzinfo is None:
                when = when.astimezone(UTC)
            out.append((uid, body, when))
        return out

    def interrupt(self) -> None:
        """Wake a thread blocked in IDLE by shutting the socket down under it."""
        if self.client is not None:
            try:
                self.client.socket().shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def append(self, folder: str, raw: bytes) -> None:
        assert self.client is not None
        try:
            self.client.append(folder, raw, [b"\\Seen"])
        except IMAPClientError as exc:
            if b"TRYCREATE" not in str(exc).encode():
                raise
            self.client.create_folder(folder)
            self.client.append(folder, raw, [b"\\Seen"])

    def has_message_id(self, folder: str, message_id: str) -> bool:
        """Is a message with this Message-ID in ``folder``? (A missing folder: no.)"""
        assert self.client is not None
        try:
            self.client.select_folder(folder, readonly=True)
        except IMAPClientError:
            return False
        return bool(self.client.search(["HEADER", "Message-ID", message_id]))

    def can_idle(self) -> bool:
        assert self.client is not None
        return b"IDLE" in self.client.capabilities()

    def idle(self, folder: str, seconds: float, last_uid: int | None = None) -> bool:
        """Wait up to ``seconds`` for the server to announce new mail. Mail that came
        after ``last_uid`` (the stored cursor) while the sync ran is news at once: IDLE
        only announces what comes after its own SELECT."""
        assert self.client is not None
        info = self.client.select_folder(folder, readonly=True)
        if last_uid is not None and int(info.get(b"UIDNEXT", 0)) - 1 > last_uid:
            return True
        self.client.idle()
        try:
            responses = self.client.idle_check(timeout=min(seconds, IDLE_WAIT_SECONDS))
        finally:
            self.client.idle_done()
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith("b'") else text


def batches(sizes: Sequence[tuple[int, int]], count: int, limit: int) -> list[list[int]]:
    """The UIDs of ``sizes`` in batches of at most ``count`` messages and ``limit`` bytes."""
    chunks: list[list[int]] = []
    chunk: list[int] = []
    held = 0
    for uid, size in sizes:
        if chunk and (len(chunk) >= max(1, count) or held + size > limit):
            chunks.append(chunk)
            chunk, held = [], 0
        chunk.append(uid)
        held += size
    if chunk:
        chunks.append(chunk)
    return chunks


@dataclass(frozen=True, slots=True)
class _FolderPlan:
    """What a pull will fetch from one folder: its state and the UIDs, in batches."""

    folder: str
    state: FolderState
    chunks: list[list[int]]

    @property
    def messages(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)


class ImapAccount:
    """Pulls every configured folder of one account, in batches with their cursors."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings

    async def pull(self, cursors: dict[str, str | None]) -> AsyncIterator[PullResult]:
        """Batches of new messages; each carries the folder cursor to commit with it."""
        async for fetched in self.pull_raw(cursors):
            messages = await asyncio.to_thread(self.parse, fetched)
            yield PullResult(messages, fetched.cursor, fetched.messages_left)

    async def pull_raw(self, cursors: dict[str, str | None]) -> AsyncIterator[FetchedBatch]:
        """``pull`` before parsing: the caller parses each batch (``parse``) where it likes."""
        connection = ImapConnection(self.settings)
        await asyncio.to_thread(connection.open)
        try:
            # every folder is sized before the first batch: the count to come is whole
            plans, missing = [], []
            for folder in self.settings.folders or ("INBOX",):
                try:
                    plan = await self._plan(connection, folder, cursors.get(folder))
                except IMAPClientAbortError:
                    raise  # the connection is gone, not the folder
                except IMAPClientError as exc:  # not there (or not ours): the others still are
                    missing.append(f"{folder!r} ({exc})")
                    continue
                if plan:
                    plans.append(plan)
            to_come = sum(plan.messages for plan in plans)
            for plan in plans:
                # sizing the folders left the last one named selected (or none, when the
                # server refused it): UIDs fetched there would be another folder's
                state, _ = await asyncio.to_thread(connection.select, plan.folder)
                if state.uidvalidity != plan.state.uidvalidity:
                    to_come -= plan.messages  # renumbered meanwhile: the next pull
                    continue
                to_come -= plan.messages
                async for batch in self._pull_folder(connection, plan, to_come):
                    yield batch
            if missing:
                raise MissingFolder(
                    f"{self.settings.account}: cannot open folder {', '.join(missing)} — fix"
                    " the account's folders (the others were pulled)"
                )
        except (TimeoutError, OSError, IMAPClientError) as exc:
            raise TransientError(f"{self.settings.account}: IMAP failed ({exc})") from None
        finally:
            await asyncio.to_thread(connection.close)

    def parse(self, fetched: FetchedBatch) -> list[InboundMessage]:
        return parse_fetched(self.settings.account, self.settings.max_attachment_bytes, fetched)

    async def _plan(
        self, connection: ImapConnection, folder: str, cursor: str | None
    ) -> _FolderPlan | None:
        """None when the folder has nothing new: no FETCH at all."""
        state, exists = await asyncio.to_thread(connection.select, folder)
        known = FolderState.load(cursor)
        if known is not None and known.uidvalidity == state.uidvalidity:
            if known.last_uid >= state.last_uid:
                return None
            first = known.last_uid + 1
        else:
            first = 1  # new folder or UIDVALIDITY changed: Message-ID dedupe keeps it exact
        if exists == 0:  # some servers refuse "n:*" in an empty folder
            return None
        sizes = await asyncio.to_thread(connection.sizes_from, first)
        chunks = batches(sizes, self.settings.batch_size, self.settings.batch_bytes)
        return _FolderPlan(folder, state, chunks) if chunks else None

    async def _pull_folder(
        self, connection: ImapConnection, plan: _FolderPlan, after_folder: int
    ) -> AsyncIterator[FetchedBatch]:
        """The batches of ``plan``; ``after_folder`` messages of later folders follow."""
        folder, state, chunks = plan.folder, plan.state, plan.chunks
        # the next batch is fetched while the caller stores this one; not when
        # fetching marks mail seen, which then happens batch by batch
        ahead = not self.settings.mark_seen
        pending: asyncio.Future[list[RawMail]] | None = None
        try:
            for index, chunk in enumerate(chunks):
                if pending is None:
                    pending = asyncio.ensure_future(asyncio.to_thread(connection.fetch, chunk))
                items = await pending
                pending = None
                if ahead and index + 1 < len(chunks):
                    following = chunks[index + 1]
                    pending = asyncio.ensure_future(asyncio.to_thread(connection.fetch, following))
                done = FolderState(state.uidvalidity, chunk[-1], state.highestmodseq)
                cursor_after = Cursor(self.settings.account, folder, done.dump())
                left = len(chunks) - index - 1
                after = after_folder + sum(len(later) for later in chunks[index + 1 :])
                yield FetchedBatch(
                    folder, state.uidvalidity, items, cursor_after, left, after,
                    own=self.settings.own_address, sent=folder == self.settings.sent_folder,
                )  # fmt: skip
        finally:
            if pending is not None:  # the connection is closed only once it is idle
                await asyncio.wait([pending])
                if not pending.cancelled():
                    pending.exception()

    async def wait_for_mail(
        self,
        folder: str = "INBOX",
        seconds: float = IDLE_RENEW_SECONDS,
        stop: asyncio.Event | None = None,
        last_uid: int | None = None,
    ) -> bool:
        """IDLE on a connection of its own; True when the server announced new mail.
        A server without IDLE is simply waited on for ``seconds``: the fallback poll.

        Setting ``stop`` closes the socket under the waiting thread, so a
        shutdown never waits for the IDLE timeout.
        """
        connection = ImapConnection(self.settings)
        await asyncio.to_thread(connection.open)
        if not connection.can_idle():  # a plain wait, then the caller's next poll
            await asyncio.to_thread(connection.close)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for((stop or asyncio.Event()).wait(), seconds)
            return False
        idle = asyncio.get_running_loop().run_in_executor(
            _IDLE_THREADS, connection.idle, folder, seconds, last_uid
        )
        waits: list[asyncio.Future[object]] = [idle]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if not idle.done():
                connection.interrupt()
                await asyncio.wait([idle], timeout=5)
                if idle.done() and not idle.cancelled():
                    idle.exception()  # the socket we shut down: expected, not an error
                return False
            return bool(idle.result())
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"{self.settings.account}: IDLE failed ({exc})") from None
        finally:
            for waiter in waits[1:]:
                waiter.cancel()
            await asyncio.to_thread(connection.close)

    async def has_message_id(self, folder: str, message_id: str) -> bool:
        """For a reply caught mid-send: did its copy reach the Sent folder?"""
        return bool(
            await self._once(f"cannot search {folder}", "has_message_id", folder, message_id)
        )

    async def append(self, folder: str, raw: bytes) -> None:
        """Keep a copy of a sent reply in the account's Sent folder."""
        await self._once(f"cannot save to {folder}", "append", folder, raw)

    async def _once(self, failing: str, method: str, *args: object) -> object:
        """One call on a connection of its own, opened and closed around it."""
        connection = ImapConnection(self.settings)
        await asyncio.to_thread(connection.open)
        try:
            return await asyncio.to_thread(getattr(connection, method), *args)
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"{self.settings.account}: {failing} ({exc})") from None
        finally:
            await asyncio.to_thread(connection.close)
