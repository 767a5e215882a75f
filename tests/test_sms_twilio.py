"""The Twilio-compatible SMS path, against a local stand-in for Twilio's API.

No real Twilio can be reached from here: ``tests/twilio_standin.py`` is a local
server that follows Twilio's published Messages API (it says so at its top).
Everything omni-tui does goes over real HTTP to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from adapters.sms import http as sms_http
from adapters.sms import twilio
from omni_tui import outbox, queries
from omni_tui.config import Config, parse_config
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Customer, Message, Outbox, Store, SyncCursor
from omni_tui.sync import sync_once
from tests.servers import free_port
from tests.twilio_standin import Running, Twilio

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def gateway() -> Iterator[Twilio]:
    with Running(Twilio()) as server:
        yield server


def config_for(gateway: Twilio, *, listen: int | None = None, extra: str = "") -> Config:
    return parse_config(_config_text(gateway, listen=listen) + "\n" + extra)


def _config_text(gateway: Twilio, *, listen: int | None = None) -> str:
    lines = [
        "[agent]",
        'name = "Ana"',
        "[identity]",
        'default_region = "GB"',
        "[[accounts]]",
        'name = "texts"',
        'channel = "sms"',
        'provider = "twilio"',
        f'number = "{gateway.number}"',
        f'api_base = "{gateway.base}"',
        f'account_sid = "{gateway.account_sid}"',
        f'auth_token = "{gateway.auth_token}"',
    ]
    if listen:
        lines.append(f'listen = "127.0.0.1:{listen}"')
    return "\n".join(lines)


async def texts(store: Store) -> list[Message]:
    async with store.read() as session:
        return list((await session.exec(select(Message).order_by(Message.id))).all())


# -- the signature -------------------------------------------------------------------


def test_signature_matches_twilios_documented_example() -> None:
    # the worked example in Twilio's "Webhooks security" docs: auth token 12345
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }
    assert twilio.signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio.verify_signature("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    # Twilio may have signed the URL with the default port written out
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert twilio.verify_signature("12345", with_port, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio.verify_signature(
        "12345", url, {**params, "Digits": ["9"]}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert not twilio.verify_signature("wrong", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio.verify_signature("12345", url, params, None)


def test_a_signature_over_an_ipv6_address_checks_out_with_or_without_the_port() -> None:
    params = {"MessageSid": ["SM1"], "Body": ["hi"]}
    signed = twilio.signature("tok", "https://[2001:db8::1]:443/twilio/sms", params)
    assert twilio.verify_signature("tok", "https://[2001:db8::1]/twilio/sms", params, signed)
    plain = twilio.signature("tok", "https://[2001:db8::1]/twilio/sms", params)
    assert twilio.verify_signature("tok", "https://[2001:db8::1]:443/twilio/sms", params, plain)


# -- pulling -------------------------------------------------------------------------


async def test_pull_follows_every_page_and_a_second_pull_stores_nothing_twice(
    gateway: Twilio, store: Store
) -> None:
    for i in range(250):
        gateway.inbound(f"+4477009{i:05d}", f"hello {i}", NOW - timedelta(minutes=i))
    gateway.messages.append(gateway._message(gateway.number, "+447700900001", "our reply",
                                             "outbound-api", "delivered", NOW))  # fmt: skip
    config = config_for(gateway)

    [report] = await sync_once(store, config)
    assert (report.new, report.skipped, report.state) == (250, 0, "ok")
    stored = await texts(store)
    assert len(stored) == 250 and {m.direction for m in stored} == {"in"}
    assert {m.sender for m in stored} == {f"+4477009{i:05d}" for i in range(250)}

    [again] = await sync_once(store, config)
    assert (again.new, again.skipped) == (0, 0)  # the overlapping day: known sids, not refetched
    assert len(await texts(store)) == 250
    async with store.read() as session:
        cursor = (await session.exec(select(SyncCursor))).one()
    assert cursor.value == NOW.date().isoformat()


async def test_a_pulled_mms_keeps_its_media_and_skips_what_is_too_big(
    gateway: Twilio, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = b"\x89PNG\r\n\x1a\n" + b"x" * 1000
    message_sid = gateway.inbound("+447700900123", "the box as it arrived", NOW, media=2)
    gateway.media[message_sid] = [("image/png", photo), ("video/mp4", b"v" * 50_000)]
    monkeypatch.setattr(twilio.TwilioSettings, "__init__", _with_media_limit(10_000))

    await sync_once(store, config_for(gateway))

    [message] = await texts(store)
    shown = await queries.show_conversation(store, message.conversation_id)
    photo_row, video_row = shown["messages"][0]["attachments"]
    assert (photo_row["content_type"], photo_row["size"]) == ("image/png", len(photo))
    assert photo_row["sha256"] and not photo_row["skipped_reason"]
    assert video_row["sha256"] is None and "10000" in video_row["skipped_reason"]


async def test_an_mms_still_arriving_is_taken_once_it_has_arrived_with_its_media(
    gateway: Twilio, store: Store
) -> None:
    """Twilio lists an MMS as ``receiving`` before its media are in; stored then, it
    was never looked at again and kept no photo."""
    message_sid = gateway.inbound("+447700900123", "photo of the dent", NOW, status="receiving")
    await sync_once(store, config_for(gateway))
    assert await texts(store) == []
    [listed] = [m for m in gateway.messages if m["sid"] == message_sid]
    listed.update(status="received", num_media="1")
    gateway.media[message_sid] = [("image/jpeg", b"\xff\xd8 a dented kettle")]
    await sync_once(store, config_for(gateway))
    [message] = await texts(store)
    shown = await queries.show_conversation(store, message.conversation_id)
    [photo] = shown["messages"][0]["attachments"]
    assert photo["content_type"] == "image/jpeg" and photo["sha256"]


def _with_media_limit(limit: int):  # type: ignore[no-untyped-def]
    original = twilio.TwilioSettings.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["max_media_bytes"] = limit
        original(self, *args, **kwargs)

    return init


async def test_a_stop_text_opts_the_customer_out_and_start_opts_them_back_in(
    gateway: Twilio, store: Store
) -> None:
    gateway.inbound("+447700900123", "Stop", NOW - timedelta(minutes=5))
    config = config_for(gateway)
    await sync_once(store, config)
    [message] = await texts(store)
    async with store.read() as session:
        customer = await session.get(Customer, message.customer_id)
    assert customer is not None and customer.opted_out_at is not None
    with pytest.raises(Exception, match="texted STOP"):
        await outbox.queue_reply(store, message.conversation_id, "Sorry!", agent="Ana")

    gateway.inbound("+447700900123", "START", NOW)
    await sync_once(store, config)
    async with store.read() as session:
        customer = await session.get(Customer, message.customer_id)
    assert customer is not None and customer.opted_out_at is None
    await outbox.queue_reply(store, message.conversation_id, "Welcome back", agent="Ana")


# -- sending -------------------------------------------------------------------------


async def _conversation_with(gateway: Twilio, store: Store, number: str = "+447700900123") -> int:
    gateway.inbound(number, "Where is my order?", NOW)
    await sync_once(store, config_for(gateway))
    return (await texts(store))[-1].conversation_id


async def test_a_reply_is_posted_once_then_its_status_follows_the_gateway_to_delivered(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "It ships today 📦", agent="Ana")
    config = config_for(gateway)

    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0)
    [post] = gateway.posts
    assert post == {"To": "+447700900123", "From": gateway.number, "Body": "It ships today 📦"}
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.status == "sent"
    assert message.provider_id and message.provider_id.startswith("SM")

    await sync_once(store, config)  # the gateway now says sent
    await sync_once(store, config)  # … and then delivered
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.status == "delivered"
    assert (await deliver_outbox(store, config)).sent == 0  # nothing goes twice
    assert len(gateway.posts) == 1


async def test_an_undelivered_text_shows_the_carriers_reason(gateway: Twilio, store: Store) -> None:
    conversation = await _conversation_with(gateway, store)
    gateway.fail_with = ("undelivered", 30003)
    queued = await outbox.queue_reply(store, conversation, "Hello?", agent="Ana")
    await deliver_outbox(store, config_for(gateway))
    await sync_once(store, config_for(gateway))
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.status == "failed"
    assert "unreachable" in (message.status_reason or "") and "30003" in (
        message.status_reason or ""
    )
    shown = await queries.show_conversation(store, conversation)
    assert shown["waiting_since"] is not None  # it never reached her: she waits on us again


@pytest.mark.parametrize(
    ("to", "code", "words"),
    [
        ("+447700900999", 21610, "opted out"),
        ("+4477", 21211, "not a valid phone number"),
    ],
)
async def test_a_refused_text_fails_at_once_with_a_clear_reason_and_is_not_retried(
    gateway: Twilio, store: Store, to: str, code: int, words: str
) -> None:
    conversation = await _conversation_with(gateway, store)
    gateway.opted_out.add("+447700900999")
    queued = await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    async with store.write() as session:  # aim the queued reply at a number the gateway refuses
        row = (await session.exec(select(Outbox).where(Outbox.id == queued.outbox_id))).one()
        row.to_address = to
        session.add(row)
    report = await deliver_outbox(store, config_for(gateway))
    assert (report.sent, report.failed, report.retrying) == (0, 1, 0)
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
        row = await session.get(Outbox, queued.outbox_id)
    assert message is not None and row is not None
    assert row.status == "failed" and message.status == "failed"
    assert words in (message.status_reason or "") and str(code) in (message.status_reason or "")
    assert gateway.posts == []


async def test_rate_limits_are_waited_out_and_the_text_still_goes_once(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    gateway.faults = [("429", 1)]
    started = asyncio.get_running_loop().time()
    report = await deliver_outbox(store, config_for(gateway))
    assert report.sent == 1 and len(gateway.posts) == 1
    assert asyncio.get_running_loop().time() - started >= 1.0  # Retry-After honoured


async def _outcome(store: Store, queued: outbox.QueuedReply) -> tuple[Outbox, Message]:
    async with store.read() as session:
        row = await session.get(Outbox, queued.outbox_id)
        message = await session.get(Message, queued.message_id)
    assert row is not None and message is not None
    return row, message


@pytest.mark.parametrize("fault", [("503",), ("slow-list", 3)])
async def test_a_busy_gateway_leaves_the_reply_queued_for_a_retry(
    gateway: Twilio, store: Store, monkeypatch: pytest.MonkeyPatch, fault: tuple[object, ...]
) -> None:
    monkeypatch.setattr(sms_http, "RETRIES", 1)
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    if fault[0] == "slow-list":  # the gateway cannot even be reached: surely not sent
        monkeypatch.setattr(sms_http, "TIMEOUT", httpx.Timeout(1.0))
        gateway.port = free_port()
        config = config_for(gateway)
    else:
        gateway.faults = [fault] * 3
        config = config_for(gateway)
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed, report.retrying) == (0, 0, 1)
    row, message = await _outcome(store, queued)
    assert row.status == "queued" and row.last_error
    assert (message.status_reason or "").startswith("retrying")
    assert gateway.posts == []


@pytest.mark.parametrize("fault", [("500",), ("slow", 3)])
async def test_an_unclear_answer_is_never_resent_on_its_own(
    gateway: Twilio, store: Store, monkeypatch: pytest.MonkeyPatch, fault: tuple[object, ...]
) -> None:
    monkeypatch.setattr(sms_http, "TIMEOUT", httpx.Timeout(1.0))
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    gateway.faults = [fault]
    report = await deliver_outbox(store, config_for(gateway))
    assert (report.sent, report.failed) == (0, 1)
    row, message = await _outcome(store, queued)
    assert row.status == "failed" and message.status == "failed"
    assert "may have been sent" in (message.status_reason or "")
    await asyncio.sleep(3)  # the slow gateway took the text after all
    await deliver_outbox(store, config_for(gateway))
    assert len(gateway.posts) <= 1  # never twice; the agent sees it and decides


async def test_an_accepted_text_with_an_unreadable_answer_counts_as_sent(
    gateway: Twilio, store: Store
) -> None:
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    gateway.faults = [("junk",)]
    report = await deliver_outbox(store, config_for(gateway))
    assert report.sent == 1
    row, message = await _outcome(store, queued)
    assert row.status == "sent" and message.status == "sent"
    assert (await deliver_outbox(store, config_for(gateway))).sent == 0


async def test_a_wrong_auth_token_is_an_auth_failure_not_a_crash(
    gateway: Twilio, store: Store
) -> None:
    gateway.auth_token = "rotated"
    [report] = await sync_once(store, config_for(Twilio(port=gateway.port)))
    assert report.state == "auth" and "credentials" in report.errors[0]
    assert await texts(store) == []


async def test_a_secret_command_that_fails_for_a_while_delays_replies_but_fails_none(
    gateway: Twilio, store: Store, tmp_path: Path
) -> None:
    """A locked vault behind auth_token_command failed every due reply for good."""
    unlocked = tmp_path / "unlocked"
    command = f'["sh", "-c", "test -f {unlocked} && echo {gateway.auth_token}"]'
    text = "\n".join(
        line for line in _config_text(gateway).splitlines() if not line.startswith("auth_token")
    )
    config = parse_config(f"{text}\nauth_token_command = {command}\n")
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "Hi", agent="Ana")
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed, report.retrying) == (0, 0, 1)
    assert report.errors[0].startswith(f"reply {queued.message_id}: ")
    row, message = await _outcome(store, queued)
    assert row.status == "queued" and (message.status_reason or "").startswith("retrying")
    unlocked.touch()
    async with store.write() as session:
        row.next_attempt_at = datetime.now(UTC)
        session.add(row)
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0)
    assert [p["Body"] for p in gateway.posts] == ["Hi"]


async def test_an_api_key_signs_in_instead_of_the_auth_token(gateway: Twilio, store: Store) -> None:
    gateway.inbound("+447700900123", "hi", NOW)
    config = parse_config(
        "\n".join(
            [
                "[[accounts]]",
                'name = "texts"',
                'channel = "sms"',
                'provider = "twilio"',
                f'number = "{gateway.number}"',
                f'api_base = "{gateway.base}"',
                f'account_sid = "{gateway.account_sid}"',
                f'api_key = "{gateway.api_key}"',
                f'api_secret = "{gateway.api_secret}"',
            ]
        )
    )
    [report] = await sync_once(store, config)
    assert (report.state, report.new) == ("ok", 1)


async def test_an_alphanumeric_sender_is_stored_and_never_replied_to(
    gateway: Twilio, store: Store
) -> None:
    gateway.inbound("LARKSPUR", "Your code is 1234", NOW)
    await sync_once(store, config_for(gateway))
    [message] = await texts(store)
    assert message.sender == "LARKSPUR"
    with pytest.raises(Exception, match="alphanumeric sender id"):
        await outbox.queue_reply(store, message.conversation_id, "Thanks", agent="Ana")


# -- webhooks ------------------------------------------------------------------------
