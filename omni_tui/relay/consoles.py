"""What consoles talk to, with the relay's bearer token: the event log and replies.

``GET /events?after=ID&wait=S`` long-polls, ``GET /events/stream`` is the same
log as Server-Sent Events resuming from ``Last-Event-ID``; a console keeps its
own cursor (the last event id it committed), so it never skips or repeats one.
``POST /messages`` takes a reply, idempotent on its ``id``.
"""

from __future__ import annotations

import hmac
import json
import math
from typing import TYPE_CHECKING

from aiohttp import web

from omni_tui.relay import outbound
from omni_tui.relay.hooks import problem, read_json

if TYPE_CHECKING:
    from omni_tui.relay.server import Relay

MAX_WAIT = 60.0
MAX_LIMIT = 1000
KEEPALIVE_S = 15.0
MAX_ID = 2**63 - 1  # SQLite's INTEGER


def event_id(raw: str | int | None) -> int:
    """An event id from a query or ``Last-Event-ID``; ValueError (a 400) unless it is
    a whole number SQLite can hold."""
    value = int(raw or 0)
    if not 0 <= value <= MAX_ID:
        raise ValueError(f"an event id is a whole number from 0 to {MAX_ID}")
    return value


def _int(request: web.Request, key: str, default: int, hi: int | None = None) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    value = event_id(raw)  # ValueError → 400 by the caller
    return min(value, hi) if hi is not None else value


class Consoles:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/events", self.events),
            web.get("/events/stream", self.stream),
            web.post("/messages", self.post_message),
            web.get("/health", self.health),
        ]

    def _authorised(self, request: web.Request) -> bool:
        token = self.relay.secret("token")
        given = request.headers.get("Authorization", "")
        return token is not None and hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), f"Bearer {token}".encode()
        )

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "last_id": await self.relay.log.last_id()})

    async def events(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return problem(401, "a bearer token is required (Authorization: Bearer …)")
        try:
            after = _int(request, "after", 0)
            limit = _int(request, "limit", 500, MAX_LIMIT) or 1
            wait = min(float(request.query.get("wait", "0")), MAX_WAIT)
            if not math.isfinite(wait):
                raise ValueError("wait")
        except ValueError:
            return problem(400, "after and limit are whole numbers, wait is seconds")
        found = await self.relay.log.events_after(after, limit, max(wait, 0.0))
        # nothing new: ``after`` itself, or the log's end if that is before it (the
        # log was restored from a backup: the console must read it again)
        last = found[-1].id if found else min(after, await self.relay.log.high_water())
        # "relay" changes when the log is new: a console then starts again from 0
        answer = {"events": [e.as_json() for e in found], "last_id": last}
        return web.json_response(answer | {"relay": self.relay.log.instance})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return problem(401, "a bearer token is required (Authorization: Bearer …)")
        try:
            after = event_id(request.headers.get("Last-Event-ID") or request.query.get("after"))
        except ValueError:
            return problem(400, "Last-Event-ID is an event id")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.headers["Cache-Control"] = "no-cache"
        await response.prepare(request)
        try:  # a closed tab or a dropped connection ends the stream, quietly
            await response.write(b"retry: 2000\n\n")
            while not self.relay.stop.is_set():
                found = await self.relay.log.events_after(after, MAX_LIMIT, KEEPALIVE_S)
                if not found:
                    await response.write(b": keepalive\n\n")
                    continue
                for event in found:
                    data = json.dumps(event.as_json(), ensure_ascii=False)
                    await response.write(
                        f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()
                    )
                after = found[-1].id
        except ConnectionError:
            pass
        return response

    async def post_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return problem(401, "a bearer token is required (Authorization: Bearer …)")
        try:
            reply = outbound.Reply.from_json(read_json(await request.read()))
        except ValueError as exc:
            return problem(400, f"not a reply: {exc}")
        status, created = await outbound.accept(self.relay.log, reply)
        if created:
            self.relay.wake_sender()
        return web.json_response(
            {"id": reply.key, "status": status}, status=202 if created else 200
        )
