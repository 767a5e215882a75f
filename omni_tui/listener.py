"""The small HTTP endpoint ``omni-tui sync`` runs for gateways that push.

Kannel's ``sms-service`` calls ``/kannel/mo`` for every text a phone sends and
each message's ``dlr-url`` (``/kannel/dlr``) with its delivery reports; Twilio
posts inbound texts to ``/twilio/sms`` and status callbacks to
``/twilio/status``, signed with ``X-Twilio-Signature``. Everything accepted is
committed to the store before the gateway gets its 200, so a crash right after
the answer loses nothing, and a repeated post is dropped by ingest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from adapters.sms import kannel, twilio
from omni_tui import accounts, identity, outbox
from omni_tui.config import AccountConfig
from omni_tui.errors import ConfigError, Refused
from omni_tui.ingest import IngestOptions, ingest
from omni_tui.store import Store

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024  # a text is small; anything bigger is not a gateway talking


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    accounts: tuple[AccountConfig, ...]


def endpoints(all_accounts: Sequence[AccountConfig]) -> list[Endpoint]:
    """One endpoint per ``listen`` address, serving every SMS account that names it."""
    grouped: dict[str, list[AccountConfig]] = {}
    for account in all_accounts:
        if account.channel == "sms" and account.listen:
            grouped.setdefault(account.listen, []).append(account)
    out = []
    for address, members in grouped.items():
        host, _, port = address.rpartition(":")
        out.append(Endpoint(host.strip("[]"), int(port), tuple(members)))
    return out


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


class SmsListener:
    def __init__(self, store: Store, endpoint: Endpoint, options: IngestOptions) -> None:
        self.store, self.endpoint, self.options = store, endpoint, options
        self._runner: web.AppRunner | None = None
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(
            [
                web.route("*", kannel.MO_PATH, self._kannel_mo),
                web.route("*", kannel.DLR_PATH, self._kannel_dlr),
                web.post("/twilio/sms", self._twilio_sms),
                web.post("/twilio/status", self._twilio_status),
            ]
        )
        self.app = app

    async def start(self) -> None:
        await self._resolve_secrets()
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.endpoint.host, self.endpoint.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            where = f"{self.endpoint.host}:{self.endpoint.port}"
            names = ", ".join(a.name for a in self.endpoint.accounts)
            raise Refused(
                f"cannot listen on {where} for {names}: {exc.strerror or exc} — "
                "pick a free port in the accounts' listen key"
            ) from None

    async def _resolve_secrets(self) -> None:
        """A secret may come from a command (``listen_secret_command``, ...): run each
        once, off the event loop and before the first request, so a slow one stalls
        nothing and a failing one stops the start with its one-line error.  The config
        keeps the answers, so the handlers' own lookups are instant."""
        for account in self.endpoint.accounts:
            key = "listen_secret" if account.provider == "kannel" else "auth_token"
            await asyncio.to_thread(account.optional_secret, key)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _accounts(self, provider: str) -> list[AccountConfig]:
        return [a for a in self.endpoint.accounts if a.provider == provider]

    def _by_number(self, provider: str, to: str | None) -> AccountConfig | None:
        """The account whose number the text was sent to; the first one if none matches."""
        region = self.options.default_region
        found = accounts.by_number(self.endpoint.accounts, provider, to, region)
        return found or next(iter(self._accounts(provider)), None)

    # -- Kannel ----------------------------------------------------------------

    def _kannel_allowed(self, request: web.Request, account: AccountConfig) -> bool:
        """With a ``listen_secret``, only callers that know it (Kannel) are heard."""
        expected = account.optional_secret("listen_secret")
        if not expected:
            return True
        return kannel.secret_matches(request.rel_url.raw_query_string, expected)

    async def _kannel_mo(self, request: web.Request) -> web.Response:
        body = await request.read()
        to = request.query.get("to") or request.headers.get("X-Kannel-To")
        account = self._by_number("kannel", to)
        if account is None:
            return _plain(404, "no kannel account listens here")
        if not self._kannel_allowed(request, account):
            log.warning("%s: an MO without the listen_secret was refused", account.name)
            return _plain(403, "wrong or missing secret")
        try:
            query = request.rel_url.raw_query_string  # the text's own %-escapes, undecoded
            message = kannel.parse_mo(account.name, query, body, request.headers)
        except ValueError as exc:
            return _plain(400, f"not an MO: {exc}")
        await ingest(self.store, [message], options=self.options)
        return web.Response(status=200, text="")  # empty: Kannel sends no reply text

    async def _kannel_dlr(self, request: web.Request) -> web.Response:
        try:
            report = kannel.parse_dlr(request.rel_url.raw_query_string)
        except ValueError as exc:
            return _plain(400, f"not a delivery report: {exc}")
        allowed = [a for a in self._accounts("kannel") if self._kannel_allowed(request, a)]
        if not allowed:
            return _plain(403, "wrong or missing secret")
        names = [a.name for a in allowed]
        known = await outbox.record_delivery(
            self.store, report.key, report.status, report.reason, accounts=names
        )
        return _plain(200 if known else 404, "ok" if known else "no such message")

    # -- Twilio ----------------------------------------------------------------

    async def _twilio_form(
        self, request: web.Request
    ) -> tuple[list[AccountConfig], dict[str, str]] | web.Response:
        """The form, once its signature checks out, and the accounts it may be for."""
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            return _plain(400, "not a form post")
        params = {k: [str(v) for v in form.getall(k)] for k in form}
        flat = {k: v[0] for k, v in params.items()}
        sid = flat.get("AccountSid")
        accounts_ = [a for a in self._accounts("twilio") if a.account_sid == sid]
        if not accounts_:
            return _plain(403, "unknown AccountSid")
        given = request.headers.get("X-Twilio-Signature")
        for account in accounts_:  # one auth token per AccountSid, but be exact
            try:
                token = account.secret("auth_token")
            except ConfigError:
                return _plain(500, f"account {account.name}: no auth_token to check signatures")
            for url in _signed_urls(request, account):
                if twilio.verify_signature(token, url, params, given):
                    return accounts_, flat
        log.warning("%s: a Twilio webhook with a bad signature was refused", accounts_[0].name)
        return _plain(403, "bad X-Twilio-Signature")

    async def _twilio_sms(self, request: web.Request) -> web.Response:
        checked = await self._twilio_form(request)
        if isinstance(checked, web.Response):
            return checked
        candidates, form = checked
        if not form.get("MessageSid"):
            return _plain(400, "no MessageSid")
        region = self.options.default_region
        to = identity.normalise_phone(form.get("To", ""), region)
        account = accounts.by_number(candidates, "twilio", to, region)
        if account is None:
            log.warning("a Twilio text to %s, which no account here answers, was refused", to)
            return _plain(404, f"no account for the number {to}")
        twilio_account = await asyncio.to_thread(accounts.twilio_account, account)
        message = await twilio_account.from_webhook(form)
        await ingest(self.store, [message], options=self.options)
        return web.Response(status=200, text="<Response/>", content_type="text/xml")

    async def _twilio_status(self, request: web.Request) -> web.Response:
        checked = await self._twilio_form(request)
        if isinstance(checked, web.Response):
            return checked
        candidates, form = checked
        sid, status = form.get("MessageSid"), form.get("MessageStatus", "")
        if not sid:
            return _plain(400, "no MessageSid")
        state = twilio.delivery(status, form.get("ErrorCode"), form.get("ErrorMessage"))
        names = [a.name for a in candidates]
        known = await outbox.record_delivery(
            self.store, sid, state.status, state.reason, accounts=names
        )
        return _plain(200 if known else 404, "ok" if known else "no such message")


def _signed_urls(request: web.Request, account: AccountConfig) -> list[str]:
    """The URLs Twilio may have signed: the one we were called on, and the public one
    a proxy or tunnel forwards from (``webhook_url``, ``status_callback``)."""
    urls = [str(request.url)]
    if account.webhook_url:
        urls.append(account.webhook_url.rstrip("/") + request.rel_url.raw_path_qs)
    if account.status_callback and request.path == "/twilio/status":
        urls.append(account.status_callback)
    return urls
