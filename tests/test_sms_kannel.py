"""SMS through a real Kannel (bearerbox + smsbox) with fakesmsc as the phones.

``omni-tui sync`` runs as the daemon it is in production: its listener takes
Kannel's MO calls and delivery reports, its outbox loop sends through smsbox.
The Kannel config recipe, with a comment on each line that matters, is in
``tests/kannel.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from adapters.base import AuthError, InboundMessage, OutboundMessage, RejectedError
from adapters.sms.kannel import KannelAccount, KannelSettings
from omni_tui.ingest import IngestOptions, ingest
from omni_tui.store import Store
from tests.kannel import FAKESMSC, Kannel, running_kannel
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    not (shutil.which("bearerbox") and os.path.exists(FAKESMSC)),
    reason="Kannel is not installed (apt-get install kannel kannel-extras)",
)
SHOP = "+15005550006"
MARIA = "+447911123456"


def _wait(what: str, ready: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Shop:
    """A store, its config, a running ``omni-tui sync`` and the Kannel it talks to."""

    root: Path
    kannel: Kannel
    db: Path
    config: Path

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "omni_tui",
            "--db",
            str(self.db),
            "--config",
            str(self.config),
        ]
        return subprocess.run(
            [*command, *args], input=input, capture_output=True, text=True, timeout=60
        )

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()

    def texts(self) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT id, conversation_id, customer_id, direction, sender, text, status,"
            " status_reason FROM message WHERE channel = 'sms' ORDER BY id"
        )


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    listener = free_port()
    with running_kannel(tmp_path / "kannel", listener, "s3cret") as kannel:
        config = tmp_path / "config.toml"
        config.write_text(
            "\n".join(
                [
                    "[agent]",
                    'name = "Ana"',
                    "[identity]",
                    'default_region = "GB"',
                    "[[accounts]]",
                    'name = "texts"',
                    'channel = "sms"',
                    'provider = "kannel"',
                    f'number = "{SHOP}"',
                    f'sendsms_url = "{kannel.sendsms_url}"',
                    'username = "omni"',
                    'password = "omnipw"',
                    f'listen = "127.0.0.1:{listener}"',
                    'listen_secret = "s3cret"',
                ]
            )
        )
        shop = Shop(tmp_path, kannel, tmp_path / "omni.db", config)
        _seed_email_customer(shop)
        log = (tmp_path / "sync.log").open("wb")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "omni_tui", "--db", str(shop.db), "--config", str(config),
             "sync", "--poll", "1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            _wait("the listener", lambda: _listening(listener) or daemon.poll() is not None)
            assert daemon.poll() is None, (tmp_path / "sync.log").read_text()
            yield shop
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(15)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()
        assert daemon.returncode == 0, (tmp_path / "sync.log").read_text()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _seed_email_customer(shop: Shop) -> None:
    """Maria wrote by email first; her signature carries her mobile number."""

    async def seed() -> None:
        async with await Store.open(shop.db, create=True) as store:
            mail = InboundMessage(
                channel="email",
                account="mail",
                provider_id="1",
                sender="maria@example.com",
                sender_name="Maria Lopez",
                subject="Where is my grinder?",
                text="Hi, my order #1042 has not arrived.\n\nMaria\nMobile: +44 7911 123456",
                message_id="<maria-1@example.com>",
                # before her texts: Kannel stamps those in whole seconds, so an email
                # stamped "now" could sort after a text sent in the same second
                sent_at=datetime.now(UTC) - timedelta(minutes=5),
            )
            await ingest(store, [mail], options=IngestOptions(default_region="GB"))

    asyncio.run(seed())


def test_a_text_from_a_phone_reaches_the_store_and_the_reply_reaches_the_phone_with_a_report(
    shop: Shop,
) -> None:
    [(email_customer,)] = shop.rows("SELECT customer_id FROM message WHERE channel = 'email'")
    phone = shop.kannel.phone(f"{MARIA} {SHOP} text Hi it's Maria, any news on the grinder?")
    try:
        [(_, conversation, customer, direction, sender, text, _, _)] = _wait(
            "the MO in the store", shop.texts
        )
        assert (direction, sender, text) == ("in", MARIA, "Hi it's Maria, any news on the grinder?")
        # the number in her email signature ties the texter to the email customer
        [(keep, other, status)] = shop.rows(
            "SELECT customer_id, other_customer_id, status FROM link_suggestion"
        )
        assert {keep, other} == {email_customer, customer} and status == "pending"

        reply = "Hi Maria, it ships today — café Larkspur 📦"
        queued = shop.cli("reply", str(conversation), "--body", reply, "--json")
        assert queued.returncode == 0, queued.stderr
        got = phone.wait_for(lambda got: got)
        assert got == [(SHOP, MARIA, reply)]  # UCS-2 end to end, exactly once
        _wait(
            "the delivery report",
            lambda: [t for t in shop.texts() if t[3] == "out" and t[6] == "delivered"],
        )
    finally:
        phone.hang_up()
    shown = json.loads(shop.cli("show", str(conversation), "--json").stdout)
    assert [m["status"] for m in shown["messages"] if m["channel"] == "sms"] == [
        "received",
        "delivered",
    ]
    time.sleep(1.5)  # a few more outbox rounds: still only one text on the phone
    assert len(phone.received()) == 1


def test_once_merged_an_email_customer_is_answered_by_sms_in_the_same_case(shop: Shop) -> None:
    [(conversation, email_customer)] = shop.rows(
        "SELECT conversation_id, customer_id FROM message WHERE channel = 'email'"
    )
    phone = shop.kannel.phone(f"{MARIA} {SHOP} text Did you get my email?")
    try:
        [(_, _, texter, *_)] = _wait("the MO", shop.texts)
        merged = shop.cli("customer", "merge", str(email_customer), str(texter))
        assert merged.returncode == 0, merged.stderr
        queued = shop.cli(
            "reply", str(conversation), "--channel", "sms", "--body", "Your grinder ships today"
        )
        assert queued.returncode == 0, queued.stderr
        assert phone.wait_for(lambda got: got) == [(SHOP, MARIA, "Your grinder ships today")]
    finally:
        phone.hang_up()
    history = json.loads(shop.cli("customer", "show", str(email_customer), "--json").stdout)
    assert [m["channel"] for m in history["history"]] == ["email", "sms", "sms"]
    assert {i["address"] for i in history["identities"]} == {"maria@example.com", MARIA}


def test_a_reply_longer_than_one_sms_reaches_the_phone_whole(shop: Shop) -> None:
    """Kannel's default is one SMS per message: the rest of a long reply was cut off,
    and the report still said delivered."""
    phone = shop.kannel.phone(f"{MARIA} {SHOP} text Can you explain the warranty?")
    long_gsm = "The warranty covers parts and labour for two years. " * 4 + "Ana"
    long_ucs2 = "Grüße aus Köln 👋 " * 6 + "Ana"  # 1 emoji: UCS-2, 67 characters a part
    try:
        [(_, conversation, *_)] = _wait("the MO", shop.texts)
        for body in (long_gsm, long_ucs2):
            queued = shop.cli("reply", str(conversation), "--body", body)
            assert queued.returncode == 0, queued.stderr
            ucs2 = not body.isascii()
            count = 2 if ucs2 else 1
            got = phone.wait_for(lambda got, n=count: len(got) == n, ucs2_parts=ucs2)
            assert got[-1] == (SHOP, MARIA, body)
        _wait(
            "both reports",
            lambda: len([t for t in shop.texts() if t[3] == "out" and t[6] == "delivered"]) == 2,
        )
    finally:
        phone.hang_up()


def test_a_euro_sign_reaches_the_phone_intact_and_an_overlong_reply_fails_unsent(
    shop: Shop,
) -> None:
    """smsbox reads a 7-bit text as Latin-1: "10€" reached the phone as "10â\x82¬". And
    a reply over max-messages was cut short by smsbox and still reported delivered."""
    phone = shop.kannel.phone(f"{MARIA} {SHOP} text How much is the refund?")
    euro = "Café refund: 10€ today"
    try:
        [(_, conversation, *_)] = _wait("the MO", shop.texts)
        queued = shop.cli("reply", str(conversation), "--body", euro)
        assert queued.returncode == 0, queued.stderr
        assert phone.wait_for(lambda got: got) == [(SHOP, MARIA, euro)]
        overlong = "Here is everything about the warranty. " * 40  # 1,560 characters: 11 parts
        refused = shop.cli("reply", str(conversation), "--body", overlong)
        assert refused.returncode == 4  # said at once, not after the agent moved on
        assert "11 texts" in refused.stderr and "at most 10" in refused.stderr
        almost = "Total 10€ refund. " * 70  # 1,260 characters, one €: UCS-2, 19 parts
        refused = shop.cli("reply", str(conversation), "--body", almost)
        assert refused.returncode == 4 and "19 texts" in refused.stderr
        time.sleep(1.5)  # outbox rounds: nothing more reaches the phone
        assert len(phone.received()) == 1
    finally:
        phone.hang_up()


def test_unicode_texts_from_a_phone_are_decoded(shop: Shop) -> None:
    text = "Danke! Grüße 👋"
    encoded = "".join(f"%{b:02X}" for b in text.encode("utf-16-be"))
    phone = shop.kannel.phone(f"{MARIA} {SHOP} ucs2 {encoded}")
    try:
        [row] = _wait("the MO", shop.texts)
    finally:
        phone.hang_up()
    assert row[5] == text


def test_a_stop_text_blocks_further_replies_with_a_clear_error(shop: Shop) -> None:
    phone = shop.kannel.phone(f"{MARIA} {SHOP} text STOP")
    try:
        [(_, conversation, *_)] = _wait("the STOP", shop.texts)
    finally:
        phone.hang_up()
    refused = shop.cli("reply", str(conversation), "--body", "Are you sure?")
    assert refused.returncode != 0
    assert "STOP" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


async def test_a_reply_too_long_for_smsbox_is_refused_unsent_even_if_queued_without_a_check(
    shop: Shop,
) -> None:
    settings = KannelSettings("texts", SHOP, shop.kannel.sendsms_url, "omni", "omnipw")
    overlong = OutboundMessage("sms", "texts", MARIA, "Warranty. " * 160, idempotency_key="k-l")
    with pytest.raises(RejectedError, match="at most 10"):
        await KannelAccount(settings).send(overlong)


async def test_a_wrong_sendsms_password_is_an_auth_error_not_a_retry(shop: Shop) -> None:
    settings = KannelSettings("texts", SHOP, shop.kannel.sendsms_url, "omni", "wrong")
    message = OutboundMessage("sms", "texts", MARIA, "Hi", idempotency_key="k-auth")
    with pytest.raises(AuthError, match="username or password"):
        await KannelAccount(settings).send(message)


@pytest.mark.parametrize(
    "text",
    ["two lines\nand  two spaces", "நன்றி, பார்சல் வந்தது", "上海 café 👋 "],
)
def test_texts_arrive_exactly_as_the_phone_sent_them(shop: Shop, text: str) -> None:
    if text.isascii():
        line = f"{MARIA} {SHOP} data {quote(text.encode('latin-1'))}"
    else:
        line = f"{MARIA} {SHOP} ucs2 {quote(text.encode('utf-16-be'))}"
    phone = shop.kannel.phone(line)
    try:
        [row] = _wait("the MO", shop.texts)
    finally:
        phone.hang_up()
    assert row[5] == text.strip("\n")
