"""The relay's log over its life: wiped, restored from a backup, and streams that end.

Real processes on loopback: ``omni-tui relay`` and the console's chat account.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sqlite3
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from omni_tui import queries
from omni_tui.config import parse_config
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.relay import RelayProcess, running_relay
from tests.test_chat_relay_robust import VISITOR, post_widget


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    with running_relay(tmp_path) as running:
        yield running


# -- a relay whose log was wiped or replaced ---------------------------------------------


async def test_a_console_reads_a_wiped_relay_log_from_the_start_and_skips_nothing(
    relay: RelayProcess, tmp_path: Path
) -> None:
    """A new server, a container without its volume, a restored backup: ids start again."""
    other = "aaaaaaaa-5b2d-4c8a-9e1f-0a2b3c4d5e6f"

    def say(visitor: str, text: str) -> None:
        body = json.dumps({"visitor": visitor, "text": text}).encode()
        assert post_widget(relay, body)[0] == 201

    config = parse_config(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    for n in range(3):
        await asyncio.to_thread(say, VISITOR, f"old {n}")
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        assert (await sync_once(store, config))[0].new == 3
        await asyncio.to_thread(relay.stop)
        for path in relay.root.glob("relay.db*"):
            path.unlink()
        await asyncio.to_thread(relay.start)
        await asyncio.to_thread(say, other, "new visitor: hello?")
        await asyncio.to_thread(say, VISITOR, "old visitor again")  # ids 1 and 2 once more
        [report] = await sync_once(store, config)
        assert (report.state, report.new, report.skipped) == ("ok", 2, 0)
        await asyncio.to_thread(say, other, "anyone?")
        assert (await sync_once(store, config))[0].new == 1
        assert (await sync_once(store, config))[0].new == 0


async def test_a_relay_restored_from_a_backup_loses_none_of_the_messages_after_it(
    relay: RelayProcess, tmp_path: Path
) -> None:
    """The backup holds the log's id too, so the console saw nothing new: its cursor sat
    past the restored log's end, and the new messages' ids repeated stored ones."""

    def say(text: str) -> None:
        body = json.dumps({"visitor": VISITOR, "text": text}).encode()
        assert post_widget(relay, body)[0] == 201

    config = parse_config(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    await asyncio.to_thread(say, "before the backup")
    backup = tmp_path / "relay-backup.db"
    with contextlib.closing(sqlite3.connect(relay.root / "relay.db")) as live:
        with contextlib.closing(sqlite3.connect(backup)) as copy:
            live.backup(copy)
    for n in range(3):
        await asyncio.to_thread(say, f"after the backup {n}")
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        assert (await sync_once(store, config))[0].new == 4
        await asyncio.to_thread(relay.stop)
        for path in relay.root.glob("relay.db*"):
            path.unlink()
        backup.rename(relay.root / "relay.db")
        await asyncio.to_thread(relay.start)
        for n in range(2):
            await asyncio.to_thread(say, f"after the restore {n}")  # the event ids 2 and 3 again
        [report] = await sync_once(store, config)
        assert (report.state, report.new, report.skipped) == ("ok", 2, 1)
        [case] = await queries.list_conversations(store)
        shown = await queries.show_conversation(store, case["id"])
        assert [m["text"] for m in shown["messages"]][-2:] == [
            "after the restore 0",
            "after the restore 1",
        ]


def test_a_visitor_or_console_closing_its_stream_leaves_no_traceback_in_the_log(
    relay: RelayProcess,
) -> None:
    """Every closed tab wrote a 1.5 KB traceback: a log, and a disk, anyone could fill."""
    streams = []
    for path, auth in ((f"/widget/stream?visitor={VISITOR}", ""), ("/events/stream", True)):
        sock = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
        headers = "".join(f"{k}: {v}\r\n" for k, v in relay.auth().items()) if auth else ""
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: relay\r\n{headers}\r\n".encode())
        seen = b""
        while b"retry: 2000" not in seen:
            seen += sock.recv(4096)
        streams.append(sock)
    for sock in streams:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # reset, as a browser tab closing mid-stream
    body = json.dumps({"visitor": VISITOR, "text": "still there?"}).encode()
    for _ in range(2):  # each stream writes to its closed socket, and learns it is closed
        assert post_widget(relay, body)[0] == 201
        time.sleep(0.5)
    log = (relay.root / "relay.log").read_text()
    assert "Traceback" not in log and "Error handling request" not in log, log[-2000:]


async def test_a_log_that_pruning_emptied_is_not_taken_for_a_restored_one(
    relay: RelayProcess, tmp_path: Path
) -> None:
    """Old events pruned away leave the log's end before the console's cursor; its ids
    still go on from where they were, so nothing needs reading again."""
    from sqlmodel import select

    from omni_tui.store import SyncCursor

    config = parse_config(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    for n in range(3):
        body = json.dumps({"visitor": VISITOR, "text": f"old {n}"}).encode()
        assert (await asyncio.to_thread(post_widget, relay, body))[0] == 201
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        assert (await sync_once(store, config))[0].new == 3
        await asyncio.to_thread(relay.stop)
        with contextlib.closing(sqlite3.connect(relay.root / "relay.db")) as db:
            db.execute("DELETE FROM events")  # as retention_days does, to every event
            db.commit()
        await asyncio.to_thread(relay.start)
        [report] = await sync_once(store, config)
        assert (report.state, report.new) == ("ok", 0)
        async with store.read() as session:
            cursors = {c.folder: c.value for c in (await session.exec(select(SyncCursor))).all()}
        assert cursors["relay"] == "3"  # not read again from 0
