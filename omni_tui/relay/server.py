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

from omni_tui.config import RelayConfig
from omni_tui.errors import ConfigError, Refused
from omni_tui.relay.consoles import Consoles
from omni_tui.relay.hooks import Hooks
from omni_tui.relay.log import EventLog
from omni_tui.relay.outbound import TelegramSender
from omni_tui.relay.widget import Widget

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class Relay:
    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.log = EventLog(config.db_path())
        self._secrets: dict[str, str | None] = {}
        self.stop = asyncio.Event()
        self.sender = TelegramSender(
            self.log, config.telegram_api_base, self.secret("telegram_bot_token")
        )

    def secret(self, key: str) -> str | None:
        """Resolved once at start: a missing secret turns its endpoint off, clearly."""
        if key not in self._secrets:
            self._secrets[key] = self.config.optional_secret(key)
        return self._secrets[key]

    def base_url(self) -> str:
        return self.config.base_url()

    def wake_sender(self) -> None:
        self.sender.wake.set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_body_bytes)
        app.add_routes(Hooks(self).routes() + Consoles(self).routes() + Widget(self).routes())
        return app

    async def _prune(self) -> None:
        while not self.stop.is_set():
            gone = await self.log.prune(self.config.retention_days)
            if gone:
                log.info("dropped %d events older than %d days", gone, self.config.retention_days)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), PRUNE_EVERY_S)

    async def serve(self) -> None:
        if self.secret("token") is None:
            raise ConfigError(
                str(self.config.source or "<config>"),
                "relay.token",
                "no bearer token for consoles",
                f"set token or token_command in [relay], or export {self.config.env_var('token')}",
            )
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
