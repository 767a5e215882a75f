"""Pulling every account into the store, once (``omni-tui sync --once``).

Each batch an adapter yields is ingested together with its cursor, so an
interrupted sync resumes exactly where the store says it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import col, delete, select

from adapters.base import AuthError, ChannelError, InboundMessage, PullResult, RejectedError
from adapters.chat.relay import CURSOR_FOLDER
from adapters.email.imap import ImapAccount, MissingFolder
from adapters.sms.twilio import CURSOR_FOLDER as TWILIO_CURSOR
from omni_tui import accounts, outbox
from omni_tui.config import AccountConfig, Config
from omni_tui.errors import ConfigError, StoreError
from omni_tui.ingest import IngestOptions, IngestResult, ingest, prepare
from omni_tui.ingest_prepare import Prepared
from omni_tui.parse_pool import ParsePool
from omni_tui.relay_pull import RelayPull, Unrouted
from omni_tui.store import AccountHealth, Message, Store, SyncCursor, utcnow

log = logging.getLogger(__name__)
#: Sent texts whose delivery is still unknown are asked after for this long.
STATUS_POLL_WINDOW = timedelta(days=3)
#: (account, messages stored so far, all the pull knows it will bring or None)
Progress = Callable[[str, int, int | None], None]


@dataclass(slots=True)
class AccountReport:
    account: str
    channel: str
    new: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    state: str = "ok"

    @property
    def failed(self) -> bool:
        return self.state in ("error", "auth")

    def as_json(self) -> dict[str, object]:
        return {
            "account": self.account,
            "channel": self.channel,
            "new": self.new,
            "skipped": self.skipped,
            "errors": self.errors,
            "state": self.state,
        }


async def cursors(store: Store, account: str) -> dict[str, str | None]:
    async with store.read() as session:
        rows = await session.exec(select(SyncCursor).where(SyncCursor.account == account))
        return {row.folder: row.value for row in rows.all()}


async def record_health(store: Store, report: AccountReport) -> None:
    """Every console shows this in its status bar."""
    async with store.write() as session:
        health = await session.get(AccountHealth, report.account) or AccountHealth(
            account=report.account
        )
        now = utcnow()
        health.state, health.updated_at = report.state, now
        if report.failed:
            health.last_error = "; ".join(report.errors)[:500]
        else:  # a warning (a text waiting for its account) says why, and is no failure
            health.last_success_at, health.next_retry_at = now, None
            health.last_error = "; ".join(report.errors)[:500] or None
        session.add(health)


async def forget_unconfigured(store: Store, names: Sequence[str]) -> None:
    """Accounts renamed or taken out of the config leave every console's status bar."""
    async with store.write() as session:
        await session.exec(
            delete(AccountHealth).where(col(AccountHealth.account).not_in(list(names)))
        )


Ready = tuple[PullResult, "list[Prepared] | None"]


async def _store_batches(
    store: Store,
    batches: AsyncIterator[Ready],
    report: AccountReport,
    options: IngestOptions,
    progress: Progress | None,
    stop: asyncio.Event | None = None,
) -> None:
    """Each batch with its cursor, in one transaction; the pull is closed however this
    ends, so a connection never outlives the sync. ``stop`` ends it after the batch
    being stored (SIGTERM: between transactions, not when the wait for it runs out).

    While one batch is written, the next is pulled and prepared (``ingest.prepare``,
    on a worker thread or process): the store's writing and the Python of the next
    batch overlap.
    """
    async with aclosing(batches) as pulled:  # type: ignore[type-var]
        following = asyncio.ensure_future(_next(pulled))
        try:
            while (ready := await following) is not None:
                batch, prepared = ready
                following = asyncio.ensure_future(_next(pulled))
                try:
                    result = await ingest(
                        store, batch.messages, batch.cursor, options=options, prepared=prepared
                    )
                except StoreError:
                    raise  # busy, full, read-only: the whole batch waits for the next round
                except Exception as exc:  # something in one message the store cannot take
                    log.warning("%s: a batch would not store (%s); one by one", report.account, exc)
                    result = await _one_by_one(store, batch, prepared, options, report)
                report.new += result.new
                report.skipped += result.duplicates
                if progress is not None:
                    done = report.new + report.skipped
                    coming = batch.still_to_come
                    progress(report.account, done, None if coming is None else done + coming)
                if stop is not None and stop.is_set():
                    break
        finally:  # the pull is closed only once nothing is reading from it
            following.cancel()
            await asyncio.wait([following])
            if not following.cancelled():
                following.exception()  # it is ours to raise only if it ended the loop


