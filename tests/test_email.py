"""Email against a real Dovecot and a real SMTP server on loopback."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from adapters.email.imap import ImapConnection
from omni_tui import accounts, ingest_batch, queries
from omni_tui import raw as keep_raw
from omni_tui.config import Config, parse_config
from omni_tui.store import Message, Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot, SmtpSink, free_port, running_sink

_folders = itertools.count(1)


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """Each test gets a mailbox of its own on the shared server."""
    return f"Test{next(_folders)}"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with running_sink(SmtpSink(free_port())) as handler:
        yield handler


def config_for(
    dovecot: Dovecot, folder: str | list[str], smtp_port: int = 1, **extra: str
) -> Config:
    return parse_config(config_text(dovecot, folder, smtp_port, **extra))


def config_text(dovecot: Dovecot, folder: str | list[str], smtp_port: int = 1, **extra: str) -> str:
    """The config file's text, for a test that runs the command line; ``extra`` keys
    are added, or replace the ones given here."""
    lines = [
        "[agent]",
        'name = "Ana"',
        "[[accounts]]",
        'name = "support"',
        'channel = "email"',
        'imap_host = "127.0.0.1"',
        f"imap_port = {dovecot.port}",
        'imap_security = "none"',
        f'username = "{dovecot.user}"',
        f'password = "{dovecot.password}"',
        f"folders = {json.dumps([folder] if isinstance(folder, str) else folder)}",
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {smtp_port}",
        'smtp_security = "none"',
        'address = "Larkspur Support <support@larkspur.example>"',
    ]
    for key, value in extra.items():
        lines = [line for line in lines if not line.startswith(f"{key} = ")]
        lines.append(f"{key} = {value}")
    return "\n".join(lines)


def email(n: int, sender: str = "maria@example.com", **headers: str) -> bytes:
    lines = [
        f"From: Maria Lopez <{sender}>",
        "To: support@larkspur.example",
        f"Subject: {headers.pop('subject', f'Order #{1000 + n} question')}",
        f"Message-ID: <m{n}.{folder_tag()}@mail.example.com>",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
        *[f"{k.replace('_', '-')}: {v}" for k, v in headers.items()],
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, this is message {n}.",
    ]
    return "\r\n".join(lines).encode() + b"\r\n"


_tag = itertools.count()


def folder_tag() -> str:
    return f"t{next(_tag)}"


@pytest.fixture
async def store(tmp_path: Path) -> Store:  # type: ignore[misc]
    opened = await Store.open(tmp_path / "omni.db", create=True)
    yield opened
    await opened.close()


async def _count(store: Store) -> int:
    return sum(
        c["message_count"]
        for c in await queries.list_conversations(store, queries.ListFilter(limit=10_000))
    )


async def test_first_sync_pulls_everything_and_the_next_pulls_nothing(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    dovecot.deliver(*(email(n) for n in range(12)), folder=folder)
    config = config_for(dovecot, folder)
    [first] = await sync_once(store, config)
    [second] = await sync_once(store, config)
    assert (first.new, first.skipped, first.state) == (12, 0, "ok")
    assert (second.new, second.skipped) == (0, 0)
    assert await _count(store) == 12


async def test_a_message_the_store_cannot_take_is_kept_as_a_stand_in_and_the_rest_sync(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever it is about one message that fails its batch, the account goes on."""
    run = ingest_batch.EmailBatch.run

    async def picky(self, messages, prepared):  # type: ignore[no-untyped-def]
        if any("poison" in (m.subject or "") for m in messages):
            raise ValueError("a value SQLite cannot bind")
        return await run(self, messages, prepared)

    monkeypatch.setattr(ingest_batch.EmailBatch, "run", picky)
    mail = [email(n) for n in range(5)]
    mail[2] = email(2, subject="poison")
    dovecot.deliver(*mail, folder=folder)
    config = config_for(dovecot, folder)
    [first] = await sync_once(store, config)
    assert (first.new, first.state) == (5, "ok")
    [error] = first.errors
    assert "kept as a stand-in" in error and "cannot bind" in error
    [second] = await sync_once(store, config)  # the cursor moved past it
    assert (second.new, second.skipped, second.errors) == (0, 0, [])
    rows = await queries.list_conversations(store, queries.ListFilter(limit=100))
    kept = [r for r in rows if r["subject"] == "(a message that could not be stored)"]
    assert len(kept) == 1 and len(rows) == 5
    [message] = (await queries.show_conversation(store, kept[0]["id"]))["messages"]
    assert "cannot bind" in message["text"]
    assert message["context"]["ingest_error"].startswith("ValueError")
    async with store.read() as session:
        row = await session.get(Message, message["id"])
        assert row is not None and row.raw_sha256 is not None
        raw = await keep_raw.get(session, store.data_dir, row.raw_sha256)
    assert raw is not None and b"Subject: poison" in raw  # it can be parsed again


