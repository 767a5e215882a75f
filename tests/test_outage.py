"""The mail server and the SMS gateway are down for a while: every reply still goes
out, exactly once, when they come back; the daemon keeps going meanwhile.

Real processes on loopback: ``omni-tui sync`` as a team runs it, Dovecot, an SMTP
sink (aiosmtpd) and the Twilio stand-in, the last two started only after the outage.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlmodel import select

from adapters.base import InboundMessage
from omni_tui import outbox
from omni_tui.ingest import ingest
from omni_tui.store import Message, Outbox, Store
from tests.relay import start_sync_daemon
from tests.servers import Dovecot, SmtpSink, free_port
from tests.twilio_standin import Running, Twilio

#: long enough for the daemon to start and retry each reply (1, 2, 4 s apart)
OUTAGE_S = 15.0


def config_text(dovecot: Dovecot, folder: str, smtp_port: int, twilio: Twilio) -> str:
    return f"""
[agent]
name = "Ana"
[outbox]
retry_after_seconds = 1
max_attempts = 30
[[accounts]]
name = "support"
channel = "email"
imap_host = "127.0.0.1"
imap_port = {dovecot.port}
imap_security = "none"
username = "{dovecot.user}"
password = "{dovecot.password}"
folders = ["{folder}"]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"
address = "Larkspur Support <support@larkspur.example>"
[[accounts]]
name = "texts"
channel = "sms"
provider = "twilio"
number = "{twilio.number}"
api_base = "{twilio.base}"
account_sid = "{twilio.account_sid}"
auth_token = "{twilio.auth_token}"
"""


async def rows(store: Store) -> list[tuple[Outbox, Message]]:
    async with store.read() as session:
        found = await session.exec(
            select(Outbox, Message).join(Message, Message.id == Outbox.message_id)  # type: ignore[arg-type]
        )
        return list(found.all())


async def test_replies_queued_while_smtp_and_the_gateway_are_down_go_out_once_when_back(
    dovecot: Dovecot, store: Store, tmp_path: Path
) -> None:
    folder = f"Outage{int(time.time() * 1000) % 100000}"
    dovecot.deliver(b"Subject: hi\r\n\r\nhello\r\n", folder=folder)  # creates the folder
    smtp_port, twilio = free_port(), Twilio()
    config = tmp_path / "omni.toml"
    config.write_text(config_text(dovecot, folder, smtp_port, twilio))
    await ingest(
        store,
        [
            InboundMessage(
                channel="email", account="support", provider_id="e1", sender="maria@example.com",
                subject="Grinder broken", text="It arrived broken", message_id="<e1@example.com>",
            ),
            InboundMessage(
                channel="sms", account="texts", provider_id="SMin1", sender="+14155550100",
                recipients=[twilio.number], text="Where is my order?",
            ),
        ],
    )  # fmt: skip
    async with store.read() as session:
        cases = {m.channel: m.conversation_id for m in (await session.exec(select(Message))).all()}
    await outbox.queue_reply(store, cases["email"], "A new one ships today", agent="Ana")
    await outbox.queue_reply(store, cases["sms"], "It left the warehouse", agent="Ana")

    daemon = start_sync_daemon(config, store.path, tmp_path / "daemon.log")
    sink = SmtpSink(smtp_port)
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    started = False
    try:
        await asyncio.sleep(OUTAGE_S)  # both down: the replies wait, the daemon carries on
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        for _ in range(50):  # between two tries (one may be under way just now)
            during = await rows(store)
            if all(item.status == "queued" for item, _ in during):
                break
            await asyncio.sleep(0.1)
        assert [item.status for item, _ in during] == ["queued", "queued"]
        assert all(item.attempts >= 2 for item, _ in during), [i.attempts for i, _ in during]
        assert all((m.status_reason or "").startswith("retrying:") for _, m in during)

        controller.start()  # back up
        started = True
        with Running(twilio):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if all(item.status == "sent" for item, _ in await rows(store)):
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(5)  # a few more delivery rounds: nothing goes twice
            after = await rows(store)
            posts = list(twilio.posts)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(20)
        if started:
            controller.stop()
    assert [(item.status, m.status) for item, m in after] == [("sent", "sent")] * 2
    assert [m["Subject"] for m in sink.messages()] == ["Re: Grinder broken"]
    assert [p["Body"] for p in posts] == ["It left the warehouse"]
    print(f"\noutage test: {OUTAGE_S:.0f} s down, attempts {[i.attempts for i, _ in after]}")
