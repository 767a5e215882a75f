"""``omni-tui sync`` killed again and again while chats stream in: every message is
stored exactly once, the store stays sound.

Real processes: the relay takes webhooks from a thread posting 15 a second while the
daemon (long-polling the relay) is SIGKILLed at random moments and restarted.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
from pathlib import Path

from omni_tui.store import Store
from tests.relay import running_relay, start_sync_daemon
from tests.test_chat_relay import chat

MESSAGES = 300
KILLS = 10
SEED = 20261202


def stored(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        sql = "SELECT count(*), count(DISTINCT provider_id) FROM message WHERE channel = 'chat'"
        total, distinct = conn.execute(sql).fetchone()
    return total, distinct


async def test_the_daemon_killed_mid_ingest_again_and_again_stores_each_chat_once(
    store: Store, tmp_path: Path
) -> None:
    with running_relay(tmp_path) as relay:
        config = tmp_path / "omni.toml"
        config.write_text(
            f'[[accounts]]\nname = "site"\nchannel = "chat"\n'
            f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
        )
        posted: list[int] = []

        def customers_write() -> None:
            for n in range(MESSAGES):
                message = chat(f"question {n}", n) | {"conversation": f"c-{n % 30}"}
                message["from"] = {"id": f"u-{n % 30}"}
                status, _ = relay.post_chat(message, msg_id=f"w{n}")
                assert status < 300
                posted.append(n)
                time.sleep(0.06)

        writer = threading.Thread(target=customers_write)
        writer.start()
        rng = random.Random(SEED)
        log = tmp_path / "daemon.log"
        kills = []
        try:
            # how long a daemon takes here to store its first chat: start-up kills land within
            started = time.monotonic()
            daemon = start_sync_daemon(config, store.path, log)
            while stored(store.path)[0] == 0 and time.monotonic() - started < 60:
                time.sleep(0.05)
            first = time.monotonic() - started
            for i in range(KILLS):
                time.sleep(rng.uniform(0.0, 0.5))  # pulls and commits in flight
                daemon.send_signal(signal.SIGKILL)
                daemon.wait(10)
                before = stored(store.path)[0]
                kills.append((len(posted), before))
                daemon = start_sync_daemon(config, store.path, log)
                if i % 3 == 2:  # killed again during start-up: store open, first pull
                    time.sleep(rng.uniform(0.2, 0.9) * first)
                    continue
                started = time.monotonic()  # else once it is storing again
                while stored(store.path)[0] == before and time.monotonic() - started < 30:
                    if len(posted) == MESSAGES and stored(store.path)[0] >= MESSAGES:
                        break
                    time.sleep(0.05)
            writer.join(60)  # the last daemon is left alone
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and stored(store.path)[0] < MESSAGES:
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(20)
            writer.join(60)
    assert stored(store.path) == (MESSAGES, MESSAGES), (kills, log.read_text()[-2000:])
    mid_stream = [k for k in kills if 0 < k[1] < MESSAGES]
    assert len(mid_stream) >= KILLS // 2, kills  # the kills landed while chats streamed in
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"\ndaemon kill test: first chat stored {first:.1f} s after start; {kills}")
