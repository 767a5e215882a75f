"""Console benchmark: startup, conversation switching, search and memory on a big store.

    python bench/console.py --messages 1000000 --customers 100000 --json
    python bench/console.py --messages 20000 --customers 2000          # quick run

Prints one JSON object (with --json, nothing else goes to stdout; progress goes to
stderr).  See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

TARGETS = {"startup_s": 1.0, "switch_p95_ms": 50.0, "search_p95_ms": 50.0, "rss_mb": 200.0}

SEARCH_WORDS = [
    "refund", "tracking", "broken", "damaged", "invoice", "warranty", "subscription", "descale",
    "grinder", "espresso", "password", "address", "wholesale", "cancel", "delivered", "carafe",
]
SEARCH_PHRASES = [
    "refund grinder", "tracking number", "charged twice", "vat invoice", "arrived broken",
    "espresso machine", "password reset", "milk frother", "still hasn't arrived", "wrong address",
    "fedex lost", "portland kettle", "replacement parts", "pause subscription",
]
SEARCH_PREFIXES = ["refu", "trac", "warr", "subscr", "descal", "invo"]
TYPED = ["refund", "tracking number", "maria lopez", "warranty"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 2),
        "p95": round(pct(values, 95), 2),
        "max": round(max(values), 2) if values else float("nan"),
        "mean": round(statistics.fmean(values), 2) if values else float("nan"),
    }


def fresh_copy(db: Path, work: Path) -> None:
    """Each run works on a copy: opening a case marks it read, which writes."""
    for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        p.unlink(missing_ok=True)
    shutil.copyfile(db, work)


def evict(path: Path) -> bool:
    """Drop the file from the page cache (for a cold start); False if not possible."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    except (OSError, AttributeError):
        return False
    finally:
        os.close(fd)


def run_startup(work: Path, cold: bool = False, exit_grace: float = 8.0) -> dict[str, Any]:
    """One console start in a fresh process; the child reports as soon as the inbox is
    painted, then quits.  A child that does not finish quitting is killed and noted."""
    if cold:
        evict(work)
    spawn = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_startup.py"), str(work), repr(spawn)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, cwd=str(ROOT),
    )
    assert proc.stdout is not None
    result: dict[str, Any] | None = None
    deadline = time.perf_counter() + 600
    for line in proc.stdout:
        if line.startswith("{") and '"painted_s"' in line:
            result = json.loads(line)
            break
        if time.perf_counter() > deadline:
            break
    if result is None:
        proc.kill()
        _, err = proc.communicate()
        raise SystemExit(f"startup child never painted the inbox:\n{err[-4000:]}")
    t_painted = time.perf_counter()
    try:
        proc.wait(timeout=exit_grace)
        result["exit_s"] = round(time.perf_counter() - t_painted, 3)
        result["hung_on_exit"] = False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)  # the child dumps its threads and asyncio tasks
        time.sleep(2)
        proc.kill()
        _, err = proc.communicate()
        result["exit_s"] = None
        result["hung_on_exit"] = True
        result["hang_dump"] = err[-20000:]
        log(f"startup child did not quit within {exit_grace:.0f} s of painting; killed")
    return result