async def _one_by_one(
    store: Store,
    batch: PullResult,
    prepared: list[Prepared] | None,
    options: IngestOptions,
    report: AccountReport,
) -> IngestResult:
    """A batch one message at a time, then its cursor: a message the store cannot take
    is kept as a stand-in (with its raw email) rather than stopping the account for
    good on the same batch. A kill in between repeats none: each is found by its id."""
    total = IngestResult()
    try:
        for n, message in enumerate(batch.messages):
            one = [prepared[n]] if prepared is not None else None
            try:
                result = await ingest(store, [message], options=options, prepared=one)
            except StoreError:
                raise
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"[:300]
                report.errors.append(f"{message.provider_id}: kept as a stand-in ({why})")
                result = await _stand_in(store, message, why, options)
            total.new += result.new
            total.duplicates += result.duplicates
    except BaseException:  # those stored before it are committed: they count
        report.new += total.new
        report.skipped += total.duplicates
        raise
    await ingest(store, [], batch.cursor, options=options)
    return total


async def _stand_in(
    store: Store, message: InboundMessage, why: str, options: IngestOptions
) -> IngestResult:
    """The stand-in, or one without the message's dates if those are what the store
    cannot take (a Date before 1970 once was): an account must never stop for good on
    one message, or no later mail of its folder is ever stored."""
    try:
        return await ingest(store, [stand_in(message, why)], options=options)
    except StoreError:
        raise
    except Exception as exc:
        log.warning("%s: a stand-in would not store either (%s)", message.provider_id, exc)
        undated = replace(message, sent_at=None, received_at=None)
        return await ingest(store, [stand_in(undated, why)], options=options)


def stand_in(message: InboundMessage, why: str) -> InboundMessage:
    """What is kept of a message the store could not take: where and when it came from,
    why, and its raw email (so it can be parsed again once that is fixed)."""
    return InboundMessage(
        channel=message.channel,
        account=message.account,
        provider_id=message.provider_id,
        sender="",
        subject="(a message that could not be stored)",
        text=f"This message could not be stored as it came ({why}).",
        sent_at=message.sent_at,
        received_at=message.received_at,
        direction=message.direction,
        context={"ingest_error": why},
        raw=message.raw,
    )


async def _next(pulled: AsyncIterator[Ready]) -> Ready | None:
    try:
        return await anext(pulled)
    except StopAsyncIteration:
        return None


async def _prepared(
    pulled: AsyncIterator[PullResult], options: IngestOptions
) -> AsyncIterator[Ready]:
    """Each batch with what ``ingest.prepare`` makes of it on a worker thread."""
    async with aclosing(pulled):  # type: ignore[type-var]
        async for batch in pulled:
            yield batch, await asyncio.to_thread(prepare, batch.messages, options)


async def _parsed_email(
    imap: ImapAccount, cursors: dict[str, str | None], options: IngestOptions, attachments: Path
) -> AsyncIterator[Ready]:
    """Fetched batches, parsed and prepared; a long sync does that in a process
    of its own (``parse_pool``)."""
    pool = ParsePool(
        imap.settings.account,
        imap.settings.max_attachment_bytes,
        options.default_region,
        attachments,
    )
    try:
        async with aclosing(imap.pull_raw(cursors)) as fetched:
            async for batch in fetched:
                messages, prepared = await pool.parse(batch)
                yield PullResult(messages, batch.cursor, batch.messages_left), prepared
    finally:
        await pool.close()


async def sync_email(
    store: Store,
    account: AccountConfig,
    options: IngestOptions,
    progress: Progress | None,
    stop: asyncio.Event | None = None,
    report: AccountReport | None = None,
) -> AccountReport:
    report = report or AccountReport(account.name, "email")
    imap = await asyncio.to_thread(accounts.imap_account, account)  # may run a command
    known = await cursors(store, account.name)
    ready = _parsed_email(imap, known, options, store.attachments_dir)
    try:
        await _store_batches(store, ready, report, options, progress, stop)
    except MissingFolder as exc:  # the other folders' mail is stored, and counted
        report.state, report.errors = "error", [*report.errors, str(exc)]
    return report


