"""Hostile and broken mail, through the real CLI against a real Dovecot: every message
stored and displayable as safe text, nothing written outside the data dir, nothing
fetched from the network."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omni_tui.attachments import save_attachment
from omni_tui.errors import Refused
from omni_tui.store import Store
from tests.servers import Dovecot
from tests.test_email_reliability import (  # noqa: F401 (the module's Dovecot fixture)
    Sandbox,
    _folders,
    account_toml,
    check_data_dir,
    dovecot,
    files_under,
    scalar,
)

# ------------------------------------------------------------- 1c: hostile and broken mail


def mail(*headers: str | bytes, body: bytes = b"") -> bytes:
    lines = [h.encode() if isinstance(h, str) else h for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _part(*headers: str, body: bytes) -> bytes:
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body + b"\r\n"


def _multipart(boundary: str, *parts: bytes) -> bytes:
    chunks = [b"This is a multi-part message in MIME format.\r\n"]
    for part in parts:
        chunks.append(f"--{boundary}\r\n".encode() + part)
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _attachment(
    filename_params: str, data: bytes, ctype: str = "application/octet-stream"
) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return _part(
        f"Content-Type: {ctype}",
        f"Content-Disposition: attachment; {filename_params}",
        "Content-Transfer-Encoding: base64",
        body=encoded,
    )


def _text(text: str, charset: str = "utf-8") -> bytes:
    return _part(f"Content-Type: text/plain; charset={charset}", body=text.encode())


BIG_ATTACHMENT = 20 * 1024 * 1024
MAX_ATTACHMENT = 1024 * 1024


def hostile_corpus(pixel_url: str) -> dict[str, bytes]:
    """Name → raw message; each carries a marker word its stored text must contain."""
    to = "To: support@larkspur.example"
    date = "Date: Tue, 17 Nov 2026 10:00:00 +0100"
    utf8 = "Content-Type: text/plain; charset=utf-8"

    def common(name: str) -> list[str]:
        return [
            f"From: {name} <{name}@hostile.example>",
            to,
            date,
            f"Message-ID: <{name}@h.example>",
        ]

    inner = mail(
        "From: Inner <inner@example.com>",
        "Subject: the forwarded one",
        'Content-Type: multipart/mixed; boundary="inner"',
        body=_multipart(
            "inner",
            _text("marker-inner-text"),
            _part(
                "Content-Type: message/rfc822",
                body=mail(
                    "From: Deepest <deep@example.com>",
                    "Subject: deeper still",
                    utf8,
                    body=b"marker-innermost-text",
                ),
            ),
        ),
    )
    html = (
        "<html><head><style>p{color:red}</style><script>alert('xss')</script></head><body>"
        "<p>marker-html text <b>bold</b></p><script src=http://evil.example/x.js></script>"
        f'<img src="{pixel_url}" width="1" height="1" alt="">'
        '<img src="x" onerror="alert(1)"><a href="https://shop.example/track">track</a>'
        "</body></html>"
    )
    return {
        "no-date": mail(
            "From: Nora <no-date@hostile.example>",
            to,
            "Subject: no date",
            "Message-ID: <no-date@h.example>",
            utf8,
            body=b"marker-no-date",
        ),
        "no-from": mail(
            to,
            date,
            "Subject: nobody sent this",
            "Message-ID: <no-from@h.example>",
            utf8,
            body=b"marker-no-from",
        ),
        "no-message-id": mail(
            "From: Nils <no-message-id@hostile.example>",
            to,
            date,
            "Subject: no id",
            utf8,
            body=b"marker-no-message-id",
        ),
        "no-headers": b"marker-no-headers just a body with no header lines\r\n",
        "duplicate-first": mail(
            "From: Dana <dup@hostile.example>",
            to,
            date,
            "Subject: first of two",
            "Message-ID: <same-id@h.example>",
            utf8,
            body=b"marker-duplicate-first",
        ),
        "duplicate-second": mail(
            "From: Dana <dup@hostile.example>",
            to,
            date,
            "Subject: second, same Message-ID",
            "Message-ID: <same-id@h.example>",
            utf8,
            body=b"marker-duplicate-second",
        ),
        "broken-boundary": mail(
            *common("broken-boundary"),
            "Subject: wrong boundary",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="declared"',
            body=b"--actual\r\nContent-Type: text/plain\r\n\r\nmarker-broken-boundary\r\n"
            b"--actual--\r\n",
        ),
        "truncated-multipart": mail(
            *common("truncated-multipart"),
            "Subject: cut short",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="b1"',
            body=b"--b1\r\nContent-Type: text/plain\r\n\r\nmarker-truncated-multipart\r\n"
            b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="cut.pdf"\r\n\r\nJVBERi0xLjQK$$$',
        ),
        "unknown-charset": mail(
            *common("unknown-charset"),
            "Subject: =?x-klingon?Q?Qapla=27?=",
            "Content-Type: text/plain; charset=x-klingon",
            body="marker-unknown-charset ¡Qapla’!".encode(),
        ),
        "lying-ascii": mail(
            *common("lying-ascii"),
            "Subject: says ascii",
            "Content-Type: text/plain; charset=us-ascii",
            body="marker-lying-ascii café crème".encode(),
        ),
        "lying-utf8": mail(
            *common("lying-utf8"),
            "Subject: says utf-8",
            utf8,
            body="marker-lying-utf8 café".encode("latin-1"),
        ),
        "raw-8bit": mail(
            "From: José Müller <raw-8bit@hostile.example>".encode(),
            to,
            date,
            "Message-ID: <raw-8bit@h.example>",
            "Subject: Grüße aus Köln".encode(),
            utf8,
            body="marker-raw-8bit grüße".encode(),
        ),
        "rfc2047": mail(
            "From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <rfc2047@hostile.example>",
            to,
            date,
            "Message-ID: <rfc2047@h.example>",
            "Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?4pyT?=",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="r"',
            body=_multipart(
                "r",
                _text("marker-rfc2047"),
                _attachment('filename="=?UTF-8?B?0YDQtdC30Y7QvNC1LnBkZg==?="', b"%PDF-1.4 cv"),
                _attachment("filename*=UTF-8''na%C3%AFve%20plan.txt", b"plan", "text/plain"),
            ),
        ),
        "rfc822-nesting": mail(
            *common("rfc822-nesting"),
            "Subject: Fwd: the forwarded one",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="outer"',
            body=_multipart(
                "outer",
                _text("marker-rfc822-nesting, see the forwarded message"),
                _part("Content-Type: message/rfc822", body=inner),
            ),
        ),
        "empty-body": mail(
            *common("empty-body"),
            "Subject: marker-empty-body",
            utf8,
            body=b"",
        ),
        "big-attachment": mail(
            *common("big-attachment"),
            "Subject: big file",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="big"',
            body=_multipart(
                "big",
                _text("marker-big-attachment"),
                _attachment('filename="video.mp4"', os.urandom(BIG_ATTACHMENT), "video/mp4"),
            ),
        ),
        "evil-filenames": mail(
            *common("evil-filenames"),
            "Subject: files",
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="evil"',
            body=_multipart(
                "evil",
                _text("marker-evil-filenames"),
                _attachment('filename="../../etc/passwd"', b"root:x:0:0::/root:/bin/sh\n"),
                _attachment('filename="CON.txt"', b"device name"),
                _attachment('filename="..\\\\..\\\\windows\\\\evil.bat"', b"@echo off"),
                _attachment('filename="/etc/cron.d/evil"', b"* * * * * root sh"),
                _attachment('filename=".."', b"dots"),
            ),
        ),
        "html": mail(
            *common("html"),
            "Subject: newsletter",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
            body=html.encode(),
        ),
        "terminal-escapes": mail(
            *common("terminal-escapes"),
            "Subject: \x1b[2J\x1b]0;owned\x07invoice \u202egpj.exe".encode(),
            utf8,
            body=b"\x1b[31mmarker-terminal-escapes\x1b[0m \x1b]8;;http://evil.example\x07x",
        ),
        # "+2D0-" is half of a surrogate pair in UTF-7: a string SQLite cannot store
        "utf7-surrogate": mail(
            "From: =?utf-7?q?Ann_+2D0-?= <utf7-surrogate@hostile.example>",
            to,
            date,
            "Message-ID: <utf7-surrogate@h.example>",
            "Subject: half a character",
            "Content-Type: text/plain; charset=utf-7",
            body=b"marker-utf7-surrogate hello +2D0- world",
        ),
        "unterminated-escapes": mail(
            *common("unterminated-escapes"),
            b"Subject: Re: \x1bPinvoice 4471 is wrong",
            utf8,
            body=b"marker-unterminated-escapes Hello,\x1b] please refund order 12345\r\n"
            b"The rest of my message matters.",
        ),
        "known-customer": mail(
            "From: Ana Lopez <ana@customer.example>",
            to,
            date,
            "Message-ID: <known-customer@h.example>",
            "Subject: my order",
            utf8,
            body=b"marker-known-customer where is my order?",
        ),
        # mail to evil.example, whose local part is written like Ana's address
        "quoted-lookalike": mail(
            'From: Ana Lopez <"ana@customer.example"@evil.example>',
            to,
            date,
            "Message-ID: <quoted-lookalike@h.example>",
            "Subject: change my address",
            utf8,
            body=b"marker-quoted-lookalike send it to 1 Evil Road instead",
        ),
        "invisible-name": mail(
            "From: =?UTF-8?Q?Pay=E2=80=8BPal_Supp=E2=80=8Cort?= <invisible-name@hostile.example>",
            to,
            date,
            "Message-ID: <invisible-name@h.example>",
            "Subject: =?UTF-8?Q?Your_acc=E2=81=A0ount?=",
            utf8,
            body="marker-invisible-name \ufeffpay\u00adment — 👨\u200d👩\u200d👧".encode(),
        ),
    }


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    return sock


@dataclass
class Hostile:
    box: Sandbox
    report: dict[str, Any]
    messages: list[dict[str, Any]]
    corpus: dict[str, bytes]
    pixel_hits: int
    stderr: str

    def by_marker(self, name: str) -> dict[str, Any]:
        marker = f"marker-{name}"
        found = [
            m
            for m in self.messages
            if marker in (m["text"] or "") or marker in (m["subject"] or "")
        ]
        assert len(found) == 1, (name, [m["text"][:80] for m in self.messages])
        return found[0]


@pytest.fixture(scope="module")
def hostile(
    dovecot: Dovecot,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hostile]:
    folder = f"Hostile{next(_folders)}"
    tracker = _listening_socket()
    try:
        corpus = hostile_corpus(f"http://127.0.0.1:{tracker.getsockname()[1]}/pixel.gif")
        dovecot.deliver(*corpus.values(), folder=folder)
        box = Sandbox(tmp_path_factory.mktemp("hostile"))
        box.config.write_text(
            account_toml(dovecot, folder, max_attachment_bytes=str(MAX_ATTACHMENT))
        )
        done = box.run("sync", "--once", "--json")
        assert done.returncode == 0, done.stderr
        [report] = json.loads(done.stdout)["accounts"]
        listed = box.run("list", "--json", "--limit", "1000")
        assert listed.returncode == 0, listed.stderr
        ids = [str(c["id"]) for c in json.loads(listed.stdout)]
        with ThreadPoolExecutor(4) as pool:
            shown = list(pool.map(lambda i: box.run("show", i, "--json"), ids))
        messages = []
        for done_show in shown:
            assert done_show.returncode == 0, done_show.stderr
            assert "Traceback" not in done_show.stderr
            messages.extend(json.loads(done_show.stdout)["messages"])
        hits = 0
        try:
            while True:
                tracker.accept()[0].close()
                hits += 1
        except BlockingIOError:
            pass
        yield Hostile(box, report, messages, corpus, hits, done.stderr)
    finally:
        tracker.close()


def test_hostile_mail_is_all_stored_and_shown_as_safe_text(hostile: Hostile) -> None:
    report, messages = hostile.report, hostile.messages
    assert "Traceback" not in hostile.stderr
    # two messages that share a Message-ID (and sender and Date) but not their words
    # are two messages: both kept
    assert (report["state"], report["errors"]) == ("ok", [])
    assert (report["new"], report["skipped"]) == (len(hostile.corpus), 0)
    assert len(messages) == len(hostile.corpus)
    assert scalar(hostile.box.db, "SELECT count(*) FROM message") == len(hostile.corpus)
    for name in hostile.corpus:
        hostile.by_marker(name)  # stored, shown, and its text is there
    for m in messages:
        for value in strings(m):
            assert "<script" not in value.lower() and "alert(" not in value, m
            assert not set(value) & {"\x1b", "\x07", "\u202e", "\x00"}, m
        assert "\ufffd" not in (m["subject"] or ""), m


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_hostile_headers_and_charsets_are_decoded(hostile: Hostile) -> None:
    m = hostile.by_marker
    assert m("no-date")["sent_at"]  # falls back to the server's INTERNALDATE
    assert m("no-from")["text"] == "marker-no-from"
    assert m("no-message-id")["message_id"] is None
    assert m("duplicate-first")["message_id"] == "<same-id@h.example>"
    assert m("no-headers")["context"].get("parse_error") == "no headers"
    assert "marker-broken-boundary" in m("broken-boundary")["text"]
    assert "¡Qapla" in m("unknown-charset")["text"]
    assert m("lying-ascii")["text"] == "marker-lying-ascii café crème"
    assert m("lying-utf8")["text"].startswith("marker-lying-utf8 café")
    raw8 = m("raw-8bit")
    assert (raw8["sender_name"], raw8["subject"]) == ("José Müller", "Grüße aus Köln")
    assert raw8["text"] == "marker-raw-8bit grüße"
    rfc = m("rfc2047")
    assert (rfc["sender_name"], rfc["subject"]) == ("José García", "Café✓")
    assert [a["filename"] for a in rfc["attachments"]] == ["резюме.pdf", "naïve plan.txt"]
    nested = m("rfc822-nesting")
    assert [a["filename"] for a in nested["attachments"]] == ["the forwarded one.eml"]
    assert m("empty-body")["text"] == ""
    escapes = m("terminal-escapes")
    assert escapes["subject"].startswith("invoice") and "marker-terminal-escapes" in escapes["text"]


def test_half_a_utf7_character_is_stored_as_a_replacement_and_the_sync_goes_on(
    hostile: Hostile,
) -> None:
    half = hostile.by_marker("utf7-surrogate")
    assert half["text"] == "marker-utf7-surrogate hello \ufffd world"
    assert half["sender_name"] == "Ann \ufffd"
    assert (hostile.report["state"], hostile.report["errors"]) == ("ok", [])


def test_an_unfinished_escape_sequence_loses_no_text_after_it(hostile: Hostile) -> None:
    cut = hostile.by_marker("unterminated-escapes")
    assert cut["subject"] == "Re: invoice 4471 is wrong"
    assert cut["text"] == (
        "marker-unterminated-escapes Hello, please refund order 12345\n"
        "The rest of my message matters."
    )


def test_an_address_quoted_inside_another_is_not_that_customer(hostile: Hostile) -> None:
    ana, lookalike = hostile.by_marker("known-customer"), hostile.by_marker("quoted-lookalike")
    assert ana["sender"] == "ana@customer.example"
    assert lookalike["sender"] == '"ana@customer.example"@evil.example'
    assert lookalike["customer_id"] != ana["customer_id"]


def test_invisible_characters_are_taken_out_of_names_and_text(hostile: Hostile) -> None:
    shown = hostile.by_marker("invisible-name")
    assert (shown["sender_name"], shown["subject"]) == ("PayPal Support", "Your account")
    # a joiner inside an emoji family is kept: it is what draws them as one
    assert shown["text"] == "marker-invisible-name payment — 👨\u200d👩\u200d👧"


def test_messages_without_a_sender_do_not_share_one_customer(hostile: Hostile) -> None:
    no_from, no_headers = hostile.by_marker("no-from"), hostile.by_marker("no-headers")
    assert no_from["sender"] == no_headers["sender"] == ""
    assert no_from["customer_id"] != no_headers["customer_id"]


def test_an_attachment_over_the_limit_is_kept_as_metadata_only(hostile: Hostile) -> None:
    [big] = hostile.by_marker("big-attachment")["attachments"]
    assert big["filename"] == "video.mp4" and big["content_type"] == "video/mp4"
    assert big["sha256"] is None and "1 MB" in big["skipped_reason"]
    assert abs(big["size"] - BIG_ATTACHMENT) < 16, big
    stored = [p.stat().st_size for p in files_under(hostile.box.db.parent / "attachments")]
    assert all(size <= MAX_ATTACHMENT for size in stored)


def test_a_skipped_attachment_does_not_take_its_size_on_disk(hostile: Hostile) -> None:
    total = sum(p.stat().st_size for p in files_under(hostile.box.db.parent))
    assert total < BIG_ATTACHMENT, f"{total / 2**20:.1f} MiB under the data dir"


def test_html_is_text_and_nothing_is_fetched(hostile: Hostile) -> None:
    html = hostile.by_marker("html")
    assert "marker-html text" in html["text"] and "bold" in html["text"]
    assert "pixel.gif" not in html["text"] and "onerror" not in html["text"]
    assert hostile.pixel_hits == 0  # the tracking pixel was never requested


def test_nothing_is_written_outside_the_data_dir(hostile: Hostile) -> None:
    box = hostile.box
    check_data_dir(box.db.parent, box.db)
    assert files_under(box.root / "cwd") == [] and files_under(box.root / "home") == []
    assert sorted(p.name for p in box.root.iterdir()) == ["config.toml", "cwd", "data", "home"]


async def test_saving_hostile_attachments_stays_inside_the_directory(
    hostile: Hostile, tmp_path: Path
) -> None:
    target = tmp_path / "saved" / "downloads"
    parts = hostile.by_marker("evil-filenames")["attachments"]
    assert [a["filename"] for a in parts] == [
        "../../etc/passwd",
        "CON.txt",
        "..\\..\\windows\\evil.bat",
        "/etc/cron.d/evil",
        "..",
    ]
    store = await Store.open(hostile.box.db)
    try:
        saved = [await save_attachment(store, a["id"], target) for a in parts]
        saved.append(await save_attachment(store, parts[0]["id"], target))  # no clobbering
        with pytest.raises(Refused):
            big = hostile.by_marker("big-attachment")["attachments"][0]
            await save_attachment(store, big["id"], target)
    finally:
        await store.close()
    assert [p.name for p in saved] == [
        "passwd",
        "_CON.txt",
        "evil.bat",
        "evil",
        "attachment",
        "passwd (1)",
    ]
    assert all(p.parent == target.resolve() for p in saved)
    assert sorted(files_under(tmp_path)) == sorted(saved)
    assert saved[0].read_bytes() == b"root:x:0:0::/root:/bin/sh\n"


WINDOWS_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)
}


async def test_saving_never_uses_a_windows_device_name(hostile: Hostile, tmp_path: Path) -> None:
    [con] = [
        a for a in hostile.by_marker("evil-filenames")["attachments"] if a["filename"] == "CON.txt"
    ]
    store = await Store.open(hostile.box.db)
    try:
        saved = await save_attachment(store, con["id"], tmp_path)
    finally:
        await store.close()
    assert saved.name.split(".")[0].upper() not in WINDOWS_DEVICE_NAMES
