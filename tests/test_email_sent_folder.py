"""The account's Sent folder among its folders: what the team wrote there, from omni-tui
or any other mail program, is our answer to the customer it went to, never a
customer's mail; mail from our own address anywhere else is read as it always was."""

from __future__ import annotations

import itertools
from pathlib import Path

from omni_tui import queries
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot
from tests.test_email import config_for, store  # noqa: F401 (a fixture)

US = "Larkspur Support <support@larkspur.example>"
_n = itertools.count()


def mail(n: int, frm: str, to: str, subject: str, hour: int, reply_to: int | None = None) -> bytes:
    lines = [
        f"From: {frm}", f"To: {to}", f"Subject: {subject}",
        f"Date: Mon, 16 Nov 2026 {hour:02d}:00:00 +0000", f"Message-ID: <m{n}@example.org>",
        *([f"In-Reply-To: <m{reply_to}@example.org>"] if reply_to else []),
        "", f"words of {n}",
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode()


async def test_an_answer_written_in_another_mail_program_is_ours_not_a_customers(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    inbox, sent = f"In{next(_n)}", f"Sent{next(_n)}"
    dovecot.deliver(mail(1, "Maria <maria@example.org>", US, "Grinder broken", 9), folder=inbox)
    dovecot.deliver(
        mail(2, US, "Maria <maria@example.org>", "Re: Grinder broken", 10, reply_to=1),
        mail(3, US, "Bob <bob@example.org>", "Your invoice", 11),  # we wrote first
        folder=sent,
    )
    config = config_for(dovecot, [inbox, sent], sent_folder=f'"{sent}"')
    [report] = await sync_once(store, config)
    assert (report.state, report.new) == ("ok", 3)
    cases = {c["subject"]: c for c in await queries.list_conversations(store)}
    assert set(cases) == {"Grinder broken", "Your invoice"}  # no case of our own address
    maria = cases["Grinder broken"]
    assert (maria["unread"], maria["waiting_since"]) == (1, None)  # answered
    shown = await queries.show_conversation(store, maria["id"])
    assert [m["direction"] for m in shown["messages"]] == ["in", "out"]
    invoice = cases["Your invoice"]
    assert (invoice["unread"], invoice["customer_address"]) == (0, "bob@example.org")
    assert await queries.list_customers(store, "larkspur") == []


async def test_a_forward_to_a_supplier_in_the_customers_thread_does_not_answer_them(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    inbox, sent = f"In{next(_n)}", f"Sent{next(_n)}"
    dovecot.deliver(mail(1, "Maria <maria@example.org>", US, "Grinder broken", 9), folder=inbox)
    forward = mail(2, US, "Parts <parts@vendor.example>", "Fwd: Grinder broken", 10, reply_to=1)
    dovecot.deliver(forward, folder=sent)
    await sync_once(store, config_for(dovecot, [inbox, sent], sent_folder=f'"{sent}"'))
    cases = {c["customer_address"]: c for c in await queries.list_conversations(store)}
    assert cases["maria@example.org"]["waiting_since"] is not None  # still waiting on us
    assert cases["parts@vendor.example"]["subject"] == "Fwd: Grinder broken"


async def test_mail_from_our_address_outside_the_sent_folder_is_a_customers_as_before(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """A contact form sends From and To our own address with one Message-ID: every
    submission is a customer's, unread, waiting; and so is the Sent folder's mail when
    no sent_folder names it."""
    inbox, sent = f"In{next(_n)}", f"Sent{next(_n)}"
    form = [mail(1, US, US, "Contact form", 9 + n) for n in range(3)]
    form = [m.replace(b"words of 1", f"submission {n}".encode()) for n, m in enumerate(form)]
    dovecot.deliver(*form, folder=inbox)
    dovecot.deliver(mail(2, US, "Bob <bob@example.org>", "Your invoice", 11), folder=sent)
    [report] = await sync_once(store, config_for(dovecot, [inbox, sent]))
    assert (report.new, report.skipped) == (4, 0)
    cases = await queries.list_conversations(store)
    assert sum(c["unread"] for c in cases) == 4


async def test_an_answer_to_the_customers_second_address_or_copied_to_them_answers_the_case(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """It opened a case for the address (or the colleague) first in To, and the
    customer still waited."""
    inbox, sent = f"In{next(_n)}", f"Sent{next(_n)}"
    dovecot.deliver(
        mail(1, "Maria <maria@home.example>", US, "Grinder broken", 8),
        mail(2, "Maria <maria@home.example>", US, "Re: Grinder broken", 9, reply_to=1),
        folder=inbox,
    )
    work = mail(3, "Maria <maria@work.example>", US, "Re: Grinder broken", 10, reply_to=2)
    dovecot.deliver(work, folder=inbox)  # her second address, in the same thread
    config = config_for(dovecot, [inbox, sent], sent_folder=f'"{sent}"')
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    maria = case["customer_id"]
    await _merge_second_address(store, maria, "maria@work.example")
    dovecot.deliver(
        mail(4, US, "Maria <maria@work.example>", "Re: Grinder broken", 11, reply_to=3),
        mail(5, US, "Ben <ben@larkspur.example>", "Re: Grinder broken", 12, reply_to=3)
        .replace(b"To: Ben", b"Cc: maria@home.example\r\nTo: Ben"),
        folder=sent,
    )  # fmt: skip
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)  # no case for her second address, nor Ben
    assert case["waiting_since"] is None and case["customer_id"] == maria
    shown = await queries.show_conversation(store, case["id"])
    assert [m["direction"] for m in shown["messages"]] == ["in", "in", "in", "out", "out"]


async def _merge_second_address(opened: Store, keep: int, address: str) -> None:
    from omni_tui import customers

    found = [c for c in await queries.list_customers(opened, address) if c["id"] != keep]
    if found:
        await customers.merge(opened, keep, found[0]["id"], agent="Ana")


async def test_mail_from_our_own_address_is_never_acknowledged_to_us(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A contact form that sends as us, after hours: the acknowledgement went to our
    own address."""
    from adapters.base import InboundMessage
    from omni_tui.ingest import IngestOptions, ingest
    from omni_tui.routing import RulesFile
    from tests.test_routing import RULES, SATURDAY

    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    options = IngestOptions(rules=RulesFile(rules), own=frozenset({"support@larkspur.example"}))
    form = InboundMessage(
        "email", "support", "1", "support@larkspur.example", "Name: Li. Order 1001?",
        subject="Contact form", sent_at=SATURDAY,
    )  # fmt: skip
    [case] = (await ingest(store, [form], options=options)).conversation_ids
    shown = await queries.show_conversation(store, case or 0)
    assert [m["direction"] for m in shown["messages"]] == ["in"]  # routed, not answered
    assert [e["kind"] for e in shown["events"]].count("route") == 1
