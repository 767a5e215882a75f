"""Reports on a small hand-built store: every expected figure is worked out by hand.

The week of Monday 2025-03-03 (all times UTC; business hours Mon–Fri 09:00–17:00 UTC):

1. Ana, email, alice: in Mon 10:00; auto-reply 10:00:30 (does not count); alice 11:30;
   resolved Mon 15:00.
2. Bob, sms, bob: in Fri 03-07 16:00; bob Mon 03-10 10:00; resolved Mon 12:00.
3. Cleo, arrives on sms, alice: in sms Tue 09:00, in chat 09:20, alice on chat 09:30,
   in sms 10:00, in email 11:00, alice on email 11:15; resolved Tue 12:00, reopened
   Wed 09:00, resolved again Wed 10:00.
4. Dan, chat, bob: in Thu 03-06 08:00; never answered, open.
5. Eve, email, nobody (team billing): in Wed 14:00; bob 14:30; resolved 15:00; she
   writes again Thu 09:00 (ingest reopens it, with no event).
6. Fay, sms, alice: alice writes first Mon 13:00; Fay answers 13:10; alice 13:40; pending.
7. Gus, email, alice: in Sun 03-02 20:00 (before the range); alice Mon 09:00; resolved
   Mon 09:30.

The range is 2025-03-03 .. 2025-03-10; now is Mon 2025-03-10 18:00.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from adapters.base import InboundMessage
from omni_tui import actions
from omni_tui.config import parse_config
from omni_tui.ingest import ingest
from omni_tui.reports import ReportQuery, build_report
from omni_tui.reports.hours import business_sql, offsets
from omni_tui.reports.model import Durations
from omni_tui.routing import BusinessHours
from omni_tui.store import (
    Agent,
    Conversation,
    Customer,
    Identity,
    Message,
    Store,
    refresh_summaries,
)
from omni_tui.tui import format as fmt
from omni_tui.tui.app import OmniApp
from omni_tui.tui.screens.reports import ReportsScreen
from tests.cli_helpers import Cli
from tests.test_console import settle

H = 3600  # seconds in an hour
NOW = datetime(2025, 3, 10, 18, 0, tzinfo=UTC)
WEEK = ReportQuery(since=date(2025, 3, 3), until=date(2025, 3, 10), now=NOW)
HOURS = BusinessHours()  # Mon–Fri 09:00–17:00 UTC
AUTO = "auto-reply"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


CASES: list[tuple[str, str | None, str | None, list[tuple[str, str, datetime, str | None]]]] = [
    # customer, assignee, conversation team, messages (channel, direction, sent, author)
    ("Ana", "alice", None, [
        ("email", "in", at(3, 10), None),
        ("email", "out", at(3, 10, 0, 30), AUTO),
        ("email", "out", at(3, 11, 30), "alice"),
    ]),
    ("Bob", "bob", None, [("sms", "in", at(7, 16), None), ("sms", "out", at(10, 10), "bob")]),
    ("Cleo", "alice", None, [
        ("sms", "in", at(4, 9), None),
        ("chat", "in", at(4, 9, 20), None),
        ("chat", "out", at(4, 9, 30), "alice"),
        ("sms", "in", at(4, 10), None),
        ("email", "in", at(4, 11), None),
        ("email", "out", at(4, 11, 15), "alice"),
    ]),
    ("Dan", "bob", None, [("chat", "in", at(6, 8), None)]),
    ("Eve", None, "billing", [
        ("email", "in", at(5, 14), None), ("email", "out", at(5, 14, 30), "bob"),
    ]),
    ("Fay", "alice", None, [
        ("sms", "out", at(3, 13), "alice"),
        ("sms", "in", at(3, 13, 10), None),
        ("sms", "out", at(3, 13, 40), "alice"),
    ]),
    ("Gus", "alice", None, [
        ("email", "in", at(2, 20), None), ("email", "out", at(3, 9), "alice"),
    ]),
]  # fmt: skip


async def build(path: Path) -> None:
    async with await Store.open(path, create=True) as store:
        async with store.write() as session:
            session.add(Agent(name="alice", team="billing"))
            session.add(Agent(name="bob", team="tech"))
            for number, (name, *_) in enumerate(CASES, start=1):
                session.add(Customer(id=number, name=name))
            await session.flush()
            for number, (name, assignee, team, messages) in enumerate(CASES, start=1):
                first = messages[0][2]
                session.add(
                    Conversation(
                        id=number, customer_id=number, subject=f"{name}'s case",
                        assignee=assignee, team=team, created_at=first, updated_at=first,
                    )
                )  # fmt: skip
            session.add(Identity(customer_id=5, channel="email", address="eve@example.com"))
            await session.flush()
            for number, (name, _, _, messages) in enumerate(CASES, start=1):
                for i, (channel, direction, sent, author) in enumerate(messages):
                    session.add(
                        Message(
                            conversation_id=number, customer_id=number, channel=channel,
                            direction=direction, sender=author or name, author=author,
                            text=f"{name} {i}", sent_at=sent,
                            message_id=f"<{name.lower()}{i}@example.com>",
                            status="sent" if direction == "out" else "received",
                        )
                    )  # fmt: skip
            await session.flush()
            await refresh_summaries(session, range(1, len(CASES) + 1))
        for conv, status, when in [
            (1, "resolved", at(3, 15)),
            (2, "resolved", at(10, 12)),
            (3, "resolved", at(4, 12)),
            (3, "open", at(5, 9)),  # a reopen: logged as such
            (3, "resolved", at(5, 10)),
            (5, "resolved", at(5, 15)),
            (6, "pending", at(3, 13, 45)),
            (7, "resolved", at(3, 9, 30)),
        ]:
            await actions.set_status(store, conv, status, agent="alice", at=when)
        reply = InboundMessage(
            channel="email", account="support", provider_id="eve-again",
            sender="eve@example.com", recipients=["support@acme.test"],
            subject="Re: Eve's case", message_id="<eve9@example.com>",
            in_reply_to="<eve0@example.com>", references=["<eve0@example.com>"],
            sent_at=at(6, 9), text="It is still not refunded.",
        )  # fmt: skip
        result = await ingest(store, [reply])
        assert result.conversation_ids == [5]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "omni.db"
    asyncio.run(build(path))
    return path


@pytest.fixture
def store_path(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "omni.db"
    copy.write_bytes(template.read_bytes())
    return copy


def report(path: Path, query: ReportQuery):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        async with await Store.open(path) as store:
            return await build_report(store, query)

    return asyncio.run(run())


def by_key(rep):  # type: ignore[no-untyped-def]
    return {g.key: g for g in rep.groups}


def test_first_response_skips_auto_replies_and_starts_at_the_customers_first_message(
    store_path: Path,
) -> None:
    totals = report(store_path, WEEK).totals
    # cases 1-6 are in the range (Gus's case began on Sunday 03-02)
    assert totals.cases == 6
    # 1: 10:00→11:30 = 5400 (not the auto-reply at 10:00:30); 2: Fri 16:00→Mon 10:00 = 66 h =
    # 237600; 3: 09:00→09:30 = 1800; 5: 14:00→14:30 = 1800; 6: 13:10→13:40 = 1800 (alice's
    # 13:00 message came before Fay wrote); 4 is unanswered.
    # sorted 1800 1800 1800 5400 237600: median the 3rd, p90 rank ⌈4.5⌉ = 5
    assert totals.first_response.count == 5
    assert (totals.first_response.median_s, totals.first_response.p90_s) == (1800, 237600)


def test_first_response_median_of_two_cases_is_their_mean(store_path: Path) -> None:
    email = by_key(report(store_path, WEEK))["email"]  # cases 1 and 5 arrived by email
    # 1800 and 5400: median (1800 + 5400) / 2 = 3600, p90 rank ⌈1.8⌉ = 2 → 5400
    assert (email.first_response.median_s, email.first_response.p90_s) == (3600, 5400)
    sms = by_key(report(store_path, WEEK))["sms"]  # cases 2, 3 and 6
    assert (sms.first_response.median_s, sms.first_response.p90_s) == (1800, 237600)


def test_first_response_median_counts_business_hours_across_a_weekend(store_path: Path) -> None:
    wall = by_key(report(store_path, replace(WEEK, by="agent")))["bob"]
    hours = by_key(report(store_path, replace(WEEK, by="agent", hours=HOURS)))["bob"]
    # bob's one answered case: Fri 16:00 → Mon 10:00 is 66 h on the clock, but only
    # Fri 16-17 + Mon 09-10 = 2 business hours
    assert wall.first_response.median_s == 66 * H
    assert hours.first_response.median_s == 2 * H
    # resolved Mon 12:00: 68 h on the clock, Fri 16-17 + Mon 09-12 = 4 business hours
    assert (wall.resolution.median_s, hours.resolution.median_s) == (68 * H, 4 * H)


def test_resolution_runs_from_creation_to_the_last_resolve(store_path: Path) -> None:
    wall = report(store_path, WEEK).totals.resolution
    hours = report(store_path, replace(WEEK, hours=HOURS)).totals.resolution
    # resolved now: 1 (10:00→15:00 = 5 h), 2 (68 h), 3 (Tue 09:00 → Wed 10:00 = 25 h);
    # Eve's case 5 is open again, so it has no resolution time
    assert wall.count == 3
    assert (wall.median_s, wall.p90_s) == (25 * H, 68 * H)
    # business: 1 = 5 h, 2 = 4 h, 3 = Tue 8 h + Wed 1 h = 9 h → sorted 4 5 9
    assert (hours.median_s, hours.p90_s) == (5 * H, 9 * H)


def test_reopen_rate_counts_logged_reopens_and_customers_writing_back(store_path: Path) -> None:
    totals = report(store_path, WEEK).totals
    # resolved at least once: 1, 2, 3, 5; reopened: 3 (by an agent) and 5 (Eve wrote again)
    assert (totals.resolved, totals.reopened, totals.reopen_rate) == (4, 2, 0.5)


def test_a_resolved_case_put_back_to_pending_counts_as_reopened_once_resolved_again(
    store_path: Path,
) -> None:
    async def pend_then_resolve() -> None:
        async with await Store.open(store_path) as store:
            await actions.set_status(store, 1, "pending", agent="alice", at=at(4, 9))
            await actions.set_status(store, 1, "resolved", agent="alice", at=at(4, 10))

    asyncio.run(pend_then_resolve())
    totals = report(store_path, WEEK).totals
    assert (totals.resolved, totals.reopened) == (4, 3)  # case 1 joins 3 and 5


def test_channel_switches_count_consecutive_inbound_messages_on_another_channel(
    store_path: Path,
) -> None:
    rep = report(store_path, WEEK)
    # Cleo wrote sms → chat → sms → email: three switches, one of each pair
    assert (rep.totals.channel_switches, rep.totals.cases_with_switches) == (3, 1)
    pairs = sorted((p.source, p.target, p.count) for p in rep.switch_pairs)
    assert pairs == [("chat", "sms", 1), ("sms", "chat", 1), ("sms", "email", 1)]
    # Cleo arrived by sms and was first answered on chat: 1 of the 5 answered cases
    assert rep.totals.answered_on_other_channel == 1
    assert rep.totals.answered_on_other_channel_share == 0.2


def test_teams_fall_back_to_the_assignees_team(store_path: Path) -> None:
    teams = by_key(report(store_path, replace(WEEK, by="team")))
    # billing: alice's 1, 3, 6 and Eve's case 5 (its own team); tech: bob's 2 and 4
    assert {k: g.cases for k, g in teams.items()} == {"billing": 4, "tech": 2}
    only = report(store_path, replace(WEEK, team="tech")).totals
    assert (only.cases, only.first_response.median_s) == (2, 66 * H)


def test_days_group_cases_by_the_day_they_began(store_path: Path) -> None:
    days = by_key(report(store_path, replace(WEEK, by="day")))
    counts = {k: g.cases for k, g in days.items()}
    assert counts == {
        "2025-03-03": 2, "2025-03-04": 1, "2025-03-05": 1, "2025-03-06": 1, "2025-03-07": 1,
    }  # fmt: skip


def test_volume_counts_messages_by_the_day_they_were_sent(store_path: Path) -> None:
    rows = [(str(v.day), v.channel, v.inbound, v.outbound) for v in report(store_path, WEEK).volume]
    assert rows == [
        # Gus's reply on Monday counts, his Sunday message does not; the auto-reply does not
        ("2025-03-03", "email", 1, 2),
        ("2025-03-03", "sms", 1, 2),
        ("2025-03-04", "chat", 1, 1),
        ("2025-03-04", "email", 1, 1),
        ("2025-03-04", "sms", 2, 0),
        ("2025-03-05", "email", 1, 1),
        ("2025-03-06", "chat", 1, 0),
        ("2025-03-06", "email", 1, 0),
        ("2025-03-07", "sms", 1, 0),
        ("2025-03-10", "sms", 0, 1),
    ]
    sms = report(store_path, replace(WEEK, channel="sms")).volume
    assert {v.channel for v in sms} == {"sms"}
    # an agent's volume is counted from their cases' messages
    alice = report(store_path, replace(WEEK, agent="alice")).volume
    assert [(str(v.day), v.channel, v.inbound, v.outbound) for v in alice] == rows[:5]


def _kept_tables(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        volume = conn.execute("SELECT * FROM daily_volume WHERE inbound OR outbound ORDER BY 1, 2")
        switches = conn.execute("SELECT * FROM channel_switch ORDER BY 1, 2, 3")
        return volume.fetchall(), switches.fetchall()
    finally:
        conn.close()


def test_a_store_from_before_the_kept_counts_gets_them_filled_on_upgrade(
    store_path: Path,
) -> None:
    kept = _kept_tables(store_path)
    # Cleo's case: sms → chat → sms → email
    cleo = [row[1:] for row in kept[1] if row[0] == 3]
    assert cleo == [("chat", "sms", 1), ("sms", "chat", 1), ("sms", "email", 1)]
    conn = sqlite3.connect(store_path)
    conn.execute("ALTER TABLE draft DROP COLUMN files")  # v11, while v8's trigger can parse
    for name in ("message_volume_insert", "message_volume_delete", "message_volume_update"):
        conn.execute(f"DROP TRIGGER {name}")
    for table in ("daily_volume", "channel_switch", "raw_message", "search_batch"):  # v5, v6, v8
        conn.execute(f"DROP TABLE {table}")
    for index in ("status_waiting", "status_activity", "activity", "waiting"):  # v7
        conn.execute(f"DROP INDEX ix_conversation_{index}")
    conn.execute("PRAGMA user_version=4")
    conn.commit()
    conn.close()
    upgraded = report(store_path, WEEK)
    assert _kept_tables(store_path) == kept
    assert upgraded.volume == report(store_path, WEEK).volume and upgraded.switch_pairs


def test_backlog_buckets_unresolved_cases_by_age_and_assignee(store_path: Path) -> None:
    backlog = report(store_path, WEEK).backlog
    # at Mon 03-10 18:00: Dan (Thu 08:00, 4d 10h) and Eve (Wed 14:00, 5d 4h) are 3-7 days
    # old, Fay's pending case (Mon 03-03 13:00, 7d 5h) more than a week
    assert backlog.total == 3
    assert dict(backlog.by_age) == {
        "<1h": 0, "1-4h": 0, "4-24h": 0, "1-3d": 0, "3-7d": 2, ">7d": 1,
    }  # fmt: skip
    assert backlog.by_assignee == ((None, 1), ("alice", 1), ("bob", 1))


def test_a_backlog_at_a_past_now_leaves_out_cases_created_after_it(store_path: Path) -> None:
    # Thu 03-06 09:00: Fay's case (Mon 13:00) is 2 d 20 h old, Eve's (Wed 14:00) 19 h,
    # Dan's (Thu 08:00) 1 h; none created later is counted, and no age is below zero
    earlier = replace(WEEK, now=at(6, 9))
    backlog = report(store_path, earlier).backlog
    assert backlog.total == 3
    assert dict(backlog.by_age) == {
        "<1h": 0, "1-4h": 1, "4-24h": 1, "1-3d": 1, "3-7d": 0, ">7d": 0,
    }  # fmt: skip
    assert report(store_path, replace(WEEK, now=at(3, 12))).backlog.total == 0


def _business_minutes(hours: BusinessHours, start: datetime, end: datetime) -> int:
    """By brute force: every minute from start to end that falls inside opening hours."""
    count, moment = 0, start
    while moment < end:
        count += hours.open_at(moment)
        moment += timedelta(minutes=1)
    return count


def test_business_time_in_sql_matches_counting_minutes_across_weekends_and_dst() -> None:
    berlin = BusinessHours("Europe/Berlin", (0, 1, 2, 3, 5), time(8, 30), time(18, 0))
    lo, hi = datetime(2025, 3, 20, tzinfo=UTC), datetime(2025, 4, 12, tzinfo=UTC)
    expr = business_sql("t", berlin, offsets(berlin, lo, hi))
    db = sqlite3.connect(":memory:")
    rng = random.Random(7)
    for _ in range(25):  # pairs around the switch to summer time on Sunday 2025-03-30
        a = lo + timedelta(minutes=rng.randrange(0, 15 * 24 * 60))
        b = a + timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
        ms = [int(x.timestamp() * 1000) for x in (a, b)]
        sql = f"SELECT (SELECT {expr} FROM (SELECT ? AS t)) - (SELECT {expr} FROM (SELECT ? AS t))"
        (got,) = db.execute(sql, (ms[1], ms[0])).fetchone()
        assert got == _business_minutes(berlin, a, b) * 60_000, (a, b)


# -- the command ------------------------------------------------------------------

STATS = ("stats", "--since", "2025-03-03", "--until", "2025-03-10", "--now", NOW.isoformat())


def test_stats_json_has_the_documented_fields(store_path: Path, tmp_path: Path) -> None:
    data = Cli(tmp_path, store_path).json(*STATS)
    assert set(data) == {
        "range", "now", "filters", "clock", "business_hours", "by", "cases", "first_response",
        "resolution", "resolved", "reopened", "reopen_rate", "channel_switches",
        "answered_on_other_channel", "answered_on_other_channel_share", "groups", "volume",
        "backlog",
    }  # fmt: skip
    assert data["range"] == {"since": "2025-03-03", "until": "2025-03-10", "days": 8}
    assert data["filters"] == {"channel": None, "team": None, "agent": None}
    assert (data["clock"], data["business_hours"], data["by"]) == ("wall", None, "channel")
    assert data["first_response"] == {"count": 5, "median_s": 1800.0, "p90_s": 237600.0}
    assert data["reopen_rate"] == 0.5
    assert data["channel_switches"]["switches"] == 3
    assert {"from": "sms", "to": "chat", "count": 1} in data["channel_switches"]["pairs"]
    assert data["volume"][0] == {"day": "2025-03-03", "channel": "email", "inbound": 1,
                                 "outbound": 2}  # fmt: skip
    assert data["backlog"]["by_age"][4] == {"bucket": "3-7d", "min_s": 259200,
                                            "max_s": 604800, "count": 2}  # fmt: skip
    email = next(g for g in data["groups"] if g["group"] == "email")
    assert email["first_response"] == {"count": 2, "median_s": 3600.0, "p90_s": 5400.0}
    assert set(email) == {
        "group", "cases", "first_response", "resolution", "resolved", "reopened",
        "reopen_rate", "channel_switches", "cases_with_switches", "answered_on_other_channel",
        "answered_on_other_channel_share",
    }  # fmt: skip


def test_stats_business_hours_come_from_the_rules_file(store_path: Path, tmp_path: Path) -> None:
    cli = Cli(tmp_path, store_path)
    rules = cli.config('[business_hours]\ntimezone = "UTC"\nstart = "09:00"\nend = "17:00"\n',
                       "rules.toml")  # fmt: skip
    config = cli.config(f'[routing]\nrules_file = "{rules}"\n')
    data = cli.json(*STATS, "--by", "agent", "--business-hours", "--config", str(config))
    assert data["clock"] == "business"
    assert data["business_hours"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    bob = next(g for g in data["groups"] if g["group"] == "bob")
    assert bob["first_response"]["median_s"] == 2 * H


@pytest.mark.parametrize(
    "span",
    [("--since", "0001-01-01"), ("--now", "9998-12-31T00:00"), ("--now", "0002-01-01T00:00")],
    ids=["since-year-1", "now-year-9998", "now-year-2"],
)
def test_business_hours_reports_at_the_ends_of_the_calendar_do_not_crash(
    store_path: Path, tmp_path: Path, span: tuple[str, str]
) -> None:
    cli = Cli(tmp_path, store_path)
    rules = cli.config('[business_hours]\ntimezone = "Europe/Berlin"\n', "rules.toml")
    config = cli.config(f'[routing]\nrules_file = "{rules}"\n')
    data = cli.json("stats", *span, "--business-hours", "--config", str(config))
    assert data["clock"] == "business"


def test_stats_csv_is_one_row_per_group_after_a_header(store_path: Path, tmp_path: Path) -> None:
    result = Cli(tmp_path, store_path)(*STATS, "--by", "agent", "--csv")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == [
        "group", "cases", "first_response_count", "first_response_median_s",
        "first_response_p90_s", "resolution_count", "resolution_median_s", "resolution_p90_s",
        "resolved", "reopened", "reopen_rate", "channel_switches", "cases_with_switches",
        "answered_on_other_channel", "answered_on_other_channel_share",
    ]  # fmt: skip
    # alice: 1, 3, 6 — responses 5400, 1800, 1800; resolutions 5 h and 25 h (mean 54000)
    assert rows[1] == ["alice", "3", "3", "1800.0", "5400.0", "2", "54000.0", "90000.0",
                       "2", "1", "0.5", "3", "1", "1", "0.3333"]  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["alice", "bob", ""]  # "" is unassigned


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    store_path: Path, tmp_path: Path
) -> None:
    cli = Cli(tmp_path, store_path)
    evil = '=HYPERLINK("http://evil.example","x")'
    assert cli("assign", "1", evil).code == 0
    rows = list(csv.reader(io.StringIO(cli(*STATS, "--by", "agent", "--csv").out)))
    assert "'" + evil in [r[0] for r in rows]
    assert not any(r[0].startswith("=") for r in rows)


@pytest.mark.parametrize(
    "args",
    [("--since", "2025-13-01"), ("--until", "soon"), ("--since", "2025-03-10", "--until",
     "2025-03-01"), ("--now", "yesterday-ish")],
)  # fmt: skip
def test_stats_rejects_a_bad_date_with_one_line_and_exit_2(
    store_path: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = Cli(tmp_path, store_path)("stats", *args, "--json")
    assert result.code == 2 and result.out == ""
    assert len(result.err.splitlines()) == 1 and result.err.startswith("omni-tui: ")


# -- the screen ---------------------------------------------------------------------


async def test_reports_screen_opens_with_M_and_its_keys_change_range_and_channel(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fmt, "now", lambda: NOW)
    app = OmniApp(parse_config('[agent]\nname = "alice"\n'), store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("M")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        summary = str(screen.query_one("#reports-summary").render())
        assert "7 cases" in summary  # 30 days back from 03-10 reach Gus's case too
        await pilot.press("7")  # 03-04 .. 03-10: cases 2, 3, 4, 5
        await settle(app, pilot)
        assert screen.report is not None and screen.report.totals.cases == 4
        assert "4 cases" in str(screen.query_one("#reports-summary").render())
        await pilot.press("c")  # email only: Eve's case
        await settle(app, pilot)
        assert screen.report.query.channel == "email"
        assert screen.report.totals.cases == 1
        table = screen.query_one("#reports-table")
        assert table.row_count == 1  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReportsScreen)


def test_median_and_p90_over_sorted_runs_equal_those_of_the_merged_list() -> None:
    rng = random.Random(11)
    for _ in range(300):
        runs = [
            sorted(rng.randint(-50, 10**6) for _ in range(rng.randint(0, 40)))
            for _ in range(rng.randint(1, 6))
        ]
        merged = sorted(v for run in runs for v in run)
        assert Durations.of_runs(runs) == Durations.of(merged)
    # by hand: 1..10 s → median (5 + 6) / 2, p90 the 9th value
    odd, even = [1000, 3000, 5000, 7000, 9000], [2000, 4000, 6000, 8000, 10000]
    assert Durations.of_runs([even, odd]) == Durations(10, 5.5, 9.0)
