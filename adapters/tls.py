"""One TLS context for every HTTP client the adapters open.

Building a context (loading the CA bundle) costs tens of milliseconds; a
client per request would pay it every time. The context holds no connection
and no event loop, so sharing it is safe."""

from __future__ import annotations

import functools
import ipaddress
import ssl

import httpx


@functools.cache
def context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def is_loopback(host: str) -> bool:
    """This machine: where "none" (plain text) is allowed to carry a password."""
    if host.lower().rstrip(".") in ("localhost", "ip6-localhost", "ip6-loopback"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
