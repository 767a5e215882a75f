"""Running the relay: one aiohttp application over the event log.

aiohttp serves it because the relay is mostly long-lived streams (SSE, long
polls) and small posts, which aiohttp does in one process with no ASGI server
to choose and configure; the console already depends on it for its listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from aiohttp.typedefs import Handler

from omni_tui.config import RelayConfig
from omni_tui.config.model import RELAY_SECRETS
from omni_tui.errors import ConfigError, Refused
from omni_tui.relay import signing
from omni_tui.relay.consoles import Consoles
from omni_tui.relay.hooks import Hooks, problem
from omni_tui.relay.log import EventLog
from omni_tui.relay.outbound import TelegramSender
from omni_tui.relay.widget import CORS, Widget

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class Relay:
    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.log = EventLog(config.db_path())
        self._secrets: dict[str, str | None] = {}
        self.stop = asyncio.Event()
        self.sender = TelegramSender(self.log, config.telegram_api_base, None)

    def secret(self, key: str) -> str | None:
        """The secret resolved at start-up; None turns its endpoint off (503, naming it)."""
        return self._secrets[key]

    async def resolve_secrets(self) -> None:
        """Every secret and ``*_command`` once, before listening, off the event loop:
        a slow command never stalls a request, a failing one stops start-up with the
        key to fix instead of failing each webhook."""
        self._secrets = await asyncio.to_thread(self._check_secrets)
        self.sender.token = self._secrets["telegram_bot_token"]

    def _check_secrets(self) -> dict[str, str | None]:
        found = {key: self.config.optional_secret(key) for key in RELAY_SECRETS}
        for key, value in found.items():
            if value is not None and not value.strip():
                raise self._config_error(key, "is empty", f"set a real {key} or remove it")
        if found["token"] is None:
            raise self._config_error(
                "token",
                "no bearer token for consoles",
                f"set token or token_command in [relay], or export {self.config.env_var('token')}",
            )
        if found["chat_secret"] is not None:
            try:
                signing.secret_key(found["chat_secret"])
            except ValueError as exc:
                raise self._config_error(
                    "chat_secret",
                    str(exc),
                    "generate one with: echo whsec_$(openssl rand -base64 32)",
                ) from None
        return found

    def _config_error(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(str(self.config.source or "<config>"), f"relay.{key}", problem, fix)

    def base_url(self) -> str:
        return self.config.base_url()

    def wake_sender(self) -> None:
        self.sender.wake.set()

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.config.max_body_bytes, middlewares=[self._json_errors]
        )
        app.add_routes(Hooks(self).routes() + Consoles(self).routes() + Widget(self).routes())
        return app

    @web.middleware
    async def _json_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every error answer is ``{"error": ...}`` JSON, as the README promises; a bug is
        one logged traceback and a 500, never aiohttp's plain-text page."""
        cors = CORS if request.path.startswith("/widget") else {}
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            text = exc.reason
            if exc.status == 413:
                text = f"the body is over this relay's {self.config.max_body_bytes} bytes"
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
            return problem(exc.status, text, {**cors, **allow})
        except ConnectionError:  # the client went away mid-answer: nothing to tell it
            raise
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return problem(500, "the relay failed on this request; see its log", cors)

    async def _prune(self) -> None:
        while not self.stop.is_set():
            gone = await self.log.prune(self.config.retention_days)
            if gone:
                log.info("dropped %d events older than %d days", gone, self.config.retention_days)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), PRUNE_EVERY_S)

    async def serve(self) -> None:
        await self.resolve_secrets()
        await self.log.open()
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        host, _, port = self.config.listen.rpartition(":")
        site = web.TCPSite(runner, host.strip("[]"), int(port))
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            await self.log.close()
            raise Refused(
                f"cannot listen on {self.config.listen}: {exc.strerror or exc} — "
                "pick a free port in [relay] listen"
            ) from None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        print(f"relay listening on http://{self.config.listen}", flush=True)
        tasks = [
            asyncio.create_task(self.sender.run(self.stop)),
            asyncio.create_task(self._prune()),
        ]
        await self.stop.wait()
        self.log.release_waiters()
        await runner.cleanup()  # open streams are closed; posts in flight finish first
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.log.close()


async def run_relay(config: RelayConfig) -> int:
    await Relay(config).serve()
    return 0
