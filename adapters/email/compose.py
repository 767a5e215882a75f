"""An :class:`OutboundMessage` → RFC 5322 bytes ready for SMTP (CRLF line ends).

Header values are single-lined first (CR, LF and the other characters Python
treats as line breaks become spaces), so no value can start a header of its own.
Message-ID, In-Reply-To and References are written raw and folded between ids:
the stdlib would otherwise turn a long id into RFC 2047 encoded words, which
breaks threading in every mail client that reads them.
"""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import idna

from adapters.base import OutboundMessage

__all__ = ["ascii_address", "build_message", "clean_header", "id_domain"]

# Everything str.splitlines() breaks on, plus the other C0 controls and DEL.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]+")
_NOT_ID_CHAR = re.compile(r"[^\x21-\x7e]")
_POLICY = email.policy.SMTP
_7BIT_POLICY = _POLICY.clone(cte_type="7bit")  # for a server without 8BITMIME
# Headers set with set_raw are written exactly as given (we fold them ourselves).
_OUTPUT_POLICY = email.policy.SMTP.clone(refold_source="none")
_UTF8_OUTPUT_POLICY = _OUTPUT_POLICY.clone(utf8=True)  # RFC 6531: headers in UTF-8


def clean_header(value: str) -> str:
    """A header value that cannot break out of its line."""
    return _UNSAFE.sub(" ", value).strip()


#: Longer than any real Message-ID; one from a hostile message could push a header
#: line past SMTP's 998 characters, since ids are never broken inside.
_MAX_ID = 250


def _msg_id(value: str) -> str | None:
    """``<id@host>`` with anything outside printable ASCII dropped; None if nothing is
    left, or if it is too long to be a real id."""
    core = _NOT_ID_CHAR.sub("", value).strip("<>")
    return f"<{core}>" if core and len(core) <= _MAX_ID else None


def _fold_ids(ids: list[str], name: str) -> str:
    """Ids joined by spaces, a line break between ids before a line passes 78 characters."""
    lines: list[str] = []
    line = ""
    width = len(name) + 2
    for msg_id in ids:
        if line and width + len(line) + 1 + len(msg_id) > 78:
            lines.append(line)
            line, width = msg_id, 1
        else:
            line = f"{line} {msg_id}" if line else msg_id
    lines.append(line)
    return "\n ".join(lines)


def _mailbox(address: str, name: str | None) -> Address | str:
    address = clean_header(address)
    if "<" in address:  # "Name <addr>" given as the address
        parsed_name, address = parseaddr(address)
        name = name or parsed_name
    name = clean_header(name) if name else ""
    try:
        return Address(display_name=name, addr_spec=address)
    except Exception:  # not a parseable addr-spec: let the header parser cope
        return f"{name} <{address}>" if name else address


def ascii_address(address: str) -> str | None:
    """The addr-spec of ``address`` as plain SMTP carries it, its domain in IDNA
    (``exämple.com`` becomes ``xn--exmple-cua.com``); None when the part before the @
    is not ASCII, which only a server that speaks SMTPUTF8 can carry.  ValueError for
    a domain IDNA refuses."""
    spec = parseaddr(clean_header(address))[1] or clean_header(address)
    local, at, domain = spec.rpartition("@")
    if not at or not local.isascii():
        return spec if spec.isascii() else None
    if domain.isascii():
        return spec
    try:  # IDNA 2008: ß stays ß (xn--strae-oqa.de); the stdlib codec makes it ss
        return f"{local}@{idna.encode(domain, uts46=True, transitional=False).decode()}"
    except UnicodeError:  # idna.IDNAError is one
        raise ValueError(f"{spec}: not a valid internationalised domain") from None


def _to(address: str, utf8: bool) -> Address | str:
    """The To header: as given, or with its domain in IDNA when the mail is plain ASCII."""
    name, spec = parseaddr(clean_header(address))
    plain = None if utf8 else ascii_address(address)
    return _mailbox(plain, name) if plain and plain != spec else clean_header(address)


def id_domain(address: str) -> str:
    """The right-hand side of the Message-IDs we mint for mail from ``address``: its
    domain, so spam filters see ids from the sender's own domain (IDNA if need be)."""
    try:
        plain = ascii_address(address) or ""
    except ValueError:
        plain = ""
    return _NOT_ID_CHAR.sub("", plain.rpartition("@")[2]) or "localhost"


def build_message(
    out: OutboundMessage,
    *,
    from_address: str,
    from_name: str | None = None,
    date: datetime | None = None,
    utf8: bool = False,
    eight_bit: bool = True,
) -> bytes:
    """RFC 5322 bytes for ``out``: UTF-8 text/plain, multipart/mixed with attachments.

    Non-ASCII text goes as 8bit, or as quoted-printable when ``eight_bit`` is False
    (the server does not offer 8BITMIME, and may strip the eighth bit).
    ``out.message_id`` is used when set, else one is made on the sender's domain.
    An attachment without data (one skipped on the way in) raises ``ValueError``:
    sending the reply without it silently would lose it.
    """
    msg = EmailMessage(policy=_POLICY if eight_bit or utf8 else _7BIT_POLICY)
    msg["From"] = _mailbox(from_address, from_name)
    msg["To"] = _to(out.to, utf8)
    if out.cc:
        msg["Cc"] = ", ".join(str(_to(address, utf8)) for address in out.cc)
    if out.subject is not None:
        msg["Subject"] = clean_header(out.subject)
    when = date or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    msg["Date"] = format_datetime(when)
    message_id = _msg_id(out.message_id or "") or make_msgid(domain=id_domain(from_address))
    msg.set_raw("Message-ID", message_id)
    in_reply_to = _msg_id(out.in_reply_to or "")
    if in_reply_to:
        msg.set_raw("In-Reply-To", in_reply_to)
    references = [r for r in (_msg_id(ref) for ref in out.references) if r]
    if references:
        msg.set_raw("References", _fold_ids(list(dict.fromkeys(references)), "References"))
    if out.auto_submitted:  # RFC 3834 5; the second for Exchange's out-of-office
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    seven_bit = not (eight_bit or utf8)
    cte = "quoted-printable" if seven_bit and not out.text.isascii() else None
    msg.set_content(out.text.replace("\r\n", "\n"), cte=cte)
    for part in out.attachments:
        if part.data is None:
            reason = f" ({part.skipped_reason})" if part.skipped_reason else ""
            raise ValueError(f"attachment {part.filename!r} has no data{reason}")
        content_type = clean_header(part.content_type).partition(";")[0].strip().lower()
        maintype, _, subtype = content_type.partition("/")
        if not maintype or not subtype or maintype in ("multipart", "message"):
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            part.data,
            maintype=maintype,
            subtype=subtype,
            filename=clean_header(part.filename) or "attachment",
            disposition="inline" if part.inline else "attachment",
            params=_charset(maintype, part.data),
        )
    return msg.as_bytes(policy=_UTF8_OUTPUT_POLICY if utf8 else _OUTPUT_POLICY)


def _charset(maintype: str, data: bytes) -> dict[str, str]:
    """A text file's charset, when it is UTF-8: text without one is read as US-ASCII
    (RFC 2046 4.1.2), and a customer's CSV of names would arrive garbled."""
    if maintype != "text" or data.isascii():
        return {}
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {"charset": "utf-8"}
