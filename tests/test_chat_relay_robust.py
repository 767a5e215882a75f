"""The relay against bad config and bad input: it refuses to start on a secret it
cannot use, and answers hostile or broken posts with a clear 4xx, never a 500."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from omni_tui import queries
from omni_tui.cli import output
from omni_tui.config import parse_config
from omni_tui.store import Store
from omni_tui.sync import sync_once
from omni_tui.tui.conversation.view import render_message
from tests.relay import CHAT_SECRET, TELEGRAM_SECRET, RelayProcess, running_relay
from tests.servers import free_port

VISITOR = "3f1c9a7e-5b2d-4c8a-9e1f-0a2b3c4d5e6f"
TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    with running_relay(tmp_path) as running:
        yield running


def refused(tmp_path: Path, **extra: Any) -> tuple[int | None, str]:
    root = tmp_path / "relay"
    root.mkdir(exist_ok=True)
    return RelayProcess(root, free_port(), extra).start_refused()


def relay_log(relay: RelayProcess) -> str:
    return (relay.root / "relay.log").read_text()


# -- secrets at start-up -------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_",  # decodes to an empty key: anyone could sign with it
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_not base64 at all!",
    ],
    ids=["empty-key", "short-key", "not-base64"],
)
def test_a_chat_secret_without_a_usable_key_stops_the_relay_at_start_up(
    tmp_path: Path, secret: str
) -> None:
    status, output = refused(tmp_path, chat_secret=secret)
    assert status not in (None, 0), output
    [line] = output.strip().splitlines()
    assert "relay.chat_secret" in line and "whsec_" in line


def test_a_blank_secret_stops_the_relay_rather_than_matching_a_blank_header(
    tmp_path: Path,
) -> None:
    status, output = refused(tmp_path, kannel_secret=None, kannel_secret_command="echo '   '")
    assert status not in (None, 0), output
    assert "relay.kannel_secret: is empty" in output


def test_a_failing_secret_command_stops_start_up_instead_of_failing_each_webhook(
    tmp_path: Path,
) -> None:
    status, output = refused(tmp_path, chat_secret=None, chat_secret_command="exit 3")
    assert status not in (None, 0), output
    [line] = output.strip().splitlines()
    assert "relay.chat_secret_command: exited with status 3" in line


def test_secret_commands_run_once_before_the_relay_listens(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = f"sleep 0.5; echo run >> {runs}; echo {CHAT_SECRET}"
    with running_relay(tmp_path, chat_secret=None, chat_secret_command=command) as relay:
        assert runs.read_text() == "run\n"  # before /health answered, not in a request
        message = {"id": "m1", "conversation": "c", "from": {"id": "u"}, "text": "hi"}
        assert relay.post_chat(message, msg_id="a1")[0] == 200
        assert relay.post_chat(message | {"id": "m2"}, msg_id="a2")[0] == 200
    assert runs.read_text() == "run\n"


@pytest.mark.parametrize(
    ("hook", "key"),
    [("/hooks/telegram", "telegram_secret"), ("/hooks/kannel?secret=x", "kannel_secret")],
)
def test_a_hook_whose_secret_is_not_set_answers_503_naming_the_missing_key(
    tmp_path: Path, hook: str, key: str
) -> None:
    with running_relay(tmp_path, **{key: None}) as relay:
        status, answer = relay.request("POST", hook, b'{"update_id": 1}', TELEGRAM)
    assert status == 503
    assert key in answer["error"]


# -- bad input: 400 (or, for Telegram, 200 not accepted), never 500 ----------------------


def post_widget(relay: RelayProcess, body: bytes) -> tuple[int, Any]:
    return relay.request("POST", "/widget/messages", body, {"Content-Type": "text/plain"})


def test_a_lone_surrogate_from_the_widget_is_refused_with_400_not_500(
    relay: RelayProcess,
) -> None:
    # what a browser's JSON.stringify makes of half an emoji
    body = b'{"visitor": "%s", "text": "hi \\ud83d"}' % VISITOR.encode()
    status, answer = post_widget(relay, body)
    assert (status, "surrogate" in answer["error"]) == (400, True)
    paired = b'{"visitor": "%s", "text": "hi \\ud83d\\ude00"}' % VISITOR.encode()
    assert post_widget(relay, paired)[0] == 201  # a whole emoji is fine
    assert [e["data"]["text"] for e in relay.events()] == ["hi \U0001f600"]
    assert "Traceback" not in relay_log(relay)


def test_a_lone_surrogate_in_a_chat_hook_or_a_console_reply_is_refused_with_400(
    relay: RelayProcess,
) -> None:
    message = {"id": "m1", "conversation": "c", "from": {"id": "u"}, "text": "x\ud800"}
    assert relay.post_chat(message, msg_id="msg_surrogate")[0] == 400
    assert relay.reply("r1", f"web:{VISITOR}", "half \udc00 an emoji")[0] == 400
    assert relay.events() == []
    assert "Traceback" not in relay_log(relay)


@pytest.mark.parametrize("depth", [40, 60_000])
def test_deeply_nested_json_is_refused_with_400_and_no_traceback(
    relay: RelayProcess, depth: int
) -> None:
    body = (b"[" * depth + b"]" * depth)[:60_000]  # under max_body_bytes
    status, answer = post_widget(relay, body)
    assert status == 400 and "nested" in answer["error"]
    assert relay.reply("r1", "web:x", "ok")[0] == 202  # the relay is fine
    assert "Traceback" not in relay_log(relay)


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5}, "date": "soon"}},
        {"update_id": 2, "message": {"message_id": 2, "chat": {"id": 5}, "from": "bob"}},
        {"update_id": 3, "message": {"message_id": 3, "chat": {"id": 5}, "date": 10**12}},
        {"update_id": 4, "message": {"message_id": 4, "chat": {"id": [5]}, "text": "x"}},
        [1, 2],
    ],
    ids=["date-string", "from-string", "date-huge", "chat-id-list", "not-an-object"],
)
def test_a_malformed_telegram_update_is_answered_200_not_accepted_so_it_is_not_retried(
    relay: RelayProcess, update: Any
) -> None:
    status, answer = relay.request("POST", "/hooks/telegram", json.dumps(update).encode(), TELEGRAM)
    assert (status, answer["accepted"]) == (200, False)
    assert relay.events() == []
    assert "Traceback" not in relay_log(relay)


def test_an_event_id_too_big_for_sqlite_is_refused_with_400(relay: RelayProcess) -> None:
    huge = str(10**30)
    status, answer = relay.request("GET", f"/events?after={huge}", None, relay.auth())
    assert status == 400 and "whole numbers" in answer["error"]
    status, answer = relay.request("GET", f"/widget/stream?visitor={VISITOR}&after={huge}")
    assert status == 400 and "event id" in answer["error"]
    assert "Traceback" not in relay_log(relay)


def test_one_address_flooding_the_widget_is_slowed_down_and_others_still_get_through(
    tmp_path: Path,
) -> None:
    """400 posts in 6 s, each under a fresh visitor id, were all taken: 400 customers."""
    with running_relay(tmp_path, widget_messages_per_minute=5) as relay:
        flood = [
            b'{"visitor": "%s", "text": "buy now", "name": "Support Team"}'
            % f"{n:08d}-flood-visitor-id".encode()
            for n in range(8)
        ]
        headers = {"Content-Type": "text/plain", "X-Forwarded-For": "203.0.113.9"}
        answers = [relay.request("POST", "/widget/messages", body, headers)[0] for body in flood]
        assert answers == [201] * 5 + [429] * 3
        someone_else = {"Content-Type": "text/plain", "X-Forwarded-For": "198.51.100.4"}
        body = b'{"visitor": "%s", "text": "my order?"}' % VISITOR.encode()
        assert relay.request("POST", "/widget/messages", body, someone_else)[0] == 201
        assert len(relay.events()) == 6


def test_too_big_a_body_is_refused_with_a_json_413(relay: RelayProcess) -> None:
    status, answer = post_widget(relay, b"x" * 70_000)
    assert status == 413
    assert "bytes" in answer["error"]


# -- Telegram media -------------------------------------------------------------------


def telegram_update(update_id: int, **content: Any) -> bytes:
    message = {
        "message_id": update_id,
        "date": 1767225600,
        "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "Jo"},
        **content,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def test_a_telegram_photo_or_document_arrives_as_a_readable_placeholder(
    relay: RelayProcess,
) -> None:
    photo = [{"file_id": "AgAD", "file_unique_id": "u", "width": 90, "height": 90}]
    updates = [
        telegram_update(1, photo=photo, caption="the broken lid"),
        telegram_update(2, document={"file_id": "BQAD", "file_name": "invoice.pdf"}),
        telegram_update(3, voice={"file_id": "AwAD", "duration": 4}),
        telegram_update(4, sticker={"file_id": "CAAD", "emoji": "👍"}),
    ]
    for body in updates:
        assert relay.request("POST", "/hooks/telegram", body, TELEGRAM)[0] == 200
    assert [e["data"]["text"] for e in relay.events()] == [
        "[photo]\nthe broken lid",
        "[document: invoice.pdf]",
        "[voice message]",
        "[sticker: 👍]",
    ]


def test_a_customers_telegram_correction_arrives_as_a_message_of_its_own(
    relay: RelayProcess,
) -> None:
    """An edit came under the first message's id and was dropped as a duplicate: the
    agent saw only the old address."""
    first = json.loads(telegram_update(7, text="Ship it to 12 Oak St"))
    edit = {
        "update_id": 8,
        "edited_message": {
            **first["message"],
            "text": "21 Oak St, NOT 12",
            "edit_date": 1767225700,
        },
    }
    for body in (json.dumps(first).encode(), json.dumps(edit).encode()):
        assert relay.request("POST", "/hooks/telegram", body, TELEGRAM)[0] == 200
    events = [e["data"] for e in relay.events()]
    assert [e["text"] for e in events] == ["Ship it to 12 Oak St", "(edited) 21 Oak St, NOT 12"]
    assert len({e["id"] for e in events}) == 2
    assert events[1]["sent_at"] > events[0]["sent_at"]


def test_a_moving_live_location_is_not_a_stream_of_edited_messages(relay: RelayProcess) -> None:
    shared = json.loads(telegram_update(9, location={"latitude": 51.5, "longitude": -0.1}))
    assert relay.request("POST", "/hooks/telegram", json.dumps(shared).encode(), TELEGRAM)[0] == 200
    for n in range(3):
        moved = {**shared["message"], "location": {"latitude": 51.5 + n, "longitude": -0.1}}
        update = {"update_id": 10 + n, "edited_message": {**moved, "edit_date": 1767225700 + n}}
        body = json.dumps(update).encode()
        assert relay.request("POST", "/hooks/telegram", body, TELEGRAM)[0] == 200
    assert len(relay.events()) == 1


# -- Telegram replies against a misbehaving Bot API -----------------------------------


@contextmanager
def bot_api(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A stand-in Bot API on a free loopback port; its base URL."""
    api = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=api.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{api.server_address[1]}"
    finally:
        api.shutdown()
        api.server_close()


