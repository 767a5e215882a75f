"""Replies to addresses beyond ASCII (RFC 5890 domains, RFC 6531 mailboxes), and
text beyond ASCII to servers with and without 8BITMIME (RFC 6152)."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes

import pytest

from omni_tui import outbox, queries
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot, SmtpSink, free_port, running_sink
from tests.test_email import config_for, email, folder, sink, store  # noqa: F401 (fixtures)


@pytest.fixture
def ascii_sink() -> Iterator[SmtpSink]:
    """An SMTP server without SMTPUTF8 (``sink`` speaks it, as Postfix does)."""
    with running_sink(SmtpSink(free_port()), enable_SMTPUTF8=False) as handler:
        yield handler


async def _case(dovecot: Dovecot, folder: str, store: Store, smtp: SmtpSink) -> int:  # noqa: F811
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config_for(dovecot, folder, smtp_port=smtp.port))
    [case] = await queries.list_conversations(store)
    return int(case["id"])


@pytest.mark.parametrize(
    ("address", "sent_to"),
    [
        ("maria@bücher.example", "maria@xn--bcher-kva.example"),
        ("kunde@straße.de", "kunde@xn--strae-oqa.de"),  # IDNA 2003 would say strasse.de
    ],
)
async def test_a_reply_to_an_internationalised_domain_goes_out_in_idna(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
    address: str,
    sent_to: str,
) -> None:
    case = await _case(dovecot, folder, store, sink)
    await outbox.queue_reply(store, case, "Hallo!", agent="Ana", to=address)
    report = await deliver_outbox(store, config_for(dovecot, folder, smtp_port=sink.port))
    assert (report.sent, report.errors) == (1, [])
    [(_, recipients, raw)] = sink.received
    assert recipients == [sent_to]
    assert message_from_bytes(raw)["To"] == sent_to


async def test_a_mailbox_beyond_ascii_goes_by_smtputf8_where_the_server_speaks_it(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
) -> None:
    case = await _case(dovecot, folder, store, sink)
    await outbox.queue_reply(store, case, "Hej!", agent="Ana", to="jöran@exämple.com")
    report = await deliver_outbox(store, config_for(dovecot, folder, smtp_port=sink.port))
    assert (report.sent, report.errors) == (1, [])
    [(_, recipients, raw)] = sink.received
    assert recipients == ["jöran@exämple.com"]
    assert "To: jöran@exämple.com" in raw.decode("utf-8")


async def test_where_the_server_cannot_carry_it_that_reply_fails_with_why_and_the_rest_go(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    ascii_sink: SmtpSink,
) -> None:
    case = await _case(dovecot, folder, store, ascii_sink)
    await outbox.queue_reply(store, case, "Hej!", agent="Ana", to="jöran@exämple.com")
    await outbox.queue_reply(store, case, "And to you", agent="Ana")
    report = await deliver_outbox(store, config_for(dovecot, folder, smtp_port=ascii_sink.port))
    assert (report.sent, report.failed) == (1, 1)
    assert [r for _, r, _ in ascii_sink.received] == [["maria@example.com"]]
    messages = (await queries.show_conversation(store, case))["messages"]
    failed = next(m for m in messages if m["recipients"] == ["jöran@exämple.com"])
    assert failed["status"] == "failed" and "SMTPUTF8" in failed["status_reason"]


class SevenBitSink(SmtpSink):
    """A server that does not offer 8BITMIME: it may strip the eighth bit of a body."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]  # noqa: N802
        session.host_name = hostname
        return [r for r in responses if r != "250-8BITMIME"]


@pytest.fixture
def seven_bit_sink() -> Iterator[SmtpSink]:
    with running_sink(SevenBitSink(free_port())) as handler:
        yield handler


async def test_accented_text_reaches_a_7_bit_server_quoted_printable_and_intact(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    seven_bit_sink: SmtpSink,
) -> None:
    case = await _case(dovecot, folder, store, seven_bit_sink)
    await outbox.queue_reply(store, case, "Grüße aus Köln — your café order ships.", agent="Ana")
    config = config_for(dovecot, folder, smtp_port=seven_bit_sink.port)
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [(_, _, raw)] = seven_bit_sink.received
    assert raw.isascii()  # nothing for the server to strip
    assert not any("BODY=8BITMIME" in o for o in seven_bit_sink.mail_options)
    [sent] = seven_bit_sink.messages()
    assert sent["Content-Transfer-Encoding"] == "quoted-printable"
    body = sent.get_payload(decode=True).decode(sent.get_content_charset())
    assert body.strip() == "Grüße aus Köln — your café order ships."
    ours = (await queries.show_conversation(store, case))["messages"][-1]
    assert sent["Message-ID"] == ours["message_id"]


async def test_8bit_text_is_declared_to_a_server_that_offers_8bitmime(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
) -> None:
    case = await _case(dovecot, folder, store, sink)
    await outbox.queue_reply(store, case, "Grüße aus Köln", agent="Ana")
    report = await deliver_outbox(store, config_for(dovecot, folder, smtp_port=sink.port))
    assert (report.sent, report.failed) == (1, 0), report.errors
    [sent] = sink.messages()
    assert sent["Content-Transfer-Encoding"] == "8bit"
    [options] = sink.mail_options
    assert "BODY=8BITMIME" in options
