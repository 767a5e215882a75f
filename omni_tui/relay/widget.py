"""The web chat widget's side of the relay: the script, a visitor's history, their
messages in, and a live stream of the agent's replies.

Open to any origin (the widget is embedded on the team's own sites); the visitor's
random id, kept in their browser, is what keeps one transcript from another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import sqlite3
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from omni_tui.addresses import is_plain_email
from omni_tui.relay.consoles import event_id
from omni_tui.relay.hooks import problem, read_json
from omni_tui.relay.log import append_event, now_iso
from omni_tui.relay.outbound import delivery
from omni_tui.relay.throttle import Throttle, client_address

if TYPE_CHECKING:
    from omni_tui.relay.server import Relay

log = logging.getLogger(__name__)

VISITOR = re.compile(r"^[A-Za-z0-9-]{16,64}$")
KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
HASH = re.compile(r"^[0-9A-Fa-f]{64}$")
MAX_TEXT = 4000
KEEPALIVE_S = 15.0
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
}


def _row(r: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": r[0], "direction": r[1], "text": r[2], "author": r[3], "sent_at": r[4]}


def _after(db: sqlite3.Connection, visitor: str, after: int) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT id, direction, text, author, sent_at, key FROM transcript"
        " WHERE visitor = ? AND id > ? ORDER BY id LIMIT 500",
        (visitor, after),
    ).fetchall()


def sign_email(secret: str, email: str) -> str:
    """What a site puts in ``data-user-hash`` for a logged-in customer's email."""
    return hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest()


def _optional(payload: dict[str, Any], key: str, limit: int) -> str | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{key} must be text of at most {limit} characters")
    return value


