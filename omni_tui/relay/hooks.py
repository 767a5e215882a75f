"""Inbound webhooks: our generic chat schema, Telegram, Twilio and Kannel.

Each is checked (signature or shared secret), then committed as one event in
the log before the 2xx; the provider's own id deduplicates a retried post.
The events carry what a console needs to ingest the message: chat messages in
the generic schema, SMS as the gateway's own form or query (raw bytes kept).
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.sms import twilio
from omni_tui.relay import signing
from omni_tui.relay.log import append_event

if TYPE_CHECKING:
    from omni_tui.relay.server import Relay

log = logging.getLogger(__name__)
MAX_TEXT = 64 * 1024


def problem(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": text}, status=status, headers=headers)


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
            message = chat_message(json.loads(body))
        except (ValueError, UnicodeDecodeError) as exc:
            return problem(400, f"not a chat message: {exc}")
        message["source"] = "chat"
        new = await self._commit("message", message, "chat:" + headers["webhook-id"], body)
        return web.json_response({"accepted": True, "duplicate": not new}, status=200)

    async def telegram(self, request: web.Request) -> web.Response:
        expected = self.relay.secret("telegram_secret")
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            return problem(401, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
        body = await request.read()
        try:
            update = json.loads(body)
            update_id = int(update["update_id"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return problem(400, "not a Telegram update")
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
            return web.json_response({"accepted": False, "why": "not a message"})
        sender = message.get("from") or {}
        name = " ".join(filter(None, (sender.get("first_name"), sender.get("last_name"))))
        chat_id = message["chat"].get("id")
        data = {
            "source": "telegram",
            "id": f"telegram:{chat_id}:{message.get('message_id')}",
            "conversation": f"telegram:{chat_id}",
            "from": {"id": f"telegram:{sender.get('id', chat_id)}", "name": name or None},
            "text": str(message.get("text") or message.get("caption") or ""),
            "sent_at": datetime.fromtimestamp(int(message.get("date", 0)), UTC).isoformat(),
        }
        if sender.get("username"):
            data["context"] = {"telegram_username": str(sender["username"])}
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
        given = request.query.get("secret", "")
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            return problem(403, "wrong or missing secret")
        body = await request.read()
        query = request.rel_url.raw_query_string  # the gateway's own %-escapes, undecoded
        kind = "kannel.dlr" if request.path.endswith("/dlr") else "kannel.mo"
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-kannel-")}
        data = {"query": query, "body": body.decode("utf-8", "replace"), "headers": headers}
        # no id of its own: the console's ingest drops a retried MO by the id it derives
        await self.relay.log.write(lambda db: append_event(db, kind, data, raw=body))
        return web.Response(text="")
