"""Inbound webhooks: our generic chat schema, Telegram, Twilio and Kannel.

Each is checked (signature or shared secret), then committed as one event in
the log before the 2xx; the provider's own id deduplicates a retried post.
The events carry what a console needs to ingest the message: chat messages in
the generic schema, SMS as the gateway's own form or query (raw bytes kept).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.sms import kannel, twilio
from omni_tui.relay import signing
from omni_tui.relay.log import append_event

if TYPE_CHECKING:
    from omni_tui.relay.server import Relay

log = logging.getLogger(__name__)
MAX_TEXT = 64 * 1024
MAX_DEPTH = 32  # far more than any message needs; deep enough JSON exhausts the stack
SURROGATE = re.compile(r"[\ud800-\udfff]")


def problem(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": text}, status=status, headers=headers)


def read_json(body: bytes) -> Any:
    """The JSON in ``body``, or ValueError (a 400) for what could not be stored or walked:
    bad UTF-8, nesting deeper than MAX_DEPTH, or a lone UTF-16 surrogate (``"\\ud83d"``
    is valid JSON, but no UTF-8 column can hold it)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                raise ValueError("the text holds a lone UTF-16 surrogate (broken emoji?)")
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")
            items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in items)
    return value


def _str(value: object, field: str, *, required: bool = True, limit: int = 512) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{field} must be a non-empty string of at most {limit} characters")
    return value


