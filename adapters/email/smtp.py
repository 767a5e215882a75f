"""SMTP replies with aiosmtplib: asyncio end to end, TLS verified."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from adapters import tls
from adapters.base import AuthError, OutboundMessage, RejectedError, TransientError
from adapters.email.compose import ascii_address, build_message
from adapters.email.imap import tls_context

log = logging.getLogger(__name__)


#: How long the server may take to accept a message's data (RFC 5321 4.5.3.2.6: ten
#: minutes; a server scanning content takes its time, and a timeout here means "sent?").
DATA_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    account: str
    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    address: str
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    timeout: float = 30.0


async def send_email(settings: SmtpSettings, out: OutboundMessage) -> tuple[str, bytes]:
    """Deliver one reply; returns its Message-ID and the bytes sent (for the Sent folder).

    The customer's address decides: refused, and nothing goes out (the copies are asked
    for only once the server has taken it).  A copy that cannot be carried or that the
    server refuses is left out, and logged."""
    try:
        recipient = ascii_address(out.to)
    except ValueError as exc:
        raise RejectedError(str(exc)) from None
    copies: dict[str, str | None] = {}  # each copy: its SMTP form, None beyond ASCII
    for address in out.cc:
        try:
            copies[address] = ascii_address(address)
        except ValueError as exc:
            log.warning("%s: copy left out: %s", settings.account, exc)
    out = replace(out, cc=list(copies))
    utf8 = recipient is None or None in copies.values()  # jöe@…: RFC 6531 or nothing
    raw = build_message(out, from_address=settings.address, utf8=utf8)  # fails before connecting
    _, sender = parseaddr(settings.address)
    context = tls_context(settings.ca_file) if settings.security != "none" else None
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        tls_context=context,
        timeout=settings.timeout,
    )
    try:
        async with client:
            if client.is_ehlo_or_helo_needed:  # what the server speaks is known after EHLO
                await client.ehlo()
            # a relay with security "none" may take mail without AUTH; a password goes
            # in plain text only to this machine, never across a network
            plain = settings.security == "none"
            if settings.username and (
                not plain or (client.supports_extension("auth") and tls.is_loopback(settings.host))
            ):
                await client.login(settings.username, settings.password or "")
            if utf8 and not client.supports_extension("smtputf8"):
                if recipient is None:
                    raise RejectedError(
                        f"{out.to}: an address with letters beyond ASCII before the @ needs a"
                        f" mail server that speaks SMTPUTF8, and {settings.host} does not"
                    )
                beyond = [a for a, plain in copies.items() if plain is None]
                log.warning("%s: copies left out (no SMTPUTF8): %s", settings.account, beyond)
                copies = {a: plain for a, plain in copies.items() if plain is not None}
                out, utf8 = replace(out, cc=list(copies)), False
                raw = build_message(
                    replace(out, message_id=_header(raw, b"Message-ID")),
                    from_address=settings.address,
                )
            options = ["SMTPUTF8"] if utf8 else []
            if not raw.isascii():
                if client.supports_extension("8bitmime"):
                    options.append("BODY=8BITMIME")
                elif not utf8:  # a 7-bit server: quoted-printable, with the same id
                    raw = build_message(
                        replace(out, message_id=_header(raw, b"Message-ID")),
                        from_address=settings.address,
                        eight_bit=False,
                    )
            encoding = "utf-8" if utf8 else "ascii"
            await client.mail(sender, options=options, encoding=encoding)
            await client.rcpt(recipient or out.to, encoding=encoding)  # refused: nothing sent
            for address, plain in copies.items():
                try:
                    await client.rcpt(plain or address, encoding=encoding)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    if 400 <= exc.code < 500:  # "try again later": the whole reply waits
                        raise TransientError(
                            f"copy to {address}: mail server busy: {exc.code} {exc.message}"
                        ) from None
                    log.warning("%s: copy to %s refused: %s", settings.account, address, exc)
            try:
                await client.data(raw, timeout=DATA_TIMEOUT)
            except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
                raise RejectedError(  # sending again could mail the customer twice
                    f"{settings.account}: the mail server did not confirm the message ({exc})"
                    " — it may have been sent; check before retrying"
                ) from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise AuthError(f"{settings.account}: SMTP login refused ({exc.message})") from None
    except aiosmtplib.SMTPRecipientRefused as exc:
        if 400 <= exc.code < 500:
            raise TransientError(f"{out.to}: mail server busy: {exc.code} {exc.message}") from None
        raise RejectedError(f"{out.to} refused by the mail server: {exc.message}") from None
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise RejectedError(
                f"mail server refused the message: {exc.code} {exc.message}", code=str(exc.code)
            ) from None
        raise TransientError(f"mail server busy: {exc.code} {exc.message}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise TransientError(
            f"{settings.account}: cannot send via {settings.host}:{settings.port} ({exc})"
        ) from None
    message_id = out.message_id or _header(raw, b"Message-ID")
    return message_id, raw


def _header(raw: bytes, name: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")
        if not line:
            break
    return ""
