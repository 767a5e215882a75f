"""Replies over SMTP that the server answers late, or only in part: nothing is sent
twice, and no copy is left out without the reply waiting for it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.base import OutboundMessage, RejectedError, TransientError
from adapters.email.smtp import SmtpSettings, send_email
from tests.servers import SmtpSink, free_port, running_sink

REPLY = OutboundMessage(
    "email", "mail", "maria@example.com", "Your grinder ships today.", "k-1",
    subject="Re: Broken grinder", cc=("boss@example.com",),
)  # fmt: skip


def settings(port: int) -> SmtpSettings:
    return SmtpSettings("mail", "127.0.0.1", port, "none", "support@larkspur.example")


@dataclass
class Busy(SmtpSink):
    """Takes the customer, asks the copy to come back later (Postfix's 452)."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address == "boss@example.com":
            return "452 4.5.3 Too many recipients, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@dataclass
class Silent(SmtpSink):
    """Takes the whole message, then drops the connection instead of answering."""

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        server.transport.close()
        return None


async def test_a_copy_the_server_defers_makes_the_whole_reply_wait_not_go_without_it() -> None:
    """The copy was dropped for good while the reply showed it in Cc and said sent."""
    with running_sink(Busy(free_port())) as busy:
        with pytest.raises(TransientError, match="boss@example.com"):
            await send_email(settings(busy.port), REPLY)
    assert busy.received == []  # nothing went: the retry sends it to both, once


async def test_a_message_the_server_took_but_never_confirmed_is_not_sent_again() -> None:
    """A timeout after the data went out was retried: the customer got the reply twice."""
    with running_sink(Silent(free_port())) as silent:
        with pytest.raises(RejectedError, match="may have been sent"):
            await send_email(settings(silent.port), REPLY)
    assert len(silent.received) == 1
