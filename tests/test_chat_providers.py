"""Telegram and Twilio through the relay, and the sync daemon's long poll on it."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sms import twilio
from omni_tui import outbox, queries
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.relay import (
    TELEGRAM_BOT,
    TELEGRAM_SECRET,
    TWILIO_TOKEN,
    RelayProcess,
    running_relay,
    start_sync_daemon,
)
from tests.servers import free_port
from tests.telegram_standin import Telegram
from tests.test_chat_relay import chat, console_config
from tests.twilio_standin import Running

CHAT_ID = 555001


@pytest.fixture
def telegram() -> Iterator[Telegram]:
    with Running(Telegram(free_port(), TELEGRAM_BOT)) as running:
        yield running


@pytest.fixture
def relay(tmp_path: Path, telegram: Telegram) -> Iterator[RelayProcess]:
    with running_relay(tmp_path, telegram_api_base=telegram.base) as running:
        yield running


def update(update_id: int, text: str) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id * 10,
                "from": {"id": CHAT_ID, "is_bot": False, "first_name": "Lena", "last_name": "Kurz"},
                "chat": {"id": CHAT_ID, "type": "private"},
                "date": 1764583200,
                "text": text,
            },
        }
    ).encode()


def post_update(relay: RelayProcess, body: bytes, secret: str = TELEGRAM_SECRET) -> int:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    return relay.request("POST", "/hooks/telegram", body, headers)[0]


async def _until(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_telegram_customer_is_answered_through_the_bot_api(
    relay: RelayProcess, telegram: Telegram, store: Store
) -> None:
    assert await asyncio.to_thread(post_update, relay, update(1, "hi"), "wrong") == 401
    assert await asyncio.to_thread(post_update, relay, update(7, "Is my order shipped?")) == 200
    assert await asyncio.to_thread(post_update, relay, update(7, "Is my order shipped?")) == 200
    config = console_config(relay)
    assert (await sync_once(store, config))[0].new == 1  # the retried update is one message
    [customer] = await queries.list_customers(store)
    assert customer["name"] == "Lena Kurz"
    [case] = (await queries.show_customer(store, customer["id"]))["conversations"]
    telegram.flood = 1  # the first try hits flood control
    queued = await outbox.queue_reply(store, case["id"], "Yes, it left today.", agent="Ana")
    assert queued.to == f"telegram:{CHAT_ID}"
    assert (await deliver_outbox(store, config)).sent == 1  # the relay has it

    async def reported() -> bool:
        await sync_once(store, config)
        rows = (await queries.show_conversation(store, case["id"]))["messages"]
        return rows[-1]["status"] == "sent" and telegram.sent != []

    await _until(reported)
    assert [(m["chat"]["id"], m["text"]) for m in telegram.sent] == [
        (CHAT_ID, "Yes, it left today.")
    ]
    assert telegram.attempts[1] - telegram.attempts[0] >= 0.9  # retry_after was honoured


async def test_a_reply_telegram_refuses_is_shown_failed_with_the_reason(
    tmp_path: Path, telegram: Telegram, store: Store
) -> None:
    with running_relay(tmp_path, telegram_api_base=telegram.base, telegram_bot_token="bad") as r:
        await asyncio.to_thread(post_update, r, update(3, "hello?"))
        config = console_config(r)
        await sync_once(store, config)
        [customer] = await queries.list_customers(store)
        [case] = (await queries.show_customer(store, customer["id"]))["conversations"]
        await outbox.queue_reply(store, case["id"], "Hello!", agent="Ana")
        await deliver_outbox(store, config)

        async def failed() -> dict[str, Any] | None:
            await sync_once(store, config)
            last = (await queries.show_conversation(store, case["id"]))["messages"][-1]
            return last if last["status"] == "failed" else None

        last = await _until(failed)
    assert "Telegram 401: Unauthorized" in last["status_reason"]


async def _synced_via_relay(
    relay: RelayProcess, store: Store, form: dict[str, str]
) -> dict[str, Any]:
    """The console pulls the relay with the Twilio account configured: the one message."""
    sms = f"""
