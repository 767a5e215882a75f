"""SIGKILL the sync daemon again and again while it delivers the outbox.

Replies through the relay go out exactly once (the relay knows each by its key);
email has no such key, so a reply caught mid-send by a kill is sent again, and
every such resend is in the event log: nothing lost, no duplicate unreported.
"""

from __future__ import annotations

import asyncio
import collections
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.base import InboundMessage
from omni_tui import outbox
from omni_tui.ingest import ingest
from omni_tui.store import Store
from tests.relay import RelayProcess, running_relay, start_sync_daemon
from tests.servers import SmtpSink, free_port, running_sink

REPLIES = 30
KILLS = 6


class SlowSink(SmtpSink):
    """A mail server that takes its time, so a kill can land while a reply is sent."""

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with running_sink(SlowSink(free_port())) as server:
        yield server


def _unsent(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0]


async def test_killing_the_daemon_mid_delivery_loses_nothing_and_reports_every_resend(
    store: Store, tmp_path: Path, sink: SmtpSink
) -> None:
    with running_relay(tmp_path) as relay:
        await _queue_replies(store)
        config = _config(tmp_path, relay, sink)
        rng = random.Random(7)
        for round_ in range(KILLS):
            before = len(sink.received)
            daemon = start_sync_daemon(config, store.path, tmp_path / f"sync{round_}.log")
            deadline = time.monotonic() + 20
            while len(sink.received) == before and time.monotonic() < deadline:
                time.sleep(0.02)  # killed only once it is delivering
            time.sleep(rng.uniform(0.0, 0.3))
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
        daemon = start_sync_daemon(config, store.path, tmp_path / "sync.log")
        try:
            deadline = time.monotonic() + 60
            while _unsent(store.path) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(15)
        assert _unsent(store.path) == 0, (tmp_path / "sync.log").read_text()
        with sqlite3.connect(store.path) as conn:
            query = "SELECT json_extract(data, '$.message_id') FROM event WHERE kind = 'resend'"
            resent = {row[0] for row in conn.execute(query)}
            ids = dict(conn.execute("SELECT message_id, id FROM message WHERE channel = 'email'"
                                    " AND direction = 'out'").fetchall())  # fmt: skip
        at_sink = collections.Counter(m["Message-ID"] for m in sink.messages())
        assert set(at_sink) == set(ids), "every email reply reached the SMTP sink"
        duplicated = {ids[mid] for mid, times in at_sink.items() if times > 1}
        assert duplicated <= resent, "a duplicate nobody was told about"
        assert resent, "no kill caught a reply mid-send: the test proved nothing"
        print(f"{KILLS} kills: {len(resent)} resent, {len(duplicated)} duplicated at the sink")
        with sqlite3.connect(relay.db) as conn:
            keys = collections.Counter(k for (k,) in conn.execute("SELECT key FROM transcript"))
        assert len(keys) == REPLIES and set(keys.values()) == {1}  # chat: exactly once


async def _queue_replies(store: Store) -> None:
    inbound = [
        InboundMessage(
            channel="email", account="support", provider_id=f"imap:{i}",
            sender=f"customer{i}@example.com", subject=f"Order {i}", text="Where is it?",
        )
        for i in range(REPLIES)
    ] + [
        InboundMessage(
            channel="chat", account="site", provider_id=f"web:{i}",
            sender=f"web:visitor-{i:04d}-abcdefabcdef", text="Hello?",
        )
        for i in range(REPLIES)
    ]  # fmt: skip
    result = await ingest(store, inbound)
    for n, case in enumerate(result.conversation_ids):
        assert case is not None
        await outbox.queue_reply(store, case, f"Answer {n}", agent="Ana")


def _config(tmp_path: Path, relay: RelayProcess, sink: SmtpSink) -> Path:
    config = _email_config(tmp_path, sink.port)
    with config.open("a") as out:
        out.write(
            f'[[accounts]]\nname = "site"\nchannel = "chat"\n'
            f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
        )
    return config


class VerySlowSink(SmtpSink):
    """A mail server that takes 1 s for each message: a stop lands mid-send."""

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


def _email_config(tmp_path: Path, smtp_port: int) -> Path:
    config = tmp_path / "omni.toml"
    config.write_text(
        f"""[agent]
name = "Ana"
[[accounts]]
name = "support"
channel = "email"
imap_host = "127.0.0.1"
imap_port = {free_port()}
imap_security = "none"
username = "support"
password = "x"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"
address = "Support <support@shop.example>"
"""
    )
    return config


async def test_sigterm_lets_the_reply_in_flight_finish_and_sends_no_more(
    store: Store, tmp_path: Path
) -> None:
    """The daemon used to go on claiming replies for 10 s after SIGTERM, then cut one
    mid-send, which the next start sent again."""
    inbound = [
        InboundMessage(
            channel="email", account="support", provider_id=f"imap:{i}",
            sender=f"customer{i}@example.com", subject=f"Order {i}", text="Where is it?",
        )
        for i in range(5)
    ]  # fmt: skip
    for case in (await ingest(store, inbound)).conversation_ids:
        await outbox.queue_reply(store, case or 0, "It ships today", agent="Ana")
    with running_sink(VerySlowSink(free_port())) as sink:
        config = _email_config(tmp_path, sink.port)
        daemon = start_sync_daemon(config, store.path, tmp_path / "sync.log")
        deadline = time.monotonic() + 30
        while not sink.received and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the second reply is on the wire now
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(15) == 0, (tmp_path / "sync.log").read_text()
        with sqlite3.connect(store.path) as conn:
            states = collections.Counter(s for (s,) in conn.execute("SELECT status FROM outbox"))
        assert states == {"sent": 2, "queued": 3}, states  # the one in flight, and no more
        assert len(sink.received) == 2
        finish = start_sync_daemon(config, store.path, tmp_path / "again.log")
        deadline = time.monotonic() + 30
        while _unsent(store.path) and time.monotonic() < deadline:
            time.sleep(0.2)
        finish.send_signal(signal.SIGTERM)
        finish.wait(15)
    at_sink = collections.Counter(m["Message-ID"] for m in sink.messages())
    assert len(at_sink) == 5 and set(at_sink.values()) == {1}  # each once
