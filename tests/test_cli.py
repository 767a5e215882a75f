"""The ``omni-tui`` commands, run as the real console script, and their ``--json`` shapes."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from omni_tui.cli import output
from tests.cli_helpers import (
    ALL_NEWEST_FIRST,
    ATTACHMENT,
    BOB,
    MARIA,
    MARIA_PHONE,
    MARIA_SMS,
    MESSAGE_FIELDS,
    SUMMARY_FIELDS,
    VISITOR,
    Cli,
    assert_one_line_error,
    ids,
    snapshot,
)


def test_list_json_gives_one_summary_per_conversation_newest_first(cli: Cli) -> None:
    rows = cli.json("list")
    assert ids(rows) == ALL_NEWEST_FIRST
    for row in rows:
        assert SUMMARY_FIELDS <= row.keys()
    by_id = {row["id"]: row for row in rows}
    maria = by_id[MARIA]
    assert maria["customer_id"] == MARIA and maria["customer_name"] == "Maria Lopez"
    assert maria["subject"] == "Broken kettle"
    assert (maria["status"], maria["channels"], maria["assignee"]) == ("open", ["email"], None)
    assert maria["unread"] == 2
    assert maria["last_message_at"] == "2025-03-03T09:30:00Z"
    assert maria["waiting_since"] == "2025-03-03T09:00:00Z"
    assert maria["snippet"] == "It still does not heat."
    assert by_id[MARIA_SMS]["channels"] == ["sms"]
    assert by_id[VISITOR]["channels"] == ["chat"]


def test_list_filters_by_status_channel_tag_and_limit(cli: Cli) -> None:
    assert cli("resolve", str(VISITOR)).code == 0
    assert cli("tag", str(BOB), "billing").code == 0
    assert ids(cli.json("list", "--status", "resolved")) == [VISITOR]
    assert ids(cli.json("list", "--status", "open")) == [MARIA_SMS, BOB, MARIA]
    assert ids(cli.json("list", "--channel", "sms")) == [MARIA_SMS]
    assert ids(cli.json("list", "--channel", "email")) == [BOB, MARIA]
    assert ids(cli.json("list", "--tag", "billing")) == [BOB]
    assert ids(cli.json("list", "--tag", "#Billing")) == [BOB]
    assert ids(cli.json("list", "--limit", "2")) == ALL_NEWEST_FIRST[:2]


def test_an_agents_name_typed_another_way_assigns_to_that_agent(cli: Cli) -> None:
    ana = cli.config('[agent]\nname = "Ana"\n')
    assert cli.json("assign", str(MARIA), "--me", "--config", ana)["assignee"] == "Ana"
    assert cli.json("assign", str(BOB), " ana ")["assignee"] == "Ana"  # not a new "ana "
    assert sorted(ids(cli.json("list", "--mine", "--config", ana))) == sorted([MARIA, BOB])
    line = assert_one_line_error(cli("assign", str(BOB), "  "), 4)  # an empty $AGENT
    assert "--nobody" in line
    line = assert_one_line_error(cli("assign", str(BOB), ""), 4)  # an unset $AGENT
    assert "--nobody" in line
    assert cli.json("show", str(BOB))["assignee"] == "Ana"
    assert cli("assign", str(BOB), "ana").out.strip() == f"conversation {BOB} assigned to Ana"


def test_an_agents_name_with_two_letters_swapped_is_refused_not_made_a_new_agent(
    cli: Cli,
) -> None:
    """ "Bne" became an agent nobody is, and the case sat in no one's Mine view."""
    assert cli.json("assign", str(MARIA), "Ben")["assignee"] == "Ben"
    line = assert_one_line_error(cli("assign", str(BOB), "Bne"), 4)
    assert "did you mean 'Ben'?" in line
    assert "Bne" not in [a["agent"] for a in cli.json("agents")]
    assert cli.json("assign", str(BOB), "Dan")["assignee"] == "Dan"  # a new colleague
    assert cli.json("assign", str(BOB), "Bne", "--new-agent")["assignee"] == "Bne"
    mia = cli.config('[agent]\nname = "Mia"\n')  # Mai's new colleague claims a case
    assert cli.json("assign", str(MARIA), "Mai", "--new-agent")["assignee"] == "Mai"
    assert cli.json("assign", str(BOB), "--me", "--config", mia)["assignee"] == "Mia"


