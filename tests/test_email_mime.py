from __future__ import annotations

import base64
import email
import email.policy
import os
import random
from datetime import UTC, datetime

import pytest

from adapters.base import AttachmentData, InboundMessage, OutboundMessage
from adapters.email import mime
from adapters.email.compose import build_message
from adapters.email.mime import decode_header_value, parse_message
from omni_tui.text import normalise_subject, reply_subject

MB = 1024 * 1024


def parse(raw: bytes | str, limit: int = 25 * MB) -> InboundMessage:
    if isinstance(raw, str):
        raw = raw.replace("\n", "\r\n").encode("utf-8")
    return parse_message(
        raw, account="support@shop.example", provider_id="INBOX:1:42", max_attachment_bytes=limit
    )


HEAD = (
    "From: Jane Doe <jane@example.com>\n"
    "To: support@shop.example\n"
    "Subject: Where is my order?\n"
    "Date: Mon, 16 Nov 2026 09:00:00 +0100\n"
    "Message-ID: <m1@example.com>\n"
    "MIME-Version: 1.0\n"
)


def test_plain_text_message() -> None:
    raw = HEAD + "Content-Type: text/plain; charset=utf-8\n\nHi,\nmy order #1234 is late.\n"
    msg = parse(raw)
    assert msg.channel == "email"
    assert (msg.account, msg.provider_id) == ("support@shop.example", "INBOX:1:42")
    assert msg.sender == "jane@example.com"
    assert msg.sender_name == "Jane Doe"
    assert list(msg.recipients) == ["support@shop.example"]
    assert msg.subject == "Where is my order?"
    assert msg.message_id == "<m1@example.com>"
    assert msg.sent_at == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert msg.text == "Hi,\nmy order #1234 is late.\n"
    assert msg.html is None
    assert msg.attachments == ()
    assert msg.raw == raw.replace("\n", "\r\n").encode()


def test_html_only_keeps_html_and_leaves_text_empty() -> None:
    raw = HEAD + "Content-Type: text/html; charset=utf-8\n\n<p>Hello <b>there</b></p>\n"
    msg = parse(raw)
    assert msg.text == ""
    assert msg.html is not None and "<b>there</b>" in msg.html


def test_multipart_alternative_prefers_text_plain() -> None:
    raw = HEAD + (
        'Content-Type: multipart/alternative; boundary="alt"\n\n'
        "--alt\nContent-Type: text/plain; charset=utf-8\n\nPlain body\n"
        "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>HTML body</p>\n"
        "--alt--\n"
    )
    msg = parse(raw)
    assert msg.text.strip() == "Plain body"
    assert msg.html is not None and "HTML body" in msg.html
    assert msg.attachments == ()


def test_iso_8859_1_and_bogus_charsets_decode() -> None:
    body = "Café crème, s'il vous plaît\n".encode("iso-8859-1")
    raw = (
        HEAD + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
    ).replace("\n", "\r\n").encode() + body
    assert parse(raw).text.startswith("Café crème, s'il vous plaît")

    bogus = (
        (HEAD + "Content-Type: text/plain; charset=x-unknown\n\n").replace("\n", "\r\n").encode()
        + "naïve ".encode()
        + b"\xff\xfe bytes\r\n"
    )
    text = parse(bogus).text
    assert text.startswith("naïve ") and "\ufffd" in text and "bytes" in text


def test_latin_1_text_labelled_utf_8_or_unknown_keeps_its_letters() -> None:
    """An old client's "Café crème" sent in a UTF-8 template showed as "Caf� cr�me"."""
    for label in ("utf-8", "x-unknown-foo"):
        raw = (HEAD + f"Content-Type: text/plain; charset={label}\n\n").replace(
            "\n", "\r\n"
        ).encode() + "Café crème, €5 off\r\n".encode("cp1252")
        assert parse(raw).text.startswith("Café crème, €5 off"), label


def test_rfc2047_subject_and_sender_name() -> None:
    raw = (
        "From: =?UTF-8?B?Sm9zw6kgTcO8bGxlcg==?= <jose@example.com>\n"
        "To: =?iso-8859-1?q?Bj=F6rn?= <bjorn@shop.example>, ops@shop.example\n"
        "Cc: Ana <ana@example.org>\n"
        "Subject: =?utf-8?q?Caf=C3=A9_order?=\n =?utf-8?q?_=E2=98=95?= is late\n"
        "Content-Type: text/plain\n\nhi\n"
    )
    msg = parse(raw)
    assert msg.sender == "jose@example.com"
    assert msg.sender_name == "José Müller"
    assert msg.subject == "Café order ☕ is late"
    assert list(msg.recipients) == ["bjorn@shop.example", "ops@shop.example", "ana@example.org"]


