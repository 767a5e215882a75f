"""Relay benchmark: durable webhook intake, and webhook → console store latency.

    .venv/bin/python bench/relay.py --json

``intake_per_s``: signed ``POST /hooks/chat`` webhooks answered 2xx per second,
each committed to the relay's SQLite log (WAL, synchronous=FULL) before its
answer, sent by ``--senders`` concurrent connections (target ≥ 2,000/s).
``visible_p95_ms``: with ``omni-tui sync`` running against a store, the time
from a webhook's 2xx to its message being in the store, p95 over ``--probes``
webhooks sent one at a time at a steady pace (target ≤ 1,000 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omni_tui.relay import signing  # noqa: E402

TOKEN = "bench-token"
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, cwd=ROOT)


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the relay did not start")


def webhook(n: int, tag: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "id": f"{tag}-{n}",
            "conversation": f"conv-{n % 500}",
            "from": {"id": f"user-{n % 500}", "name": f"Visitor {n % 500}"},
            "text": f"{tag} message {n}: where is my order?",
        }
    ).encode()
    msg_id, ts = f"{tag}_{n}", int(time.time())
    return body, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signing.sign(SECRET, msg_id, ts, body),
    }


async def intake(port: int, total: int, senders: int) -> dict[str, Any]:
    """``senders`` keep-alive connections, each posting its share back to back.

    The load is generated with pre-signed raw HTTP/1.1 requests on plain sockets
    (as wrk would), so the two cores go to the relay rather than to a client library."""
    requests = []
    for n in range(total):  # signing is the sender's cost, paid before the clock starts
        body, headers = webhook(n, "load")
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(
            f"POST /hooks/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    queue = iter(requests)
    statuses: list[int] = []

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in queue:
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            statuses.append(int(status_line.split()[1]))
        writer.close()

    start_at = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    elapsed = time.perf_counter() - start_at
    return {
        "webhooks": total,
        "seconds": round(elapsed, 3),
        "failures": sum(status != 200 for status in statuses),
        "intake_per_s": round(total / elapsed),
    }


async def visibility(url: str, db: Path, probes: int, pace: float) -> list[float]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        for n in range(probes):
            body, headers = webhook(n, "probe")
            async with session.post(url + "/hooks/chat", data=body, headers=headers) as answer:
                assert answer.status == 200, await answer.text()
            accepted = time.perf_counter()
            wanted = f"probe message {n}: where is my order?"
            while not _stored(db, wanted):
                await asyncio.sleep(0.005)
            latencies.append((time.perf_counter() - accepted) * 1000)
            await asyncio.sleep(pace)
    return latencies


def _stored(db: Path, text: str) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return (
                conn.execute("SELECT 1 FROM message WHERE text = ?", (text,)).fetchone() is not None
            )
    except sqlite3.OperationalError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhooks", type=int, default=20000)
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="omni-relay-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (root / "relay.toml").write_text(
        f'[relay]\nlisten = "127.0.0.1:{port}"\npath = "{root / "relay.db"}"\n'
        f'token = "{TOKEN}"\nchat_secret = "{SECRET}"\n'
    )
    (root / "console.toml").write_text(
        f'[[accounts]]\nname = "chat"\nchannel = "chat"\nrelay_url = "{url}"\ntoken = "{TOKEN}"\n'
    )
    py = sys.executable
    relay = start(
        [py, "-m", "omni_tui", "relay", "--config", str(root / "relay.toml")], root / "relay.log"
    )
    daemon = None
    try:
        wait_up(url)
        result = asyncio.run(intake(port, args.webhooks, args.senders))
        db = root / "omni.db"
        daemon = start(
            [
                py,
                "-m",
                "omni_tui",
                "sync",
                "--poll",
                "60",
                "--config",
                str(root / "console.toml"),
                "--db",
                str(db),
            ],
            root / "sync.log",
        )
        while not _stored(db, f"load message {args.webhooks - 1}: where is my order?"):
            time.sleep(0.2)  # the daemon's first sync drains the intake run's backlog
        latencies = asyncio.run(visibility(url, db, args.probes, 0.05))
        quantiles = statistics.quantiles(latencies, n=20)
        result |= {
            "visible_p50_ms": round(statistics.median(latencies), 1),
            "visible_p95_ms": round(quantiles[18], 1),
            "probes": len(latencies),
        }
        result["met"] = {
            "intake_per_s": result["intake_per_s"] >= 2000,
            "visible_p95_ms": result["visible_p95_ms"] <= 1000,
        }
    finally:
        for process in (daemon, relay):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