def test_a_team_typed_another_way_is_the_known_team_and_a_misspelt_one_is_refused(
    cli: Cli,
) -> None:
    plain = cli.config('[agent]\nname = "Ana"\n', name="plain.toml")
    first = cli.json("assign", str(MARIA), "--me", "--team", "support", "--config", plain)
    assert first["team"] == "support"  # no team known yet: the first label starts one
    again = cli.json("assign", str(BOB), "--me", "--team", " Support ", "--config", plain)
    assert again["team"] == "support"
    config = cli.config('[agent]\nname = "Ana"\n')
    (config.parent / "rules.toml").write_text(
        '[[teams]]\nname = "billing"\nagents = ["Ana"]\n', encoding="utf-8"
    )
    moved = cli.json("assign", str(BOB), "--me", "--team", "BILLING", "--config", config)
    assert moved["team"] == "billing"
    line = assert_one_line_error(
        cli("assign", str(BOB), "--me", "--team", "billin", "--config", config), 4
    )
    assert "billing, support" in line and "rules.toml" in line
    assert cli.json("show", str(BOB))["team"] == "billing"


def test_list_filters_by_assignee_mine_and_unassigned(cli: Cli) -> None:
    ana = cli.config('[agent]\nname = "Ana"\n')
    assert cli.json("assign", str(MARIA), "--me", "--config", ana)["assignee"] == "Ana"
    assert cli.json("assign", str(BOB), "bruno")["assignee"] == "bruno"
    assert ids(cli.json("list", "--mine", "--config", ana)) == [MARIA]
    assert ids(cli.json("list", "--assignee", "bruno")) == [BOB]
    assert ids(cli.json("list", "--unassigned")) == [MARIA_SMS, VISITOR]
    assert cli.json("assign", str(BOB), "--nobody")["assignee"] is None
    assert ids(cli.json("list", "--assignee", "bruno")) == []


def test_list_for_people_says_when_the_limit_cut_it_and_no_resolved_case_waits(cli: Cli) -> None:
    assert cli("resolve", str(MARIA)).code == 0
    cut = cli("list", "--limit", "2")
    assert cut.code == 0 and "the first 2 shown; --limit N shows more" in cut.err
    whole = cli("list")
    assert whole.code == 0 and whole.err == ""
    rows = {line.split()[0]: line.split() for line in whole.out.splitlines()[1:]}
    # ... ASSIGNEE WAITING LAST(date time): a resolved case waits for nobody
    assert rows[str(MARIA)][1] == "resolved" and rows[str(MARIA)][-3] == "-"
    assert rows[str(BOB)][-3] != "-"  # an open case still shows how long it waits
    assert cli.json("list", "--limit", "2") == cli.json("list")[:2]  # scripts get data only


@pytest.mark.parametrize(
    "args", [["list"], ["customer", "list"], ["search", "kettle"]], ids=lambda a: " ".join(a)
)
def test_a_listing_cut_by_its_limit_says_so_on_stderr_even_for_scripts(
    cli: Cli, args: list[str]
) -> None:
    cut = cli(*args, "--limit", "1", "--json")
    assert cut.code == 0 and len(json.loads(cut.out)) == 1
    assert "the first 1 shown; --limit N shows more" in cut.err
    whole = cli(*args, "--json")
    assert whole.code == 0 and whole.err == ""
    exact = cli(*args, "--limit", str(len(json.loads(whole.out))), "--json")
    assert exact.code == 0 and exact.err == ""  # all there is: a script paging on it looped


def test_list_with_no_match_prints_exactly_an_empty_json_array(cli: Cli) -> None:
    result = cli("list", "--tag", "no-such-tag", "--json")
    assert (result.code, result.out.strip(), result.err) == (0, "[]", "")


def test_show_json_has_the_conversation_and_its_messages_in_time_order(cli: Cli) -> None:
    conv = cli.json("show", str(MARIA))
    assert SUMMARY_FIELDS <= conv.keys()
    assert conv["id"] == MARIA and "events" in conv
    first, second = conv["messages"]
    for message in conv["messages"]:
        assert MESSAGE_FIELDS <= message.keys()
    assert first["sent_at"] < second["sent_at"]
    assert (first["channel"], first["direction"], first["status"]) == ("email", "in", "received")
    assert first["sender"] == "maria@example.com"
    assert first["recipients"] == ["support@acme.test"]
    assert (first["subject"], first["message_id"]) == ("Broken kettle", "<m1@example.com>")
    assert first["in_reply_to"] is None and first["attachments"] == []
    assert first["text"].startswith("My kettle stopped working.")
    assert second["in_reply_to"] == "<m1@example.com>"
    assert cli.json("show", f"#{MARIA}")["id"] == MARIA


