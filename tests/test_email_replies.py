# ruff: noqa: F811 (pytest fixtures imported from test_email, named as parameters)
"""Replies by email: threaded for the customer's client, copied to Sent, and kept
queued with the reason while the SMTP server cannot be reached."""

from __future__ import annotations

from imapclient import IMAPClient

from omni_tui import outbox, queries
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_email import config_for, email, folder, sink, store  # noqa: F401 (fixtures)


async def test_a_reply_goes_out_by_smtp_threaded_and_the_answer_joins_the_case(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    config = config_for(dovecot, folder, smtp_port=sink.port, sent_folder=f'"{folder}Sent"')
    first = email(1, subject="Grinder arrived broken")
    dovecot.deliver(first, folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(store, case["id"], "Sorry! A new one ships today — Ana", agent="Ana")
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [sent] = sink.messages()
    original = (await queries.show_conversation(store, case["id"]))["messages"][0]
    assert sent["In-Reply-To"] == original["message_id"]
    assert sent["Subject"] == "Re: Grinder arrived broken"
    assert "support@larkspur.example" in sent["From"]
    assert sink.received[0][1] == ["maria@example.com"]
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert ours["status"] == "sent" and sent["Message-ID"] == ours["message_id"]
    # the customer answers our reply: it joins the same case
    answer = email(2, subject="Re: Grinder arrived broken", In_Reply_To=ours["message_id"])
    dovecot.deliver(answer, folder=folder)
    await sync_once(store, config)
    assert [c["id"] for c in await queries.list_conversations(store)] == [case["id"]]
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(dovecot.user, dovecot.password)
        assert client.select_folder(f"{folder}Sent")[b"EXISTS"] == 1


async def test_a_reply_whose_sent_copy_the_server_refuses_is_sent_and_says_so(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    """The only sign was a log line: the team's Sent folder silently lacked every reply."""
    bad = '"[Gmail]/Sent Mail"'  # Gmail's name, on a server whose separator is "."
    config = config_for(dovecot, folder, smtp_port=sink.port, sent_folder=bad)
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    assert len(sink.messages()) == 1  # sent once, not again for want of a copy
    [line] = report.errors
    assert "sent, but no copy in '[Gmail]/Sent Mail'" in line
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert ours["status"] == "sent"
    assert "no copy in '[Gmail]/Sent Mail'" in ours["status_reason"]
    assert "check the account's sent_folder" in ours["status_reason"]


async def test_a_reply_keeps_the_threads_first_id_when_the_customer_trimmed_it(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    """An answer whose client kept only our id in References: our next reply left the
    case's first message out, and the customer's client split the thread."""
    config = config_for(dovecot, folder, smtp_port=sink.port)
    first = email(1, subject="Invoice question")
    dovecot.deliver(first, folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(store, case["id"], "Attached again.", agent="Ana")
    await deliver_outbox(store, config)
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]["message_id"]
    trimmed = email(2, subject="AW: Invoice question", In_Reply_To=ours, References=ours)
    dovecot.deliver(trimmed, folder=folder)
    await sync_once(store, config)
    await outbox.queue_reply(store, case["id"], "You are welcome.", agent="Ana")
    await deliver_outbox(store, config)
    root = (await queries.show_conversation(store, case["id"]))["messages"][0]["message_id"]
    latest = sink.messages()[-1]
    assert latest["References"].split()[0] == root
    assert latest["References"].split()[-1] == latest["In-Reply-To"]


async def test_an_unreachable_smtp_server_keeps_the_reply_queued_with_the_reason(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    config = config_for(dovecot, folder, smtp_port=free_port())
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
    report = await deliver_outbox(store, config)
    assert (report.sent, report.retrying) == (0, 1)
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert ours["status"] == "queued" and "retrying" in ours["status_reason"]
