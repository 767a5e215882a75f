"""Done when: on the demo store, ``omni-tui stats --json``, the reports screen and the
figures a person recomputes from ``omni-tui export`` all agree."""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import math
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omni_tui.config import parse_config
from omni_tui.reports import report_json
from omni_tui.reports.shape import group_json
from omni_tui.tui import format as fmt
from omni_tui.tui.app import OmniApp
from omni_tui.tui.screens.reports import ReportsScreen
from tests.cli_helpers import Cli
from tests.test_console import settle

AUTO = "auto-reply"


DEMO_NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _from_export(lines: list[str]) -> dict[str, object]:
    """The last-30-days figures, recomputed by hand from ``omni-tui export``'s raw rows."""
    rows = [json.loads(line) for line in lines]
    t = datetime.fromisoformat
    start = datetime(2025, 1, 31, tzinfo=UTC)  # 30 days up to and including 2025-03-01
    end = datetime(2025, 3, 2, tzinfo=UTC)
    cases = [r for r in rows if r["type"] == "conversation" and start <= t(r["created_at"]) < end]
    messages = [r for r in rows if r["type"] == "message"]
    reopens = {r["conversation_id"] for r in rows if r["type"] == "event" and r["kind"] == "reopen"}
    responses, resolutions, switches = [], [], 0
    pairs: collections.Counter[tuple[str, str]] = collections.Counter()
    for case in cases:
        mine = sorted((m for m in messages if m["conversation_id"] == case["id"]),
                      key=lambda m: (t(m["sent_at"]), m["id"]))  # fmt: skip
        inbound = [m for m in mine if m["direction"] == "in"]
        for a, b in itertools.pairwise(inbound):
            if a["channel"] != b["channel"]:
                switches += 1
                pairs[a["channel"], b["channel"]] += 1
        if inbound:
            first = t(inbound[0]["sent_at"])
            replies = [m for m in mine if m["direction"] == "out" and m["author"] != AUTO
                       and t(m["sent_at"]) >= first]  # fmt: skip
            if replies:
                responses.append((t(replies[0]["sent_at"]) - first).total_seconds())
        if case["status"] == "resolved":
            resolutions.append((t(case["resolved_at"]) - t(case["created_at"])).total_seconds())
    ever = [c for c in cases if c["resolved_at"]]
    reopened = [c for c in ever if c["status"] != "resolved" or c["id"] in reopens]

    def p90(values: list[float]) -> float:
        return sorted(values)[math.ceil(0.9 * len(values)) - 1]

    volume: dict[tuple[str, str], list[int]] = {}
    for m in messages:
        sent = t(m["sent_at"])
        counted = m["direction"] == "in" or (m["direction"] == "out" and m["author"] != AUTO)
        if counted and start <= sent < end:
            day = volume.setdefault((sent.date().isoformat(), m["channel"]), [0, 0])
            day[m["direction"] == "out"] += 1
    return {
        "cases": len(cases),
        "first_response": {"count": len(responses), "median_s": statistics.median(responses),
                           "p90_s": p90(responses)},
        "resolution": {"count": len(resolutions), "median_s": statistics.median(resolutions),
                       "p90_s": p90(resolutions)},
        "reopen_rate": round(len(reopened) / len(ever), 4),
        "switches": switches,
        "pairs": sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])),
        "backlog": sum(r["type"] == "conversation" and r["status"] != "resolved" for r in rows),
        "volume": sorted(volume.items()),
    }  # fmt: skip


async def test_on_the_demo_store_stats_json_agrees_with_the_screen_and_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "demo.db"
    cli = Cli(tmp_path, db)
    stamp = DEMO_NOW.isoformat()
    assert (await asyncio.to_thread(cli, "demo", "--no-tui", "--now", stamp)).code == 0
    data = (await asyncio.to_thread(cli, "stats", "--now", stamp, "--json")).json()
    agents = await asyncio.to_thread(cli, "stats", "--now", stamp, "--by", "agent", "--json")
    exported = (await asyncio.to_thread(cli, "export")).out.splitlines()

    by_hand = _from_export(exported)
    assert data["cases"] == by_hand["cases"] > 0
    assert data["first_response"] == by_hand["first_response"]
    assert data["resolution"] == by_hand["resolution"]
    assert data["reopen_rate"] == by_hand["reopen_rate"]
    assert data["channel_switches"]["switches"] == by_hand["switches"]
    assert data["backlog"]["total"] == by_hand["backlog"]
    pairs = [((p["from"], p["to"]), p["count"]) for p in data["channel_switches"]["pairs"]]
    assert pairs == by_hand["pairs"] and pairs
    volume = [((v["day"], v["channel"]), [v["inbound"], v["outbound"]]) for v in data["volume"]]
    assert volume == by_hand["volume"] and volume

    monkeypatch.setattr(fmt, "now", lambda: DEMO_NOW)
    app = OmniApp(parse_config('[agent]\nname = "Ana"\n'), db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("M")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.report is not None
        shown = report_json(screen.report)
        for key in ("range", "cases", "first_response", "resolution", "reopen_rate",
                    "channel_switches", "backlog", "volume", "groups"):  # fmt: skip
            assert shown[key] == data[key], key
        table = [group_json(g) for g in screen.table_groups]
        assert table == agents.json()["groups"]