def test_show_json_lists_attachments(cli: Cli) -> None:
    (message,) = cli.json("show", str(BOB))["messages"]
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "invoice.pdf"
    assert attachment["content_type"] == "application/pdf"
    assert attachment["size"] == len(ATTACHMENT)


def test_customer_list_json_has_identities_and_case_counts(cli: Cli) -> None:
    rows = cli.json("customer", "list")
    assert ids(rows) == [MARIA, BOB, VISITOR, MARIA_SMS]
    maria = rows[0]
    assert maria["name"] == "Maria Lopez" and maria["conversations"] == 1
    assert [(i["channel"], i["address"]) for i in maria["identities"]] == [
        ("email", "maria@example.com")
    ]
    assert rows[2]["identities"][0]["address"] == "web:visitor-1"
    assert ids(cli.json("customer", "list", "--query", "BOB")) == [BOB]
    assert ids(cli.json("customer", "list", "-q", "555")) == [MARIA_SMS]


def test_customer_suggestions_offer_the_phone_from_marias_signature(cli: Cli) -> None:
    (suggestion,) = cli.json("customer", "suggestions")
    assert suggestion["id"] == 1 and suggestion["status"] == "pending"
    assert {suggestion["customer_id"], suggestion["other_customer_id"]} == {MARIA, MARIA_SMS}
    assert suggestion["address"] == MARIA_PHONE and suggestion["reason"]
    shown = cli.json("customer", "show", str(MARIA))
    assert ids(shown["suggestions"]) == [1]


def test_accepting_a_suggestion_merges_the_two_customers(cli: Cli) -> None:
    decided = cli.json("customer", "accept", "1")
    assert (decided["id"], decided["status"]) == (1, "accepted")
    assert cli.json("customer", "suggestions") == []
    assert ids(cli.json("customer", "list")) == [MARIA, BOB, VISITOR]
    again = cli("customer", "accept", "1")
    assert "already accepted" in assert_one_line_error(again, 4)


def test_dismissing_a_suggestion_keeps_the_customers_apart(cli: Cli) -> None:
    decided = cli.json("customer", "dismiss", "1")
    assert (decided["id"], decided["status"]) == (1, "dismissed")
    assert cli.json("customer", "suggestions") == []
    assert ids(cli.json("customer", "list")) == [MARIA, BOB, VISITOR, MARIA_SMS]


def test_customer_show_has_whole_history_across_channels_in_time_order(cli: Cli) -> None:
    cli.json("customer", "merge", str(MARIA), str(MARIA_SMS))
    shown = cli.json("customer", "show", str(MARIA))
    assert shown["id"] == MARIA and shown["name"] == "Maria Lopez"
    assert [(i["channel"], i["address"]) for i in shown["identities"]] == [
        ("email", "maria@example.com"),
        ("sms", MARIA_PHONE),
    ]
    history = shown["history"]
    assert [m["channel"] for m in history] == ["email", "email", "sms"]
    assert [m["sent_at"] for m in history] == sorted(m["sent_at"] for m in history)
    for message in history:
        assert MESSAGE_FIELDS <= message.keys()
    assert ids(shown["conversations"]) == [MARIA, MARIA_SMS]


def test_a_customers_cases_read_as_the_inbox_lists_them(cli: Cli) -> None:
    assert cli("tag", str(MARIA), "grinder", "warranty").code == 0
    listed = {c["id"]: c for c in cli.json("list", "--status", "open")}
    for case in cli.json("customer", "show", str(MARIA))["conversations"]:
        assert case["tags"] == listed[case["id"]]["tags"]
        assert case["customer_address"] == listed[case["id"]]["customer_address"]
    assert listed[MARIA]["tags"] == ["grinder", "warranty"]


