"""Who a web chat visitor is: with ``widget_identity_secret`` set, only an email the
site signed joins a visitor to that customer; a typed one is put to the agent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.base import InboundMessage
from omni_tui import queries
from omni_tui.ingest import ingest
from omni_tui.relay.widget import sign_email
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.relay import RelayProcess, running_relay
from tests.test_chat_relay import console_config

SECRET = "site-identity-secret"
MARTA = "marta@example.org"
SIGNED = "11111111-5b2d-4c8a-9e1f-0a2b3c4d5e6f"
TYPED = "22222222-5b2d-4c8a-9e1f-0a2b3c4d5e6f"


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    with running_relay(tmp_path, widget_identity_secret=SECRET) as running:
        yield running


def say(relay: RelayProcess, visitor: str, text: str, **sender: str) -> tuple[int, Any]:
    body = {"visitor": visitor, "text": text, **sender}
    return relay.request(
        "POST", "/widget/messages", json.dumps(body).encode(), {"Content-Type": "text/plain"}
    )


def marta_writes() -> InboundMessage:
    return InboundMessage(
        channel="email",
        account="mail",
        provider_id="imap:7",
        sender=MARTA,
        sender_name="Marta Diaz",
        subject="Grinder",
        text="My grinder makes a noise. Order A-1001, 12 Elm Street.",
        sent_at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    )


async def marta_wrote_by_email(store: Store) -> int:
    await ingest(store, [marta_writes()])
    [customer] = await queries.list_customers(store)
    return int(customer["id"])


async def test_a_signed_email_joins_marta_and_a_typed_one_is_only_suggested(
    relay: RelayProcess, store: Store
) -> None:
    marta = await marta_wrote_by_email(store)
    signed = {"name": "Marta Diaz", "email": MARTA, "email_hash": sign_email(SECRET, MARTA)}
    assert say(relay, SIGNED, "Any news on my grinder?", **signed)[0] == 201
    stranger = {"name": "Marta D", "email": MARTA}  # anyone can type her address
    assert say(relay, TYPED, "What address do you have for me?", **stranger)[0] == 201
    [report] = await sync_once(store, console_config(relay))
    assert (report.state, report.new) == ("ok", 2)

    history = (await queries.show_customer(store, marta))["history"]
    assert [m["text"] for m in history][1:] == ["Any news on my grinder?"]
    others = [c for c in await queries.list_customers(store) if c["id"] != marta]
    [other] = others
    [typed] = (await queries.show_customer(store, other["id"]))["history"]
    assert typed["context"]["unverified_email"] == MARTA and "email" not in typed["context"]
    [suggestion] = await queries.list_suggestions(store)
    assert {suggestion["customer_id"], suggestion["other_customer_id"]} == {marta, other["id"]}
    assert "not verified" in suggestion["reason"]


async def test_a_hash_that_does_not_match_is_refused_and_nothing_reaches_the_console(
    relay: RelayProcess, store: Store
) -> None:
    await marta_wrote_by_email(store)
    forged = {"email": MARTA, "email_hash": sign_email("a guess", MARTA)}
    status, answer = say(relay, SIGNED, "I am Marta, really", **forged)
    assert status == 401 and "widget_identity_secret" in answer["error"]
    other = {"email": "ana@example.org", "email_hash": sign_email(SECRET, MARTA)}
    assert say(relay, SIGNED, "her hash, my address", **other)[0] == 401
    status, answer = say(relay, SIGNED, "a hash alone", email_hash=sign_email(SECRET, MARTA))
    assert status == 400 and "email" in answer["error"]
    assert relay.events() == []
    [report] = await sync_once(store, console_config(relay))
    assert report.new == 0


async def test_without_the_secret_a_hash_changes_nothing_and_a_typed_email_joins(
    tmp_path: Path, store: Store
) -> None:
    """The relay asks no site to sign: what the form says is taken, as before."""
    marta = await marta_wrote_by_email(store)
    with running_relay(tmp_path) as relay:
        assert say(relay, TYPED, "Any news?", email=MARTA, email_hash="00" * 32)[0] == 201
        [event] = await asyncio.to_thread(relay.events)
        assert "email_verified" not in event["data"]["from"]
        await sync_once(store, console_config(relay))
    history = (await queries.show_customer(store, marta))["history"]
    assert [m["text"] for m in history][-1] == "Any news?"


@pytest.mark.parametrize(
    "email",
    [
        '"marta@example.org"@evil.example',  # mail to evil.example, parsed as Marta's
        "marta@example.org(x)@evil.example",
        "marta@example.org, evil@evil.example",
        "Marta <marta@example.org>",
    ],
)
def test_an_address_that_could_be_read_as_another_is_refused_even_when_signed(
    relay: RelayProcess, email: str
) -> None:
    """The site may sign what a user registered; what it signs must be what is linked."""
    status, answer = say(relay, SIGNED, "hi", email=email, email_hash=sign_email(SECRET, email))
    assert status == 400 and "plain address" in answer["error"]
    assert relay.events() == []


def test_a_hash_that_is_not_hex_is_refused_with_400_not_500(relay: RelayProcess) -> None:
    for bad in ("é" * 64, "zz" * 32, "ab"):
        status, answer = say(relay, SIGNED, "hi", email=MARTA, email_hash=bad)
        assert status == 400 and "64 hex digits" in answer["error"]
    assert "Traceback" not in (relay.root / "relay.log").read_text()


async def test_a_visitor_already_known_as_someone_else_who_signs_in_as_marta_is_suggested(
    relay: RelayProcess, store: Store
) -> None:
    """A chat that began anonymously stays that visitor's; Marta's history is only
    offered to the agent, never shown beside it unasked."""
    marta = await marta_wrote_by_email(store)
    assert say(relay, SIGNED, "a question before logging in")[0] == 201
    await sync_once(store, console_config(relay))
    signed = {"email": MARTA, "email_hash": sign_email(SECRET, MARTA)}
    assert say(relay, SIGNED, "now logged in", **signed)[0] == 201
    [report] = await sync_once(store, console_config(relay))
    assert report.new == 1
    assert len((await queries.show_customer(store, marta))["history"]) == 1
    [suggestion] = await queries.list_suggestions(store)
    assert marta in (suggestion["customer_id"], suggestion["other_customer_id"])
    assert suggestion["address"] == MARTA and "not verified" not in suggestion["reason"]


async def test_a_signed_email_nobody_has_yet_becomes_the_visitors_so_their_email_follows(
    relay: RelayProcess, store: Store
) -> None:
    """Marta chats signed in before she ever wrote; her first email joins that chat's
    customer, so the agent who opens it sees the chat beside it."""
    signed = {"name": "Marta Diaz", "email": MARTA, "email_hash": sign_email(SECRET, MARTA)}
    assert say(relay, SIGNED, "Do you ship to Spain?", **signed)[0] == 201
    typed = {"name": "Someone", "email": "ana@example.org"}  # not signed: not adopted
    assert say(relay, TYPED, "hello", **typed)[0] == 201
    await sync_once(store, console_config(relay))
    await ingest(store, [marta_writes()])  # her first email, after the chat
    [marta] = await queries.list_customers(store, MARTA)
    history = (await queries.show_customer(store, marta["id"]))["history"]
    assert sorted(m["channel"] for m in history) == ["chat", "email"]  # one customer
    assert await queries.list_customers(store, "ana@example.org") == []