def test_header_decoding_tolerates_garbage() -> None:
    assert decode_header_value("=?x-unknown?q?caf=E9?=") == "café"  # no UTF-8 in it: Western
    assert decode_header_value("=?utf-8?b?!!!?= ok") == "=?utf-8?b?!!!?= ok"
    # a multi-byte character split across two encoded words
    assert decode_header_value("=?utf-8?b?4pg=?= =?utf-8?b?lQ==?=") == "☕"


FORM = (
    "From: Web Shop <noreply@shop.example>\n"
    "To: support@shop.example\n"
    "Subject: Contact form\n"
    "Message-ID: <cf1@shop.example>\n"
    "{reply_to}"
    "\nPlease call me back.\n"
)


def test_a_reply_to_naming_someone_else_is_shown_but_the_sender_stays_from() -> None:
    """A stranger's Reply-To must not file their mail under a known customer."""
    msg = parse(FORM.format(reply_to="Reply-To: Carol Diaz <carol@example.com>\n"))
    assert (msg.sender, msg.sender_name) == ("noreply@shop.example", "Web Shop")
    assert msg.context == {"reply-to": "carol@example.com"}


@pytest.mark.parametrize(
    "reply_to", ["", "Reply-To: NOREPLY@shop.example\n"], ids=["none", "the same address"]
)
def test_a_reply_to_that_adds_nothing_is_not_shown(reply_to: str) -> None:
    msg = parse(FORM.format(reply_to=reply_to))
    assert (msg.sender, msg.sender_name, msg.context) == ("noreply@shop.example", "Web Shop", {})


def test_in_reply_to_and_references() -> None:
    raw = HEAD + (
        "In-Reply-To: <r2@shop.example> (Jane's message)\n"
        "References: <r1@shop.example>\n <r2@shop.example>\n"
        "Content-Type: text/plain\n\nthanks\n"
    )
    msg = parse(raw)
    assert msg.in_reply_to == "<r2@shop.example>"
    assert list(msg.references) == ["<r1@shop.example>", "<r2@shop.example>"]


def test_unparseable_date_is_none() -> None:
    msg = parse(HEAD.replace("Mon, 16 Nov 2026 09:00:00 +0100", "yesterday-ish") + "\nhi\n")
    assert msg.sent_at is None and msg.text == "hi\n"


def mixed(*parts: str) -> str:
    body = "".join(f"--mix\n{part}\n" for part in parts)
    return HEAD + f'Content-Type: multipart/mixed; boundary="mix"\n\n{body}--mix--\n'


TEXT_PART = "Content-Type: text/plain; charset=utf-8\n\nSee attached.\n"


def test_attachment_with_rfc2231_filename() -> None:
    data = b"%PDF-1.4 invoice"
    raw = mixed(
        TEXT_PART,
        "Content-Type: application/pdf\n"
        "Content-Disposition: attachment;\n filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\n"
        f"Content-Transfer-Encoding: base64\n\n{base64.b64encode(data).decode()}\n",
    )
    msg = parse(raw)
    assert msg.text.strip() == "See attached."
    [part] = msg.attachments
    assert part == AttachmentData("Rechnung März.pdf", "application/pdf", data, len(data), False)


def test_a_part_whose_charset_holds_a_nul_keeps_the_message_and_its_sender() -> None:
    """The stdlib cannot even look such a charset up (ValueError, not LookupError)."""
    raw = mixed(
        TEXT_PART,
        'Content-Type: application/octet-stream; name="r\xe9sum\xe9.bin"; charset=utf-8\x00x\n'
        "\nsome bytes \xe9\n",
    ).encode("latin-1")
    msg = parse(raw)
    assert (msg.sender, msg.text.strip()) == ("jane@example.com", "See attached.")
    [part] = msg.attachments
    assert part.data is not None and b"some bytes" in part.data


def test_oversize_attachment_is_kept_as_metadata() -> None:
    data = os.urandom(30_000)
    encoded = base64.encodebytes(data).decode()
    raw = mixed(
        TEXT_PART,
        'Content-Type: application/zip; name="logs.zip"\n'
        'Content-Disposition: attachment; filename="logs.zip"\n'
        f"Content-Transfer-Encoding: base64\n\n{encoded}",
    )
    [part] = parse(raw, limit=10 * 1024).attachments
    assert (part.filename, part.content_type, part.data) == ("logs.zip", "application/zip", None)
    assert part.size is not None and abs(part.size - len(data)) <= 3
    assert part.skipped_reason == "larger than 10 KB limit"
    [part] = parse(raw, limit=25 * MB).attachments
    assert part.data == data and part.size == len(data)