def chat_message(payload: object) -> dict[str, Any]:
    """A generic-schema message, checked field by field (ValueError says which)."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")
    sender = payload.get("from")
    if not isinstance(sender, dict):
        raise ValueError("from must be an object with an id")
    text = payload.get("text")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ValueError(f"text must be a string of at most {MAX_TEXT} characters")
    out: dict[str, Any] = {
        "id": _str(payload.get("id"), "id"),
        "conversation": _str(payload.get("conversation"), "conversation"),
        "from": {
            "id": _str(sender.get("id"), "from.id"),
            **{
                k: _str(sender.get(k), f"from.{k}", required=False)
                for k in ("name", "email", "phone")
                if sender.get(k) is not None
            },
        },
        "text": text,
    }
    sent_at = payload.get("sent_at")
    if sent_at is not None:
        try:
            datetime.fromisoformat(str(sent_at).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("sent_at must be an ISO-8601 time") from None
        out["sent_at"] = str(sent_at)
    attachments = payload.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise ValueError("attachments must be a list of objects")
    if attachments:
        keys = ("url", "name", "content_type", "size")
        out["attachments"] = [{k: a[k] for k in keys if k in a} for a in attachments]
    context = payload.get("context", {})
    if not isinstance(context, dict):
        raise ValueError("context must be an object")
    if context:
        out["context"] = context
    return out


# What a Telegram message without text carries, in the order they are looked for.
TELEGRAM_MEDIA = {
    "photo": "photo",
    "video": "video",
    "animation": "GIF",
    "video_note": "video message",
    "voice": "voice message",
    "audio": "audio",
    "document": "document",
    "sticker": "sticker",
    "contact": "contact",
    "location": "location",
    "venue": "venue",
    "poll": "poll",
    "dice": "dice",
}


def _telegram_placeholder(message: dict[str, Any]) -> str | None:
    """``[photo]``, ``[document: invoice.pdf]``…: what the agent sees for media (not fetched)."""
    for key, label in TELEGRAM_MEDIA.items():
        item = message.get(key)
        if item is None:
            continue
        detail: object = None
        if isinstance(item, dict):
            names = ("file_name", "title", "emoji", "question", "phone_number")
            detail = next((item[n] for n in names if isinstance(item.get(n), str)), None)
            if key == "location":
                detail = f"{item.get('latitude')}, {item.get('longitude')}"
        return f"[{label}: {detail}]" if isinstance(detail, str) and detail else f"[{label}]"
    return None


def _telegram_id(value: object, field: str) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    raise ValueError(f"{field} is not an id")


def telegram_message(update: object) -> tuple[int, dict[str, Any] | None]:
    """(update_id, the message in our schema, or None for a non-message update).

    ValueError says what is wrong; the caller answers 200 anyway, since Telegram
    retries anything else for a day and the update will never get better.
    """
    if not isinstance(update, dict):
        raise ValueError("the update is not a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ValueError("update_id is not a number")
    edited = not update.get("message") and bool(update.get("edited_message"))
    message = update.get("message") or update.get("edited_message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return update_id, None
    if edited and not (message.get("text") or message.get("caption")):
        return update_id, None  # a live location moving, a media swap: no words changed
    chat_id = _telegram_id(message["chat"].get("id"), "message.chat.id")
    message_id = _telegram_id(message.get("message_id"), "message.message_id")
    sender = message.get("from", {})
    if not isinstance(sender, dict):
        raise ValueError("message.from is not an object")
    names = (sender.get("first_name"), sender.get("last_name"))
    name = " ".join(n for n in names if isinstance(n, str) and n)
    text, caption = message.get("text"), message.get("caption")
    if not isinstance(text, str) or not text:
        parts = (_telegram_placeholder(message), caption if isinstance(caption, str) else None)
        text = "\n".join(p for p in parts if p) or "[a message with no text]"
    sender_id = _telegram_id(sender.get("id", chat_id), "message.from.id")
    data: dict[str, Any] = {
        "source": "telegram",
        "id": f"telegram:{chat_id}:{message_id}",
        "conversation": f"telegram:{chat_id}",
        "from": {"id": f"telegram:{sender_id}", "name": name or None},
        "text": text[:MAX_TEXT],
    }
    date = message.get("date")
    if edited:  # a correction is a message of its own: under the first one's id it was lost
        date = message.get("edit_date", date)
        data["id"] = f"telegram:{chat_id}:{message_id}:edit:{date}"
        data["text"] = f"(edited) {text}"[:MAX_TEXT]
    if date is not None:
        try:
            data["sent_at"] = datetime.fromtimestamp(date, UTC).isoformat()  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError("message.date is not a unix time") from None
    if isinstance(sender.get("username"), str) and sender["username"]:
        data["context"] = {"telegram_username": sender["username"]}
    return update_id, data


class Hooks:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/hooks/chat", self.chat),
            web.post("/hooks/telegram", self.telegram),
            web.post("/hooks/twilio", self.twilio),
            web.route("*", "/hooks/kannel", self.kannel),
            web.route("*", "/hooks/kannel/dlr", self.kannel),
        ]

    async def _commit(self, type_: str, data: dict[str, Any], dedupe: str, raw: bytes) -> bool:
        new = await self.relay.log.write(
            lambda db: append_event(db, type_, data, dedupe=dedupe, raw=raw)
        )
        return new is not None

    async def chat(self, request: web.Request) -> web.Response:
        secret = self.relay.secret("chat_secret")
        if secret is None:
            return problem(503, "this relay has no chat_secret: set it in [relay]")
        body = await request.read()
        headers = request.headers
        try:
            signing.verify(
                secret,
                headers.get("webhook-id"),
                headers.get("webhook-timestamp"),
                headers.get("webhook-signature"),
                body,
            )
        except signing.SignatureError as exc:
            return problem(401, str(exc))
        try:
            message = chat_message(read_json(body))
        except ValueError as exc:
            return problem(400, f"not a chat message: {exc}")
        message["source"] = "chat"
        new = await self._commit("message", message, "chat:" + headers["webhook-id"], body)
        return web.json_response({"accepted": True, "duplicate": not new}, status=200)

    async def telegram(self, request: web.Request) -> web.Response:
        expected = self.relay.secret("telegram_secret")
        if expected is None:
            return problem(503, "this relay has no telegram_secret: set it in [relay]")
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode()):
            return problem(401, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
        body = await request.read()
        try:
            update_id, data = telegram_message(read_json(body))
        except ValueError as exc:  # from Telegram itself: a 4xx would only be retried
            log.warning("a Telegram update was dropped: %s", exc)
            return web.json_response({"accepted": False, "why": f"not a Telegram update: {exc}"})
        if data is None:
            return web.json_response({"accepted": False, "why": "not a message"})
        new = await self._commit("message", data, f"telegram:{update_id}", body)
        return web.json_response({"accepted": True, "duplicate": not new})

    async def twilio(self, request: web.Request) -> web.Response:
        token = self.relay.secret("twilio_auth_token")
        if token is None:
            return problem(503, "this relay has no twilio_auth_token: set it in [relay]")
        body = await request.read()
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            return problem(400, "not a form post")
        params = {k: [str(v) for v in form.getall(k)] for k in form}
        url = self.relay.base_url() + request.rel_url.raw_path_qs
        signature = request.headers.get("X-Twilio-Signature")
        if not any(
            twilio.verify_signature(token, u, params, signature) for u in (url, str(request.url))
        ):
            return problem(403, "bad X-Twilio-Signature")
        flat = {k: v[0] for k, v in params.items()}
        sid = flat.get("MessageSid")
        if not sid:
            return problem(400, "no MessageSid")
        status = flat.get("MessageStatus")
        kind = "twilio.status" if status and "Body" not in flat else "twilio.sms"
        await self._commit(kind, {"form": flat}, f"twilio:{sid}:{status or 'in'}", body)
        return web.Response(text="<Response/>", content_type="text/xml")

    async def kannel(self, request: web.Request) -> web.Response:
        expected = self.relay.secret("kannel_secret")
        if expected is None:
            return problem(503, "this relay has no kannel_secret: set it in [relay]")
        if not kannel.secret_matches(request.rel_url.raw_query_string, expected):
            return problem(403, "wrong or missing secret")
        body = await request.read()
        query = request.rel_url.raw_query_string  # the gateway's own %-escapes, undecoded
        kind = "kannel.dlr" if request.path.endswith("/dlr") else "kannel.mo"
        headers = {
            k: v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            for k, v in request.headers.items()
            if k.lower().startswith("x-kannel-") or k.lower() == "content-type"
        }
        data = {
            "query": query,
            "body": body.decode("utf-8", "replace"),  # for consoles older than body_b64
            "body_b64": base64.b64encode(body).decode(),  # UCS-2 or Latin-1 text, as sent
            "headers": headers,
        }
        # no id of its own: the console's ingest drops a retried MO by the id it derives
        await self.relay.log.write(lambda db: append_event(db, kind, data, raw=body))
        return web.Response(text="")
