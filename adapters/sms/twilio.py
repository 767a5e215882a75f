"""Twilio's Messages API (2010-04-01), and the gateways that copy it.

Inbound is pulled — ``GET …/Messages.json?To=<our number>&DateSent>=<day>`` with
``next_page_uri`` followed to the end — so no public webhook is needed. Twilio's
``DateSent`` filters are whole GMT days, so each pull overlaps the last day it
saw and ingest drops the repeats by ``sid``. Webhook posts (relayed or sent to
``omni-tui sync``'s listener) are parsed and their ``X-Twilio-Signature``
checked here too.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from adapters import tls
from adapters.base import (
    AttachmentData,
    AuthError,
    Cursor,
    InboundMessage,
    OutboundMessage,
    PullResult,
    RejectedError,
    TransientError,
)
from adapters.sms import http

API_VERSION = "2010-04-01"
CLOCK_SLACK = timedelta(minutes=1)
FIND_PAGES = 5  # pages searched for a reply sent before a crash
PAGE_SIZE = 100
CURSOR_FOLDER = "messages"
#: Twilio statuses → ours. ``sent`` means the gateway took it; only a handset says delivered.
STATUSES = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
FINAL = frozenset({"delivered", "failed"})
#: What the common refusals mean to an agent (the gateway's own text follows).
ERRORS = {
    20003: "the gateway refused our credentials",
    21211: "not a valid phone number",
    21408: "texting this region is not enabled for our account",
    21606: "our number cannot send SMS",
    21610: "the recipient has opted out (texted STOP) and cannot be texted",
    21612: "the gateway cannot route a text to this number",
    21614: "the number is not a mobile number",
    30003: "the handset is unreachable",
    30005: "the number is unknown or no longer in service",
    30006: "a landline or unreachable carrier",
    30007: "the carrier filtered the message",
}


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    account: str
    number: str
    account_sid: str
    username: str  #: the account SID, or an API key SID
    secret: str  #: the auth token, or the API key's secret
    api_base: str = "https://api.twilio.com"
    status_callback: str | None = None
    max_media_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a sent message stands, in our words, with the gateway's reason."""

    status: str
    reason: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL


def delivery(twilio_status: str, code: object = None, message: object = None) -> Delivery:
    status = STATUSES.get((twilio_status or "").lower(), "sent")
    if status != "failed":
        return Delivery(status)
    return Delivery(status, describe(twilio_status, code, message))


def describe(what: str, code: object, message: object) -> str:
    parts = [str(what)]
    if code not in (None, ""):
        try:
            known = ERRORS.get(int(str(code)))
        except ValueError:
            known = None
        parts.append(f"{known} (error {code})" if known else f"error {code}")
    if message:
        parts.append(str(message))
    return ": ".join(parts)


