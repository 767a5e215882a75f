"""Raw RFC 5322 bytes → :class:`InboundMessage`, fast and never raising.

Parsing gives the stdlib's ``compat32`` message tree (built by ``split``, which
slices where the stdlib reads line by line), several times faster than
``policy.default`` because it builds no header objects; headers are decoded here
instead (RFC 2047 words, RFC 2231 parameters, raw 8-bit bytes).  Every decoding
step tolerates garbage: unknown charsets fall back to UTF-8 with replacement
characters, broken encoded words are kept as written, and a message that cannot
be parsed at all still comes back as an ``InboundMessage`` that says so, with
its raw bytes kept.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr, parsedate_to_datetime

from adapters.base import AttachmentData, Direction, InboundMessage
from adapters.email.automated import automated_by, delivery_failure, returned_message_id
from adapters.email.charsets import decode_text
from adapters.email.flowed import unflow
from adapters.email.split import message_from_bytes

__all__ = ["decode_header_value", "decode_text", "parse_message"]

_MAX_DEPTH = 32  # nested multiparts deeper than this are not descended into
_MAX_PARTS = 500  # a message with more leaves than this is cut short

_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([qQbB])\?(.*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_SIMPLE_MAILBOX = re.compile(
    r'\s*(?:(?:"([^"\\]*)"|([^"<>\\,;:@()\[\]]*?))\s*<([^<>\s"(),;:\\]+@[^<>\s"(),;:\\]+)>'
    r'|([^<>\s"(),;:\\]+@[^<>\s"(),;:\\]+))\s*'
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_MSG_ID = re.compile(r"<[^<>\s]+>")
_VIA = re.compile(r"\s+via\s+.*$", re.IGNORECASE)
_SURROGATE = re.compile("[\udc80-\udcff]")


def _unsurrogate(value: str) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogates) → text."""
    if not _SURROGATE.search(value):
        return value
    return decode_text(value.encode("ascii", "surrogateescape"), None)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(text.encode("utf-8"), header=True)
        data = "".join(text.split())
        if not _BASE64.fullmatch(data):
            return None
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_header_value(value: object) -> str:
    """One header value as text: unfolded, RFC 2047 words decoded, on one line.

    Adjacent encoded words in the same charset are decoded together (mailers
    split multi-byte characters across words); whitespace between encoded words
    is dropped as RFC 2047 says; a word that will not decode is kept as written.
    """
    if value is None:
        return ""
    text = _unfolded(value if isinstance(value, str) else str(value))
    if "=?" not in text:
        return text
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    pos = 0
    after_word = False

    def flush() -> None:
        if pending:
            out.append(decode_text(bytes(pending), pending_charset or None))
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        if gap and not (after_word and gap.isspace()):
            flush()
            out.append(gap)
        charset, encoding, encoded = match.groups()
        data = _word_bytes(encoding, encoded)
        if data is None:
            flush()
            out.append(match.group(0))
            after_word = False
        else:
            charset = charset.split("*", 1)[0].lower()
            if charset != pending_charset:
                flush()
                pending_charset = charset
            pending.extend(data)
            after_word = True
        pos = match.end()
    flush()
    out.append(text[pos:])
    return _LINE_BREAKS.sub(" ", "".join(out))


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.lower(), []).append(value if isinstance(value, str) else str(value))
    return headers


def _unfolded(value: str) -> str:
    text = _unsurrogate(value)
    if "\n" in text or "\r" in text:
        text = _LINE_BREAKS.sub(" ", _FOLD.sub("", text))
    return text


def _ids(value: str | None) -> list[str]:
    """Message ids in a header, angle brackets kept; bare ``id@host`` words are wrapped."""
    if not value:
        return []
    text = _unfolded(value)
    found = _MSG_ID.findall(text) or [f"<{w.strip('<>')}>" for w in text.split() if "@" in w]
    return list(dict.fromkeys(found))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(_unfolded(value).strip())
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except Exception:  # ValueError, TypeError, OverflowError on garbage dates
        return None


def _split_mailbox(text: str) -> tuple[str, str] | None:
    """(name, address) of the common one-mailbox forms without the slow parser."""
    match = _SIMPLE_MAILBOX.fullmatch(text)
    if match is None:
        return None
    quoted, plain, bracketed, bare = match.groups()
    return (quoted if quoted is not None else plain or "").strip(), bracketed or bare


def _mailbox(value: str) -> tuple[str, str]:
    """(address, display name) of one From-like header."""
    text = _unfolded(value)
    name, address = _split_mailbox(text) or parseaddr(text)
    if not address and not name:
        return decode_header_value(text).strip(), ""
    return address.strip(), decode_header_value(name).strip()


