"""The console's side of the relay: pull its event log, post replies.

The cursor is the last event id the store committed (with the messages, in one
transaction), so a restart of either side neither skips nor repeats an event;
a reply's idempotency key is its id at the relay, so a retry never sends twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from adapters import tls
from adapters.base import (
    AttachmentData,
    AuthError,
    InboundMessage,
    OutboundMessage,
    RejectedError,
    TransientError,
)

CURSOR_FOLDER = "relay"
PAGE = 500


@dataclass(frozen=True, slots=True)
class RelaySettings:
    account: str
    base_url: str
    token: str
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class RelayEvent:
    id: int
    type: str
    data: dict[str, Any]


def _base(url: str) -> str:
    """``ws``/``wss`` URLs in a config name the same server over HTTP."""
    for ws, http in (("wss://", "https://"), ("ws://", "http://")):
        if url.startswith(ws):
            url = http + url.removeprefix(ws)
    return url.rstrip("/")


class RelayClient:
    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings
        self.base = _base(settings.base_url)

    def _client(self, wait: float = 0) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.settings.timeout + wait, connect=5.0)
        headers = {"Authorization": f"Bearer {self.settings.token}"}
        return httpx.AsyncClient(
            base_url=self.base, timeout=timeout, headers=headers, verify=tls.context()
        )

    async def _call(self, method: str, path: str, wait: float = 0, **kw: Any) -> Any:
        try:
            async with self._client(wait) as client:
                answer = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise TransientError(f"relay {self.base} unreachable: {type(exc).__name__}") from None
        if answer.status_code == 401:
            raise AuthError(f"relay {self.base} refused the token (401): check the account's token")
        if answer.status_code >= 500 or answer.status_code == 429:
            raise TransientError(f"relay {self.base} answered {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise TransientError(f"relay {self.base} answered something that is not JSON") from None
        if answer.status_code >= 400:
            raise RejectedError(f"relay: {body.get('error', answer.status_code)}")
        return body

    async def events(self, after: int, *, wait: float = 0, limit: int = PAGE) -> list[RelayEvent]:
        return (await self.page(after, wait=wait, limit=limit))[0]

    async def page(
        self, after: int, *, wait: float = 0, limit: int = PAGE
    ) -> tuple[list[RelayEvent], str | None, int | None]:
        """Events after ``after``, the relay log's instance id and its last event id
        (None from an old relay). A new instance id means the log was wiped or replaced;
        a last id below ``after``, that it was restored from a backup."""
        params = {"after": after, "wait": wait, "limit": limit}
        body = await self._call("GET", "/events", wait, params=params)
        events = [RelayEvent(int(e["id"]), str(e["type"]), e["data"]) for e in body["events"]]
        instance, last = body.get("relay"), body.get("last_id")
        return (
            events,
            instance if isinstance(instance, str) and instance else None,
            last if isinstance(last, int) and not isinstance(last, bool) else None,
        )

    async def send(self, message: OutboundMessage, *, author: str | None = None) -> str:
        payload = {
            "id": message.idempotency_key,
            "conversation": message.to,
            "text": message.text,
            "author": author,
        }
        body = await self._call("POST", "/messages", json=payload)
        return str(body["id"])


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def address_of(data: dict[str, Any]) -> str:
    """Where a reply goes: the relay conversation (web:VISITOR, telegram:CHAT, hook:ID)."""
    conversation = str(data.get("conversation", ""))
    if data.get("source") in ("web", "telegram"):
        return conversation
    return f"hook:{conversation}"


def inbound(account: str, event: RelayEvent) -> InboundMessage:
    """A relay ``message`` event as a chat message; what the visitor told a pre-chat
    form or bot (email, phone, order number...) rides along as context.  An email the
    relay could not verify arrives as ``unverified_email``: ingest only suggests it."""
    data = event.data
    sender = data.get("from") or {}
    context: dict[str, str] = {}
    for key, value in (data.get("context") or {}).items():
        context[str(key)] = value if isinstance(value, str) else json.dumps(value)
    for key in ("email", "phone"):
        if sender.get(key):
            context[key] = str(sender[key])
    if "email" in context and sender.get("email_verified") is False:
        # typed into a web form, with the relay asking sites to sign: not proof of who it is
        context["unverified_email"] = context.pop("email")
    provider_id = str(data.get("id", event.id))
    if data.get("source") not in ("web", "telegram"):
        # an integration's ids may count per conversation (as Telegram's do): scope them
        provider_id = f"hook:{data.get('conversation', '')}:{provider_id}"
    files: Sequence[AttachmentData] = [
        AttachmentData(
            filename=str(a.get("name") or "attachment"),
            content_type=str(a.get("content_type") or "application/octet-stream"),
            size=a.get("size") if isinstance(a.get("size"), int) else None,
            skipped_reason=f"a link to {a.get('url')}" if a.get("url") else None,
        )
        for a in data.get("attachments") or []
    ]
    return InboundMessage(
        channel="chat",
        account=account,
        provider_id=provider_id,
        sender=address_of(data),
        sender_name=sender.get("name"),
        text=str(data.get("text") or ""),
        sent_at=_when(data.get("sent_at")),
        attachments=files,
        context=context,
    )
