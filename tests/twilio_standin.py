"""A stand-in for Twilio's Messages API (2010-04-01), on loopback.

No real Twilio is reachable from here, so this server follows Twilio's published
API for the endpoints omni-tui uses — paths, HTTP Basic auth, form fields, JSON
shapes, paging with ``next_page_uri``, error bodies with ``code``/``message``/
``more_info``/``status``, and the status transitions of a sent message
(queued → sent → delivered, or → undelivered/failed with an error code). It is
not Twilio: it only knows what the tests need, and says so where it refuses.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from tests.servers import free_port

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_sids = itertools.count(1)


def sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_sids):032x}"


def error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


@dataclass
class Twilio:
    account_sid: str = "AC" + "a" * 32
    auth_token: str = "secret-token"
    api_key: str = "SK" + "b" * 32  #: an API key and its secret sign in as well
    api_secret: str = "key-secret"
    number: str = "+15005550006"
    port: int = field(default_factory=free_port)
    messages: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    posts: list[dict[str, str]] = field(default_factory=list)  # every send attempt accepted
    requests: int = 0
    #: answers to give before behaving: ("429", retry_after) / ("500",) / ("junk",) / ("slow",)
    faults: list[tuple[Any, ...]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    #: the status a sent message reaches on each later fetch
    path: tuple[str, ...] = ("sent", "delivered")
    fail_with: tuple[str, int] | None = None  # e.g. ("undelivered", 30003)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inbound(
        self, sender: str, body: str, when: datetime, *, media: int = 0, status: str = "received"
    ) -> str:
        """A text a phone sent us, as Twilio would list it (an MMS whose media are still
        coming in is listed as ``receiving``)."""
        message = self._message(sender, self.number, body, "inbound", status, when)
        message["num_media"] = str(media)
        self.messages.append(message)
        return message["sid"]

    def _message(
        self, sender: str, to: str, body: str, direction: str, status: str, when: datetime
    ) -> dict[str, Any]:
        message_sid = sid()
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}"
        stamp = format_datetime(when.astimezone(UTC), usegmt=True).replace("GMT", "+0000")
        return {
            "sid": message_sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": None,
            "from": sender,
            "to": to,
            "body": body,
            "status": status,
            "direction": direction,
            "num_segments": "1",
            "num_media": "0",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": stamp,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "uri": f"{uri}.json",
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }

    # -- the server ------------------------------------------------------------

    def app(self) -> web.Application:
        prefix = f"/2010-04-01/Accounts/{self.account_sid}"
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get(f"{prefix}/Messages.json", self._list),
                web.post(f"{prefix}/Messages.json", self._create),
                web.get(f"{prefix}/Messages/{{sid}}.json", self._fetch),
                web.get(f"{prefix}/Messages/{{sid}}/Media.json", self._media_list),
                web.get(f"{prefix}/Messages/{{sid}}/Media/{{media}}", self._media_body),
            ]
        )
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        given = request.headers.get("Authorization")
        if given not in (
            self._basic(self.account_sid, self.auth_token),
            self._basic(self.api_key, self.api_secret),
        ):
            return error(401, 20003, "Authenticate")
        if self.faults:
            fault = self.faults.pop(0)
            if fault[0] == "429":
                return web.json_response(
                    {"code": 20429, "message": "Too Many Requests", "status": 429},
                    status=429,
                    headers={"Retry-After": str(fault[1])},
                )
            if fault[0] in ("500", "503"):
                return web.Response(status=int(fault[0]), text="Server Error")
            if fault[0] == "junk":
                return web.Response(status=200, text="{not json", content_type="application/json")
            if fault[0] == "slow":
                await asyncio.sleep(fault[1])
        return await handler(request)

    @staticmethod
    def _basic(user: str, password: str) -> str:
        raw = f"{user}:{password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    async def _list(self, request: web.Request) -> web.Response:
        q = request.query
        size = min(int(q.get("PageSize", "50")), 1000)
        page = int(q.get("Page", "0"))
        found = [m for m in self.messages if not q.get("To") or m["to"] == q["To"]]
        found = [m for m in found if not q.get("From") or m["from"] == q["From"]]
        if q.get("DateSent>"):  # whole GMT days: on or after
            day = q["DateSent>"]
            found = [m for m in found if _day(m["date_sent"]) >= day]
        found.sort(key=lambda m: (_when(m["date_sent"]), m["sid"]), reverse=True)  # newest first
        chunk = found[page * size : (page + 1) * size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        keep = urlencode([(k, v) for k, v in q.items() if k not in ("Page", "PageToken")])
        more = (page + 1) * size < len(found)
        return web.json_response(
            {
                "messages": chunk,
                "page": page,
                "page_size": size,
                "start": page * size,
                "end": page * size + len(chunk) - 1,
                "uri": f"{uri}?{keep}&Page={page}",
                "first_page_uri": f"{uri}?{keep}&Page=0",
                "previous_page_uri": f"{uri}?{keep}&Page={page - 1}" if page else None,
                "next_page_uri": f"{uri}?{keep}&Page={page + 1}&PageToken=PA{page + 1}"
                if more
                else None,
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(str(to)):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender != self.number:
            return error(400, 21606, f"The From phone number {sender} is not a valid number.")
        if not body:
            return error(400, 21602, "Message body is required.")
        if len(str(body)) > 1600:
            return error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.opted_out:
            return error(400, 21610, "Attempt to send to unsubscribed recipient")
        message = self._message(str(sender), str(to), str(body), "outbound-api", "queued",
                                datetime.now(UTC))  # fmt: skip
        message["date_sent"] = None  # not sent yet
        message["steps"] = list(self.path)
        if self.fail_with:
            message["steps"] = [self.fail_with[0]]
            message["fail_code"] = self.fail_with[1]
        self.messages.append(message)
        self.posts.append({k: str(v) for k, v in form.items()})
        return web.json_response(_public(message), status=201)

    async def _fetch(self, request: web.Request) -> web.Response:
        found = [m for m in self.messages if m["sid"] == request.match_info["sid"]]
        if not found:
            return error(404, 20404, "The requested resource was not found")
        message = found[0]
        if message.get("steps"):  # each fetch moves it one step on
            message["status"] = message["steps"].pop(0)
            if message["status"] in ("undelivered", "failed"):
                message["error_code"] = message.get("fail_code", 30003)
                message["error_message"] = "Unreachable destination handset"
        return web.json_response(_public(message))

    async def _media_list(self, request: web.Request) -> web.Response:
        message_sid = request.match_info["sid"]
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}/Media"
        return web.json_response(
            {
                "media_list": [
                    {
                        "sid": media_sid,
                        "content_type": kind,
                        "parent_sid": message_sid,
                        "uri": f"{prefix}/{media_sid}.json",
                    }
                    for media_sid, (kind, _) in self._media_of(message_sid)
                ],
                "next_page_uri": None,
            }
        )

    def _media_of(self, message_sid: str) -> list[tuple[str, tuple[str, bytes]]]:
        items = self.media.get(message_sid, [])
        return [(f"ME{message_sid[2:]}{i}", item) for i, item in enumerate(items)]

    async def _media_body(self, request: web.Request) -> web.Response:
        for media_sid, (kind, data) in self._media_of(request.match_info["sid"]):
            if media_sid == request.match_info["media"]:
                return web.Response(body=data, content_type=kind)
        return error(404, 20404, "The requested resource was not found")


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k not in ("steps", "fail_code")}


def _when(stamp: str | None) -> datetime:
    return parsedate_to_datetime(stamp) if stamp else datetime.max.replace(tzinfo=UTC)


def _day(stamp: str | None) -> str:
    return _when(stamp).date().isoformat() if stamp else "9999-12-31"


class Served(Protocol):
    port: int

    def app(self) -> web.Application: ...


S = TypeVar("S", bound=Served)


class Running(Generic[S]):
    """A stand-in served from a thread of its own, so sync code can call it too."""

    def __init__(self, twilio: S) -> None:
        self.twilio = twilio
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.twilio.app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.twilio.port)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> S:
        self._thread.start()
        self._ready.wait(10)
        return self.twilio

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
