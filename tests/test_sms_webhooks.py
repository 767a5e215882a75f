"""Twilio webhooks at ``omni-tui sync``'s listener: public URLs, several numbers, bad posts.

The gateway is the local stand-in for Twilio's API (``tests/twilio_standin.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest

from omni_tui import outbox
from omni_tui.config import Config
from omni_tui.delivery import deliver_outbox
from omni_tui.ingest import IngestOptions
from omni_tui.listener import SmsListener, endpoints
from omni_tui.store import Customer, Message, Outbox, Store
from omni_tui.sync import sync_once
from tests.servers import free_port
from tests.test_sms_twilio import NOW, config_for, gateway, texts
from tests.test_sms_twilio_webhooks import _signed
from tests.twilio_standin import Twilio

__all__ = ["gateway"]  # a fixture
PUBLIC = "https://sms.larkspur.example/hooks"
SECOND = "+15005550007"


async def _serve(store: Store, config: Config) -> SmsListener:
    [endpoint] = endpoints(config.accounts)
    server = SmsListener(store, endpoint, IngestOptions.from_config(config))
    await server.start()
    return server


@pytest.fixture
async def two_numbers(gateway: Twilio, store: Store) -> AsyncIterator[tuple[str, Config]]:
    """Two of our numbers on one Twilio account, behind a public proxy URL."""
    port = free_port()
    config = config_for(
        gateway,
        listen=port,
        extra="\n".join(
            [
                f'webhook_url = "{PUBLIC}"',
                "[[accounts]]",
                'name = "texts-2"',
                'channel = "sms"',
                'provider = "twilio"',
                f'number = "{SECOND}"',
                f'api_base = "{gateway.base}"',
                f'account_sid = "{gateway.account_sid}"',
                f'auth_token = "{gateway.auth_token}"',
                f'listen = "127.0.0.1:{port}"',
                f'webhook_url = "{PUBLIC}"',
            ]
        ),
    )
    server = await _serve(store, config)
    try:
        yield f"http://127.0.0.1:{port}", config
    finally:
        await server.stop()


def _text_form(gateway: Twilio, to: str, sid: str, body: str = "hello") -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": gateway.account_sid, "From": "+447700900123",
            "To": to, "Body": body, "NumMedia": "0"}  # fmt: skip


async def test_a_webhook_signed_for_the_public_url_is_taken_and_filed_under_its_number(
    gateway: Twilio, store: Store, two_numbers: tuple[str, Config]
) -> None:
    local, _ = two_numbers
    form = _text_form(gateway, SECOND, "SM" + "3" * 32)
    # Twilio signs the URL it posted to: the proxy's, not the listener's loopback address
    headers = _signed(gateway, f"{PUBLIC}/twilio/sms", form)
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{local}/twilio/sms", content=urlencode(form), headers=headers)
    assert answer.status_code == 200
    [message] = await texts(store)
    assert message.account == "texts-2"  # the number it was sent to, not the first account


async def test_a_text_to_a_number_no_account_answers_is_refused_clearly(
    gateway: Twilio, store: Store, two_numbers: tuple[str, Config]
) -> None:
    local, _ = two_numbers
    form = _text_form(gateway, "+15005550999", "SM" + "4" * 32)
    headers = _signed(gateway, f"{local}/twilio/sms", form)
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{local}/twilio/sms", content=urlencode(form), headers=headers)
    assert answer.status_code == 404 and "+15005550999" in answer.text
    assert await texts(store) == []


@pytest.mark.parametrize(
    ("extra", "body"),
    [
        ({"NumMedia": "lots"}, None),
        ({"NumMedia": "1000000000", "MediaUrl0": ""}, None),
        ({}, b"Body=%FF%FE&From=%2B447700900123"),
    ],
)
async def test_broken_webhook_fields_never_crash_the_listener(
    gateway: Twilio, store: Store, two_numbers: tuple[str, Config], extra: dict[str, str],
    body: bytes | None,
) -> None:  # fmt: skip
    local, _ = two_numbers
    form = {**_text_form(gateway, gateway.number, "SM" + "5" * 32), **extra}
    headers = _signed(gateway, f"{local}/twilio/sms", form)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{local}/twilio/sms", content=body or urlencode(form), headers=headers
        )
    assert answer.status_code in (200, 400, 403)
    if answer.status_code == 200:
        [message] = await texts(store)
        assert message.text == "hello"


async def test_stop_then_start_in_one_pull_leaves_the_customer_opted_in(
    gateway: Twilio, store: Store
) -> None:
    gateway.inbound("+447700900123", "START", NOW)
    gateway.inbound("+447700900123", "STOP", NOW - timedelta(minutes=3))  # listed after START
    await sync_once(store, config_for(gateway))
    [first, _] = await texts(store)
    assert first.text == "STOP"  # stored in the order they were sent
    async with store.read() as session:
        customer = await session.get(Customer, first.customer_id)
    assert customer is not None and customer.opted_out_at is None


async def test_a_report_that_beats_the_send_bookkeeping_is_kept(
    gateway: Twilio, store: Store
) -> None:
    gateway.inbound("+447700900123", "hi", NOW)
    await sync_once(store, config_for(gateway))
    [inbound] = await texts(store)
    queued = await outbox.queue_reply(store, inbound.conversation_id, "On its way", agent="Ana")
    async with store.read() as session:
        item = await session.get(Outbox, queued.outbox_id)
    assert item is not None
    # Kannel's report carries our idempotency key and may arrive before _finish ran
    assert await outbox.record_delivery(store, item.idempotency_key, "delivered")
    await deliver_outbox(store, config_for(gateway))
    async with store.read() as session:
        message = await session.get(Message, queued.message_id)
    assert message is not None and message.status == "delivered"
