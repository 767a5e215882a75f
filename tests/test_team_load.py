"""Four agents and a steady stream of texts on one SQLite file: no errors, nothing lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from adapters.base import InboundMessage
from omni_tui.ingest import ingest
from omni_tui.store import Store

AGENTS = ("Ana", "Ben", "Cy", "Dee")
ACTIONS = 500


async def test_four_agents_acting_while_texts_stream_in_meet_no_errors(
    store: Store, tmp_path: Path
) -> None:
    seed = [
        InboundMessage(
            channel="email",
            account="mail",
            provider_id=f"seed:{i}",
            sender=f"customer{i}@example.com",
            subject=f"Case {i}",
            text="Hello",
        )
        for i in range(40)
    ]
    await ingest(store, seed)
    db = store.path
    run = [sys.executable, "-m", "tests.load_agent"]
    out = subprocess.PIPE
    ingester = subprocess.Popen([*run, "ingest", str(db), "50", "12"], stdout=out)
    agents = [
        subprocess.Popen([*run, "agent", str(db), name, str(ACTIONS), str(i)], stdout=out)
        for i, name in enumerate(AGENTS)
    ]
    results = [json.loads(p.communicate(timeout=300)[0]) for p in agents]
    fed = json.loads(ingester.communicate(timeout=300)[0])
    assert fed["errors"] == []
    # 50/s for 12 s is the schedule; a busy machine may fall behind it, never lose a text
    assert fed["ingested"] >= 50 * 12 // 2, fed
    print(f"\nload test: {fed['ingested'] / 12:.0f} texts/s ingested beside 4 agents")
    for result in results:
        assert result["errors"] == [], result["errors"][:3]
        assert sum(result["done"].values()) == ACTIONS
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        def count(sql: str, *args: object) -> int:
            return conn.execute(sql, args).fetchone()[0]

        events = "SELECT count(*) FROM event WHERE actor = ? AND kind = ?"
        outbound = "SELECT count(*) FROM message WHERE author = ? AND direction = 'out'"
        for result in results:  # every action is in the event log, and in the rows
            name, done = result["agent"], result["done"]
            assert count(events, name, "reply") == done["reply"] == count(outbound, name)
            assert count(events, name, "assign") == done["claim"]
        assert count("SELECT count(*) FROM outbox") == sum(r["done"]["reply"] for r in results)
        loaded = "SELECT count(*) FROM message WHERE provider_id LIKE 'load:%'"
        assert count(loaded) == fed["ingested"]
        # a case was claimed once, by the agent who holds it
        claims = "SELECT conversation_id, count(*), min(actor) FROM event WHERE kind = 'assign'"
        for case, times, actor in conn.execute(claims + " GROUP BY 1").fetchall():
            holder = "SELECT assignee FROM conversation WHERE id = ?"
            assert (times, conn.execute(holder, (case,)).fetchone()[0]) == (1, actor)
