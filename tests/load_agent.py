"""One agent (or the ingester) hammering a shared store, for the multi-agent load test.

    python -m tests.load_agent agent DB NAME ACTIONS SEED
    python -m tests.load_agent ingest DB RATE SECONDS

Prints one JSON line: what it did, and every error it met (there must be none).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path

from sqlmodel import col, select

from adapters.base import InboundMessage
from omni_tui import actions, outbox
from omni_tui.errors import Refused
from omni_tui.ingest import ingest
from omni_tui.store import Conversation, Store


async def agent(db: Path, name: str, count: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    done = dict.fromkeys(("claim", "mine", "refused", "reply", "tag", "resolve"), 0)
    errors: list[str] = []
    async with await Store.open(db) as store:
        async with store.read() as session:
            ids = list(
                (await session.exec(select(Conversation.id).order_by(col(Conversation.id)))).all()
            )
        for i in range(count):
            case = rng.choice(ids)
            kind = rng.choice(("claim", "reply", "tag", "resolve"))
            try:
                if kind == "claim":
                    try:
                        if not await actions.claim(store, case, agent=name):
                            kind = "mine"  # claimed earlier: nothing changes
                    except Refused:
                        kind = "refused"  # a colleague has it: the expected answer
                elif kind == "reply":
                    await outbox.queue_reply(store, case, f"{name} answer {i}", agent=name)
                elif kind == "tag":
                    await actions.add_tags(store, case, [f"t{i % 5}"], agent=name)
                else:
                    await actions.set_status(store, case, "resolved", agent=name)
                done[kind] += 1
            except Exception as exc:  # any other failure is a bug under load
                errors.append(f"{kind} {case}: {type(exc).__name__}: {exc}")
    return {"agent": name, "done": done, "errors": errors}


async def ingester(db: Path, rate: float, seconds: float) -> dict[str, object]:
    errors: list[str] = []
    sent = 0
    start = time.monotonic()
    async with await Store.open(db) as store:
        while time.monotonic() - start < seconds:
            batch = [
                InboundMessage(
                    channel="sms",
                    account="sms",
                    provider_id=f"load:{sent + k}",
                    sender=f"+1415555{(sent + k) % 40:04d}",
                    text=f"load message {sent + k}",
                )
                for k in range(5)
            ]
            try:
                await ingest(store, batch)
                sent += len(batch)
            except Exception as exc:
                errors.append(f"ingest: {type(exc).__name__}: {exc}")
            await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    return {"ingested": sent, "errors": errors}


def main() -> None:
    kind, db = sys.argv[1], Path(sys.argv[2])
    if kind == "agent":
        result = asyncio.run(agent(db, sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    else:
        result = asyncio.run(ingester(db, float(sys.argv[3]), float(sys.argv[4])))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
