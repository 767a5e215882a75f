"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

``webhook-signature`` is a space-separated list of ``v1,<base64 HMAC-SHA256>``
over ``{webhook-id}.{webhook-timestamp}.{raw body}``; several entries allow key
rotation. The key is the base64 part of a ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

TOLERANCE_S = 5 * 60
MIN_KEY_BYTES = 16  # "whsec_" alone decodes to an empty key: anyone could sign with it


class SignatureError(ValueError):
    """Why a webhook was refused; the text is safe to send back to the caller."""


def secret_key(secret: str) -> bytes:
    """The HMAC key in a ``whsec_<base64>`` secret; ValueError says what is wrong with it.

    The relay calls this once at start-up, so a bad secret stops it there rather
    than refusing (or, if empty, accepting) every webhook.
    """
    try:
        key = base64.b64decode(secret.strip().removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not a whsec_ secret (whsec_ then base64)") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"decodes to {len(key)} bytes, fewer than {MIN_KEY_BYTES}")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    msg_id: str | None,
    timestamp: str | None,
    signatures: str | None,
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless one signature matches, in constant time."""
    if not (msg_id and timestamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    # digits only, signed as sent: int() would also take "+T", " T" and "1_7…"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureError("webhook-timestamp is not unix seconds")
    sent = int(timestamp)
    if abs((time.time() if now is None else now) - sent) > TOLERANCE_S:
        raise SignatureError("webhook-timestamp is more than 5 minutes off")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    expected = ("v1," + base64.b64encode(digest).decode()).encode()
    for candidate in signatures.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureError("no webhook-signature matches")