async def sync_twilio(
    store: Store,
    account: AccountConfig,
    options: IngestOptions,
    progress: Progress | None,
    report: AccountReport | None = None,
) -> AccountReport:
    report = report or AccountReport(account.name, "sms")
    twilio = await asyncio.to_thread(accounts.twilio_account, account)  # may run a command
    cursor = (await cursors(store, account.name)).get(TWILIO_CURSOR)
    known = await _recent_provider_ids(store, account.name, since=utcnow() - timedelta(days=3))
    pulled = _prepared(twilio.pull(cursor, known), options)
    await _store_batches(store, pulled, report, options, progress)
    since = utcnow() - STATUS_POLL_WINDOW
    for sid in await outbox.awaiting_report(store, account.name, since=since):
        try:
            state = await twilio.status(sid)
        except RejectedError:  # e.g. deleted at the gateway: it ages out of the window
            continue
        except ChannelError as exc:  # one slow answer does not fail the account
            report.errors.append(f"status of {sid}: {exc}")
            break
        if state.status != "sent":
            await outbox.record_delivery(
                store, sid, state.status, state.reason, accounts=[account.name]
            )
    return report


async def _recent_provider_ids(store: Store, account: str, *, since: datetime) -> set[str]:
    """What a pull's overlapping day would fetch again: skipped before any media download."""
    async with store.read() as session:
        rows = await session.exec(
            select(Message.provider_id).where(
                Message.account == account,
                Message.direction == "in",
                col(Message.received_at) >= since,
            )
        )
        return {pid for pid in rows.all() if pid}


async def sync_chat(
    store: Store, account: AccountConfig, options: IngestOptions, others: Sequence[AccountConfig]
) -> AccountReport:
    report = AccountReport(account.name, "chat")
    pull = await asyncio.to_thread(RelayPull, store, account, options, others)  # may run a command
    after = int((await cursors(store, account.name)).get(CURSOR_FOLDER) or 0)
    try:
        await pull.pull(after)
    except Unrouted as exc:  # parked: everything else came, and the account goes on
        report.state, report.errors = "warning", [str(exc)]
    report.new, report.skipped = pull.new, pull.duplicates
    return report


async def sync_account(
    store: Store,
    account: AccountConfig,
    options: IngestOptions,
    progress: Progress | None = None,
    *,
    others: Sequence[AccountConfig] = (),
    stop: asyncio.Event | None = None,
) -> AccountReport:
    """Pull one account; ``others`` are the config's other accounts (a relay carries
    texts for the SMS accounts among them); ``stop`` ends a long pull between batches.

    A pull that fails part way keeps its counts: the batches stored before the failure
    are committed, and a report of "0 new" would send an admin looking for lost mail.
    """
    # the pull counts into this report as it goes (email, Twilio)
    partial = AccountReport(account.name, account.channel)
    try:
        if account.channel == "chat":
            report = await sync_chat(store, account, options, others)
        elif account.channel == "email":
            report = await sync_email(store, account, options, progress, stop, partial)
        elif account.provider == "twilio":
            report = await sync_twilio(store, account, options, progress, partial)
        elif account.provider == "kannel":
            # Kannel pushes: MO and reports reach the listener ``omni-tui sync`` runs
            report = partial
        else:
            report = AccountReport(account.name, account.channel, state="unsupported")
            report.errors.append(f"pulling {account.channel} accounts is not available yet")
            return report
    except AuthError as exc:
        account.forget_secrets()  # the next try asks password_command again
        report = _failed(partial, "auth", str(exc))
    except (ChannelError, ConfigError, StoreError) as exc:  # StoreError: e.g. a full disk
        report = _failed(partial, "error", str(exc))
    except Exception as exc:  # a gateway's surprise must not stop the other accounts
        log.exception("%s: sync failed", account.name)
        report = _failed(partial, "error", f"unexpected {type(exc).__name__}: {exc}"[:500])
    await record_health(store, report)
    return report


def _failed(report: AccountReport, state: str, error: str) -> AccountReport:
    report.state, report.errors = state, [*report.errors, error]
    return report


async def sync_once(
    store: Store,
    config: Config,
    *,
    account: str | None = None,
    progress: Progress | None = None,
) -> list[AccountReport]:
    chosen = [config.account(account)] if account else list(config.accounts)
    if account is None:
        await forget_unconfigured(store, [a.name for a in config.accounts])
    options = IngestOptions.from_config(config)
    return [await sync_account(store, a, options, progress, others=config.accounts) for a in chosen]