class Widget:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.script = resources.files("omni_tui.relay").joinpath("static/widget.js").read_bytes()
        self.throttle = Throttle(relay.config.widget_messages_per_minute)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/widget.js", self.js),
            web.get("/widget/history", self.history),
            web.post("/widget/messages", self.post),
            web.get("/widget/stream", self.stream),
            web.options("/widget/{tail:.*}", self.preflight),
        ]

    async def js(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.script,
            content_type="application/javascript",
            headers={"Cache-Control": "max-age=300", **CORS},
        )

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS)

    def _visitor(self, value: str | None) -> str:
        if not value or not VISITOR.match(value):
            raise ValueError("visitor must be 16-64 letters, digits or dashes")
        return value

    def _verified(self, email: str | None, email_hash: str | None) -> bool | None:
        """Whether the site vouched for ``email``; None when this relay asks no one to
        (no ``widget_identity_secret``: a typed email is taken as given)."""
        if email_hash is not None and email is None:
            raise ValueError("email_hash comes with the email it signs")
        if email_hash is not None and not HASH.match(email_hash):
            raise ValueError("email_hash must be 64 hex digits (HMAC-SHA256)")
        secret = self.relay.secret("widget_identity_secret")
        if secret is None or email is None:
            return None
        if email_hash is None:
            return False  # typed into the pre-chat form: anyone can type any address
        expected = sign_email(secret, email).encode()
        if not hmac.compare_digest(expected, email_hash.lower().encode()):
            why = (
                "email_hash does not match email: sign the email exactly as sent with"
                " [relay] widget_identity_secret (HMAC-SHA256, hex)"
            )
            log.warning("widget: %s", why)
            raise PermissionError(why)
        return True

    async def history(self, request: web.Request) -> web.Response:
        try:
            visitor = self._visitor(request.query.get("visitor"))
        except ValueError as exc:
            return problem(400, str(exc), CORS)
        rows = await self.relay.log.read(lambda db: _after(db, visitor, 0))
        return web.json_response({"messages": [_row(r) for r in rows]}, headers=CORS)

    async def post(self, request: web.Request) -> web.Response:
        wait = self.throttle.wait(client_address(request))
        if wait:
            headers = {**CORS, "Retry-After": str(max(1, round(wait)))}
            return problem(429, "too many messages from this address: wait a moment", headers)
        try:
            payload = read_json(await request.read())
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            visitor = self._visitor(payload.get("visitor"))
            text = payload.get("text")
            if not (isinstance(text, str) and text.strip() and len(text) <= MAX_TEXT):
                raise ValueError(f"a message is 1 to {MAX_TEXT} characters")
            name = _optional(payload, "name", 100)
            email = _optional(payload, "email", 200)
            # a display name, quotes or a comment could hide another customer's address
            # inside a string a site signed for someone else
            if email is not None and not is_plain_email(email):
                raise ValueError("email must be one plain address, like name@example.com")
            page = _optional(payload, "page", 2000)
            key = _optional(payload, "key", 64)
            if key is not None and not KEY.match(key):
                raise ValueError("key must be 8-64 letters, digits or dashes")
            verified = self._verified(email, _optional(payload, "email_hash", 128))
        except ValueError as exc:
            return problem(400, str(exc), CORS)
        except PermissionError as exc:
            return problem(401, str(exc), CORS)
        # the widget's key for this message, per visitor: a resend after a lost answer
        scoped = f"web-in:{visitor}:{key}" if key else None
        instance = self.relay.log.instance

        def record(db: sqlite3.Connection) -> tuple[int, str, bool]:
            if scoped is not None:
                seen = db.execute(
                    "SELECT id, sent_at FROM transcript WHERE key = ?", (scoped,)
                ).fetchone()
                if seen:
                    return seen[0], seen[1], False
            sent_at = now_iso()
            row = db.execute(
                "INSERT INTO transcript(visitor, direction, text, author, sent_at, key)"
                " VALUES (?, 'in', ?, ?, ?, ?)",
                (visitor, text, name, sent_at, scoped),
            ).lastrowid
            assert row is not None
            sender: dict[str, str] = {"id": f"web:{visitor}"}
            if name:
                sender["name"] = name
            if email:
                sender["email"] = email
                if verified is not None:
                    sender["email_verified"] = verified
            data = {
                "source": "web",
                # row ids start again in a new log, and in one restored from a backup
                "id": f"web:{instance}:{row}:{secrets.token_hex(4)}",
                "conversation": f"web:{visitor}",
                "from": sender,
                "text": text,
                "sent_at": sent_at,
                "context": {"page": page} if page else {},
            }
            append_event(db, "message", data, dedupe=f"web:{row}")
            return row, sent_at, True

        row, sent_at, new = await self.relay.log.write(record)
        if new:
            self.relay.log.visitor_wrote(visitor)
        return web.json_response(
            {"id": row, "sent_at": sent_at, "duplicate": not new},
            status=201 if new else 200,
            headers=CORS,
        )

    async def stream(self, request: web.Request) -> web.StreamResponse:
        try:
            visitor = self._visitor(request.query.get("visitor"))
            after = event_id(request.headers.get("Last-Event-ID") or request.query.get("after"))
        except ValueError as exc:
            return problem(400, str(exc), CORS)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **CORS}
        )
        await response.prepare(request)
        try:  # a closed tab or a dropped connection ends the stream, quietly
            await response.write(b"retry: 2000\n\n")
            log = self.relay.log
            mark, read = log.visitor_mark(visitor), True
            while not self.relay.stop.is_set():
                tick = log.tick
                # the log is read when this visitor's transcript changed (or at each
                # keepalive): not on every commit of every visitor, which a few
                # thousand open streams turned into a queue before the consoles' reads
                rows = []
                if read:
                    rows = await log.read(lambda db, after=after: _after(db, visitor, after))
                if not rows:
                    if not await log.changed(tick, KEEPALIVE_S):
                        await response.write(b": keepalive\n\n")
                        read = True
                    else:
                        read = mark != (mark := log.visitor_mark(visitor))
                    continue
                for r in rows:
                    data = json.dumps(_row(r), ensure_ascii=False)
                    await response.write(f"id: {r[0]}\nevent: message\ndata: {data}\n\n".encode())
                after = rows[-1][0]
                shown = [r[5] for r in rows if r[1] == "out" and r[5]]
                if shown:  # on the visitor's screen now
                    await log.write(
                        lambda db, shown=shown: [delivery(db, k, "delivered") for k in shown]
                    )
        except ConnectionError:
            pass
        return response
