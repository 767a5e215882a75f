"""What every SMS gateway's HTTP client shares: timeouts, retries that honour
``Retry-After``, and a size-limited download for MMS media."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime

import httpx

from adapters.base import RejectedError, TransientError

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
RETRIES = 3  # attempts at one request before the outbox's own backoff takes over
MAX_WAIT = 30.0  # the longest Retry-After honoured inside one attempt


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from a ``Retry-After`` of seconds or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def should_retry(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


class UncertainError(RejectedError):
    """The gateway may have taken the message: resending could text the customer twice."""


#: Failures where the request surely never reached the gateway: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    what: str,
    retries: int | None = None,
    sends: bool = False,
    **kwargs: object,
) -> httpx.Response:
    """One request, retried on network errors, 429 and 5xx; other answers are returned.

    A request that ``sends`` a text is retried only when it surely did not arrive
    (no connection, 429, 503); a timeout or another 5xx after it went out raises
    ``UncertainError`` instead, so the agent decides rather than the customer
    getting the text twice.
    """
    attempts = RETRIES if retries is None else retries
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except _NOT_SENT as exc:
            error: TransientError = TransientError(f"{what}: cannot reach the gateway ({exc})")
        except httpx.TimeoutException as exc:
            if sends:
                raise UncertainError(
                    f"{what}: the gateway did not answer in time — the text may have been "
                    "sent; check before retrying"
                ) from exc
            error = TransientError(f"{what}: the gateway did not answer in time")
        except httpx.HTTPError as exc:
            if sends:
                raise UncertainError(
                    f"{what}: the connection failed mid-request ({type(exc).__name__}) — the "
                    "text may have been sent; check before retrying"
                ) from exc
            error = TransientError(f"{what}: {type(exc).__name__}: {exc}")
        else:
            if not should_retry(response):
                return response
            if sends and response.status_code not in (429, 503):
                raise UncertainError(
                    f"{what}: the gateway answered {response.status_code} — the text may "
                    "have been sent; check before retrying"
                )
            wait = retry_after(response)
            error = TransientError(
                f"{what}: the gateway answered {response.status_code}", retry_after=wait
            )
            if wait is not None and wait > MAX_WAIT:
                raise error  # too long to wait here: the outbox backs off instead
            if wait is not None:
                delay = wait
        if attempt == attempts:
            raise error
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_WAIT)
    raise AssertionError("unreachable")


async def download(
    client: httpx.AsyncClient, url: str, *, limit: int, what: str
) -> tuple[bytes | None, str, int | None]:
    """The body (None when over ``limit``), its content type and its size if known."""
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise TransientError(f"{what}: the media URL answered {response.status_code}")
            content_type = response.headers.get("content-type", "application/octet-stream")
            declared = response.headers.get("content-length")
            size = int(declared) if declared and declared.isdecimal() else None
            if size is not None and size > limit:
                return None, content_type, size
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    return None, content_type, size
            return bytes(body), content_type, len(body)
    except httpx.HTTPError as exc:
        raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from exc