def parse_date(value: object) -> datetime | None:
    """Twilio writes RFC 2822 dates ("Mon, 16 Aug 2010 03:45:01 +0000")."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


MAX_MEDIA = 10  # Twilio's own limit per message


def _count(value: object, limit: int) -> int:
    """A count from the outside, never more than ``limit`` and 0 when unreadable."""
    try:
        return max(0, min(int(str(value or 0)), limit))
    except ValueError:
        return 0


def _sent_at(item: dict[str, Any]) -> datetime | None:
    return parse_date(item.get("date_sent")) or parse_date(item.get("date_created"))


class TwilioAccount:
    def __init__(self, settings: TwilioSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client is not None:
            yield self._client
            return
        auth = (self.settings.username, self.settings.secret)
        async with httpx.AsyncClient(
            auth=auth, timeout=http.TIMEOUT, verify=tls.context()
        ) as client:
            yield client

    @property
    def _messages_url(self) -> str:
        base = self.settings.api_base.rstrip("/")
        return f"{base}/{API_VERSION}/Accounts/{self.settings.account_sid}/Messages"

    async def _answer(
        self, client: httpx.AsyncClient, method: str, url: str, *, sends: bool = False, **kw: Any
    ) -> tuple[str, Any]:
        """What was asked, and the decoded answer (None when it is not JSON)."""
        what = f"{self.settings.account}: {method} {urlsplit(url).path}"
        response = await http.request(client, method, url, what=what, sends=sends, **kw)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 401:
            raise AuthError(f"{self.settings.account}: {describe('refused', 20003, None)}")
        if response.status_code >= 400:
            body = body if isinstance(body, dict) else {}
            code = body.get("code")
            detail = describe("refused", code, body.get("message"))
            raise RejectedError(f"{self.settings.account}: {detail}", code=str(code or ""))
        return what, body

    async def _json(self, client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
        what, body = await self._answer(client, method, url, **kw)
        if not isinstance(body, dict):
            raise TransientError(f"{what}: the gateway's answer is not the JSON it should be")
        return body

    # -- inbound -------------------------------------------------------------

    async def pull(
        self, cursor: str | None, known: Collection[str] = ()
    ) -> AsyncIterator[PullResult]:
        """Every inbound text since the cursor's day (less one), oldest first, in one
        batch with the new cursor; ``known`` sids are already stored and skipped."""
        since = _cursor_day(cursor)
        params: dict[str, str] = {"To": self.settings.number, "PageSize": str(PAGE_SIZE)}
        if since is not None:
            params["DateSent>"] = (since - timedelta(days=1)).isoformat()
        newest = since
        found: list[tuple[datetime, InboundMessage]] = []
        async with self._session() as client:
            url: str | None = f"{self._messages_url}.json"
            query: dict[str, str] | None = params
            while url is not None:
                page = await self._json(client, "GET", url, params=query)
                items = page.get("messages")
                for item in items if isinstance(items, list) else []:
                    if not _is_inbound(item) or item.get("status") == "receiving":
                        continue  # an MMS still arriving: its media come with "received"
                    sent = _sent_at(item)
                    if sent is not None and (newest is None or sent.date() > newest):
                        newest = sent.date()
                    if str(item["sid"]) not in known:
                        message = await self._inbound(client, item)
                        found.append((sent or datetime.now(UTC), message))
                next_uri = page.get("next_page_uri")
                url = self._absolute(next_uri) if isinstance(next_uri, str) and next_uri else None
                query = None  # next_page_uri carries every parameter
        found.sort(key=lambda pair: pair[0])  # STOP then START must end opted in
        cursor_out = None
        if newest is not None:
            cursor_out = Cursor(self.settings.account, CURSOR_FOLDER, newest.isoformat())
        yield PullResult([message for _, message in found], cursor_out)

    def _absolute(self, uri: str) -> str:
        parts = urlsplit(uri)
        if parts.scheme:
            return uri
        base = urlsplit(self.settings.api_base)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    async def _inbound(self, client: httpx.AsyncClient, item: dict[str, Any]) -> InboundMessage:
        media: list[AttachmentData] = []
        if _count(item.get("num_media"), MAX_MEDIA):
            try:
                listing = await self._json(
                    client, "GET", f"{self._messages_url}/{item['sid']}/Media.json"
                )
            except (TransientError, RejectedError) as exc:
                listing = {"media_list": []}
                media.append(AttachmentData("media", skipped_reason=f"media list: {exc}"))
            entries = listing.get("media_list")
            for entry in (entries if isinstance(entries, list) else [])[:MAX_MEDIA]:
                if isinstance(entry, dict) and isinstance(entry.get("uri"), str):
                    uri = entry["uri"].removesuffix(".json")
                    kind = entry.get("content_type")
                    media.append(await self._media(client, self._absolute(uri), kind))
        return InboundMessage(
            channel="sms",
            account=self.settings.account,
            provider_id=str(item["sid"]),
            sender=str(item.get("from") or ""),
            recipients=[str(item.get("to") or "")],
            text=str(item.get("body") or ""),
            sent_at=_sent_at(item),
            attachments=media,
        )

    async def _media(
        self, client: httpx.AsyncClient, url: str, content_type: object = None
    ) -> AttachmentData:
        """The media, or a record of why it is not here: one lost file never blocks a pull."""
        limit = self.settings.max_media_bytes
        kind = str(content_type or "").split(";")[0].strip()
        try:
            data, served, size = await http.download(client, url, limit=limit, what="MMS media")
        except TransientError as exc:
            kind = kind or "application/octet-stream"
            return AttachmentData(
                "media" + _extension(kind), kind, None, None, skipped_reason=str(exc)
            )
        kind = kind or served.split(";")[0].strip() or "application/octet-stream"
        name = "media" + _extension(kind)
        if data is None:
            return AttachmentData(name, kind, None, size, skipped_reason=f"over {limit} bytes")
        return AttachmentData(name, kind, data, len(data))

    async def from_webhook(self, form: Mapping[str, str]) -> InboundMessage:
        """An inbound-message webhook post, with its ``MediaUrl{N}`` downloaded (size-limited)."""
        media: list[AttachmentData] = []
        urls = [form.get(f"MediaUrl{i}") for i in range(_count(form.get("NumMedia"), MAX_MEDIA))]
        if any(urls):
            async with self._session() as client:
                for i, url in enumerate(urls):
                    if url:
                        kind = form.get(f"MediaContentType{i}")
                        media.append(await self._media(client, url, kind))
        return InboundMessage(
            channel="sms",
            account=self.settings.account,
            provider_id=form["MessageSid"],
            sender=form.get("From", ""),
            recipients=[form.get("To", "")],
            text=form.get("Body", ""),
            received_at=datetime.now(UTC),
            attachments=media,
        )

    # -- outbound ------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> tuple[str, Delivery]:
        """Post the text once. An answer that is not clear raises ``UncertainError``."""
        form = {"To": message.to, "From": self.settings.number, "Body": message.text}
        if self.settings.status_callback:
            form["StatusCallback"] = self.settings.status_callback
        async with self._session() as client:
            _, body = await self._answer(
                client, "POST", f"{self._messages_url}.json", sends=True, data=form
            )
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            # accepted (2xx) but unreadable: it is out, we just cannot follow it
            return f"unknown:{message.idempotency_key}", Delivery("sent", "the gateway gave no id")
        return sid, delivery(str(body.get("status", "")), body.get("error_code"))

    async def find_sent(
        self, to: str, text: str, since: datetime, known: Collection[str] = ()
    ) -> str | None:
        """The sid of a text we already sent ``to`` with this ``text`` since ``since``.

        After a crash mid-send this tells "it went" from "it never left": Twilio
        has no idempotency key for sends, but it lists what our number sent to
        theirs, newest first (a few pages: the reply is minutes old at most).
        A sid in ``known`` is another reply's (the same words sent twice in a
        minute), never this one's.
        """
        params = {"To": to, "From": self.settings.number, "PageSize": str(PAGE_SIZE)}
        since -= CLOCK_SLACK  # Twilio's stamps are whole seconds, its clock is not ours
        async with self._session() as client:
            url: str | None = f"{self._messages_url}.json"
            query: dict[str, str] | None = params
            for _ in range(FIND_PAGES):
                if url is None:
                    break
                page = await self._json(client, "GET", url, params=query)
                items = page.get("messages")
                for item in items if isinstance(items, list) else []:
                    if not isinstance(item, dict) or not isinstance(item.get("sid"), str):
                        continue
                    made = parse_date(item.get("date_created")) or _sent_at(item)
                    outbound = str(item.get("direction", "")).startswith("outbound")
                    recent = made is None or made >= since
                    mine = item["sid"] not in known
                    if outbound and recent and mine and item.get("body") == text:
                        return str(item["sid"])
                next_uri = page.get("next_page_uri")
                url = self._absolute(next_uri) if isinstance(next_uri, str) and next_uri else None
                query = None
        return None

    async def status(self, sid: str) -> Delivery:
        async with self._session() as client:
            body = await self._json(client, "GET", f"{self._messages_url}/{sid}.json")
        return delivery(body.get("status", ""), body.get("error_code"), body.get("error_message"))


def _is_inbound(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("sid"), str)
        and str(item.get("direction", "")).startswith("inbound")
    )


def _cursor_day(cursor: str | None) -> date | None:
    if not cursor:
        return None
    try:
        return date.fromisoformat(cursor)
    except ValueError:
        return None  # an unreadable cursor pulls everything again; ingest drops repeats


def _extension(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "video/mp4": ".mp4",
        "audio/mpeg": ".mp3",
        "text/vcard": ".vcf",
        "application/pdf": ".pdf",
    }.get(kind, "")


# -- webhook signatures ---------------------------------------------------------


def signature(auth_token: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """Twilio's ``X-Twilio-Signature``: HMAC-SHA1 over the URL and the sorted parameters."""
    data = url + "".join(name + value for name in sorted(params) for value in sorted(params[name]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """Twilio may sign the URL with or without the default port: check both."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    if parts.port is None:
        with_port = parts._replace(netloc=f"{host}:{default}") if default else parts
        return [url, urlunsplit(with_port)]
    if parts.port == default:
        return [url, urlunsplit(parts._replace(netloc=host))]
    return [url]


def verify_signature(
    auth_token: str, url: str, params: Mapping[str, Sequence[str]], given: str | None
) -> bool:
    if not given:
        return False
    given_bytes = given.encode("utf-8", "replace")
    return any(
        hmac.compare_digest(signature(auth_token, candidate, params).encode(), given_bytes)
        for candidate in _port_variants(url)
    )
