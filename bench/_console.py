"""Child of bench/console.py: drive the real console headless and time switches and searches.

    python bench/_console.py DB_PATH PLAN_JSON OUT_JSON

The console process is this process, so its peak RSS (ru_maxrss) is the console's.
It starts the console as ``omni-tui`` does, with the garbage collector held until
the console settles its heap.
The product is not changed: for the per-phase breakdown a few product functions are
wrapped with timers in this process only (queries.show_case / show_conversation / show_customer,
actions.mark_read, ConversationView.show, CustomerPanel.show).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState  # noqa: E402

from omni_tui import actions, queries  # noqa: E402
from omni_tui.config import Config  # noqa: E402
from omni_tui.tui.app import OmniApp  # noqa: E402
from omni_tui.tui.conversation import ConversationView  # noqa: E402
from omni_tui.tui.customer import CustomerPanel  # noqa: E402
from omni_tui.tui.heap import hold_collector  # noqa: E402
from omni_tui.tui.inbox import InboxList  # noqa: E402

now = time.perf_counter
PHASE: dict[str, float] = defaultdict(float)


def log(msg: str) -> None:
    print(f"[console {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _wrap(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):

        async def timed_async(*args: Any, **kw: Any) -> Any:
            t = now()
            try:
                return await original(*args, **kw)
            finally:
                PHASE[label] += now() - t

        setattr(owner, name, timed_async)
    else:

        def timed(*args: Any, **kw: Any) -> Any:
            t = now()
            try:
                return original(*args, **kw)
            finally:
                PHASE[label] += now() - t

        setattr(owner, name, timed)


_wrap(queries, "show_conversation", "q_show_conversation")
_wrap(queries, "show_customer", "q_show_customer")
_wrap(queries, "show_case", "q_show_case")
_wrap(actions, "mark_read", "mark_read")
_wrap(ConversationView, "show", "conversation_pane")
_wrap(CustomerPanel, "show", "customer_pane")
# Textual's screen refresh (layout + compositor render), counted and timed
_wrap(Screen, "_on_timer_update", "screen_refresh")
_COUNT: dict[str, int] = defaultdict(int)
_original_refresh = Screen._on_timer_update


def _counted_refresh(self: Screen) -> None:
    _COUNT["screen_refreshes"] += 1
    _original_refresh(self)


Screen._on_timer_update = _counted_refresh  # type: ignore[method-assign]


async def finish(workers: list[Worker]) -> list[str]:
    errors = []
    for worker in workers:
        while worker.state == WorkerState.PENDING:
            await asyncio.sleep(0)
        try:
            await worker.wait()
        except (WorkerFailed, WorkerCancelled) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors


def press(app: OmniApp, key: str) -> None:
    """Send one key as the terminal driver would (Pilot.press also sleeps until idle,
    at least 3 x 20 ms, which would swamp the figure)."""
    char = {"enter": "\r"}.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def new_open_workers(app: OmniApp, before: set[int], timeout: float = 30.0) -> list[Worker]:
    """The "open" worker the keypress started (polled every 0.5 ms)."""
    t = now()
    while now() - t < timeout:
        found = [w for w in app.workers if w.group == "open" and id(w) not in before]
        if found:
            return found
        await asyncio.sleep(0.0005)
    raise RuntimeError("enter did not open a conversation")


async def painted(app: OmniApp) -> None:
    """Return once the screen has been refreshed (Textual runs call_after_refresh
    callbacks after the compositor has drawn every dirty widget)."""
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()


def cpu() -> float:
    """CPU seconds of this whole process (every thread: the app and its SQLite threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


async def timed_query(fn: Any, *args: Any, repeat: int = 3, **kw: Any) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        t = now()
        await fn(*args, **kw)
        runs.append((now() - t) * 1000)
    return {"first_ms": round(runs[0], 2), "best_ms": round(min(runs), 2)}


async def run(db: Path, plan: dict[str, Any]) -> dict[str, Any]:
    # as `omni-tui` starts the console: the collector is held until the console has
    # settled its heap (omni_tui.cli.main; tui/heap.py)
    hold_collector()
    app = OmniApp(Config(), db)
    notices: list[str] = []
    original_notify = app.notify

    def notify(message: str, *a: Any, **kw: Any) -> None:
        if kw.get("severity") == "error":
            notices.append(f"{kw.get('title', '')}: {message}"[:300])
        original_notify(message, *a, **kw)

    app.notify = notify  # type: ignore[method-assign]
    result: dict[str, Any] = {}
    async with app.run_test(headless=True, size=(200, 60)) as pilot:
        t = now()
        while not (app.query(InboxList) and app.inbox.rows):
            await asyncio.sleep(0.005)
            if now() - t > 120:
                raise SystemExit("inbox never loaded")
        await pilot.pause()
        inbox = app.inbox
        rows = list(inbox.rows)
        rss: dict[str, float] = {"inbox_ready": maxrss_mb()}
        log(f"inbox ready with {len(rows)} rows in {now() - t:.2f} s")

        steps: list[tuple[str, int]] = []
        keyed = list(range(min(plan["inbox_switches"], len(rows))))
        extra = [("id", c) for c in plan["other_conversations"]]
        whale = [("id", c) for c in plan["whale_conversations"]]
        mixed = [("key", i) for i in keyed] + extra
        # spread the big customer's cases through the run
        gap = max(1, len(mixed) // (len(whale) + 1))
        for n, step in enumerate(mixed):
            steps.append(step)
            if whale and (n + 1) % gap == 0:
                steps.append(whale.pop(0))
        steps += whale

        switches = []
        for kind, value in steps:
            if kind == "key":
                inbox.focus()
                inbox.highlighted = value
            await pilot.pause()  # settle (not timed): the moved cursor is painted
            await painted(app)  # before enter, as an agent sees the row before pressing it
            before = {id(w) for w in app.workers}
            PHASE.clear()
            _COUNT.clear()
            c0 = cpu()
            t0 = now()
            if kind == "key":
                # exactly what a terminal keypress does: the driver hands the app a Key event
                press(app, "enter")
                workers = await new_open_workers(app, before)
            else:
                workers = [app.open_conversation(value)]
            t_started = now()
            errors = await finish(workers)
            t_done = now()
            await painted(app)
            t1 = now()
            cpu_ms = (cpu() - c0) * 1000
            elapsed = (t1 - t0) * 1000
            conv = app.conversation or {}
            cust = app.customer or {}
            phases = {k: round(v * 1000, 2) for k, v in PHASE.items()}
            phases["worker_total"] = round((t_done - t_started) * 1000, 2)
            phases["paint_after_worker"] = round((t1 - t_done) * 1000, 2)
            phases["key_to_worker"] = round((t_started - t0) * 1000, 2)
            phases["screen_refreshes"] = _COUNT["screen_refreshes"]
            switches.append(
                {
                    "via": "enter" if kind == "key" else "open_conversation",
                    "conversation_id": conv.get("id"),
                    "customer_id": conv.get("customer_id"),
                    "conversation_messages": len(conv.get("messages", [])),
                    "customer_history": len(cust.get("history", [])),
                    "customer_history_total": cust.get("history_total"),
                    "ms": round(elapsed, 2),
                    "cpu_ms": round(cpu_ms, 2),
                    "phases_ms": phases,
                    "errors": errors,
                    "workers": len(workers),
                }
            )
            log(
                f"switch {len(switches):>3} {kind}:{value} conv {conv.get('id')} "
                f"msgs {len(conv.get('messages', []))} history {len(cust.get('history', []))}"
                f" -> {elapsed:.1f} ms {phases}"
            )
        result["switches"] = switches
        rss["after_switches"] = maxrss_mb()

        store = app.store
        assert store is not None
        searches = []
        for q in plan["searches"]:
            c0 = cpu()
            t0 = now()
            hits = await queries.search(store, q, limit=plan["search_limit"])
            ms = (now() - t0) * 1000
            searches.append({"query": q, "ms": round(ms, 2), "hits": len(hits),
                             "cpu_ms": round((cpu() - c0) * 1000, 2)})
        result["searches"] = searches
        typing = []
        for word in plan["typed"]:
            for i in range(1, len(word) + 1):
                q = word[:i]
                t0 = now()
                hits = await queries.search(store, q, limit=plan["search_limit"])
                typing.append({"query": q, "ms": round((now() - t0) * 1000, 2), "hits": len(hits)})
        result["typing"] = typing
        rss["after_searches"] = maxrss_mb()
        log(f"searches: {len(searches)} + {len(typing)} keystrokes")

        # the product queries behind startup and a switch, on their own
        view = app.views[2]
        from dataclasses import replace

        probes: dict[str, Any] = {}
        probes["list_conversations(all open, sort=waiting, 100)"] = await timed_query(
            queries.list_conversations, store, replace(view.where, sort="waiting", limit=100)
        )
        probes["list_conversations(all open, sort=last_activity, 100)"] = await timed_query(
            queries.list_conversations, store, replace(view.where, sort="last_activity", limit=100)
        )
        probes["list_conversations(channel:email, sort=waiting, 100)"] = await timed_query(
            queries.list_conversations, store, replace(app.views[3].where, sort="waiting",
                                                       limit=100)
        )
        probes["view_counts"] = await timed_query(queries.view_counts, store, app.agent)
        probes["pulse (polled every 0.5 s)"] = await timed_query(queries.pulse, store)
        probes["wake_snoozed (polled every 0.5 s)"] = await timed_query(actions.wake_snoozed, store)
        whale_id = plan["whale_customer_id"]
        probes["show_customer(whale, full history)"] = await timed_query(
            queries.show_customer, store, whale_id
        )
        probes["show_customer(whale, history_limit=200)"] = await timed_query(
            queries.show_customer, store, whale_id, history_limit=200
        )
        if plan.get("huge_conversation"):
            probes["show_conversation(huge)"] = await timed_query(
                queries.show_conversation, store, plan["huge_conversation"]
            )
        typical = switches[0]["conversation_id"] if switches else None
        if typical:
            probes["show_conversation(typical)"] = await timed_query(
                queries.show_conversation, store, typical
            )
            probes["show_customer(typical)"] = await timed_query(
                queries.show_customer, store, switches[0]["customer_id"]
            )
        result["probes"] = {k: v for k, v in probes.items()}
        result["error_notices"] = notices
        rss["after_probes"] = maxrss_mb()
        result["rss_checkpoints_mb"] = rss
        result["rss_mb"] = maxrss_mb()
        # written before quitting: quitting can hang (see bench/README.md)
        OUT.write_text(json.dumps(result))
        await pilot.pause()
    return result


OUT = Path("/dev/null")


def main() -> None:
    global OUT
    db, plan_path, OUT = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    plan = json.loads(plan_path.read_text())
    asyncio.run(run(db, plan))


if __name__ == "__main__":
    main()
