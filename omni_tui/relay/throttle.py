"""How often one client may post to the web widget.

The widget's endpoint is open to any origin and needs no credentials: without a
limit, one script can post hundreds of messages a second under fresh visitor ids,
each a new customer and case in every agent's inbox.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from aiohttp import web

#: Buckets kept before full ones (clients that went quiet) are forgotten.
MAX_CLIENTS = 10_000


class Throttle:
    """A token bucket per key: ``per_minute`` posts a minute, in bursts of as many."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)

    def wait(self, key: str) -> float:
        """0 when ``key`` may post now (and it is counted); else seconds until it may."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._forget_quiet(now)
        return 0.0

    def _forget_quiet(self, now: float) -> None:
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[key]


def client_address(request: web.Request) -> str:
    """Who is posting: the peer, or, when the peer is a proxy on this machine (the
    README's nginx in front of the relay), the address that proxy says it forwarded."""
    peer = request.remote or ""
    try:
        address = ipaddress.ip_address(peer)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # a dual-stack listen: ::ffff:127.0.0.1
        local = address.is_loopback
    except ValueError:
        local = peer == ""  # a Unix socket
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip() or peer
    return peer
