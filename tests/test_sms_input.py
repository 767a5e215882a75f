"""What SMS gateways and customers send that is odd, wrong or hostile."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from adapters.base import OutboundMessage
from adapters.sms import kannel
from adapters.sms.encoding import count_segments
from omni_tui import outbox
from omni_tui.config import parse_config
from omni_tui.errors import ConfigError
from omni_tui.identity import normalise_phone
from omni_tui.ingest import IngestOptions
from omni_tui.listener import SmsListener, endpoints
from omni_tui.store import Message, Outbox, Store
from tests.servers import free_port


@pytest.mark.parametrize(
    ("written", "region", "stored"),
    [
        ("07911 123456", "GB", "+447911123456"),  # no country code: the configured region
        ("0044 7911-123-456", "GB", "+447911123456"),  # 00 prefix, dashes
        ("+44 (0)7911 123456", "GB", "+447911123456"),
        ("(415) 555-0150", "US", "+14155550150"),
        ("020 7946 0018", "GB", "+442079460018"),  # a landline is still a number
        ("12345", "US", "12345"),  # a short code stays as it is
        ("LARKSPUR", "GB", "LARKSPUR"),  # an alphanumeric sender id too
    ],
)
def test_numbers_are_stored_in_e164_and_the_rest_as_written(
    written: str, region: str, stored: str
) -> None:
    assert normalise_phone(written, region) == stored


def test_segments_count_gsm7_and_ucs2_like_a_phone() -> None:
    assert (count_segments("Hello").encoding, count_segments("Hello").segments) == ("GSM-7", 1)
    assert count_segments("x" * 160).segments == 1 and count_segments("x" * 161).segments == 2
    assert count_segments("x" * 1600).segments == 11
    assert count_segments("Grüße 👋").encoding == "UCS-2"
    assert count_segments("a" * 70 + "👋").segments == 2


def _sendsms(text: str) -> dict[str, list[str]]:
    settings = kannel.KannelSettings(
        "texts", "+15005550006", "http://127.0.0.1:1/cgi-bin/sendsms", "omni", "pw",
        dlr_base="http://127.0.0.1:13080",
    )  # fmt: skip
    message = OutboundMessage("sms", "texts", "+447911123456", text, idempotency_key="k1")
    return {k: [v] for k, v in kannel.KannelAccount(settings).sendsms_params(message).items()}


def test_kannel_gets_ucs2_only_when_the_text_needs_it_and_a_report_url_with_our_key() -> None:
    plain = _sendsms("Your order ships today")
    assert "coding" not in plain
    dlr = urlsplit(plain["dlr-url"][0])
    assert dlr.path == "/kannel/dlr" and parse_qs(dlr.query.split("&status")[0]) == {"key": ["k1"]}
    assert plain["dlr-mask"] == ["31"]
    emoji = _sendsms("Ships today 📦")
    assert (emoji["coding"], emoji["charset"]) == (["2"], ["UTF-8"])


def test_kannel_post_url_mo_reads_the_sender_from_headers() -> None:
    message = kannel.parse_mo(
        "texts",
        "",
        "Grüße".encode(),
        {"X-Kannel-From": "+447911123456", "X-Kannel-To": "+15005550006"},
    )
    assert (message.sender, message.recipients, message.text) == (
        "+447911123456",
        ["+15005550006"],
        "Grüße",
    )
    again = kannel.parse_mo(
        "texts",
        "",
        "Grüße".encode(),
        {"X-Kannel-From": "+447911123456", "X-Kannel-To": "+15005550006"},
    )
    assert (
        again.provider_id == message.provider_id
    )  # no id from Kannel: the same MO hashes the same


def test_delivery_reports_map_to_statuses_and_keep_the_smscs_words() -> None:
    assert kannel.parse_dlr("key=k1&status=8&reply=ACK%2F") == kannel.Report("k1", "sent", None)
    assert kannel.parse_dlr("key=k1&status=1&reply=") == kannel.Report("k1", "delivered", None)
    failed = kannel.parse_dlr("key=k1&status=16&reply=NACK%2F0x0000000b%2FInvalid+Destination")
    assert failed.status == "failed" and "Invalid Destination" in (failed.reason or "")
    with pytest.raises(ValueError):
        kannel.parse_dlr("status=1")


def _kannel_config(port: int, secret_line: str) -> str:
    return "\n".join(
        [
            "[[accounts]]",
            'name = "texts"',
            'channel = "sms"',
            'provider = "kannel"',
            'number = "+15005550006"',
            'sendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms"',
            'password = "pw"',
            f'listen = "127.0.0.1:{port}"',
            secret_line,
        ]
    )


@contextlib.asynccontextmanager
async def listening(tmp_path: Path, secret_line: str) -> AsyncIterator[tuple[str, Store]]:
    """A Kannel account's listener on a fresh store: its base URL, and the store."""
    port = free_port()
    config = parse_config(_kannel_config(port, secret_line))
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        [endpoint] = endpoints(config.accounts)
        server = SmsListener(store, endpoint, IngestOptions.from_config(config))
        await server.start()
        try:
            yield f"http://127.0.0.1:{port}", store
        finally:
            await server.stop()


@pytest.fixture
async def listener(tmp_path: Path) -> AsyncIterator[tuple[str, Store]]:
    async with listening(tmp_path, 'listen_secret = "s3cret"') as running:
        yield running


