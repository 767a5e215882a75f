"""A reply to an email goes to whom the customer copied too (reply to all, as in
Chatwoot and Zammad): never back to us, and the agent can send it to the customer alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omni_tui import accounts, outbox, queries
from omni_tui.config import Config
from omni_tui.delivery import deliver_outbox
from omni_tui.recipients import copies_from
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.cli_helpers import Cli
from tests.servers import Dovecot, SmtpSink, free_port, running_sink
from tests.test_console import console, settle
from tests.test_email import config_for, config_text, email, folder, sink, store  # noqa: F401

COPIED = {
    "cc": (
        "Jon Boss <Jon@Example.com>, support@larkspur.example,"
        " undisclosed-recipients:;, =?utf-8?q?Ren=C3=A9e?= <renee@example.org>"
    )
}


async def a_copied_case(dovecot: Dovecot, folder: str, store: Store, config: Config) -> int:  # noqa: F811
    dovecot.deliver(email(1, subject="Broken grinder", **COPIED), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    return int(case["id"])


async def test_a_reply_to_all_reaches_whom_the_customer_copied_and_never_us(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
) -> None:
    config = config_for(dovecot, folder, smtp_port=sink.port)
    case = await a_copied_case(dovecot, folder, store, config)
    shown = (await queries.show_conversation(store, case))["messages"][0]
    assert "jon@example.com" in shown["context"]["cc"].lower()  # the agent sees who
    queued = await outbox.queue_reply(
        store,
        case,
        "A new one ships today.",
        agent="Ana",
        reply_all=True,
        own=accounts.own_addresses(config.accounts),
    )
    assert queued.cc == ("jon@example.com", "renee@example.org")
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [(_, envelope, _)] = sink.received
    assert envelope == ["maria@example.com", "jon@example.com", "renee@example.org"]
    [sent] = sink.messages()
    assert sent["To"] == "maria@example.com"
    assert sent["Cc"] == "jon@example.com, renee@example.org"


async def test_someone_the_customer_copied_who_then_writes_is_answered_too(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
) -> None:
    config = config_for(dovecot, folder, smtp_port=sink.port)
    own = accounts.own_addresses(config.accounts)
    case = await a_copied_case(dovecot, folder, store, config)
    await outbox.queue_reply(store, case, "Which model?", agent="Ana", reply_all=True, own=own)
    assert (await deliver_outbox(store, config)).sent == 1
    ours = (await queries.show_conversation(store, case))["messages"][-1]["message_id"]
    jon = email(
        2,
        sender="jon@example.com",
        subject="Re: Broken grinder",
        in_reply_to=ours,
        cc="maria@example.com, support@larkspur.example",
    )
    dovecot.deliver(jon, folder=folder)  # Jon, whom Maria copied, asks something himself
    await sync_once(store, config)
    senders = [m["sender"] for m in (await queries.show_conversation(store, case))["messages"]]
    assert "jon@example.com" in senders  # his email joined Maria's case
    queued = await outbox.queue_reply(store, case, "The M2.", agent="Ana", reply_all=True, own=own)
    assert (queued.to, queued.cc) == ("maria@example.com", ("jon@example.com",))


async def test_the_command_line_replies_to_all_unless_told_whom_to_copy(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = config_for(dovecot, folder)
    case = await a_copied_case(dovecot, folder, store, config)
    cli = Cli(tmp_path, store.path)
    conf = cli.config(config_text(dovecot, folder))
    everyone = cli.json("reply", str(case), "--body", "Shipping today.", "--config", conf)
    assert everyone["cc"] == ["jon@example.com", "renee@example.org"]
    alone = cli.json("reply", str(case), "--body", "Just you.", "--no-cc", "--config", conf)
    assert alone["cc"] == []
    named = cli.json(
        "reply", str(case), "--body", "FYI", "--cc", "ops@example.net", "--config", conf
    )
    assert named["cc"] == ["ops@example.net"]
    bad = cli("reply", str(case), "--body", "x", "--cc", "a@b.c, d@e.f", "--config", conf)
    assert bad.code != 0 and "one per --cc" in bad.err
    sms = cli("reply", str(case), "--body", "x", "--channel", "sms", "--cc", "a@b.example")
    assert sms.code != 0 and "copies go by --channel email" in sms.err
    ours = cli(
        "reply", str(case), "--body", "x", "--cc", "Support@Larkspur.example", "--config", conf
    )
    assert ours.code != 0 and "own email account" in ours.err  # it would come back in as mail
    sent = (await queries.show_conversation(store, case))["messages"][1:]
    assert [m["recipients"] for m in sent] == [
        ["maria@example.com", "jon@example.com", "renee@example.org"],
        ["maria@example.com"],
        ["maria@example.com", "ops@example.net"],
    ]


async def test_the_composer_says_who_is_copied_and_ctrl_o_sends_to_the_customer_alone(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    config = config_for(dovecot, folder)
    case = await a_copied_case(dovecot, folder, store, config)
    app = console(store.path, config_text(dovecot, folder))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        app.open_conversation(case, focus=True)
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        status = str(app.query_one("#composer-status").render())
        assert "copied to jon@example.com, renee@example.org" in status
        await pilot.press(*"Dear all, ", "escape", "r")  # a draft comes back to all
        await settle(app, pilot)
        assert "copied to jon@example.com" in str(app.query_one("#composer-status").render())
        await pilot.press("ctrl+a", "ctrl+k")  # the line typed so far goes
        await pilot.press("ctrl+o")  # the same address, no copies
        await settle(app, pilot)
        assert "copied" not in str(app.query_one("#composer-status").render())
        await pilot.press(*"Only you.", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("r", "ctrl+o", "ctrl+o")  # round again: to all
        await settle(app, pilot)
        await pilot.press(*"Everyone.", "ctrl+s")
        await settle(app, pilot)
    sent = (await queries.show_conversation(store, case))["messages"][1:]
    assert [(m["text"], m["recipients"]) for m in sent] == [
        ("Only you.", ["maria@example.com"]),
        ("Everyone.", ["maria@example.com", "jon@example.com", "renee@example.org"]),
    ]


@dataclass
class Picky(SmtpSink):
    """A mail server that refuses some mailboxes at RCPT, as Postfix does unknown users."""

    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def queue_to_all(store: Store, case: int, config: Config) -> None:  # noqa: F811
    await outbox.queue_reply(
        store, case, "Shipping today.", agent="Ana", reply_all=True,
        own=accounts.own_addresses(config.accounts),
    )  # fmt: skip


async def test_when_the_server_refuses_the_customer_the_copies_get_nothing_either(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    """Sent to the copies but not the customer, the reply would show as failed, and a
    retry would mail the copies twice."""
    with running_sink(Picky(free_port(), refuse={"maria@example.com"})) as picky:
        config = config_for(dovecot, folder, smtp_port=picky.port)
        case = await a_copied_case(dovecot, folder, store, config)
        await queue_to_all(store, case, config)
        report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (0, 1)
    assert "maria@example.com refused" in report.errors[0]
    assert picky.received == []


async def test_a_copy_that_cannot_go_is_left_out_and_the_customer_still_gets_the_reply(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    """Refused, beyond ASCII on a server without SMTPUTF8, or a domain IDNA refuses:
    the customer's own copy is what decides."""
    copied = {"cc": "jon@example.com, gone@example.com, jöe@example.com, jon@☃.example"}
    picky = Picky(free_port(), refuse={"gone@example.com"})
    with running_sink(picky, enable_SMTPUTF8=False):
        config = config_for(dovecot, folder, smtp_port=picky.port)
        dovecot.deliver(email(1, subject="Broken grinder", **copied), folder=folder)
        await sync_once(store, config)
        [row] = await queries.list_conversations(store)
        await queue_to_all(store, row["id"], config)
        report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [(_, envelope, _)] = picky.received
    assert envelope == ["maria@example.com", "jon@example.com"]
    [sent] = picky.messages()
    assert "jöe" not in str(sent["Cc"]) and "☃" not in str(sent["Cc"])