async def test_mail_that_came_while_the_sync_ran_is_news_to_idle_at_once(
    dovecot: Dovecot, folder: str
) -> None:
    """IDLE announces only what comes after its own SELECT: mail that arrived after the
    sync's must not wait for the next poll."""
    dovecot.deliver(email(1), email(2), folder=folder)
    imap = accounts.imap_account(config_for(dovecot, folder).accounts[0])
    started = time.monotonic()
    assert await imap.wait_for_mail(folder, 30, last_uid=1) is True  # UID 2 is not stored
    assert time.monotonic() - started < 10
    assert await imap.wait_for_mail(folder, 1, last_uid=2) is False  # all stored: it waits


async def test_an_account_taken_out_of_the_config_leaves_the_status_bar(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    config = config_for(dovecot, folder)
    old = replace(config.accounts[0], name="old-mailbox", imap_port=free_port())  # down
    await sync_once(store, replace(config, accounts=(*config.accounts, old)))
    assert {a["account"] for a in (await queries.pulse(store)).accounts} == {
        "support",
        "old-mailbox",
    }
    await sync_once(store, config)  # the team took it out of the config
    assert [a["account"] for a in (await queries.pulse(store)).accounts] == ["support"]


async def test_new_mail_is_pulled_exactly_once(dovecot: Dovecot, folder: str, store: Store) -> None:
    config = config_for(dovecot, folder)
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    dovecot.deliver(email(2), email(3), folder=folder)
    [report] = await sync_once(store, config)
    assert report.new == 2
    assert await _count(store) == 3


async def test_a_uidvalidity_change_resyncs_without_duplicates(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    config = config_for(dovecot, folder)
    dovecot.deliver(email(1), email(2), folder=folder)
    await sync_once(store, config)
    dovecot.reset_uidvalidity(folder)
    dovecot.deliver(email(3), folder=folder)
    [report] = await sync_once(store, config)
    assert (report.new, report.skipped) == (1, 2)
    assert await _count(store) == 3


async def test_an_interrupted_sync_resumes_without_loss_or_duplicates(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omni_tui import sync as sync_module

    dovecot.deliver(*(email(n) for n in range(10)), folder=folder)
    config = config_for(dovecot, folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", 4)
    real_ingest, calls = sync_module.ingest, []

    async def crash_on_second_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is killed mid-sync
        return await real_ingest(*args, **kwargs)

    monkeypatch.setattr(sync_module, "ingest", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        await sync_once(store, config)
    assert await _count(store) == 4  # the first batch and its cursor
    monkeypatch.setattr(sync_module, "ingest", real_ingest)
    [report] = await sync_once(store, config)
    assert (report.new, report.skipped) == (6, 0)
    assert await _count(store) == 10


async def test_a_long_first_sync_tells_how_far_it_is_of_how_many(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.deliver(*(email(n) for n in range(10)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", 4)
    seen: list[tuple[str, int, int | None]] = []
    await sync_once(store, config_for(dovecot, folder), progress=lambda *at: seen.append(at))
    assert seen == [("support", 4, 10), ("support", 8, 10), ("support", 10, 10)]


async def test_a_mailbox_of_large_messages_is_pulled_in_batches_that_fit_in_memory(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are cut by bytes as well as by count: 500 photos of 20 MB are not one batch."""
    big = [email(n) + (b"the log the customer pasted " * 3 + b"\r\n") * 1200 for n in range(6)]
    dovecot.deliver(*big, folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH_BYTES", 250 * 1024)
    seen: list[tuple[str, int, int | None]] = []
    config = config_for(dovecot, folder)
    [report] = await sync_once(store, config, progress=lambda *at: seen.append(at))
    assert (report.new, report.state) == (6, "ok")
    assert seen == [("support", 2, 6), ("support", 4, 6), ("support", 6, 6)]


async def test_the_count_to_come_covers_every_folder_and_an_empty_one_is_no_error(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, empty, archive = f"{folder}in", f"{folder}empty", f"{folder}archive"
    dovecot.deliver(*(email(n) for n in range(5)), folder=inbox)
    dovecot.deliver(folder=empty)
    dovecot.deliver(*(email(n) for n in range(5, 8)), folder=archive)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", 2)
    seen: list[tuple[str, int, int | None]] = []
    config = config_for(dovecot, [inbox, empty, archive])
    [report] = await sync_once(store, config, progress=lambda *at: seen.append(at))
    assert (report.new, report.state, report.errors) == (8, "ok", [])
    assert seen == [("support", done, 8) for done in (2, 4, 5, 7, 8)]


async def test_a_folder_the_server_lacks_is_reported_and_the_others_are_still_pulled(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    """Copying folders = ["INBOX", "Escalations"] from the example left INBOX unread."""
    dovecot.deliver(*(email(n) for n in range(3)), folder=folder)
    config = config_for(dovecot, [f"{folder}Missing", folder])
    [report] = await sync_once(store, config)
    assert (report.state, report.new) == ("error", 3)
    assert f"cannot open folder '{folder}Missing'" in report.errors[0]
    assert "fix the account's folders (the others were pulled)" in report.errors[0]
    [again] = await sync_once(store, config)
    assert (again.state, again.new, again.skipped) == ("error", 0, 0)


async def test_new_mail_in_the_first_of_several_folders_is_pulled(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    """Only the first folder had news: it was fetched in the last folder sized, found
    nothing there, and its cursor moved past the message for good."""
    inbox, archive = folder, f"{folder}Archive"
    dovecot.deliver(email(1), folder=inbox)
    dovecot.deliver(email(2), folder=archive)
    config = config_for(dovecot, [inbox, archive])
    [first] = await sync_once(store, config)
    dovecot.deliver(email(3), folder=inbox)
    [second] = await sync_once(store, config)
    [third] = await sync_once(store, config)
    assert (first.new, second.new, third.new) == (2, 1, 0)
    with sqlite3.connect(store.path) as conn:
        subjects = {s for (s,) in conn.execute("SELECT subject FROM message")}
    assert subjects == {"Order #1001 question", "Order #1002 question", "Order #1003 question"}


async def test_a_missing_folder_named_last_does_not_stop_the_ones_before_it(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    dovecot.deliver(*(email(n) for n in range(3)), folder=folder)
    config = config_for(dovecot, [folder, f"{folder}Missing"])
    [report] = await sync_once(store, config)
    assert (report.state, report.new) == ("error", 3)
    assert f"cannot open folder '{folder}Missing'" in report.errors[0]


async def test_a_pull_cut_short_reports_the_mail_it_stored_before_the_cut(
    dovecot: Dovecot, folder: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "0 new" after a dropped connection sent admins looking for mail that was there."""
    dovecot.deliver(*(email(n) for n in range(6)), folder=folder)
    monkeypatch.setattr("omni_tui.accounts.IMAP_BATCH", 2)
    fetch, calls = ImapConnection.fetch, itertools.count(1)

    def dropping(self: ImapConnection, uids: list[int]) -> list[Any]:
        if next(calls) == 3:
            raise ConnectionResetError("connection reset by peer")
        return fetch(self, uids)

    monkeypatch.setattr(ImapConnection, "fetch", dropping)
    config = config_for(dovecot, folder)
    [cut] = await sync_once(store, config)
    assert (cut.state, cut.new) == ("error", 4)
    assert "connection reset by peer" in cut.errors[0]
    monkeypatch.setattr(ImapConnection, "fetch", fetch)
    [rest] = await sync_once(store, config)
    assert (rest.state, rest.new, rest.skipped) == ("ok", 2, 0)


async def test_pulling_never_marks_mail_as_read(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config_for(dovecot, folder))
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(dovecot.user, dovecot.password)
        client.select_folder(folder, readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
    assert all(b"\\Seen" not in f for f in flags.values())


async def test_tls_is_verified_against_a_custom_ca_file(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    dovecot.deliver(email(1), folder=folder)
    base = config_for(dovecot, folder)
    for security, port in (("tls", dovecot.tls_port), ("starttls", dovecot.port)):
        trusted = config_for(dovecot, folder).__class__  # noqa: F841 - same shape below
        good = parse_config(_with(base, security, port, f'ca_file = "{dovecot.cert}"'))
        bad = parse_config(_with(base, security, port, ""))
        [ok] = await sync_once(store, good)
        [refused] = await sync_once(store, bad)
        assert ok.state == "ok", ok.errors
        assert refused.state == "error" and "certificate" in refused.errors[0].lower()


def _with(config: Config, security: str, port: int, extra: str) -> str:
    account = config.accounts[0]
    return "\n".join(
        [
            "[[accounts]]",
            'name = "support"',
            'channel = "email"',
            'imap_host = "localhost"',
            f"imap_port = {port}",
            f'imap_security = "{security}"',
            f'username = "{account.username}"',
            f'password = "{account.password}"',
            f'folders = ["{account.folders[0]}"]',
            'address = "support@larkspur.example"',
            extra,
        ]
    )


def test_sync_once_reports_per_account_and_fails_on_a_bad_password(
    dovecot: Dovecot, folder: str, tmp_path: Path
) -> None:
    dovecot.deliver(email(1), email(2), folder=folder)
    config = tmp_path / "config.toml"
    good = config_for(dovecot, folder)
    text = _with(good, "none", dovecot.port, "")
    config.write_text(text)
    db = tmp_path / "omni.db"
    cmd = [
        sys.executable,
        "-m",
        "omni_tui",
        "sync",
        "--once",
        "--json",
        "--config",
        str(config),
        "--db",
        str(db),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["accounts"] == [
        {
            "account": "support",
            "channel": "email",
            "new": 2,
            "skipped": 0,
            "errors": [],
            "state": "ok",
        }
    ]
    config.write_text(text.replace(f'password = "{dovecot.password}"', 'password = "wrong"'))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert json.loads(done.stdout)["accounts"][0]["state"] == "auth"
