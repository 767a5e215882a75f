"""The webhook relay as a real process, and the console's chat account pulling it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omni_tui import outbox, queries
from omni_tui.config import Config, parse_config
from omni_tui.delivery import deliver_outbox
from omni_tui.ingest import ingest
from omni_tui.store import Outbox, Store
from omni_tui.sync import sync_once
from tests.relay import CHAT_SECRET, KANNEL_SECRET, RelayProcess, running_relay

VISITOR = "3f1c9a7e-5b2d-4c8a-9e1f-0a2b3c4d5e6f"

#: the console's SMS account that Kannel texts through the relay are filed under
KANNEL_SMS = """
[[accounts]]
name = "shop-sms"
channel = "sms"
provider = "kannel"
number = "+15005550006"
sendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms"
listen = "127.0.0.1:1"
password = "x"
"""


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    with running_relay(tmp_path) as running:
        yield running


def chat(text: str, n: int = 1, **sender: str) -> dict[str, Any]:
    return {
        "id": f"m{n}",
        "conversation": "c-42",
        "from": {"id": "u-7", **sender},
        "text": text,
        "sent_at": "2026-11-30T10:00:00Z",
        "context": {"order": "A-1001", "topic": "refund"},
    }


def console_config(relay: RelayProcess, extra: str = "") -> Config:
    return parse_config(
        f"""
