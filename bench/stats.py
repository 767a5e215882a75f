"""Time every report metric (``omni-tui stats``) over the cached 1M-message store.

    python bench/stats.py [--messages 1000000 --customers 100000] [--runs 3]

The store comes from ``generate.ensure_store`` (generated once, cached). The
benchmark works on its own copy, upgraded once to the current schema (the upgrade
fills the report columns) and kept next to the cache as ``stats-<key>-v<N>.db``.
Prints one JSON object: ``total_s`` is the best of ``--runs`` full reports (all four
queries) over the store's whole history, grouped by channel; ``metrics_ms`` its
queries; ``by`` the same for every ``--by``; ``ranges_s`` the screen's 7/30/90 days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import generate  # noqa: E402

from omni_tui.reports import ReportQuery, build_report  # noqa: E402
from omni_tui.routing import BusinessHours  # noqa: E402
from omni_tui.store import SCHEMA_VERSION, Store  # noqa: E402

TARGET_S = 1.0


async def _upgraded(messages: int, customers: int) -> Path:
    db, meta = generate.ensure_store(messages, customers)
    work = generate.CACHE / f"stats-{meta['key']}-v{SCHEMA_VERSION}.db"
    if not work.exists():
        tmp = work.with_suffix(".tmp")
        shutil.copyfile(db, tmp)
        started = time.perf_counter()
        store = await Store.open(tmp)
        await store.close()
        generate.log(
            f"upgraded a copy to v{SCHEMA_VERSION} in {time.perf_counter() - started:.1f} s"
        )
        tmp.replace(work)
    return work


async def _best(store: Store, query: ReportQuery, runs: int) -> tuple[float, dict[str, float]]:
    best, timings = float("inf"), {}
    for _ in range(runs):
        started = time.perf_counter()
        report = await build_report(store, query)
        took = time.perf_counter() - started
        if took < best:
            best, timings = took, report.timings_ms
    return round(best, 3), timings


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    path = await _upgraded(args.messages, args.customers)
    async with await Store.open(path) as store:
        async with store.read() as session:
            conn = await session.connection()
            lo, hi = (
                await conn.exec_driver_sql("SELECT min(sent_at), max(sent_at) FROM message")
            ).one()
        first = datetime.fromtimestamp(lo / 1000, tz=UTC).date()
        last = datetime.fromtimestamp(hi / 1000, tz=UTC)
        everything = ReportQuery(since=first, until=last.date(), now=last)
        await build_report(store, everything)  # warm the page cache
        total, metrics = await _best(store, everything, args.runs)
        by = {}
        for grouping in ("agent", "team", "day"):
            by[grouping] = (await _best(store, replace(everything, by=grouping), args.runs))[0]
        hours = replace(everything, hours=BusinessHours())
        business = (await _best(store, hours, args.runs))[0]
        ranges = {
            f"{days}d": (await _best(store, ReportQuery.last_days(days, now=last), args.runs))[0]
            for days in (7, 30, 90)
        }
    result = {
        "store": path.name,
        "range": {"since": everything.since.isoformat(), "until": everything.until.isoformat()},
        "total_s": total,
        "metrics_ms": metrics,
        "slowest_metric": max(metrics, key=metrics.get),  # type: ignore[arg-type]
        "by_s": {"channel": total, **by},
        "business_hours_s": business,
        "ranges_s": ranges,
        "target_s": TARGET_S,
        "met": max(total, *by.values(), business) <= TARGET_S,
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
