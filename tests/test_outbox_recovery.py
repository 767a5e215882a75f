"""A reply caught mid-send by a crash: the provider is asked before it is sent again.

The crash is the state a killed syncer leaves behind: the outbox row still
``sending`` and the message not yet marked sent, whether or not the provider
took it (test_outbox_faults.py kills real processes; here each side of the
race is set up exactly, against a real Dovecot, SMTP sink and Twilio stand-in).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from adapters.base import TransientError
from omni_tui import outbox, queries
from omni_tui.config import Config, OutboxConfig
from omni_tui.daemon import SyncLock
from omni_tui.delivery import deliver_outbox, retry_wait
from omni_tui.recovery import recover_interrupted
from omni_tui.store import Message, Outbox, Store
from omni_tui.sync import sync_once
from tests import test_email, test_sms_twilio
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_email import config_for as email_config
from tests.test_email import config_text, email
from tests.test_sms_twilio import _conversation_with
from tests.test_sms_twilio import config_for as twilio_config
from tests.twilio_standin import Twilio

folder, sink, gateway = test_email.folder, test_email.sink, test_sms_twilio.gateway  # fixtures


async def crash_mid_send(store: Store, message_id: int) -> None:
    """What a SIGKILL between "claimed" and "recorded as sent" leaves in the store."""
    async with store.write() as session:
        item = (await session.exec(select(Outbox).where(Outbox.message_id == message_id))).one()
        message = await session.get(Message, message_id)
        assert message is not None
        item.status, item.sent_at = "sending", None
        message.status, message.provider_id = "queued", None
        session.add_all([item, message])


async def state(store: Store, message_id: int) -> tuple[str, str, str | None]:
    async with store.read() as session:
        item = (await session.exec(select(Outbox).where(Outbox.message_id == message_id))).one()
        message = await session.get(Message, message_id)
        assert message is not None
        return item.status, message.status, message.status_reason


async def events_of(store: Store, conversation_id: int) -> list[str]:
    return [e["kind"] for e in (await queries.show_conversation(store, conversation_id))["events"]]


async def a_queued_email_reply(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> tuple[Config, dict[str, Any], outbox.QueuedReply]:
    """A customer's email synced from Dovecot and our reply to it, queued."""
    config = email_config(dovecot, folder, smtp_port=sink.port, sent_folder=f'"{folder}Sent"')
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    queued = await outbox.queue_reply(store, case["id"], "A new one ships today", agent="Ana")
    return config, case, queued


