"""Does the console stay responsive while it runs its own first sync?

Usage (from the project root, as root: Dovecot is a real process)::

    .venv/bin/python bench/console_sync.py --messages 10000 --json

With no ``omni-tui sync`` daemon on the store, the console syncs by itself
(``omni_tui/tui/local_sync.py``), on its own event loop.  This loads the email
benchmark's mailbox (``bench/email_sync.py``) into a private Dovecot, starts the
console headless at 120×36 on a fresh store and, until every message is stored:

- ticks every 10 ms and records how late each tick wakes (``loop_lag_ms``): a
  stall of the event loop is a stall of the screen and the keys;
- every 0.3 s presses ``j`` or ``k`` in the inbox and times the key until the
  cursor has moved (``key_to_cursor_ms``).

Target (the handbook's "the UI never blocks"): key_to_cursor p99 well under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from bench.email_sync import Mailbox, load_inbox, log, omni_config, stop  # noqa: E402
from omni_tui.config import parse_config  # noqa: E402
from omni_tui.tui.app import OmniApp  # noqa: E402
from tests.servers import start_dovecot  # noqa: E402

TICK_S = 0.01
KEY_EVERY_S = 0.3


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM message").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values) or [0.0]
    at = lambda q: values[min(len(values) - 1, int(len(values) * q))]  # noqa: E731
    return {"p50": round(at(0.5), 1), "p99": round(at(0.99), 1), "max": round(values[-1], 1)}


async def press_and_time(app: OmniApp, key: str, timeout: float = 5.0) -> float:
    """Milliseconds from the key's arrival to the inbox cursor moving."""
    from textual import events

    before = app.inbox.highlighted
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    while app.inbox.highlighted == before and time.perf_counter() - started < timeout:
        await asyncio.sleep(0.001)
    return (time.perf_counter() - started) * 1000


async def measure(config_text: str, db: Path, expected: int, limit_s: float) -> dict[str, Any]:
    app = OmniApp(parse_config(config_text), db)
    lags: list[float] = []
    keys: list[float] = []
    async with app.run_test(size=(120, 36)):
        started = last = next_key = time.perf_counter()
        done = 0
        while done < expected and time.perf_counter() - started < limit_s:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            lags.append((now - last - TICK_S) * 1000)
            last = now
            if now >= next_key and app.inbox.highlighted is not None and app.focused is app.inbox:
                keys.append(await press_and_time(app, "j" if app.inbox.highlighted < 5 else "k"))
                next_key, last = time.perf_counter() + KEY_EVERY_S, time.perf_counter()
            if len(lags) % 50 == 0:
                done = await asyncio.to_thread(stored, db)
        took = time.perf_counter() - started
        await app.action_quit()
    return {
        "synced_here": done,
        "sync_s": round(took, 2),
        "loop_lag_ms": percentiles(lags),
        "key_to_cursor_ms": {**percentiles(keys), "keys": len(keys)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=float, default=120.0, help="give up after (s)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="omni-bench-console-sync-"))
    server, _ = start_dovecot(work / "dovecot")
    try:
        log(f"loading {args.messages} messages into Dovecot…")
        mailbox = Mailbox(args.seed, max(1, args.messages // 4))
        load_inbox(server, [mailbox.message(n) for n in range(args.messages)])
        result = {"messages": args.messages}
        result |= asyncio.run(
            measure(omni_config(server), work / "omni.db", args.messages, args.limit)
        )
    finally:
        stop(server)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["synced_here"] >= args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