def test_oversize_reason_names_the_limit_in_megabytes() -> None:
    raw = mixed(
        TEXT_PART, "Content-Type: image/png\nContent-Disposition: attachment\n\n" + "A" * 200 + "\n"
    )
    [part] = parse(raw, limit=100).attachments
    assert part.data is None
    assert part.filename == "attachment.png"
    assert part.skipped_reason == "larger than 100 bytes limit"
    assert mime._size_label(25 * MB) == "25 MB"
    assert mime._size_label(25_000_000) == "23.8 MB"
    assert mime._size_label(1536) == "1.5 KB"


def test_inline_image_is_flagged_inline() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    raw = HEAD + (
        'Content-Type: multipart/related; boundary="rel"\n\n'
        '--rel\nContent-Type: text/html; charset=utf-8\n\n<img src="cid:logo@x">\n'
        "--rel\nContent-Type: image/png\nContent-ID: <logo@x>\n"
        f"Content-Transfer-Encoding: base64\n\n{base64.b64encode(png).decode()}\n"
        "--rel\nContent-Type: image/jpeg; name=photo.jpg\nContent-Disposition: inline\n"
        "Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n"
        "--rel--\n"
    )
    msg = parse(raw)
    assert msg.text == "" and msg.html is not None
    logo, photo = msg.attachments
    assert (logo.content_type, logo.inline, logo.data) == ("image/png", True, png)
    assert (photo.filename, photo.inline) == ("photo.jpg", True)


def test_forwarded_message_is_listed_as_an_eml_attachment() -> None:
    inner = (
        "From: Bob <bob@example.net>\nSubject: =?utf-8?q?Original_question_=E2=9C=93?=\n"
        "Content-Type: text/plain\n\nthe original text\n"
    )
    raw = mixed(TEXT_PART, f"Content-Type: message/rfc822\n\n{inner}")
    msg = parse(raw)
    assert msg.text.strip() == "See attached."  # the inner body is not the message's text
    [part] = msg.attachments
    assert part.filename == "Original question ✓.eml"
    assert part.content_type == "message/rfc822"
    assert part.data is not None and b"the original text" in part.data
    assert part.size == len(part.data)


def test_garbage_never_raises() -> None:
    rng = random.Random(7)
    samples = [
        b"",
        b"\x00\xff" * 50,
        b"\r\n\r\n",
        b"From:\r\n\r\n",
        b":::\n\n",
        bytes(rng.randrange(256) for _ in range(2000)),
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" * 200,
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"Subject: =?utf-8?b?####?= =?bogus?q?=ZZ?=\r\nDate: Feb 30 99999\r\n\r\nx",
    ]
    for raw in samples:
        msg = parse(raw)
        assert isinstance(msg, InboundMessage) and msg.raw == raw and msg.channel == "email"


def test_a_parser_failure_still_returns_the_raw_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw: bytes) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(mime, "message_from_bytes", explode)
    msg = parse(b"From: a@b.c\r\n\r\nhi")
    assert msg.raw == b"From: a@b.c\r\n\r\nhi" and msg.sender == ""
    assert "could not be parsed" in msg.text and "RecursionError" in msg.context["parse_error"]


def test_message_without_headers_says_so() -> None:
    msg = parse(b"\x00\x01 just binary \xff\xfe")
    assert msg.context.get("parse_error") == "no headers"
    assert msg.raw == b"\x00\x01 just binary \xff\xfe"
    assert "no email headers" in msg.text


def reply(**changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "channel": "email",
        "account": "support@shop.example",
        "to": "José Müller <jose@example.com>",
        "text": "Bonjour José,\nvotre café ☕ arrive demain.\n",
        "idempotency_key": "out-1",
        "subject": "Re: Café order ☕",
        "message_id": "<out-1@shop.example>",
        "in_reply_to": "<m1@example.com>",
        "references": ["<m0@example.com>", "<m1@example.com>"],
    }
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_compose_parse_round_trip() -> None:
    when = datetime(2026, 11, 16, 10, 30, tzinfo=UTC)
    raw = build_message(reply(), from_address="support@shop.example", from_name="Shop", date=when)
    assert b"\r\n" in raw and b"\nMIME-Version: 1.0\r\n" in raw
    msg = parse(raw)
    assert (msg.sender, msg.sender_name) == ("support@shop.example", "Shop")
    assert list(msg.recipients) == ["jose@example.com"]
    assert msg.subject == "Re: Café order ☕"
    assert msg.message_id == "<out-1@shop.example>"
    assert msg.in_reply_to == "<m1@example.com>"
    assert list(msg.references) == ["<m0@example.com>", "<m1@example.com>"]
    assert msg.text == "Bonjour José,\nvotre café ☕ arrive demain.\n"
    assert msg.sent_at == when


