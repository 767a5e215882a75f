"""SMTP replies with aiosmtplib: asyncio end to end, TLS verified."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from adapters.base import AuthError, OutboundMessage, RejectedError, TransientError
from adapters.email.compose import ascii_address, build_message
from adapters.email.imap import tls_context

log = logging.getLogger(__name__)


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
    """Deliver one reply; returns its Message-ID and the bytes sent (for the Sent folder)."""
    everyone = [out.to, *out.cc]
    try:
        plain = [ascii_address(address) for address in everyone]
    except ValueError as exc:
        raise RejectedError(str(exc)) from None
    utf8 = None in plain  # a mailbox like jöe@…: RFC 6531 or nothing
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
            # a loopback relay with security "none" may take mail without AUTH
            if settings.username and (
                settings.security != "none" or client.supports_extension("auth")
            ):
                await client.login(settings.username, settings.password or "")
            if utf8 and not client.supports_extension("smtputf8"):
                raise RejectedError(
                    f"{', '.join(everyone)}: an address with letters beyond ASCII before"
                    f" the @ needs a mail server that speaks SMTPUTF8, and {settings.host}"
                    " does not"
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
            envelope = [spec or address for spec, address in zip(plain, everyone, strict=True)]
            refused, _ = await client.sendmail(sender, envelope, raw, mail_options=options)
            if envelope[0] in refused:  # the copies went; the customer's did not
                why = refused[envelope[0]].message
                raise RejectedError(f"{out.to} refused by the mail server: {why}")
            if refused:  # the customer has it: a copy the server would not take is logged
                log.warning("%s: copies refused: %s", settings.account, ", ".join(refused))
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise AuthError(f"{settings.account}: SMTP login refused ({exc.message})") from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(r.message for r in exc.recipients)
        raise RejectedError(f"{out.to} refused by the mail server: {reasons}") from None
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