def test_merge_then_split_gives_back_two_customers(cli: Cli) -> None:
    merged = cli.json("customer", "merge", str(MARIA), str(MARIA_SMS))
    assert merged["id"] == MARIA and len(merged["identities"]) == 2
    followed = cli.json("customer", "show", str(MARIA_SMS))
    assert (followed["id"], followed["merged_from"]) == (MARIA, [MARIA_SMS])
    assert cli.json("customer", "show", str(MARIA))["merged_from"] == [MARIA_SMS]
    assert cli.json("show", str(MARIA_SMS))["customer_id"] == MARIA
    assert cli.json("customer", "suggestions") == []

    split = cli.json("customer", "split", str(MARIA), "--identity", "+1 415 555 0134")
    new_id = split["id"]
    assert new_id not in (MARIA, BOB, VISITOR, MARIA_SMS)
    assert [i["address"] for i in split["identities"]] == [MARIA_PHONE]
    assert ids(split["conversations"]) == [MARIA_SMS]
    assert [m["channel"] for m in split["history"]] == ["sms"]
    maria = cli.json("customer", "show", str(MARIA))
    assert [i["address"] for i in maria["identities"]] == ["maria@example.com"]
    assert [m["channel"] for m in maria["history"]] == ["email", "email"]
    assert cli.json("show", str(MARIA_SMS))["customer_id"] == new_id


def test_search_json_finds_messages_on_every_channel(cli: Cli) -> None:
    hits = cli.json("search", "kettle")
    assert {h["conversation_id"] for h in hits} == {MARIA, MARIA_SMS}
    assert {h["channel"] for h in hits} == {"email", "sms"}
    for hit in hits:
        assert {
            "message_id",
            "customer_id",
            "customer_name",
            "sender",
            "sent_at",
            "snippet",
            "highlights",
        } <= hit.keys()
        shown = cli.json("show", str(hit["conversation_id"]))["messages"]
        assert hit["id"] == hit["message_id"] in [m["id"] for m in shown]  # show's name
    (chat,) = cli.json("search", "ship", "to", "Canada")
    assert (chat["conversation_id"], chat["channel"]) == (VISITOR, "chat")
    assert cli.json("search", "nothing-like-this") == []


def _last_message(cli: Cli, conv: int) -> dict:
    return cli.json("show", str(conv))["messages"][-1]


def test_reply_queues_an_email_in_the_outbox(cli: Cli) -> None:
    queued = cli.json("reply", str(MARIA), "--body", "A new kettle is on its way.")
    assert queued["conversation_id"] == MARIA and queued["status"] == "queued"
    assert (queued["channel"], queued["to"]) == ("email", "maria@example.com")
    sent = _last_message(cli, MARIA)
    assert sent["id"] == queued["message_id"]
    assert (sent["direction"], sent["status"], sent["channel"]) == ("out", "queued", "email")
    assert sent["recipients"] == ["maria@example.com"]
    assert sent["text"] == "A new kettle is on its way."
    assert sent["subject"] == "Re: Broken kettle" and sent["in_reply_to"] == "<m2@example.com>"


def test_reply_with_body_dash_reads_standard_input(cli: Cli) -> None:
    queued = cli.json("reply", str(VISITOR), "--body", "-", input="Yes, we do!\nCheers\n")
    assert (queued["channel"], queued["to"]) == ("chat", "web:visitor-1")
    sent = _last_message(cli, VISITOR)
    assert (sent["direction"], sent["status"]) == ("out", "queued")
    assert sent["text"] == "Yes, we do!\nCheers"


def test_a_queued_reply_is_named_by_the_id_the_outbox_commands_take(cli: Cli) -> None:
    """It said "(outbox 3)", and `outbox cancel 3` then named another message, or none."""
    said = cli("reply", str(VISITOR), "--body", "On its way")
    sent = _last_message(cli, VISITOR)
    assert f"(message {sent['id']}: " in said.out
    assert cli("outbox", "cancel", str(sent["id"])).code == 0


def test_reply_by_sms_to_a_customer_without_a_phone_is_refused(cli: Cli) -> None:
    before = cli.json("show", str(BOB))["messages"]
    result = cli("reply", str(BOB), "--channel", "sms", "--body", "hi")
    assert "--to" in assert_one_line_error(result, 4)
    assert cli.json("show", str(BOB))["messages"] == before