class BadBotApi(BaseHTTPRequestHandler):
    """A proxy's HTML 502 labelled JSON, then a 429 with a retry_after that is no number,
    then Telegram itself again."""

    answers: list[tuple[int, bytes]] = []
    sent: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        code, body = self.answers.pop(0) if self.answers else (200, b'{"ok": true}')
        if code == 200:
            self.sent.append(request)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_telegram_replies_survive_a_malformed_bot_api_answer_and_are_retried(
    tmp_path: Path,
) -> None:
    BadBotApi.answers = [
        (502, b"<html>502 Bad Gateway</html>"),
        (429, b'{"ok": false, "parameters": {"retry_after": "soon"}}'),
    ]
    BadBotApi.sent = []
    with bot_api(BadBotApi) as base, running_relay(tmp_path, telegram_api_base=base) as relay:
        assert relay.reply("r1", "telegram:5", "first")[0] == 202
        assert relay.reply("r2", "telegram:5", "second")[0] == 202
        deadline = time.monotonic() + 15
        while len(BadBotApi.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(m["text"] for m in BadBotApi.sent) == ["first", "second"]
        assert relay.reply("r3", "telegram:5", "third")[0] == 202  # the sender lives on
        while len(BadBotApi.sent) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [m["text"] for m in BadBotApi.sent][-1] == "third"
        assert "Traceback" not in relay_log(relay)


class HangUpBotApi(BaseHTTPRequestHandler):
    """Telegram takes sendMessage (the chat has the text) but the answer never comes
    back: the connection is cut, as by a proxy or a network that drops mid-answer."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.close_connection = True  # no answer at all

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_telegram_reply_whose_answer_is_lost_is_not_sent_again(tmp_path: Path) -> None:
    HangUpBotApi.received = []
    with bot_api(HangUpBotApi) as base, running_relay(tmp_path, telegram_api_base=base) as relay:
        assert relay.reply("r1", "telegram:5", "Your refund is on its way")[0] == 202
        deadline = time.monotonic() + 15
        failed: list[dict[str, Any]] = []
        while not failed and time.monotonic() < deadline:
            time.sleep(0.1)
            failed = [
                e["data"]
                for e in relay.events()
                if e["type"] == "delivery" and e["data"]["status"] == "failed"
            ]
        assert failed and "may have reached the chat" in failed[0]["reason"]
        time.sleep(2.5)  # longer than the sender's first two retries would wait
        assert len(HangUpBotApi.received) == 1


# -- ids -----------------------------------------------------------------------------


async def test_two_conversations_of_a_chat_hook_may_reuse_a_message_id(
    relay: RelayProcess, tmp_path: Path
) -> None:
    """A bot bridging a platform whose message ids count per conversation."""
    alice = {"id": "1", "conversation": "alice-room", "from": {"id": "alice"}, "text": "charged"}
    bob = {"id": "1", "conversation": "bob-room", "from": {"id": "bob"}, "text": "parcel?"}
    await asyncio.to_thread(relay.post_chat, alice, msg_id="wh_a")
    await asyncio.to_thread(relay.post_chat, bob, msg_id="wh_b")
    config = parse_config(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        [report] = await sync_once(store, config)
    assert (report.new, report.skipped) == (2, 0)


async def test_a_chat_attachment_link_with_escape_sequences_is_shown_as_plain_text(
    relay: RelayProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An integration's attachment is a link we never fetch; it is shown, cleaned."""
    url = "https://files.example/\x1b]0;PWNED\x07\x1b[5mcv.pdf\u202e"
    hook = {
        "id": "9",
        "conversation": "room",
        "from": {"id": "ann", "name": "Ann"},
        "text": "my cv",
        "attachments": [{"url": url, "name": "cv.pdf", "size": 10}],
    }
    await asyncio.to_thread(relay.post_chat, hook, msg_id="wh_cv")
    config = parse_config(
        f'[[accounts]]\nname = "site-chat"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        [report] = await sync_once(store, config)
        [case] = await queries.list_conversations(store)
        assert report.new == 1
        shown = await queries.show_conversation(store, case["id"])
    [message] = shown["messages"]
    [attachment] = message["attachments"]
    assert attachment["skipped_reason"] == "a link to https://files.example/cv.pdf"
    card = render_message(message, expanded=False).plain
    assert "not downloaded: a link to https://files.example/cv.pdf" in card
    output.message_block(message)
    printed = capsys.readouterr().out
    assert "(not downloaded: a link to https://files.example/cv.pdf)" in printed
    assert not set(card + printed) & {"\x1b", "\x07", "\u202e"}


def test_a_widget_message_resent_with_its_key_is_kept_once_per_visitor(
    relay: RelayProcess,
) -> None:
    other = "aaaaaaaa-5b2d-4c8a-9e1f-0a2b3c4d5e6f"

    def send(visitor: str, key: str) -> tuple[int, Any]:
        body = {"visitor": visitor, "text": "where is my order?", "key": key}
        return post_widget(relay, json.dumps(body).encode())

    first, again = send(VISITOR, "k-0001-abcd"), send(VISITOR, "k-0001-abcd")  # answer lost
    assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])
    assert send(other, "k-0001-abcd")[0] == 201  # another visitor's key is theirs
    assert send(VISITOR, "k-0002-abcd")[0] == 201  # a new message
    conversations = [e["data"]["conversation"] for e in relay.events()]
    assert conversations == [f"web:{VISITOR}", f"web:{other}", f"web:{VISITOR}"]
    assert send(VISITOR, "bad key!")[0] == 400


def test_behind_a_proxy_on_a_dual_stack_listen_each_visitor_has_their_own_quota() -> None:
    from unittest.mock import Mock

    from omni_tui.relay.throttle import client_address

    request = Mock(remote="::ffff:127.0.0.1", headers={"X-Forwarded-For": "203.0.113.7"})
    assert client_address(request) == "203.0.113.7"
    stranger = Mock(remote="198.51.100.1", headers={"X-Forwarded-For": "203.0.113.7"})
    assert client_address(stranger) == "198.51.100.1"  # only a local proxy is believed