def make_plan(meta: dict[str, Any], switches: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    n_conv = meta["counts"]["conversation"]
    whale_convs = meta["whale_conversations"]
    huge = meta.get("huge_conversation")
    whale_pick: list[int] = []
    if huge:
        whale_pick.append(huge)
    others = [c for c in whale_convs if c != huge]
    whale_pick += rng.sample(others, min(4, len(others)))
    inbox_switches = min(50, switches)
    other = max(0, switches - inbox_switches - len(whale_pick))
    whale_set = set(whale_convs)
    other_convs: list[int] = []
    while len(other_convs) < other:
        c = rng.randint(1, n_conv)
        if c not in whale_set:
            other_convs.append(c)
    searches = list(SEARCH_WORDS) + list(SEARCH_PHRASES) + list(SEARCH_PREFIXES)
    searches += [str(o) for o in meta["sample_orders"][:8]]
    searches += [n.lower() for n in meta["sample_names"][:6]]
    searches += meta["sample_addresses"][:6]
    return {
        "inbox_switches": inbox_switches,
        "other_conversations": other_convs,
        "whale_conversations": whale_pick,
        "whale_customer_id": meta["whale_customer_id"],
        "huge_conversation": huge,
        "searches": searches,
        "typed": TYPED,
        "search_limit": 100,  # what the search screen asks for
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=None, help="default 0.3 x messages")
    ap.add_argument("--whale", type=int, default=None,
                    help="messages of the one big customer (default min(10000, messages/2))")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--switches", type=int, default=65, help="at least 50")
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--json", action="store_true", help="print only the JSON object on stdout")
    ap.add_argument("--details", type=Path, default=None,
                    help="also write every switch/search timing to this JSON file")
    args = ap.parse_args(argv)

    # an installed omni-tui has its bytecode compiled at install time; a working tree
    # edited under PYTHONDONTWRITEBYTECODE would be recompiled by every console start
    for package in ("omni_tui", "adapters"):
        compileall.compile_dir(ROOT / package, quiet=1)
    t = time.perf_counter()
    db, meta = generate.ensure_store(args.messages, args.customers, args.conversations,
                                     args.whale, args.seed, args.regenerate)
    log(f"store {db.name} ready ({time.perf_counter() - t:.1f} s; generated in"
        f" {meta.get('generation_s')} s)")

    with tempfile.TemporaryDirectory(prefix="omni-bench-", dir=HERE / ".cache") as tmp:
        work = Path(tmp) / "omni.db"
        fresh_copy(db, work)
        # startup: one cold (store evicted from the page cache), then warm runs
        cold = run_startup(work, cold=True)
        log(f"cold startup {cold['painted_s']:.3f} s (rows {cold['rows']})")
        warm = [run_startup(work) for _ in range(max(1, args.startup_runs))]
        painted = [w["painted_s"] for w in warm]
        log(f"warm startups {[round(p, 3) for p in painted]}")

        fresh_copy(db, work)
        plan = make_plan(meta, max(50, args.switches), args.seed)
        plan_path = Path(tmp) / "plan.json"
        out_path = Path(tmp) / "out.json"
        plan_path.write_text(json.dumps(plan))
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "_console.py"), str(work), str(plan_path), str(out_path)],
            cwd=str(ROOT), stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        console_hung = False
        deadline = time.perf_counter() + 3600
        while proc.poll() is None and not out_path.exists() and time.perf_counter() < deadline:
            time.sleep(0.2)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            console_hung = True
            proc.kill()
            proc.wait()
            log("console child did not quit within 20 s of finishing; killed")
        if not out_path.exists():
            raise SystemExit("console child failed (see stderr above)")
        console = json.loads(out_path.read_text())

    switch_ms = [s["ms"] for s in console["switches"]]
    whale_id = meta["whale_customer_id"]
    big = [s["ms"] for s in console["switches"] if s["customer_id"] == whale_id]
    normal = [s["ms"] for s in console["switches"] if s["customer_id"] != whale_id]
    search_ms = [s["ms"] for s in console["searches"]]
    typing_ms = [s["ms"] for s in console["typing"]]
    startup_s = statistics.median(painted)
    # the console's own peak: measured after the switches and searches, before the bench's
    # extra probes (one of which loads the big customer's whole history on purpose)
    console_peak = console["rss_checkpoints_mb"]["after_searches"]
    rss_mb = max([console_peak, cold["rss_mb"], *(w["rss_mb"] for w in warm)])
    figures = {
        "startup_s": round(startup_s, 3),
        "switch_p95_ms": round(pct(switch_ms, 95), 1),
        "search_p95_ms": round(pct(search_ms, 95), 1),
        "rss_mb": round(rss_mb, 1),
    }
    worst = max(console["switches"], key=lambda s: s["ms"])
    result: dict[str, Any] = {
        **figures,
        "targets": TARGETS,
        "met": {k: figures[k] <= v for k, v in TARGETS.items()},
        "sizes": {
            "messages": meta["counts"]["message"],
            "customers": meta["counts"]["customer"],
            "conversations": meta["counts"]["conversation"],
            "identities": meta["counts"]["identity"],
            "events": meta["counts"]["event"],
            "open_conversations": meta["statuses"].get("open", 0),
            "big_customer_messages": meta["whale_messages"],
            "db_mb": round(db.stat().st_size / 1e6, 1),
        },
        "generation_s": meta.get("generation_s"),
        "startup": {
            "median_s": round(startup_s, 3),
            "runs_s": [round(p, 3) for p in painted],
            "cold_s": round(cold["painted_s"], 3),
            "from_spawn_median_s": round(
                statistics.median(w["painted_from_spawn_s"] for w in warm), 3),
            "imports_s": round(statistics.median(w["imports_s"] for w in warm), 3),
            "inbox_loaded_s": round(statistics.median(w["loaded_s"] for w in warm), 3),
            "rows_painted": warm[0]["rows"],
            "phases_s_first_run": warm[0].get("phases_s"),
            "rss_mb": round(max(w["rss_mb"] for w in warm), 1),
            # CPU seconds the process used up to the painted inbox: what an idle machine
            # cannot go below (imports and the app are single-threaded)
            "cpu_median_s": round(statistics.median(w["cpu_s"] for w in warm), 3),
        },
        "switch_ms": {
            "all": summary(switch_ms),
            "cpu_all": summary([s["cpu_ms"] for s in console["switches"]]),
            "normal_customers": summary(normal),
            "big_customer": summary(big),
            "worst": {k: worst[k] for k in ("conversation_id", "conversation_messages",
                                            "customer_history", "ms", "phases_ms")},
        },
        "search_ms": {"queries": summary(search_ms), "as_you_type": summary(typing_ms),
                      "cpu_queries": summary([s["cpu_ms"] for s in console["searches"]]),
                      "slowest": sorted(console["searches"], key=lambda s: -s["ms"])[:5],
                      "slowest_keystrokes": sorted(console["typing"], key=lambda s: -s["ms"])[:5]},
        "console_rss_mb": round(console["rss_mb"], 1),
        "console_rss_checkpoints_mb": console.get("rss_checkpoints_mb"),
        "hung_on_quit": {
            "startup_runs": sum(1 for r in [cold, *warm] if r.get("hung_on_exit")),
            "of": 1 + len(warm),
            "console_run": console_hung,
        },
        "probes_ms": console["probes"],
        "errors_seen": sorted(set(console["error_notices"]))[:5]
        + sorted({e for s in console["switches"] for e in s["errors"]})[:5],
    }
    if args.details:
        args.details.write_text(json.dumps(
            {"result": result, "startup_runs": [cold, *warm], "plan": plan, "console": console},
            indent=1))
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