def test_compose_generates_message_id_and_keeps_long_ids_unencoded() -> None:
    long_id = "<" + "x" * 90 + "@mail.example.com>"
    refs = [f"<{i}-{'y' * 40}@example.com>" for i in range(5)] + [long_id]
    raw = build_message(
        reply(message_id=None, in_reply_to=long_id, references=refs),
        from_address="support@shop.example",
    )
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    ids = head[head.index("\r\nMessage-ID:") : head.index("\r\nMIME-Version:")]
    assert "=?" not in ids and long_id in ids
    msg = parse(raw)
    assert msg.message_id is not None and msg.message_id.endswith("@shop.example>")
    assert msg.in_reply_to == long_id and list(msg.references) == refs
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_compose_with_attachments_is_multipart_mixed() -> None:
    pdf = AttachmentData("reçu.pdf", "application/pdf", b"%PDF-1.4 receipt")
    raw = build_message(reply(attachments=[pdf]), from_address="support@shop.example")
    assert b"multipart/mixed" in raw
    msg = parse(raw)
    assert msg.text.startswith("Bonjour José")
    [part] = msg.attachments
    assert (part.filename, part.content_type, part.data) == (
        "reçu.pdf",
        "application/pdf",
        b"%PDF-1.4 receipt",
    )


def test_crlf_in_headers_cannot_inject() -> None:
    evil = reply(
        subject="Hello\r\nBcc: victim@evil.example",
        to="a@example.com\nBcc: b@evil.x",
        in_reply_to="<m1@example.com>\r\nX-Injected: 1",
    )
    raw = build_message(evil, from_address="support@shop.example", from_name="Shop\r\nX-A: 1")
    head = raw.split(b"\r\n\r\n")[0]
    names = [line.split(b":")[0].lower() for line in head.split(b"\r\n") if line[:1] not in b" \t"]
    assert b"bcc" not in names and b"x-injected" not in names and b"x-a" not in names
    assert parse(raw).subject == "Hello Bcc: victim@evil.example"


def test_raw_8bit_headers_and_filenames_keep_their_letters() -> None:
    raw = (
        mixed(
            TEXT_PART,
            'Content-Type: application/pdf; name="résumé.pdf"\n'
            'Content-Disposition: attachment; filename="résumé.pdf"\n\nxx',
        )
        .replace("From: Jane Doe", "From: José Müller")
        .replace("Where is", "Où est")
    )
    msg = parse(raw)
    assert (msg.sender_name, msg.subject) == ("José Müller", "Où est my order?")
    assert msg.attachments[0].filename == "résumé.pdf"


def test_an_absurdly_long_id_from_a_hostile_message_never_breaks_the_line_limit() -> None:
    huge = "<" + "x" * 1200 + "@example.com>"
    raw = build_message(
        reply(in_reply_to=huge, references=["<m0@example.com>", huge]),
        from_address="support@shop.example",
    )
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert "In-Reply-To" not in head and "References: <m0@example.com>" in head


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Auto-Submitted: auto-replied", "auto-submitted: auto-replied"),
        ("Precedence: bulk", "precedence: bulk"),
        ("List-Id: <shop-news.example.com>", "a mailing list"),
        ("X-Autoreply: yes", "an auto-reply"),
        ("Auto-Submitted: no", None),  # RFC 3834: written by a person
    ],
)
def test_mail_a_machine_sent_is_marked_with_why(header: str, why: str | None) -> None:
    message = parse(f"From: Maria <maria@example.com>\n{header}\nSubject: Out of office\n\nAway.")
    assert message.context.get("automated") == why


def test_a_utf8_text_file_goes_out_saying_it_is_utf8() -> None:
    csv = "Straße;Betrag\nKöln;12,50 €\n".encode()
    files = [
        AttachmentData("Übersicht.csv", "text/csv", csv, len(csv)),
        AttachmentData("plain.txt", "text/plain", b"ascii only", 10),
    ]
    raw = build_message(reply(attachments=files), from_address="support@shop.example")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    sheet, plain = list(parsed.iter_attachments())
    assert sheet.get_content_charset() == "utf-8"
    assert sheet.get_content() == "Straße;Betrag\nKöln;12,50 €\n"
    assert plain.get_content_charset() in (None, "us-ascii")


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("Fwd: Invoice 881", "Re: Fwd: Invoice 881"),  # a forward answered is a reply
        ("RE: Aw: Order", "RE: Aw: Order"),
        ("回复: 订单", "回复: 订单"),
        ("Antwort: Bestellung", "Antwort: Bestellung"),
        ("Ref: 1234", "Re: Ref: 1234"),  # "reference" in English, not a reply
        ("Order question", "Re: Order question"),
    ],
)
def test_a_reply_subject_says_re_once_in_the_customers_language(subject: str, reply: str) -> None:
    assert reply_subject(subject) == reply


def test_a_localised_reply_prefix_threads_like_re() -> None:
    assert normalise_subject("回复: 订单") == normalise_subject("Re: 订单") == "订单"
    assert normalise_subject("Odp: zamówienie") == normalise_subject("zamówienie")