def test_a_quoted_or_odd_copy_is_left_out_rather_than_read_as_someone_else() -> None:
    cc = '"jon smith"@example.com, "a, evil@attacker.example"@example.com, ann@example.org'
    assert copies_from(cc, set()) == ["ann@example.org"]
    ours = "support@larkspür.example"  # our account, as its IDNA form shows up in a Cc
    as_sent = "Support@" + "larkspür".encode("idna").decode().upper() + ".example"
    assert copies_from(as_sent, {ours}) == []


async def test_a_reply_to_the_customers_other_address_does_not_copy_them_again(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Maria gave a second address: a reply to it copied her first one (the last email's
    author), and she got it twice; the console offered the same first."""
    from omni_tui.tui.composer import Target
    from omni_tui.tui.composer.composer import with_copies

    config = config_for(dovecot, folder)
    case = await a_copied_case(dovecot, folder, store, config)
    cli = Cli(tmp_path, store.path)
    conf = cli.config(config_text(dovecot, folder))
    customer = (await queries.show_conversation(store, case))["customer_id"]
    assert cli("customer", "add", str(customer), "maria.home@example.com").code == 0
    done = cli.json(
        "reply", str(case), "--to", "maria.home@example.com", "--body", "Hi", "--config", conf
    )
    assert done["cc"] == ["jon@example.com", "renee@example.org"]
    targets = [Target("email", "maria@example.com"), Target("email", "maria.home@example.com")]
    offered = with_copies(targets, ["maria@example.com", "jon@example.com"])
    assert {t.cc for t in offered} == {("jon@example.com",), ()}