def test_reply_by_sms_with_to_adds_the_number_to_the_customer(cli: Cli) -> None:
    queued = cli.json(
        "reply", str(BOB), "--channel", "sms", "--to", "+1 415 555 0199", "--body", "Sent!"
    )
    assert (queued["channel"], queued["to"]) == ("sms", "+14155550199")
    sent = _last_message(cli, BOB)
    assert (sent["channel"], sent["status"], sent["recipients"]) == (
        "sms",
        "queued",
        ["+14155550199"],
    )
    identities = cli.json("customer", "show", str(BOB))["identities"]
    assert ("sms", "+14155550199") in [(i["channel"], i["address"]) for i in identities]


def test_a_text_longer_than_twilio_sends_is_refused_when_queued_not_after(cli: Cli) -> None:
    """Twilio refuses a body over 1,600 characters (21617) when it sends it: the agent
    had moved on with "queued"."""
    config = cli.config(
        '[[accounts]]\nname = "twilio"\nchannel = "sms"\nprovider = "twilio"\n'
        'number = "+15550001111"\naccount_sid = "AC1"\nauth_token = "t"\n'
    )
    line = assert_one_line_error(
        cli("reply", str(MARIA_SMS), "--body", "a" * 1700, "--config", config), 4
    )
    assert "1700 characters" in line and "at most 1600" in line
    queued = cli.json("reply", str(MARIA_SMS), "--body", "a" * 1600, "--config", config)
    edit = ("outbox", "edit", str(queued["message_id"]), "--config", config, "--body")
    line = assert_one_line_error(cli(*edit, "a" * 1700), 4)  # nor made longer by an edit
    assert "1700 characters" in line
    assert cli(*edit, "shorter").code == 0


def test_note_adds_a_private_message(cli: Cli) -> None:
    added = cli.json("note", str(BOB), "--body", "Finance says Friday.")
    assert added["conversation_id"] == BOB
    note = _last_message(cli, BOB)
    assert note["id"] == added["message_id"]
    assert (note["direction"], note["text"]) == ("note", "Finance says Friday.")


def test_resolve_reopen_and_status_change_the_status(cli: Cli) -> None:
    resolved = cli.json("resolve", str(MARIA))
    assert (resolved["id"], resolved["status"]) == (MARIA, "resolved")
    assert "messages" not in resolved and SUMMARY_FIELDS <= resolved.keys()
    assert cli.json("reopen", str(MARIA))["status"] == "open"
    assert cli.json("status", str(MARIA), "pending")["status"] == "pending"
    kinds = [e["kind"] for e in cli.json("show", str(MARIA))["events"]]
    assert kinds == ["status", "reopen", "status"]


def test_snooze_until_2h_hides_the_conversation_for_two_hours(cli: Cli) -> None:
    snoozed = cli.json("snooze", str(MARIA), "--until", "2h")
    assert snoozed["status"] == "snoozed"
    until = datetime.fromisoformat(snoozed["snoozed_until"])
    expected = datetime.now(UTC) + timedelta(hours=2)
    assert abs(until - expected) < timedelta(minutes=5)
    assert ids(cli.json("list", "--status", "snoozed")) == [MARIA]


def test_tag_adds_and_removes_tags(cli: Cli) -> None:
    tagged = cli.json("tag", str(BOB), "billing", "#Urgent")
    assert tagged == {"conversation_id": BOB, "tags": ["billing", "urgent"]}
    untagged = cli.json("tag", str(BOB), "urgent", "--remove")
    assert untagged == {"conversation_id": BOB, "tags": ["billing"]}
    assert cli.json("show", str(BOB))["tags"] == ["billing"]


def test_log_call_records_a_phone_call_in_the_customers_open_case(cli: Cli) -> None:
    logged = cli.json(
        "log-call", str(BOB), "--body", "Called about the invoice.", "--channel", "phone"
    )
    assert (logged["customer_id"], logged["conversation_id"]) == (BOB, BOB)
    call = _last_message(cli, BOB)
    assert call["id"] == logged["message_id"]
    assert (call["channel"], call["direction"], call["status"]) == ("phone", "in", "logged")
    history = cli.json("customer", "show", str(BOB))["history"]
    assert [m["channel"] for m in history] == ["email", "phone"]


