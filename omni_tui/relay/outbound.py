"""Replies from consoles to chat clients, and their delivery status back as events.

A reply is recorded (idempotent on its key) before ``POST /messages`` answers.
A web visitor's reply goes into their transcript at once: ``sent``, then
``delivered`` when their widget's stream carries it. A Telegram reply is sent
through the Bot API by a retrying loop. Any other conversation belongs to an
integration of the generic chat hook, which picks replies up as ``reply`` events.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import httpx

from adapters import tls
from omni_tui.relay.log import EventLog, append_event, now_iso

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_TEXT = 16 * 1024
#: failures where sendMessage surely never reached Telegram: safe to send again (after a
#: timeout or a cut connection it may have, and the customer would read it twice)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Reply:
    key: str
    conversation: str
    text: str
    author: str | None = None

    @classmethod
    def from_json(cls, payload: Any) -> Reply:
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        key, conversation, text = (
            payload.get("id"),
            payload.get("conversation"),
            payload.get("text"),
        )
        author = payload.get("author")
        if not (isinstance(key, str) and 0 < len(key) <= 200):
            raise ValueError("id must be a string (the reply's idempotency key)")
        if not (isinstance(conversation, str) and conversation):
            raise ValueError("conversation must be a string such as web:VISITOR or telegram:CHAT")
        if not (isinstance(text, str) and text.strip() and len(text) <= MAX_TEXT):
            raise ValueError(f"text must be non-empty, at most {MAX_TEXT} characters")
        if author is not None and not isinstance(author, str):
            raise ValueError("author must be a string")
        return cls(key, conversation, text, author)

    @property
    def channel(self) -> str:
        prefix, _, _ = self.conversation.partition(":")
        return prefix if prefix in ("web", "telegram") else "hook"


def delivery(db: sqlite3.Connection, key: str, status: str, reason: str | None = None) -> None:
    db.execute(
        "UPDATE outbound SET status = ?, last_error = ? WHERE key = ?", (status, reason, key)
    )
    data = {"message": key, "status": status, **({"reason": reason} if reason else {})}
    append_event(db, "delivery", data, dedupe=f"delivery:{key}:{status}")


async def accept(events: EventLog, reply: Reply) -> tuple[str, bool]:
    """(status, whether it is new); a repeated key changes nothing."""

    def record(db: sqlite3.Connection) -> tuple[str, bool]:
        row = db.execute("SELECT status FROM outbound WHERE key = ?", (reply.key,)).fetchone()
        if row:
            return row[0], False
        status = "queued" if reply.channel == "telegram" else "sent"
        db.execute(
            "INSERT INTO outbound(key, conversation, text, author, status, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (reply.key, reply.conversation, reply.text, reply.author, status, now_iso()),
        )
        if reply.channel == "web":
            db.execute(
                "INSERT INTO transcript(visitor, direction, text, author, sent_at, key)"
                " VALUES (?, 'out', ?, ?, ?, ?)",
                (
                    reply.conversation.removeprefix("web:"),
                    reply.text,
                    reply.author,
                    now_iso(),
                    reply.key,
                ),
            )
        if reply.channel == "hook":
            data = {"id": reply.key, "conversation": reply.conversation, "text": reply.text}
            append_event(db, "reply", data | {"author": reply.author}, dedupe=f"reply:{reply.key}")
        if status == "sent":
            delivery(db, reply.key, "sent")
        return status, True

    status, new = await events.write(record)
    if new and reply.channel == "web":
        events.visitor_wrote(reply.conversation.removeprefix("web:"))
    return status, new


class TelegramSender:
    """Sends queued Telegram replies; 429, 5xx and no connection retry (honouring
    retry_after); a send whose answer is lost fails, for an agent to decide."""

    def __init__(self, events: EventLog, api_base: str, token: str | None) -> None:
        self.events, self.api_base, self.token = events, api_base.rstrip("/"), token
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(20.0, connect=5.0), verify=tls.context()
        ) as client:
            while not stop.is_set():
                try:
                    for key, conversation, text, attempts in await self._due():
                        await self._guarded(client, key, conversation, text, attempts)
                except sqlite3.Error as exc:  # the log is busy or broken: try again shortly
                    log.warning("Telegram sender: cannot read the outbound queue: %s", exc)
                self.wake.clear()
                waits = [
                    asyncio.ensure_future(self.wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                await asyncio.wait(waits, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                for w in waits:
                    w.cancel()

    async def _guarded(
        self, client: httpx.AsyncClient, key: str, conversation: str, text: str, attempts: int
    ) -> None:
        """One send; whatever goes wrong is retried with backoff, never ends the loop
        (which would leave every later Telegram reply queued for good)."""
        try:
            await self._send(client, key, conversation, text, attempts)
        except Exception as exc:
            reason = f"Telegram send failed: {type(exc).__name__}: {exc}"[:300]
            log.warning("reply %s: %s", key, reason)
            try:
                await self.events.write(lambda db: _retry(db, key, attempts + 1, reason, None))
            except Exception as again:
                log.warning("reply %s: cannot record the retry: %s", key, again)

    async def _due(self) -> list[tuple[str, str, str, int]]:
        return await self.events.read(
            lambda db: db.execute(
                "SELECT key, conversation, text, attempts FROM outbound WHERE status = 'queued'"
                " AND conversation LIKE 'telegram:%' AND next_attempt_at <= ? LIMIT 50",
                (time.time(),),
            ).fetchall()
        )

    async def _send(
        self, client: httpx.AsyncClient, key: str, conversation: str, text: str, attempts: int
    ) -> None:
        if not self.token:
            await self.events.write(
                lambda db: delivery(db, key, "failed", "the relay has no telegram_bot_token")
            )
            return
        chat_id = conversation.removeprefix("telegram:")
        retry_after: float | None = None
        try:
            answer = await client.post(
                f"{self.api_base}/bot{self.token}/sendMessage",
                json={"chat_id": chat_id, "text": text},
            )
            body = _bot_answer(answer)
            if answer.is_success and body.get("ok", True) is not False:
                await self.events.write(lambda db: delivery(db, key, "sent"))
                return
            said = body.get("description")
            said = said[:200] if isinstance(said, str) and said else answer.reason_phrase
            reason = f"Telegram {answer.status_code}: {said}"
            if answer.status_code != 429 and answer.status_code < 500:
                await self.events.write(lambda db: delivery(db, key, "failed", reason))
                return
            retry_after = _retry_after(body)
        except NOT_SENT as exc:
            reason = f"Telegram unreachable: {type(exc).__name__}"
        except httpx.HTTPError as exc:  # it went out: Telegram may have sent it to the chat
            reason = (
                f"Telegram did not answer ({type(exc).__name__}): the reply may have reached"
                " the chat — look there before sending it again"
            )
            await self.events.write(lambda db: delivery(db, key, "failed", reason))
            return
        await self.events.write(lambda db: _retry(db, key, attempts + 1, reason, retry_after))


def _bot_answer(answer: httpx.Response) -> dict[str, Any]:
    """The Bot API's JSON object, or {} for anything else (a proxy's HTML 502 page
    labelled application/json, a list, bad UTF-8)."""
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return {}
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(body: dict[str, Any]) -> float | None:
    """``parameters.retry_after`` in seconds, if it is a sane number (at most an hour)."""
    parameters = body.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(float(value), 3600.0) if 0 < value < float("inf") else None


def _retry(
    db: sqlite3.Connection, key: str, attempts: int, reason: str, retry_after: float | None
) -> None:
    if attempts >= MAX_ATTEMPTS:
        delivery(db, key, "failed", reason)
        return
    wait = max(retry_after or 0.0, 2.0**attempts)
    db.execute(
        "UPDATE outbound SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE key = ?",
        (attempts, reason, time.time() + wait, key),
    )