[[accounts]]
name = "site-chat"
channel = "chat"
relay_url = "{relay.url}"
token = "{relay.token}"
{extra}
"""
    )


# -- webhooks at the relay -------------------------------------------------------


def test_a_signed_chat_webhook_is_accepted_once_and_kept_as_sent(relay: RelayProcess) -> None:
    assert relay.post_chat(chat("Where is my refund?"), msg_id="msg_1")[0] == 200
    status, body = relay.post_chat(chat("Where is my refund?"), msg_id="msg_1")  # a retry
    assert (status, body["duplicate"]) == (200, True)
    [event] = relay.events()
    assert event["type"] == "message"
    assert event["data"]["text"] == "Where is my refund?"
    assert event["data"]["context"] == {"order": "A-1001", "topic": "refund"}
    raw = sqlite3.connect(relay.db).execute("SELECT raw FROM events").fetchone()[0]
    assert json.loads(raw) == chat("Where is my refund?")  # the bytes as they came


@pytest.mark.parametrize(
    ("case", "status"),
    [("unsigned", 401), ("forged", 401), ("stale", 401), ("oversized", 413), ("malformed", 400)],
)
def test_a_bad_chat_webhook_is_refused_and_leaves_no_event(
    relay: RelayProcess, case: str, status: int
) -> None:
    body = json.dumps(chat("hello")).encode()
    ts = int(time.time())
    if case == "unsigned":
        got, _ = relay.request("POST", "/hooks/chat", body, {"Content-Type": "application/json"})
    elif case == "forged":
        headers = {"webhook-id": "msg_f", "webhook-timestamp": str(ts)}
        headers["webhook-signature"] = "v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU="
        got, _ = relay.request("POST", "/hooks/chat", body, headers)
    elif case == "stale":
        got, _ = relay.post_chat(chat("hello"), msg_id="msg_s", timestamp=ts - 6 * 60)
    elif case == "oversized":
        got, _ = relay.post_chat(chat("x" * 70_000), msg_id="msg_o")
    else:
        got, answer = relay.post_chat({"id": "m1", "text": "no sender"}, msg_id="msg_m")
        assert "from" in answer["error"]
    assert got == status
    assert relay.events() == []


def test_a_tampered_body_does_not_match_its_signature(relay: RelayProcess) -> None:
    from omni_tui.relay import signing

    ts = int(time.time())
    signed = json.dumps(chat("refund 10 EUR")).encode()
    headers = {
        "webhook-id": "msg_t",
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1,old " + signing.sign(relay.chat_secret, "msg_t", ts, signed),
    }
    tampered = json.dumps(chat("refund 9999 EUR")).encode()
    assert relay.request("POST", "/hooks/chat", tampered, headers)[0] == 401
    assert relay.request("POST", "/hooks/chat", signed, headers)[0] == 200  # rotation list


def test_consoles_need_the_bearer_token(relay: RelayProcess) -> None:
    assert relay.request("GET", "/events")[0] == 401
    assert relay.request("GET", "/events", headers={"Authorization": "Bearer nope"})[0] == 401
    assert relay.request("POST", "/messages", b"{}")[0] == 401


def test_an_event_answered_2xx_survives_kill_9(relay: RelayProcess) -> None:
    assert relay.post_chat(chat("before the crash"), msg_id="msg_k")[0] == 200
    relay.kill()
    relay.start()
    assert [e["data"]["text"] for e in relay.events()] == ["before the crash"]
    relay.post_chat(chat("after", 2), msg_id="msg_k2")
    ids = [e["id"] for e in relay.events()]
    assert ids == sorted(ids) and len(set(ids)) == 2


def test_a_long_poll_returns_as_soon_as_a_webhook_lands(relay: RelayProcess) -> None:
    async def scenario() -> float:
        waiting = asyncio.create_task(asyncio.to_thread(relay.events, 0, 20))
        await asyncio.sleep(0.3)
        start = time.monotonic()
        await asyncio.to_thread(relay.post_chat, chat("ping"), msg_id="msg_lp")
        events = await waiting
        assert [e["data"]["text"] for e in events] == ["ping"]
        return time.monotonic() - start

    assert asyncio.run(scenario()) < 5  # not the 20 s the poll may wait


def test_the_sse_stream_resumes_from_last_event_id(relay: RelayProcess) -> None:
    import http.client

    for n in range(1, 4):
        relay.post_chat(chat(f"message {n}", n), msg_id=f"msg_{n}")
    first = relay.events()[0]["id"]
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    connection.request(
        "GET", "/events/stream", headers={**relay.auth(), "Last-Event-ID": str(first)}
    )
    answer = connection.getresponse()
    assert answer.getheader("Content-Type", "").startswith("text/event-stream")
    seen: list[str] = []
    while len(seen) < 2:
        line = answer.readline().decode()
        if line.startswith("data: "):
            seen.append(json.loads(line[6:])["data"]["text"])
    connection.close()
    assert seen == ["message 2", "message 3"]


# -- the console's chat account ---------------------------------------------------


async def test_a_chat_visitor_who_gave_their_email_joins_that_customers_history(
    relay: RelayProcess, store: Store
) -> None:
    from adapters.base import InboundMessage

    await ingest(
        store,
        [
            InboundMessage(
                channel="email",
                account="mail",
                provider_id="imap:1",
                sender="maria@example.com",
                sender_name="Maria Lopez",
                subject="Grinder broken",
                text="My grinder stopped working.",
                sent_at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
            )
        ],
    )
    await asyncio.to_thread(
        relay.post_chat,
        chat("Any news on my grinder?", name="Maria Lopez", email="maria@example.com"),
        msg_id="msg_e",
    )
    [report] = await sync_once(store, console_config(relay))
    assert (report.state, report.new) == ("ok", 1)
    [customer] = await queries.list_customers(store)
    history = (await queries.show_customer(store, customer["id"]))["history"]
    assert [(m["channel"], m["text"]) for m in history] == [
        ("email", "My grinder stopped working."),
        ("chat", "Any news on my grinder?"),
    ]
    assert history[-1]["context"]["order"] == "A-1001"  # what the bot collected


async def test_the_chat_account_never_skips_or_repeats_an_event_across_restarts(
    relay: RelayProcess, tmp_path: Path
) -> None:
    config = console_config(relay)
    for n in range(1, 4):
        await asyncio.to_thread(relay.post_chat, chat(f"first {n}", n), msg_id=f"a{n}")
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        assert (await sync_once(store, config))[0].new == 3
    await asyncio.to_thread(relay.kill)
    await asyncio.to_thread(relay.start)
    for n in range(4, 6):
        await asyncio.to_thread(relay.post_chat, chat(f"later {n}", n), msg_id=f"a{n}")
    async with await Store.open(tmp_path / "omni.db") as store:  # the console restarted too
        [report] = await sync_once(store, config)
        assert (report.new, report.skipped) == (2, 0)
        assert (await sync_once(store, config))[0].new == 0
        # a crash between pull and commit means pulling the same events again
        async with store.write() as session:
            from omni_tui.store import SyncCursor

            row = await session.get(SyncCursor, ("site-chat", "relay"))
            assert row is not None
            row.value = "0"
            session.add(row)
        [again] = await sync_once(store, config)
        assert (again.new, again.skipped) == (0, 5)
        texts = [m["text"] for m in (await queries.show_customer(store, 1))["history"]]
    assert texts == ["first 1", "first 2", "first 3", "later 4", "later 5"]


async def test_an_agent_reply_reaches_the_web_visitor_and_reports_back(
    relay: RelayProcess, store: Store
) -> None:
    body = json.dumps({"visitor": VISITOR, "text": "Is the shop open on Sunday?", "name": "Jo"})
    await asyncio.to_thread(
        relay.request,
        "POST",
        "/widget/messages",
        body.encode(),
        {"Content-Type": "text/plain;charset=UTF-8"},
    )
    config = console_config(relay)
    await sync_once(store, config)
    [customer] = await queries.list_customers(store)
    [case] = (await queries.show_customer(store, customer["id"]))["conversations"]
    queued = await outbox.queue_reply(store, case["id"], "Yes, 10 to 4.", agent="Ana")
    assert (queued.channel, queued.to) == ("chat", f"web:{VISITOR}")
    assert (await deliver_outbox(store, config)).sent == 1
    assert (await deliver_outbox(store, config)).sent == 0  # sent once
    _, history = await asyncio.to_thread(relay.request, "GET", f"/widget/history?visitor={VISITOR}")
    assert [(m["direction"], m["text"], m["author"]) for m in history["messages"]] == [
        ("in", "Is the shop open on Sunday?", "Jo"),
        ("out", "Yes, 10 to 4.", "Ana"),
    ]
    await sync_once(store, config)  # the relay's delivery report
    [_, reply] = (await queries.show_conversation(store, case["id"]))["messages"]
    assert reply["status"] == "sent"


async def test_a_resent_reply_after_a_crash_mid_send_is_not_shown_twice(
    relay: RelayProcess, store: Store
) -> None:
    status, first = await asyncio.to_thread(relay.reply, "key-1", f"web:{VISITOR}", "Hello")
    status2, again = await asyncio.to_thread(relay.reply, "key-1", f"web:{VISITOR}", "Hello")
    assert (status, status2, first["id"], again["id"]) == (202, 200, "key-1", "key-1")
    _, history = await asyncio.to_thread(relay.request, "GET", f"/widget/history?visitor={VISITOR}")
    assert len(history["messages"]) == 1


async def test_a_reply_edited_after_a_try_that_timed_out_reaches_the_visitor_as_edited(
    relay: RelayProcess, store: Store
) -> None:
    body = json.dumps({"visitor": VISITOR, "text": "Refund?", "name": "Jo"})
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    await asyncio.to_thread(relay.request, "POST", "/widget/messages", body.encode(), headers)
    config = console_config(relay)
    await sync_once(store, config)
    [customer] = await queries.list_customers(store)
    [case] = (await queries.show_customer(store, customer["id"]))["conversations"]
    typo = "Your refund of $5O0 is approved"
    queued = await outbox.queue_reply(store, case["id"], typo, agent="Ana")
    # the try reached the relay but its answer timed out: the reply waits for a retry
    async with store.write() as session:
        item = await session.get(Outbox, queued.outbox_id)
        assert item is not None
        await asyncio.to_thread(relay.reply, item.idempotency_key, f"web:{VISITOR}", typo)
        item.attempts, item.last_error = 1, "relay unreachable: ReadTimeout"
        session.add(item)

    await outbox.edit(store, queued.message_id, "Your refund of $500 is approved", agent="Ana")
    assert (await deliver_outbox(store, config)).sent == 1
    _, history = await asyncio.to_thread(relay.request, "GET", f"/widget/history?visitor={VISITOR}")
    seen = [m["text"] for m in history["messages"] if m["direction"] == "out"]
    assert seen == [typo, "Your refund of $500 is approved"]


def test_widget_input_is_checked(relay: RelayProcess) -> None:
    post = lambda body: relay.request("POST", "/widget/messages", json.dumps(body).encode())  # noqa: E731
    assert post({"visitor": "short", "text": "hi"})[0] == 400
    assert post({"visitor": VISITOR, "text": "   "})[0] == 400
    assert post({"visitor": VISITOR, "text": "x" * 5000})[0] == 400
    assert relay.request("GET", "/widget/history?visitor=../../etc")[0] == 400
    assert relay.events() == []


# -- SMS webhooks through the relay -------------------------------------------------


def test_a_kannel_secret_with_a_plus_works_as_pasted_into_kannels_get_url(
    tmp_path: Path,
) -> None:
    """``openssl rand -base64`` secrets have "+": a query decodes it as a space."""
    with running_relay(tmp_path, kannel_secret="q8+Zr/4kP1w==") as relay:
        mo = "/hooks/kannel?from=%2B447911123456&to=%2B15005550006&text=hi"
        assert relay.request("GET", mo + "&secret=q8+Zr/4kP1w==")[0] == 200
        assert relay.request("GET", mo + "&secret=q8%2BZr%2F4kP1w%3D%3D")[0] == 200
        assert relay.request("GET", mo + "&secret=q8%20Zr/4kP1w==")[0] == 403
        assert relay.request("GET", mo + "&secret=q8+Zr/4kP1w==&secret=x")[0] == 403


async def test_kannel_texts_taken_by_the_relay_reach_the_sms_account(
    relay: RelayProcess, store: Store
) -> None:
    query = urllib.parse.urlencode(
        {"from": "+447911123456", "to": "+15005550006", "text": "Hi from my phone"}
    )
    status, _ = await asyncio.to_thread(relay.request, "GET", f"/hooks/kannel?{query}&secret=wrong")
    assert status == 403
    status, _ = await asyncio.to_thread(
        relay.request, "GET", f"/hooks/kannel?{query}&secret={KANNEL_SECRET}"
    )
    assert status == 200
    await sync_once(store, console_config(relay, KANNEL_SMS), account="site-chat")
    [customer] = await queries.list_customers(store)
    [message] = (await queries.show_customer(store, customer["id"]))["history"]
    assert (message["channel"], message["account"], message["text"]) == (
        "sms",
        "shop-sms",
        "Hi from my phone",
    )


async def test_a_text_for_an_sms_account_not_configured_waits_in_the_relay_until_it_is(
    relay: RelayProcess, store: Store
) -> None:
    """It used to be skipped with a warning, the cursor moved past it, and the text was
    never stored, even once the account was added. Now it waits, and holds up nothing."""
    for n, text in enumerate(["Before the text", "After the text"]):
        assert relay.post_chat(chat(text, n), msg_id=f"msg_{n}")[0] == 200
        if n == 0:
            query = urllib.parse.urlencode(
                {"from": "+447911123456", "to": "+15005550006", "text": "Hi from my phone"}
            )
            status, _ = await asyncio.to_thread(
                relay.request, "GET", f"/hooks/kannel?{query}&secret={KANNEL_SECRET}"
            )
            assert status == 200
    [report] = await sync_once(store, console_config(relay), account="site-chat")
    assert report.state == "warning" and report.new == 2  # the chats around it came
    assert "is a Kannel text, and no kannel account is configured here" in report.errors[0]
    assert "add that SMS account to the config" in report.errors[0]
    [report] = await sync_once(store, console_config(relay), account="site-chat")
    assert (report.state, report.new) == ("warning", 0)  # still waiting, still said
    [report] = await sync_once(store, console_config(relay, KANNEL_SMS), account="site-chat")
    assert (report.state, report.new) == ("ok", 1)
    [report] = await sync_once(store, console_config(relay, KANNEL_SMS), account="site-chat")
    assert (report.state, report.new) == ("ok", 0)
    texts = []
    for customer in await queries.list_customers(store):
        shown = await queries.show_customer(store, customer["id"])
        texts += [m["text"] for m in shown["history"]]
    assert sorted(texts) == ["After the text", "Before the text", "Hi from my phone"]


@pytest.mark.parametrize(
    ("body", "coding"),
    [("Grüße, ça va? 👋".encode("utf-16-be"), "2"), ("Grüße, ça va?".encode("latin-1"), "1")],
    ids=["ucs-2", "latin-1"],
)
async def test_a_kannel_post_url_text_in_ucs2_or_latin1_keeps_its_text_through_the_relay(
    relay: RelayProcess, store: Store, body: bytes, coding: str
) -> None:
    headers = {
        "Content-Type": "text/plain",
        "X-Kannel-From": "+447911123456",
        "X-Kannel-To": "+15005550006",
        "X-Kannel-Coding": coding,
    }
    status, _ = await asyncio.to_thread(
        relay.request, "POST", f"/hooks/kannel?secret={KANNEL_SECRET}", body, headers
    )
    assert status == 200
    await sync_once(store, console_config(relay, KANNEL_SMS), account="site-chat")
    [customer] = await queries.list_customers(store)
    [message] = (await queries.show_customer(store, customer["id"]))["history"]
    assert message["text"] == body.decode("utf-16-be" if coding == "2" else "latin-1")


def test_a_webhook_timestamp_is_digits_and_is_checked_as_it_was_signed() -> None:
    """Standard Webhooks sign the header as sent; int() also took "+T" and "1_7…"."""
    import base64
    import hashlib
    import hmac

    from omni_tui.relay.signing import SignatureError, secret_key, verify

    body, now = b'{"text": "hi"}', 1_765_000_000

    def signed(stamp: str) -> str:
        mac = hmac.new(secret_key(CHAT_SECRET), f"msg_1.{stamp}.".encode() + body, hashlib.sha256)
        return "v1," + base64.b64encode(mac.digest()).decode()

    verify(CHAT_SECRET, "msg_1", str(now), signed(str(now)), body, now=now)
    verify(CHAT_SECRET, "msg_1", f"00{now}", signed(f"00{now}"), body, now=now)
    for stamp in (f"+{now}", f" {now}", "1_765_000_000", f"{now}.0", "١٧٦٥٠٠٠٠٠٠"):
        with pytest.raises(SignatureError, match="not unix seconds"):
            verify(CHAT_SECRET, "msg_1", stamp, signed(str(now)), body, now=now)