def _addresses(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        text = _unfolded(value)
        simple = None if "," in text else _split_mailbox(text)
        pairs = [simple] if simple else getaddresses([text])
        found.extend(address.strip() for _, address in pairs if address.strip())
    return found


@dataclass(frozen=True, slots=True)
class _Mime:
    """What a part's Content-* headers say, read in one pass over its raw headers."""

    content_type: str
    disposition: str | None
    charset: str | None
    cte: str
    has_cid: bool
    named: bool  # might have a filename: worth asking the (slow) parameter parser


def _mime(part: Message) -> _Mime:
    found: dict[str, str] = {}
    has_cid = False
    for key, value in part.raw_items():
        if key[:1] not in "cC" or (name := key.lower())[:8] != "content-":
            continue
        if name == "content-id":
            has_cid = True
        found.setdefault(name, value if isinstance(value, str) else str(value))
    content_type = found.get("content-type", "")
    disposition = found.get("content-disposition", "")
    for name, value in (("Content-Type", content_type), ("Content-Disposition", disposition)):
        if _SURROGATE.search(value):  # raw 8-bit: re-read so filenames keep their letters
            part.replace_header(name, _unsurrogate(value))
    content_type, disposition = _unsurrogate(content_type), _unsurrogate(disposition)
    ctype = content_type.partition(";")[0].strip().lower()
    if not ctype:
        ctype = part.get_default_type()
    elif ctype.count("/") != 1:
        ctype = "text/plain"
    charset_match = _CHARSET.search(content_type)
    charset = charset_match.group(1) if charset_match else None
    if charset is None and "charset*" in content_type.lower():
        charset = part.get_content_charset()
    return _Mime(
        content_type=ctype,
        disposition=disposition.partition(";")[0].strip().lower() or None,
        charset=charset,
        cte=found.get("content-transfer-encoding", "").strip().lower(),
        has_cid=has_cid,
        named=bool(disposition) or "name" in content_type.lower(),
    )


def _leaves(msg: Message) -> Iterator[tuple[Message, _Mime]]:
    """Leaf parts in order; message/* parts are leaves (listed, not opened)."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    count = 0
    while stack and count < _MAX_PARTS:
        part, depth = stack.pop()
        mime = _mime(part)
        if mime.content_type.startswith("multipart/") and part.is_multipart():
            if depth < _MAX_DEPTH:
                children = [p for p in part.get_payload() if isinstance(p, Message)]
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        count += 1
        yield part, mime


def _filename(part: Message, mime: _Mime) -> str:
    if not mime.named:
        return ""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        return ""
    if isinstance(name, tuple):  # an RFC 2231 triple get_param did not collapse
        name = collapse_rfc2231_value(name)
    return decode_header_value(name).strip()


def _size_label(limit: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if limit >= scale:
            return f"{limit / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{limit} bytes"


def _encoded_size(part: Message, cte: str) -> int:
    try:
        payload = part.get_payload()
    except ValueError:  # a charset name with a NUL in it: the stdlib cannot look it up
        return len(part.get_payload(decode=True) or b"")
    if not isinstance(payload, str):
        return 0
    if cte == "base64":
        chars = len(payload) - payload.count("\n") - payload.count("\r") - payload.count(" ")
        return max(0, chars * 3 // 4 - payload.rstrip()[-2:].count("="))
    return len(payload)


def _message_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload()
    except ValueError:  # as in ``_encoded_size``
        return part.get_payload(decode=True) or b""
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]
        try:
            return inner.as_bytes()
        except Exception:
            return str(inner).encode("utf-8", "surrogateescape")
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _default_name(content_type: str, inline: bool) -> str:
    ext = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return ("inline" if inline else "attachment") + ext


def _attachment(part: Message, mime: _Mime, limit: int) -> AttachmentData:
    content_type = mime.content_type
    inline = mime.disposition == "inline" or (mime.disposition != "attachment" and mime.has_cid)
    name = _filename(part, mime)
    if content_type.startswith("message/"):
        data = _message_bytes(part)
        if not name and content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            subject = ""
            if isinstance(inner, Message):
                subject = decode_header_value(_raw_headers(inner).get("subject", [""])[0])
            name = (subject.strip() or "forwarded message") + ".eml"
        size = len(data)
    else:
        size = _encoded_size(part, mime.cte)
        data = None
        if size <= limit:
            data = part.get_payload(decode=True) or b""
            size = len(data)
    name = name or _default_name(content_type, inline)
    if size > limit:
        if not content_type.startswith("message/"):
            part.set_payload("")  # the raw copy we keep leaves the skipped body out too
        reason = f"larger than {_size_label(limit)} limit"
        return AttachmentData(name, content_type, None, size, inline, reason)
    return AttachmentData(name, content_type, data, size, inline)


def _body_text(part: Message, charset: str | None) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = decode_text(data, charset)
    text = text.replace("\r\n", "\n") if "\r" in text else text
    if str(part.get_param("format", "")).lower() == "flowed" and _is_plain(part):
        return unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _is_plain(part: Message) -> bool:
    return part.get_content_type() == "text/plain"


def _walk_parts(msg: Message, limit: int) -> tuple[list[str], list[str], list[AttachmentData]]:
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[AttachmentData] = []
    single = not msg.is_multipart()
    for part, mime in _leaves(msg):
        maintype, _, subtype = mime.content_type.partition("/")
        if maintype == "multipart":  # declared multipart but no usable boundary
            maintype, subtype = "text", "plain"
        if maintype == "text" and subtype in ("plain", "html"):
            is_body = mime.disposition != "attachment" and (single or not _filename(part, mime))
            if is_body:
                (texts if subtype == "plain" else htmls).append(_body_text(part, mime.charset))
                continue
        attachments.append(_attachment(part, mime, limit))
    return texts, htmls, attachments


def parse_message(
    raw: bytes,
    *,
    account: str,
    provider_id: str,
    max_attachment_bytes: int,
    received_at: datetime | None = None,
    own_address: str | None = None,
    in_sent: bool = False,
) -> InboundMessage:
    """One raw RFC 5322 message as an ``InboundMessage``; never raises.

    ``in_sent``: the message is in the account's Sent folder, where what comes from
    ``own_address`` to someone else is our answer (``direction="out"``).

    ``text`` is the text/plain body (empty when there is none: ``html`` then
    carries the text/html body for ingest to convert).  Attachments over
    ``max_attachment_bytes`` keep their name, type and estimated size, with
    ``data=None`` and a ``skipped_reason``.
    """
    if not isinstance(raw, bytes):  # bytearray, memoryview
        raw = bytes(raw)
    try:
        return _parse(
            raw, account, provider_id, max_attachment_bytes, received_at, own_address, in_sent
        )
    except Exception as exc:  # RecursionError, parser bugs on hostile input
        why = f"{type(exc).__name__}: {exc}"[:200]
        return InboundMessage(
            channel="email",
            account=account,
            provider_id=provider_id,
            sender="",
            text=f"[This message could not be parsed ({why}). The raw message is kept.]",
            received_at=received_at,
            context={"parse_error": why},
            raw=raw,
        )


def _without_skipped(msg: Message, raw: bytes) -> bytes:
    """The message as kept on disk: skipped attachments are not downloaded, so not stored."""
    try:
        return msg.as_bytes()
    except Exception:  # a message the generator cannot write back: keep its headers
        head, _, _ = raw.partition(b"\r\n\r\n")
        return head + b"\r\n\r\n"


def _parse(
    raw: bytes,
    account: str,
    provider_id: str,
    limit: int,
    received_at: datetime | None,
    own_address: str | None = None,
    in_sent: bool = False,
) -> InboundMessage:
    msg = message_from_bytes(raw)
    headers = _raw_headers(msg)

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    sender, sender_name = "", ""
    for name in ("from", "sender", "reply-to", "return-path"):
        value = first(name)
        if value and value.strip():
            sender, sender_name = _mailbox(value)
            if sender:
                break
    context: dict[str, str] = {}
    reply_to = _addresses(headers.get("reply-to", []))
    own = (own_address or "").lower()
    recipients = _addresses(headers.get("to", []) + headers.get("cc", []))
    others = [r for r in recipients if r.lower() != own]
    direction: Direction = "in"
    if in_sent and own and sender.lower() == own and others:
        # our answer, written here or in any other mail program: to whom it went first
        direction, recipients = "out", [*others, *(r for r in recipients if r not in others)]
    elif own and sender.lower() == own and len(reply_to) == 1 and reply_to[0].lower() != own:
        # a group (Google Groups, a list) that rewrote the From to our own address: the
        # customer is who it names in Reply-To ("'Maria' via Support")
        context["via"] = sender
        sender, sender_name = reply_to[0], _VIA.sub("", sender_name).strip(" '\"")
    elif sender and reply_to and [a.lower() for a in reply_to] != [sender.lower()]:
        # shown, not followed: an unauthenticated Reply-To naming a known customer
        # must not put a stranger's mail in that customer's history
        context["reply-to"] = ", ".join(reply_to)
    if automated := automated_by(first):
        context["automated"] = automated
    if failure := delivery_failure(msg):
        context["bounced"] = failure  # and the reply it returns is marked failed
    if copied := _addresses(headers.get("cc", [])):
        context["cc"] = ", ".join(copied)  # shown to the agent; a reply to all copies them
    subject = first("subject")
    message_ids = _ids(first("message-id"))
    texts, htmls, attachments = _walk_parts(msg, limit)
    if any(a.skipped_reason for a in attachments):
        raw = _without_skipped(msg, raw)
    text = "\n".join(t for t in texts if t) if len(texts) > 1 else "".join(texts)
    if not headers:
        context["parse_error"] = "no headers"
        note = "[This message has no email headers; it is shown as it came. The raw is kept.]"
        text = f"{note}\n\n{text}" if text else note
    return InboundMessage(
        channel="email",
        account=account,
        provider_id=provider_id,
        raw=raw,
        context=context,
        sender=sender,
        sender_name=sender_name or None,
        recipients=tuple(recipients),
        subject=None if subject is None else decode_header_value(subject).strip(),
        text=text,
        html="\n".join(htmls) if htmls else None,
        attachments=tuple(attachments),
        sent_at=_date(first("date")),
        received_at=received_at,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=(_ids(first("in-reply-to")) or _ids(returned_message_id(msg)) or [None])[0],
        references=tuple(_ids(" ".join(headers.get("references", [])))),
        direction=direction,
    )