async def _texts(store: Store) -> list[Message]:
    async with store.read() as session:
        return list((await session.exec(select(Message))).all())


async def test_the_listener_refuses_what_is_not_an_mo_and_stores_nothing(
    listener: tuple[str, Store],
) -> None:
    base, store = listener
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/kannel/mo?text=hi&secret=s3cret")).status_code == 400
        forged = await client.get(f"{base}/kannel/mo?from=%2B447911123456&text=hi&secret=guess")
        assert forged.status_code == 403
        no_secret = await client.get(f"{base}/kannel/dlr?key=k&status=1")
        assert no_secret.status_code == 403
        assert (
            await client.get(f"{base}/kannel/dlr?key=nope&status=1&secret=s3cret")
        ).status_code == 404
        assert (await client.get(f"{base}/kannel/dlr?status=x&secret=s3cret")).status_code == 400
        assert (await client.get(f"{base}/elsewhere")).status_code == 404
        big = await client.post(
            f"{base}/kannel/mo?from=%2B447911123456&secret=s3cret", content=b"x" * 300_000
        )
        assert big.status_code == 413
    assert await _texts(store) == []


async def test_an_mo_to_an_unknown_number_and_a_1600_character_text_are_kept_whole(
    listener: tuple[str, Store],
) -> None:
    base, store = listener
    long_text = "Lorem " * 266 + "end."  # 1,600 characters
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{base}/kannel/mo",
            params={"from": "+447911123456", "to": "+19999999999", "text": long_text, "id": "m1",
                    "secret": "s3cret"},
        )  # fmt: skip
        assert answer.status_code == 200 and answer.text == ""  # Kannel sends no reply
        repeat = await client.get(
            f"{base}/kannel/mo",
            params={"from": "+447911123456", "to": "+19999999999", "text": long_text, "id": "m1",
                    "secret": "s3cret"},
        )  # fmt: skip
        assert repeat.status_code == 200
    [message] = await _texts(store)
    assert message.text == long_text and message.account == "texts"


async def _queued_sms(base: str, store: Store) -> tuple[int, str]:
    """A text in, a reply to it queued: its message id and the key Kannel reports carry."""
    async with httpx.AsyncClient() as client:
        params = {"from": "+447911123456", "text": "hi", "id": "m1", "secret": "s3cret"}
        assert (await client.get(f"{base}/kannel/mo", params=params)).status_code == 200
    [text] = await _texts(store)
    queued = await outbox.queue_reply(store, text.conversation_id, "hello", agent="Ana")
    async with store.read() as session:
        item = await session.get(Outbox, queued.outbox_id)
    assert item is not None
    return queued.message_id, item.idempotency_key


async def test_an_smscs_report_text_is_stored_without_terminal_escapes(
    listener: tuple[str, Store],
) -> None:
    base, store = listener
    message_id, key = await _queued_sms(base, store)
    async with httpx.AsyncClient() as client:  # clear screen, retitle the terminal
        reply = "%1B%5B2J%1B%5D0%3Bpwned%07NACK%2FInvalid+Destination"
        report = f"{base}/kannel/dlr?key={key}&secret=s3cret&status=16&reply={reply}"
        assert (await client.get(report)).status_code == 200
    async with store.read() as session:
        message = await session.get(Message, message_id)
    assert message is not None and message.status == "failed"
    assert "\x1b" not in (message.status_reason or "") and "\x07" not in message.status_reason
    assert "Invalid Destination" in message.status_reason


async def test_a_listen_secret_with_a_plus_works_as_pasted_into_kannels_get_url(
    tmp_path: Path,
) -> None:
    """``openssl rand -base64`` secrets have "+": a query decodes it as a space."""
    async with listening(tmp_path, 'listen_secret = "q8+Zr/4kP1w=="') as (base, store):
        async with httpx.AsyncClient() as client:
            mo = f"{base}/kannel/mo?from=%2B447911123456&text=hi&id=1"
            pasted = await client.get(httpx.URL(mo + "&secret=q8+Zr/4kP1w=="))
            assert pasted.status_code == 200
            wrong = await client.get(httpx.URL(mo + "&secret=q8 Zr/4kP1w"))
            assert wrong.status_code == 403
        assert [m.text for m in await _texts(store)] == ["hi"]


async def test_a_secret_command_runs_before_listening_so_no_text_waits_for_it(
    tmp_path: Path,
) -> None:
    command = 'listen_secret_command = "sleep 1; echo s3cret"'
    async with listening(tmp_path, command) as (base, _), httpx.AsyncClient() as client:
        started = time.monotonic()
        mo = f"{base}/kannel/mo?from=%2B447911123456&text=hi&secret=s3cret"
        assert (await client.get(mo)).status_code == 200
        assert time.monotonic() - started < 0.9  # the command's second was paid at start


async def test_a_failing_secret_command_stops_the_start_with_one_clear_line(tmp_path: Path) -> None:
    config = parse_config(_kannel_config(free_port(), 'listen_secret_command = "exit 3"'))
    async with await Store.open(tmp_path / "omni.db", create=True) as store:
        [endpoint] = endpoints(config.accounts)
        server = SmsListener(store, endpoint, IngestOptions.from_config(config))
        with pytest.raises(ConfigError, match="listen_secret_command") as failed:
            await server.start()
    assert "\n" not in str(failed.value)