[[accounts]]
name = "shop-twilio"
channel = "sms"
provider = "twilio"
number = "+15005550006"
account_sid = "{form["AccountSid"]}"
auth_token = "{TWILIO_TOKEN}"
api_base = "http://127.0.0.1:1"
"""
    await sync_once(store, console_config(relay, sms), account="site-chat")
    [customer] = await queries.list_customers(store)
    [message] = (await queries.show_customer(store, customer["id"]))["history"]
    return message


async def test_twilio_webhooks_taken_by_the_relay_reach_the_sms_account(
    relay: RelayProcess, store: Store
) -> None:
    form = {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "b" * 32,
        "From": "+447911123456",
        "To": "+15005550006",
        "Body": "Texting you via Twilio",
        "NumMedia": "0",
    }
    url = relay.url + "/hooks/twilio"
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = {**headers, "X-Twilio-Signature": "bm9wZQ=="}
    assert (await asyncio.to_thread(relay.request, "POST", "/hooks/twilio", body, forged))[0] == 403
    signed = {
        **headers,
        "X-Twilio-Signature": twilio.signature(
            TWILIO_TOKEN, url, {k: [v] for k, v in form.items()}
        ),
    }
    assert (await asyncio.to_thread(relay.request, "POST", "/hooks/twilio", body, signed))[0] == 200
    message = await _synced_via_relay(relay, store, form)
    assert (message["account"], message["sender"], message["text"]) == (
        "shop-twilio",
        "+447911123456",
        "Texting you via Twilio",
    )


def test_the_sync_daemon_stores_a_chat_webhook_at_once_not_at_the_next_poll(
    relay: RelayProcess, tmp_path: Path
) -> None:
    config = tmp_path / "console.toml"
    config.write_text(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    db = tmp_path / "omni.db"
    daemon = start_sync_daemon(config, db, tmp_path / "sync.log")
    try:
        deadline = time.monotonic() + 20
        while not (db.exists() and _health(db)) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # the daemon is now waiting at the relay
        relay.post_chat(chat("Are you there?"), msg_id="msg_live")
        start = time.monotonic()
        while not _texts(db) and time.monotonic() - start < 10:
            time.sleep(0.05)
        assert _texts(db) == ["Are you there?"], (tmp_path / "sync.log").read_text()
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(15) == 0


def _health(db: Path) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            return bool(conn.execute("SELECT count(*) FROM account_health").fetchone()[0])
    except sqlite3.OperationalError:
        return False


def _texts(db: Path) -> list[str]:
    try:
        with sqlite3.connect(db) as conn:
            return [r[0] for r in conn.execute("SELECT text FROM message ORDER BY id")]
    except sqlite3.OperationalError:
        return []


async def test_a_relayed_twilio_text_whose_media_cannot_be_fetched_keeps_its_text(
    relay: RelayProcess, store: Store
) -> None:
    form = {
        "MessageSid": "SM" + "c" * 32,
        "AccountSid": "AC" + "b" * 32,
        "From": "+447911123456",
        "To": "+15005550006",
        "Body": "Photo of the broken lid",
        "NumMedia": "1",
        "MediaUrl0": "http://127.0.0.1:1/media/ME1",  # nothing listens there
        "MediaContentType0": "image/jpeg",
    }
    url = relay.url + "/hooks/twilio"
    body = urllib.parse.urlencode(form).encode()
    signed = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio.signature(
            TWILIO_TOKEN, url, {k: [v] for k, v in form.items()}
        ),
    }
    assert (await asyncio.to_thread(relay.request, "POST", "/hooks/twilio", body, signed))[0] == 200
    message = await _synced_via_relay(relay, store, form)
    assert message["text"] == "Photo of the broken lid"  # the text is never lost
    [media] = message["attachments"]
    assert media["content_type"] == "image/jpeg" and media["sha256"] is None
    assert "cannot" in media["skipped_reason"] or "ConnectError" in media["skipped_reason"]
