"""A stand-in for Telegram's Bot API ``sendMessage``, which only exists in Telegram's
cloud. It follows https://core.telegram.org/bots/api: ``POST /bot<token>/sendMessage``
with ``chat_id`` and ``text`` answers ``{"ok": true, "result": Message}``; a wrong
token gets 401 ``{"ok": false, "error_code": 401, "description": "Unauthorized"}``;
flood control is 429 with ``parameters.retry_after`` seconds.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Telegram:
    port: int
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[float] = field(default_factory=list)
    #: answer the next N sends with 429 flood control
    flood: int = 0
    retry_after: int = 1
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([web.post("/bot{token}/sendMessage", self._send)])
        return app

    async def _send(self, request: web.Request) -> web.Response:
        self.attempts.append(time.monotonic())
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if self.flood:
            self.flood -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        body = await request.json()
        if not str(body.get("text", "")).strip():
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                },
                status=400,
            )
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(body["chat_id"]), "type": "private"},
            "text": body["text"],
        }
        self.sent.append(message)
        return web.json_response({"ok": True, "result": message})
