"""Routing rules: reading them, deciding, and applying them to new cases at ingest."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.base import InboundMessage
from omni_tui import outbox, presence, queries
from omni_tui.config import parse_config
from omni_tui.delivery import deliver_outbox
from omni_tui.errors import ConfigError
from omni_tui.ingest import IngestOptions, ingest
from omni_tui.routing import Case, RulesFile, parse_rules
from omni_tui.store import Store
from tests.servers import SmtpSink, free_port, running_sink

RULES = """
[business_hours]
timezone = "Europe/Berlin"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:00"

[[teams]]
name = "billing"
agents = ["Ana", "Ben", "Cy"]
assign = "round-robin"

[[rules]]
name = "money matters"
keywords = ["refund", "invoice"]
team = "billing"
assignee = "auto"
tags = ["billing"]

[[rules]]
name = "big customers first"
sender = "*@bigco.example"
priority = "urgent"
tags = ["vip"]

[[rules]]
name = "after hours"
hours = "outside"
channel = ["email", "sms", "chat"]
acknowledge = "Thanks for writing. We are back Monday to Friday, 9:00 to 17:00."
"""
MONDAY_10 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def case(text: str, *, sender: str = "maria@example.com", at: datetime = MONDAY_10) -> Case:
    return Case("email", "mail", sender, ["support@shop.example"], "Question", text, [], at)


def mail(n: int, text: str, *, sender: str = "maria@example.com", at: datetime = MONDAY_10):
    return InboundMessage(
        channel="email",
        account="mail",
        provider_id=f"imap:{n}",
        sender=sender,
        recipients=["support@shop.example"],
        subject=f"Question {n}",
        text=text,
        sent_at=at,
    )


# -- deciding ----------------------------------------------------------------------


def test_every_matching_rule_applies_in_order_and_tags_add_up() -> None:
    rules = parse_rules(RULES)
    decision = rules.decide(case("Please refund order 1001", sender="Lee@BigCo.example"))
    assert decision.rules == ("money matters", "big customers first")
    assert (decision.team, decision.assignee, decision.priority) == ("billing", "auto", "urgent")
    assert decision.tags == ("billing", "vip")
    assert decision.acknowledge is None  # Monday 10:00 in Berlin is inside business hours


def test_keywords_match_whole_words_only() -> None:
    rules = parse_rules(RULES)
    assert rules.decide(case("my INVOICE is wrong")).rules == ("money matters",)
    assert rules.decide(case("refundable deposit?")).rules == ()


def test_business_hours_are_counted_in_the_teams_time_zone_across_the_weekend() -> None:
    hours = parse_rules(RULES).hours
    assert hours.open_at(datetime(2026, 11, 30, 7, 59, tzinfo=UTC)) is False  # 08:59 Berlin
    assert hours.open_at(datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) is True  # 09:00 Berlin
    assert hours.open_at(datetime(2026, 12, 4, 15, 59, tzinfo=UTC)) is True  # Fri 16:59
    assert hours.open_at(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)) is False  # Fri 17:00
    assert hours.open_at(SATURDAY) is False
    decision = parse_rules(RULES).decide(case("hello", at=SATURDAY))
    assert decision.rules == ("after hours",) and decision.acknowledge is not None


def test_a_rule_that_stops_ends_the_list() -> None:
    rules = parse_rules(RULES.replace('tags = ["billing"]', 'tags = ["billing"]\nstop = true'))
    decision = rules.decide(case("refund please", sender="x@bigco.example"))
    assert decision.rules == ("money matters",) and decision.priority is None


@pytest.mark.parametrize(
    ("broken", "key", "words"),
    [
        ('[[rules]]\nname = "x"\nkeyword = ["a"]\n', "rules[0].keyword", "unknown key"),
        ('[[teams]]\nname = "t"\nassign = "random"\n', "teams[0].assign", "unknown policy"),
        ('[[rules]]\nassignee = "auto"\n', "rules[0].assignee", "needs a team"),
        ('[business_hours]\ntimezone = "Mars/Olympus"\n', "business_hours.timezone", "unknown"),
        ('[[rules]]\npriority = "asap"\n', "rules[0].priority", "unknown priority"),
        ("[[rules]\n", "", "invalid TOML"),
    ],
)
def test_a_broken_rules_file_is_one_line_naming_file_key_and_fix(
    tmp_path: Path, broken: str, key: str, words: str
) -> None:
    path = tmp_path / "rules.toml"
    with pytest.raises(ConfigError) as caught:
        parse_rules(broken, path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and words in message
    assert caught.value.key == (key or None) or key in message


def test_an_edit_with_a_mistake_keeps_the_previous_rules_in_force(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    rules = RulesFile(path)
    assert len(rules.current().rules) == 3
    path.write_text(RULES + '\n[[rules]]\nname = "oops"\npriority = "asap"\n')
    assert len(rules.current().rules) == 3
    assert rules.error is not None and "rules[3].priority" in str(rules.error)
    path.write_text(RULES + '\n[[rules]]\nname = "fixed"\npriority = "high"\n')
    assert [r.name for r in rules.current().rules][-1] == "fixed" and rules.error is None


# -- applying at ingest ----------------------------------------------------------


async def routed(store: Store, rules_path: Path, *messages: InboundMessage) -> list[dict]:
    options = IngestOptions(rules=RulesFile(rules_path))
    result = await ingest(store, list(messages), options=options)
    return [await queries.show_conversation(store, c) for c in result.conversation_ids if c]


async def test_new_cases_go_round_robin_to_the_teams_online_agents(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    for agent in ("Ana", "Cy"):
        await presence.heartbeat(store, agent)
    await presence.heartbeat(store, "Ben", at=datetime.now(UTC) - timedelta(minutes=10))
    cases = await routed(
        store,
        path,
        mail(1, "refund for order 1", sender="a@example.com"),
        mail(2, "invoice copy please", sender="b@example.com"),
        mail(3, "refund again", sender="c@example.com"),
        mail(4, "just saying hello", sender="d@example.com"),
    )
    assert [(c["team"], c["assignee"]) for c in cases] == [
        ("billing", "Ana"),
        ("billing", "Cy"),  # Ben is offline
        ("billing", "Ana"),
        (None, None),
    ]
    assert cases[0]["tags"] == ["billing"]
    [route] = [e for e in cases[0]["events"] if e["kind"] == "route"]
    assert route["rules"] == ["money matters"] and route["actor"] == "rules"


async def test_round_robin_keeps_its_turn_however_busy_the_other_teams_are(
    store: Store, tmp_path: Path
) -> None:
    from omni_tui import events

    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    for agent in ("Ana", "Cy"):
        await presence.heartbeat(store, agent)
    [first] = await routed(store, path, mail(1, "refund please", sender="a@example.com"))
    async with store.write() as session:  # a busy day for another team's round-robin
        for _ in range(250):
            events.record(
                session, "route", actor="rules", conversation_id=first["id"], at=MONDAY_10,
                team="sales", assignee="Zed", auto=True,
            )  # fmt: skip
    [second] = await routed(store, path, mail(2, "invoice copy", sender="b@example.com"))
    assert (first["assignee"], second["assignee"]) == ("Ana", "Cy")


async def test_a_case_already_open_is_not_routed_again(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    await presence.heartbeat(store, "Ana")
    [first] = await routed(store, path, mail(1, "hello there"))
    follow_up = dataclasses.replace(mail(2, "refund please"), subject="Re: Question 1")
    [again] = await routed(store, path, follow_up)  # joins the open case
    assert first["id"] == again["id"]
    assert again["team"] is None and not [e for e in again["events"] if e["kind"] == "route"]


async def test_an_after_hours_acknowledgement_is_sent_but_the_case_still_waits(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    [conversation] = await routed(store, path, mail(1, "Is the shop open?", at=SATURDAY))
    ack = conversation["messages"][-1]
    assert (ack["direction"], ack["status"], ack["author"]) == ("out", "queued", "auto-reply")
    assert ack["text"].startswith("Thanks for writing.")
    assert conversation["first_response_at"] is None
    assert conversation["waiting_since"] is not None


async def test_an_acknowledgement_goes_out_marked_so_no_vacation_responder_answers_it(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    [case] = await routed(store, path, mail(1, "Is the shop open?", at=SATURDAY))
    await outbox.queue_reply(store, case["id"], "Yes, from 9.", agent="Ana")
    with running_sink(SmtpSink(free_port())) as sink:
        config = parse_config(
            '[[accounts]]\nname = "mail"\nchannel = "email"\nimap_host = "127.0.0.1"\n'
            'username = "u"\npassword = "p"\nsmtp_host = "127.0.0.1"\n'
            f'smtp_port = {sink.port}\nsmtp_security = "none"\n'
            'address = "Shop <support@shop.example>"\n'
        )
        assert (await deliver_outbox(store, config)).sent == 2
        ack, answer = sink.messages()
    assert ack["Auto-Submitted"] == "auto-replied"  # RFC 3834
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert answer["Auto-Submitted"] is None  # an agent's answer is no automatic mail


@pytest.mark.parametrize(
    ("sender", "context"),
    [
        ("MAILER-DAEMON@mx.example.com", {}),  # a bounce
        ("no-reply@shop-partner.example", {}),
        ("maria@example.com", {"automated": "auto-submitted: auto-replied"}),  # away
    ],
    ids=["bounce", "no-reply", "out-of-office"],
)
async def test_mail_a_machine_sent_is_routed_but_never_acknowledged(
    store: Store, tmp_path: Path, sender: str, context: dict[str, str]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    message = dataclasses.replace(
        mail(1, "Undeliverable: Is the shop open?", sender=sender, at=SATURDAY), context=context
    )
    [conversation] = await routed(store, path, message)
    assert [m["direction"] for m in conversation["messages"]] == ["in"]  # no reply queued
    assert [e for e in conversation["events"] if e["kind"] == "route"]  # still routed


async def test_an_acknowledgement_by_email_has_an_id_of_the_accounts_domain(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    config = parse_config(
        '[[accounts]]\nname = "mail"\nchannel = "email"\nimap_host = "127.0.0.1"\n'
        'username = "agent"\npassword = "secret"\naddress = "Shop <help@shop.example>"\n'
        f'[routing]\nrules_file = "{path}"\n'
    )
    options = IngestOptions.from_config(config)
    result = await ingest(store, [mail(1, "Is the shop open?", at=SATURDAY)], options=options)
    [case] = result.conversation_ids
    ack = (await queries.show_conversation(store, case))["messages"][-1]
    assert ack["author"] == "auto-reply" and ack["message_id"].endswith("@shop.example>")


def test_the_daemon_routes_by_rules_edited_while_it_runs(tmp_path: Path) -> None:
    import signal
    import sqlite3
    import time

    from tests.relay import running_relay, start_sync_daemon
    from tests.test_chat_relay import chat

    def tags_of(db: Path, text: str) -> list[str] | None:
        try:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT conversation_id FROM message WHERE text = ?", (text,))
                found = row.fetchone()
                if found is None:
                    return None
                query = "SELECT tag FROM conversation_tag WHERE conversation_id = ? ORDER BY tag"
                return [t for (t,) in conn.execute(query, (found[0],))]
        except sqlite3.OperationalError:
            return None

    def wait_for(db: Path, text: str) -> list[str]:
        deadline = time.monotonic() + 20
        while (found := tags_of(db, text)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert found is not None, (tmp_path / "sync.log").read_text()
        return found

    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nkeywords = ["refund"]\ntags = ["billing"]\n')
    with running_relay(tmp_path) as relay:
        config = tmp_path / "omni.toml"
        config.write_text(
            f'[routing]\nrules_file = "{rules}"\n[[accounts]]\nname = "site"\n'
            f'channel = "chat"\nrelay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
        )
        db = tmp_path / "omni.db"
        daemon = start_sync_daemon(config, db, tmp_path / "sync.log")
        try:

            def say(n: int, text: str) -> None:
                message = chat(text, n) | {"conversation": f"c{n}", "from": {"id": f"u{n}"}}
                relay.post_chat(message, msg_id=f"msg_{n}")

            say(1, "refund please")
            assert wait_for(db, "refund please") == ["billing"]
            rules.write_text(
                '[[rules]]\nkeywords = ["refund"]\ntags = ["billing"]\n'
                '[[rules]]\nkeywords = ["broken"]\ntags = ["repair"]\n'
            )
            say(2, "my grinder is broken")
            assert wait_for(db, "my grinder is broken") == ["repair"]  # no restart
            rules.write_text('[[rules]]\nkeywords = ["broken"]\ntags = "repair"\npriority = "!"\n')
            say(3, "broken again")
            assert wait_for(db, "broken again") == ["repair"]  # the previous rules hold
            assert "rules[0].priority" in (tmp_path / "sync.log").read_text()
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(15)


def test_the_example_rules_file_is_valid() -> None:
    example = Path(__file__).resolve().parent.parent / "rules.example.toml"
    rules = parse_rules(example.read_text(), example)
    assert [r.name for r in rules.rules][0] == "money matters"
    assert rules.teams["repairs"].assign == "least-open"


async def test_an_agent_away_from_their_console_is_not_given_new_cases(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    await presence.heartbeat(store, "Ana")
    await presence.heartbeat(store, "Ben", status="away")  # console open, nobody at it
    cases = await routed(
        store,
        path,
        mail(1, "refund for order 1", sender="a@example.com"),
        mail(2, "invoice copy please", sender="b@example.com"),
    )
    assert [c["assignee"] for c in cases] == ["Ana", "Ana"]