async def test_an_email_caught_mid_send_and_found_in_sent_is_not_sent_again(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    config, case, queued = await a_queued_email_reply(dovecot, folder, store, sink)
    assert (await deliver_outbox(store, config)).sent == 1  # SMTP took it, Sent has the copy
    await crash_mid_send(store, queued.message_id)  # … and the syncer died before recording it

    assert await recover_interrupted(store, config) == 1
    status, message_status, reason = await state(store, queued.message_id)
    assert (status, message_status) == ("sent", "sent")
    assert reason and f"found in {folder}Sent" in reason
    assert (await deliver_outbox(store, config)).sent == 0
    assert len(sink.messages()) == 1  # the customer got it once
    assert "recovered" in await events_of(store, case["id"])


async def test_an_email_caught_before_smtp_took_it_is_sent_again_with_its_message_id(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    config, case, queued = await a_queued_email_reply(dovecot, folder, store, sink)
    await crash_mid_send(store, queued.message_id)  # claimed, then killed before SMTP

    assert await recover_interrupted(store, config) == 1
    status, _, reason = await state(store, queued.message_id)
    assert status == "queued" and reason and "may see it twice" in reason
    assert (await deliver_outbox(store, config)).sent == 1
    [sent] = sink.messages()
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert sent["Message-ID"] == ours["message_id"]  # the id it was queued with
    assert "resend" in await events_of(store, case["id"])


async def test_a_sent_folder_that_cannot_be_searched_means_send_again_never_lose(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink
) -> None:
    config = email_config(dovecot, folder, smtp_port=sink.port)
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    queued = await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
    await crash_mid_send(store, queued.message_id)
    sent = email_config(dovecot, folder, smtp_port=sink.port, sent_folder='"Sent"')
    down = replace(sent, accounts=(replace(sent.accounts[0], imap_port=free_port()),))

    assert await recover_interrupted(store, down) == 1
    status, _, reason = await state(store, queued.message_id)
    assert status == "queued" and reason and "could not check" in reason
    assert (await deliver_outbox(store, config)).sent == 1
    assert len(sink.messages()) == 1


async def test_a_text_twilio_already_sent_is_adopted_by_its_sid_not_sent_twice(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "It ships today", agent="Ana")
    config = twilio_config(gateway)
    assert (await deliver_outbox(store, config)).sent == 1
    [posted] = [m for m in gateway.messages if m["direction"] == "outbound-api"]
    await crash_mid_send(store, queued.message_id)

    assert await recover_interrupted(store, config) == 1
    status, message_status, reason = await state(store, queued.message_id)
    assert (status, message_status) == ("sent", "sent")
    assert reason and "Twilio" in reason
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.provider_id == posted["sid"]
    assert (await deliver_outbox(store, config)).sent == 0
    assert len(gateway.posts) == 1


async def test_the_same_words_texted_twice_a_crash_does_not_take_the_first_for_the_second(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    await outbox.queue_reply(store, conversation, "Thanks!", agent="Ana")
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    queued = await outbox.queue_reply(store, conversation, "Thanks!", agent="Ana")
    await crash_mid_send(store, queued.message_id)  # killed before the POST

    assert await recover_interrupted(store, twilio_config(gateway)) == 1
    status, _, reason = await state(store, queued.message_id)
    assert status == "queued" and reason and "may get it twice" in reason
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    assert [p["Body"] for p in gateway.posts] == ["Thanks!", "Thanks!"]


async def test_a_retried_text_the_carrier_reported_undelivered_is_not_taken_for_sent(
    gateway: Twilio, store: Store
) -> None:
    """R on an undelivered text, then a crash before the new POST: recovery took the
    failed try's own sid for the retry and recorded it sent without sending it."""
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Your refund is on its way", agent="Ana")
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    async with store.read() as session:
        first = await session.get(Message, queued.message_id)
    assert first is not None and first.provider_id
    await outbox.record_delivery(store, first.provider_id, "failed", "undelivered (30003)")
    await outbox.retry(store, queued.message_id, agent="Ana")
    await crash_mid_send(store, queued.message_id)  # killed after claiming, before the POST

    assert await recover_interrupted(store, twilio_config(gateway)) == 1
    status, _, reason = await state(store, queued.message_id)
    assert status == "queued" and reason and "may get it twice" in reason
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    assert len(gateway.posts) == 2


async def test_a_text_twilio_never_got_is_sent_again_and_flagged(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    await outbox.queue_reply(store, conversation, "An older answer", agent="Ana")
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    queued = await outbox.queue_reply(store, conversation, "It ships today", agent="Ana")
    await crash_mid_send(store, queued.message_id)  # killed before the POST

    assert await recover_interrupted(store, twilio_config(gateway)) == 1
    status, _, reason = await state(store, queued.message_id)
    assert status == "queued" and reason and "may get it twice" in reason
    assert (await deliver_outbox(store, twilio_config(gateway))).sent == 1
    assert [p["Body"] for p in gateway.posts] == ["An older answer", "It ships today"]


def omni(store: Store, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "omni_tui", *args, "--json"]
    command += ["--db", str(store.path), "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


async def test_sync_once_sends_a_reply_that_a_killed_run_left_sending(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink, tmp_path: Path
) -> None:
    """A cron'd ``sync --once`` killed mid-send: the next run settles and sends the reply."""
    _, case, queued = await a_queued_email_reply(dovecot, folder, store, sink)
    await crash_mid_send(store, queued.message_id)
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, folder, smtp_port=sink.port))
    listed = json.loads(omni(store, config, "outbox", "list").stdout)
    assert [(r["message_id"], r["status"]) for r in listed] == [(queued.message_id, "sending")]

    done = omni(store, config, "sync", "--once")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outbox"]["sent"] == 1
    assert (await state(store, queued.message_id))[:2] == ("sent", "sent")
    assert len(sink.messages()) == 1
    assert "resend" in await events_of(store, case["id"])


async def test_sync_once_leaves_the_store_to_the_daemon_that_holds_it(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink, tmp_path: Path
) -> None:
    """Two deliverers would send a reply in flight twice: the second one steps back."""
    _, _, queued = await a_queued_email_reply(dovecot, folder, store, sink)
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, folder, smtp_port=sink.port))
    daemon = SyncLock(store.path)
    daemon.acquire()
    try:
        done = omni(store, config, "sync", "--once")
    finally:
        daemon.release()
    assert done.returncode == 4
    assert "already syncs this store" in done.stderr and done.stdout == ""
    assert sink.messages() == []
    assert (await state(store, queued.message_id))[0] == "queued"


async def test_a_manual_retry_gets_the_configured_attempts_again(
    dovecot: Dovecot, folder: str, store: Store
) -> None:
    config = email_config(dovecot, folder, smtp_port=free_port())  # nothing listens there
    config = replace(config, outbox=replace(config.outbox, max_attempts=2, retry_after_seconds=0))
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    queued = await outbox.queue_reply(store, case["id"], "On its way", agent="Ana")
    first = await deliver_outbox(store, config)  # due again at once: both attempts, then failed
    assert (first.retrying, first.failed) == (1, 1)
    assert (await state(store, queued.message_id))[0] == "failed"

    await outbox.retry(store, queued.message_id, agent="Ana")
    again = await deliver_outbox(store, config)
    assert (again.retrying, again.failed) == (1, 1)  # both attempts again, not one


async def test_a_surprise_in_one_reply_is_retried_and_the_others_still_go(
    dovecot: Dovecot, folder: str, store: Store, sink: SmtpSink, monkeypatch: Any
) -> None:
    from omni_tui import delivery

    config, case, first = await a_queued_email_reply(dovecot, folder, store, sink)
    await outbox.queue_reply(store, case["id"], "And a second one", agent="Ana")
    real, calls = delivery.send_email, []

    async def surprising(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a bug of ours")
        return await real(*args)

    monkeypatch.setattr(delivery, "send_email", surprising)
    report = await deliver_outbox(store, config)
    assert (report.sent, report.retrying) == (1, 1)
    status, _, reason = await state(store, first.message_id)
    assert status == "queued" and reason == "retrying: unexpected ValueError: a bug of ours"


async def test_a_reply_failing_for_days_is_still_retried_within_the_hour(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Back online?", agent="Ana")
    config = twilio_config(gateway, extra="[outbox]\nmax_attempts = 100\n")
    down = replace(config.accounts[0], api_base=f"http://127.0.0.1:{free_port()}")
    async with store.write() as session:
        row = await session.get(Outbox, queued.outbox_id)
        assert row is not None
        row.attempts = 42  # an outage of days: 30 s doubled 42 times is no date
        session.add(row)
    report = await deliver_outbox(store, replace(config, accounts=(down,)))
    assert report.sent == 0
    async with store.read() as session:
        row = await session.get(Outbox, queued.outbox_id)
    assert row is not None and (row.status, row.attempts) == ("queued", 43)
    assert row.next_attempt_at is not None and row.created_at is not None
    wait = row.next_attempt_at - row.created_at
    assert timedelta(minutes=59) < wait < timedelta(hours=2)


def test_a_gateways_retry_after_is_honoured_up_to_a_day() -> None:
    retry = OutboxConfig(retry_after_seconds=30)
    busy = TransientError("429", retry_after=7200.0)
    assert retry_wait(retry, 1, busy) == timedelta(hours=2)
    assert retry_wait(retry, 1, TransientError("429", retry_after=1e400)) == timedelta(seconds=30)
    assert retry_wait(retry, 3, TransientError("429", retry_after=1e9)) == timedelta(days=1)
    assert retry_wait(retry, 1000, TransientError("down")) == timedelta(hours=1)