def test_export_then_import_into_a_new_store_exports_the_same_lines(cli: Cli) -> None:
    cli("reply", str(MARIA), "--body", "On its way.")
    first = cli("export", "--format", "jsonl")
    assert first.code == 0 and first.err == ""
    assert '"type": "blob"' in first.out
    (cli.root / "backup.jsonl").write_text(first.out, encoding="utf-8")
    assert cli("export", "-o", "copy.jsonl").code == 0
    assert (cli.root / "copy.jsonl").read_text(encoding="utf-8") == first.out

    new_db = cli.root / "restored" / "omni.db"
    counts = cli.json("import", "backup.jsonl", "--db", new_db)
    assert counts["customer"] == 4 and counts["message"] == 6 and counts["blob"] == 2
    again = cli("export", "--db", new_db)
    assert again.code == 0 and again.out == first.out
    # the reports' kept tables are rebuilt, not copied: the figures are the same
    stats = ("stats", "--since", "2020-01-01", "--now", "2030-01-01T00:00:00+00:00", "--json")
    restored = cli.json(*stats, "--db", new_db)
    assert restored == cli.json(*stats) and restored["volume"]


def test_an_export_without_report_columns_imports_with_them_worked_out(cli: Cli) -> None:
    """An export from before the report columns (or written by hand) still reports."""
    cli("reply", str(MARIA), "--body", "On its way.")
    stats = ("stats", "--since", "2020-01-01", "--now", "2030-01-01T00:00:00+00:00", "--json")
    before = cli.json(*stats)
    lines = []
    for line in cli("export").out.splitlines():
        record = json.loads(line)
        if record["type"] == "conversation":
            for column in ("first_inbound_at", "first_inbound_channel", "first_reply_at",
                           "first_reply_channel", "channel_switches"):  # fmt: skip
                record.pop(column, None)
        lines.append(json.dumps(record))
    (cli.root / "old.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    new_db = cli.root / "restored" / "omni.db"
    assert cli("import", "old.jsonl", "--db", new_db).code == 0
    after = cli.json(*stats, "--db", new_db)
    assert after["first_response"] == before["first_response"]
    assert after["first_response"]["count"] == 1


def test_import_into_a_store_with_data_is_refused_and_changes_nothing(cli: Cli) -> None:
    (cli.root / "backup.jsonl").write_text(cli("export").out, encoding="utf-8")
    before = snapshot(cli.root)
    assert "already has data" in assert_one_line_error(cli("import", "backup.jsonl"), 4)
    assert snapshot(cli.root) == before


def test_demo_seeds_a_new_store_and_refuses_an_existing_one(cli: Cli) -> None:
    demo_db = cli.root / "demo.db"
    seeded = cli("demo", "--no-tui", "--now", "2025-03-01T12:00:00+00:00", "--db", demo_db)
    assert seeded.code == 0 and seeded.out == "" and "demo store" in seeded.err
    assert seeded.err.startswith("building a demo store")  # said before the wait, not after
    assert len(cli.json("list", "--db", demo_db)) > 0
    before = snapshot(cli.root)
    refused = cli("demo", "--no-tui", "--db", demo_db)
    assert "already exists" in assert_one_line_error(refused, 4)
    assert snapshot(cli.root) == before


def test_version_prints_the_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.code == 0 and result.out.startswith("omni-tui ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_first_sync_bar_shows_messages_stored_of_those_to_come() -> None:
    screen = _Terminal()
    with output.progress_reporter(screen) as progress:
        assert progress is not None
        progress("support", 4000, 10000)
        progress("texts", 120, None)  # a gateway that cannot say how many will come
    shown = " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).split())
    assert re.search(r"support [━╺╸]+ 4000/10000 messages", shown)
    assert re.search(r"texts [━╺╸]+ 120/\? messages", shown)


def test_no_bar_is_drawn_into_a_pipe() -> None:
    with output.progress_reporter(io.StringIO()) as progress:
        assert progress is None


def test_sync_once_exits_1_when_a_reply_failed_for_good(cli: Cli) -> None:
    """A script that sends mail with `reply` then `sync --once` was told 0 for a reply
    that will never go."""
    assert cli("reply", str(MARIA), "--body", "On its way").code == 0
    done = cli("sync", "--once", "--json")
    assert done.code == 1
    assert json.loads(done.out)["outbox"]["failed"] == 1
    assert "no email account configured to send from" in done.err
    again = cli("sync", "--once", "--json")  # nothing failed in this run
    assert again.code == 0 and json.loads(again.out)["outbox"]["failed"] == 0
