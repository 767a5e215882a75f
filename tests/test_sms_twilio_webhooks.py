"""Twilio's webhooks into the listener ``omni-tui sync`` runs: signed texts, delivery
statuses and MMS, against the local stand-in for Twilio's API (see ``test_sms_twilio``)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from adapters.sms import twilio
from omni_tui import outbox, queries
from omni_tui.delivery import deliver_outbox
from omni_tui.ingest import IngestOptions
from omni_tui.listener import SmsListener, endpoints
from omni_tui.store import Message, Store
from tests.servers import free_port
from tests.test_sms_twilio import _conversation_with, config_for, texts
from tests.twilio_standin import Running, Twilio


@pytest.fixture
def gateway() -> Iterator[Twilio]:
    with Running(Twilio()) as server:
        yield server


@pytest.fixture
async def listener(gateway: Twilio, store: Store):  # type: ignore[no-untyped-def]
    port = free_port()
    config = config_for(gateway, listen=port)
    [endpoint] = endpoints(config.accounts)
    server = SmsListener(store, endpoint, IngestOptions.from_config(config))
    await server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


def _signed(gateway: Twilio, url: str, form: dict[str, str]) -> dict[str, str]:
    params = {k: [v] for k, v in form.items()}
    return {
        "X-Twilio-Signature": twilio.signature(gateway.auth_token, url, params),
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_a_signed_webhook_is_stored_once_and_a_forged_one_is_refused(
    gateway: Twilio, store: Store, listener: str
) -> None:
    url = f"{listener}/twilio/sms"
    form = {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": gateway.account_sid,
        "From": "+447700900123",
        "To": gateway.number,
        "Body": "Is the café open on Sunday?",
        "NumMedia": "0",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    async with httpx.AsyncClient() as client:
        bad = {**_signed(gateway, url, form), "X-Twilio-Signature": "bad="}
        forged = await client.post(url, content=urlencode(form), headers=bad)
        assert forged.status_code == 403
        assert await texts(store) == []
        for _ in range(2):  # Twilio retries: the second is a duplicate
            ok = await client.post(
                url, content=urlencode(form), headers=_signed(gateway, url, form)
            )
            assert ok.status_code == 200
    [message] = await texts(store)
    assert (message.sender, message.text) == ("+447700900123", "Is the café open on Sunday?")


async def test_a_status_callback_marks_the_reply_delivered(
    gateway: Twilio, store: Store, listener: str
) -> None:
    conversation = await _conversation_with(gateway, store)
    queued = await outbox.queue_reply(store, conversation, "On its way", agent="Ana")
    await deliver_outbox(store, config_for(gateway))
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.provider_id
    url = f"{listener}/twilio/status"
    form = {"MessageSid": message.provider_id, "AccountSid": gateway.account_sid,
            "MessageStatus": "delivered"}  # fmt: skip
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            url, content=urlencode(form), headers=_signed(gateway, url, form)
        )
    assert answer.status_code == 200
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.status == "delivered"


async def test_a_webhook_mms_has_its_media_downloaded_and_stored(
    gateway: Twilio, store: Store, listener: str
) -> None:
    photo = b"\xff\xd8\xff\xe0 a photo of the dented box"
    message_sid = "SM" + "2" * 32
    gateway.media[message_sid] = [("image/jpeg", photo)]
    media_uri = f"/2010-04-01/Accounts/{gateway.account_sid}/Messages/{message_sid}/Media"
    url = f"{listener}/twilio/sms"
    form = {
        "MessageSid": message_sid,
        "AccountSid": gateway.account_sid,
        "From": "+447700900123",
        "To": gateway.number,
        "Body": "",
        "NumMedia": "1",
        "MediaUrl0": f"{gateway.base}{media_uri}/ME{message_sid[2:]}0",
        "MediaContentType0": "image/jpeg",
    }
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            url, content=urlencode(form), headers=_signed(gateway, url, form)
        )
    assert answer.status_code == 200
    [message] = await texts(store)
    shown = await queries.show_conversation(store, message.conversation_id)
    [attachment] = shown["messages"][0]["attachments"]
    assert (attachment["filename"], attachment["size"]) == ("media.jpg", len(photo))
    assert attachment["sha256"] and not attachment["skipped_reason"]
