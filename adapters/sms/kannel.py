"""Kannel: out through smsbox's ``sendsms`` HTTP interface, in through its
``sms-service`` ``get-url``/``post-url`` and the ``dlr-url`` of each message.

Kannel gives a sent message no id of its own, so ours (the outbox's
idempotency key) travels in the ``dlr-url`` and comes back with each delivery
report. The README has the matching Kannel config.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote_to_bytes, urlencode

import httpx

from adapters import tls
from adapters.base import AuthError, InboundMessage, OutboundMessage, RejectedError
from adapters.sms import http
from adapters.sms.encoding import kannel_coding, kannel_parts

#: Every report we ask for: delivered, failed, buffered, SMSC accepted, SMSC rejected.
DLR_MASK = 31
#: ``dlr-url`` placeholders: %d the report type, %A the SMSC's words.
DLR_QUERY = "status=%d&reply=%A"
#: Kannel's report types → our message status and what to tell the agent.
DLR_TYPES: dict[int, tuple[str, str | None]] = {
    1: ("delivered", None),
    2: ("failed", "the handset could not be reached"),
    4: ("sent", "buffered by the SMSC"),
    8: ("sent", None),
    16: ("failed", "the SMSC rejected the message"),
}
MO_PATH = "/kannel/mo"
DLR_PATH = "/kannel/dlr"


@dataclass(frozen=True, slots=True)
class KannelSettings:
    account: str
    number: str
    sendsms_url: str
    username: str
    password: str
    dlr_base: str | None = None  #: our listener, e.g. "http://127.0.0.1:13080"
    listen_secret: str | None = None  #: sent back to the listener with every report
    max_parts: int = 10  #: smsbox's ``max-messages``: it cuts a longer text short


@dataclass(frozen=True, slots=True)
class Report:
    """One delivery report: which message (our key) and where it now stands."""

    key: str
    status: str
    reason: str | None


class KannelAccount:
    def __init__(self, settings: KannelSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client

    def sendsms_params(self, message: OutboundMessage) -> dict[str, str]:
        s = self.settings
        params = {
            "username": s.username,
            "password": s.password,
            "from": s.number,
            "to": message.to,
            "text": message.text,
        }
        if kannel_coding(message.text) == "UCS-2":
            params |= {"coding": "2", "charset": "UTF-8"}  # smsbox converts to UCS-2
        if s.dlr_base:
            ours = {"key": message.idempotency_key}
            if s.listen_secret:
                ours["secret"] = s.listen_secret
            key = urlencode(ours)
            params["dlr-mask"] = str(DLR_MASK)
            params["dlr-url"] = f"{s.dlr_base.rstrip('/')}{DLR_PATH}?{key}&{DLR_QUERY}"
        return params

    async def send(self, message: OutboundMessage) -> str:
        """Hand the text to smsbox; our idempotency key is the message's id from then on."""
        count, most = kannel_parts(message.text), self.settings.max_parts
        if count > most:
            raise RejectedError(
                f"{self.settings.account}: the reply takes {count} texts and smsbox sends at"
                f" most {most} (max-messages, max_parts) — shorten it or send it by email"
            )
        client = self._client or httpx.AsyncClient(timeout=http.TIMEOUT, verify=tls.context())
        what = f"{self.settings.account}: sendsms"
        try:
            response = await http.request(
                client, "GET", self.settings.sendsms_url, what=what, sends=True,
                params=self.sendsms_params(message),
            )  # fmt: skip
        finally:
            if self._client is None:
                await client.aclose()
        answer = " ".join(response.text.split())[:200] or f"HTTP {response.status_code}"
        if response.status_code in (401, 403):
            raise AuthError(f"{what}: smsbox refused our username or password ({answer})")
        if response.status_code >= 400:
            raise RejectedError(f"{what}: smsbox refused the message: {answer}")
        return message.idempotency_key


def _decode(data: bytes, coding: str | None, charset: str | None) -> str:
    """MO text as smsbox passes it: UCS-2 as UTF-16BE octets, else UTF-8 or Latin-1."""
    wanted = (charset or "").strip().lower()
    if coding == "2" or wanted in ("utf-16be", "ucs-2", "ucs2", "utf-16"):
        return data.decode("utf-16-be", errors="replace")
    if wanted and wanted not in ("utf-8", "utf8"):
        try:
            return data.decode(wanted, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def secret_matches(raw_query: str, expected: str) -> bool:
    """Whether a get-url's ``secret`` is ``expected``, read either way: a base64 secret
    pasted into kannel.conf as it is keeps its "+", which a form decoder reads as a space."""
    given = [
        value
        for name, _, value in (pair.partition("=") for pair in raw_query.split("&"))
        if name == "secret"
    ]
    if len(given) != 1:
        return False
    forms = (unquote_to_bytes(given[0].replace("+", " ")), unquote_to_bytes(given[0]))
    want = expected.encode()
    return any(hmac.compare_digest(form, want) for form in forms)


def _raw_query(query: str) -> dict[str, bytes]:
    """Query values as bytes: the text's charset is only known after reading ``coding``."""
    out: dict[str, bytes] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name:
            out.setdefault(name, unquote_to_bytes(value.replace("+", " ")))
    return out


def parse_mo(
    account: str, query: str, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> InboundMessage:
    """An MO from ``get-url`` (all in the query) or ``post-url`` (text as the body,
    sender in ``X-Kannel-From``). Raises ValueError when there is no sender."""
    raw = _raw_query(query)
    headers = {k.lower(): v for k, v in (headers or {}).items()}

    def value(name: str, header: str) -> str | None:
        if name in raw:
            return raw[name].decode("utf-8", errors="replace")
        return headers.get(f"x-kannel-{header}")

    sender = value("from", "from")
    if not sender:
        raise ValueError("no 'from' in the request: the get-url needs from=%p")
    coding, charset = value("coding", "coding"), value("charset", "charset")
    data = raw["text"] if "text" in raw else body
    text = _decode(data, coding, charset)
    to = value("to", "to") or ""
    sent_at = _timestamp(value("ts", "time"))
    message_id = value("id", "id")
    if not message_id:  # no %I in the get-url: the same MO twice still hashes the same
        seed = "\x00".join([sender, to, str(value("ts", "time") or ""), text])
        message_id = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return InboundMessage(
        channel="sms",
        account=account,
        provider_id=f"kannel:{message_id}",
        sender=sender,
        recipients=[to] if to else [],
        text=text,
        sent_at=sent_at,
        received_at=datetime.now(UTC),
    )


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        if value.isdecimal():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None  # an unreadable time: the text is kept, stamped when it arrived
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_dlr(query: str) -> Report:
    """A delivery report from the ``dlr-url``. Raises ValueError when it is not one."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    key, kind = params.get("key"), params.get("status", "")
    if not key or not kind.isdecimal() or len(kind) > 3:
        raise ValueError("a delivery report needs key= and a numeric status=")
    status, reason = DLR_TYPES.get(int(kind), ("sent", f"report type {kind}"))
    reply = " ".join(params.get("reply", "").split())
    if status == "failed" and reply:
        reason = f"{reason}: {reply}" if reason else reply
    return Report(key, status, reason)
