"""From a config account to the adapter that speaks its protocol."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.email.compose import id_domain
from adapters.email.imap import ImapAccount, ImapSettings
from adapters.email.smtp import SmtpSettings
from adapters.sms.encoding import TWILIO_MAX_CHARS, TextLimit
from adapters.sms.kannel import KannelAccount, KannelSettings
from adapters.sms.twilio import TwilioAccount, TwilioSettings
from omni_tui import identity
from omni_tui.config import AccountConfig

IMAP_BATCH = 500  # messages per FETCH, and per ingest transaction
IMAP_BATCH_BYTES = 32 * 1024 * 1024  # ... or fewer, to hold this much at most


def imap_account(account: AccountConfig) -> ImapAccount:
    assert account.channel == "email"
    return ImapAccount(
        ImapSettings(
            account=account.name,
            host=account.imap_host or "",
            port=account.imap_port or 993,
            security=account.imap_security or "tls",
            username=account.username or "",
            password=account.secret("password"),
            folders=tuple(account.folders) or ("INBOX",),
            ca_file=account.ca_file,
            mark_seen=account.mark_seen,
            max_attachment_bytes=account.max_attachment_bytes,
            batch_size=IMAP_BATCH,
            batch_bytes=IMAP_BATCH_BYTES,
            own_address=identity.normalise("email", account.address).address
            if account.address
            else None,
            sent_folder=account.sent_folder if account.sent_folder in account.folders else None,
        )
    )


def reply_domains(accounts: Sequence[AccountConfig]) -> dict[str | None, str]:
    """The domain of each email account's address, for the Message-IDs of its replies;
    under ``None`` the account a reply goes out by when its case names none."""
    domains: dict[str | None, str] = {}
    for account in accounts:
        if account.channel == "email" and account.address:
            domains[account.name] = id_domain(account.address)
            domains.setdefault(None, domains[account.name])
    return domains


def text_limits(accounts: Sequence[AccountConfig]) -> dict[str | None, TextLimit]:
    """What one reply may be, for each SMS account (Kannel's ``max_parts``, Twilio's
    characters); under ``None`` the one a text goes out by when its case names no account."""
    limits: dict[str | None, TextLimit] = {}
    for account in accounts:
        if account.channel != "sms":
            continue
        if account.provider == "kannel":
            limits[account.name] = TextLimit("kannel", parts=account.max_parts)
        else:
            limits[account.name] = TextLimit("twilio", chars=TWILIO_MAX_CHARS)
        limits.setdefault(None, limits[account.name])
    return limits


def own_addresses(accounts: Sequence[AccountConfig]) -> frozenset[str]:
    """Every email account's address: never copied on a reply to all."""
    return frozenset(
        identity.normalise("email", account.address).address
        for account in accounts
        if account.channel == "email" and account.address
    )


def smtp_settings(account: AccountConfig) -> SmtpSettings:
    assert account.channel == "email"
    return SmtpSettings(
        account=account.name,
        host=account.smtp_host or account.imap_host or "",
        port=account.smtp_port or 587,
        security=account.smtp_security or "starttls",
        address=account.address or account.username or "",
        username=account.username,
        password=account.secret("password") if account.username else None,
        ca_file=account.ca_file,
    )


def twilio_account(account: AccountConfig) -> TwilioAccount:
    assert account.provider == "twilio"
    if account.api_key:  # an API key signs in as itself; webhooks still use the auth token
        username, secret = account.api_key, account.secret("api_secret")
    else:
        username, secret = account.account_sid or "", account.secret("auth_token")
    return TwilioAccount(
        TwilioSettings(
            account=account.name,
            number=account.number or "",
            account_sid=account.account_sid or "",
            username=username,
            secret=secret,
            api_base=account.api_base or "https://api.twilio.com",
            status_callback=account.status_callback,
        )
    )


def listen_base(account: AccountConfig) -> str | None:
    """The URL our listener answers on, for the dlr-url Kannel calls back."""
    return f"http://{account.listen}" if account.listen else None


def kannel_account(account: AccountConfig) -> KannelAccount:
    assert account.provider == "kannel"
    return KannelAccount(
        KannelSettings(
            account=account.name,
            number=account.number or "",
            sendsms_url=account.sendsms_url or "",
            username=account.username or "",
            password=account.secret("password"),
            dlr_base=listen_base(account),
            listen_secret=account.optional_secret("listen_secret"),
            max_parts=account.max_parts,
        )
    )


def by_number(
    candidates: Sequence[AccountConfig], provider: str, to: str | None, region: str
) -> AccountConfig | None:
    """The ``provider`` account whose number a text was sent to, if any."""
    wanted = identity.normalise_phone(to or "", region)
    for account in candidates:
        if account.provider == provider and (
            identity.normalise_phone(account.number or "", region) == wanted
        ):
            return account
    return None
