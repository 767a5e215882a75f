"""Reading and validating the TOML file into :mod:`omni_tui.config.model`.

Every problem is one :class:`~omni_tui.errors.ConfigError` line naming file, key and fix;
keys read like ``accounts[0].imap_port`` (0-based, in file order).
"""

from __future__ import annotations

import difflib
import os
import re
import ssl
import tomllib
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from adapters.tls import is_loopback
from omni_tui import paths
from omni_tui.config.keys import BINDING_IDS
from omni_tui.config.model import (
    _PLACEHOLDER,
    _SMTP_PORTS,
    CHANNELS,
    MIB,
    PLACEHOLDERS,
    RELAY_SECRETS,
    SECURITIES,
    SMS_PROVIDERS,
    AccountConfig,
    AgentConfig,
    CannedResponse,
    Config,
    ConversationConfig,
    IdentityConfig,
    OutboxConfig,
    RelayConfig,
    RoutingConfig,
    SlaConfig,
    StoreConfig,
    _default_agent_name,
)
from omni_tui.config.table import Table, show
from omni_tui.errors import ConfigError

#: upper bounds of integers: generous, and far from what overflows a date or a timer
GIB = 1024 * MIB
TEN_YEARS_DAYS = 3650
YEAR_MINUTES = 365 * 24 * 60
DAY_SECONDS = 24 * 60 * 60

_SECTIONS: dict[str, tuple[str, ...] | None] = {
    "store": ("path",),
    "agent": ("name", "email", "team"),
    "identity": ("default_region",),
    "conversation": ("join_window_days",),
    "sla": ("warn_after_minutes", "breach_after_minutes"),
    "accounts": (),
    "canned": ("name", "body"),
    "keys": None,
    "routing": ("rules_file",),
    "outbox": ("retry_after_seconds", "max_attempts"),
    "relay": (
        "listen",
        "public_url",
        "path",
        "retention_days",
        "max_body_bytes",
        "widget_messages_per_minute",
        "telegram_api_base",
        *(f"{k}{suffix}" for k in RELAY_SECRETS for suffix in ("", "_command")),
    ),
}  # None: any key
_COMMON = ("name", "channel")
_EMAIL = (
    "imap_host",
    "imap_port",
    "imap_security",
    "username",
    "password",
    "password_command",
    "folders",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "address",
    "ca_file",
    "sent_folder",
    "mark_seen",
    "max_attachment_bytes",
)
_TWILIO = (
    "provider",
    "number",
    "api_base",
    "account_sid",
    "auth_token",
    "auth_token_command",
    "api_key",
    "api_secret",
    "api_secret_command",
    "listen",
    "status_callback",
    "webhook_url",
)
_KANNEL = (
    "provider",
    "number",
    "sendsms_url",
    "username",
    "password",
    "password_command",
    "listen",
    "listen_secret",
    "listen_secret_command",
    "max_parts",
)
_ALLOWED = {
    "email": _COMMON + _EMAIL,
    "twilio": _COMMON + _TWILIO,
    "kannel": _COMMON + _KANNEL,
    "chat": _COMMON + ("relay_url", "token", "token_command"),
}
_LABELS = {
    "email": "email accounts",
    "twilio": 'sms accounts with provider = "twilio"',
    "kannel": 'sms accounts with provider = "kannel"',
    "chat": "chat accounts",
}
#: Account key → the kinds of account it belongs to, for "wrong channel" errors.
_OWNERS = {
    key: " or ".join(_LABELS[k] for k, keys in _ALLOWED.items() if key in keys)
    for keys in _ALLOWED.values()
    for key in keys
}


def _region(t: Table) -> str:
    value = t.text("default_region", "US", example='"US"').upper()
    import phonenumbers  # here, only once a config is read: keeps `omni-tui --help` fast

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise t.error(
            "default_region",
            f"unknown region {show(value)}",
            "use an ISO 3166 alpha-2 code such as US, GB, DE or IN",
        )
    return value


def _canned(tables: list[Table]) -> tuple[CannedResponse, ...]:
    result: dict[str, CannedResponse] = {}
    for t in tables:
        t.only(("name", "body"), "[[canned]] tables")
        name = t.text("name", required=True, example='"greeting"')
        body = t.text("body", required=True, example='"Hi {customer.name}, …"')
        if name in result:
            raise t.error("name", f"duplicate canned response {name!r}", "give each its own name")
        for match in _PLACEHOLDER.finditer(body):
            if match.group(1) not in PLACEHOLDERS:
                raise t.error(
                    "body",
                    f"unknown placeholder {show(match.group(0))}",
                    "use " + ", ".join("{" + p + "}" for p in PLACEHOLDERS),
                )
        result[name] = CannedResponse(name, body)
    return tuple(result.values())


def _channel_keys(t: Table, kind: str) -> dict[str, Any]:
    if kind == "email":
        imap_security = t.choice("imap_security", SECURITIES, "tls")
        smtp_security = t.choice("smtp_security", SECURITIES, "starttls")
        imap_host = t.text("imap_host", required=True, example='"imap.example.com"')
        address = t.text("address", required=True, example='"support@example.com"')
        if "@" not in parseaddr(address)[1]:
            raise t.error(
                "address",
                f"{show(address)} is not an email address",
                'write it like address = "Support <support@example.com>"',
            )
        smtp_host = t.text("smtp_host", imap_host, example='"smtp.example.com"')
        # IMAP always logs in; SMTP in plain text to another machine never does (a
        # relay that takes the team's mail by its address needs no password)
        if imap_security == "none" and not is_loopback(imap_host):
            raise t.error(
                "imap_security",
                f'"none" sends the password in clear text to {show(imap_host)}',
                'use "tls" or "starttls"; "none" is for a server on this machine'
                " (127.0.0.1, ::1, localhost)",
            )
        return dict(
            imap_host=imap_host,
            imap_security=imap_security,
            smtp_security=smtp_security,
            imap_port=t.integer("imap_port", 993 if imap_security == "tls" else 143, 1, 65535),
            username=t.text("username", required=True, example='"support@example.com"'),
            folders=t.names("folders", ("INBOX",)),
            smtp_host=smtp_host,
            smtp_port=t.integer("smtp_port", _SMTP_PORTS[smtp_security], 1, 65535),
            address=address,
            ca_file=_ca_file(t),
            sent_folder=t.text("sent_folder"),
            mark_seen=t.get("mark_seen", bool, False, example="true"),
            max_attachment_bytes=t.integer("max_attachment_bytes", 25 * MIB, 1, GIB),
            **t.secret("password"),
        )
    if kind == "twilio":
        return dict(
            listen=_listen(t, required=False),
            status_callback=(
                t.url("status_callback", ("https", "http")) if "status_callback" in t.data else None
            ),
            webhook_url=t.url("webhook_url", ("https", "http"))
            if "webhook_url" in t.data
            else None,
            api_base=t.url("api_base", ("https", "http"), "https://api.twilio.com"),
            account_sid=t.text("account_sid", required=True, example='"AC..."'),
            api_key=t.text("api_key", example='"SK..."'),
            **t.secret("auth_token"),
            **t.secret("api_secret"),
        )
    if kind == "chat":
        return dict(
            relay_url=t.url("relay_url", ("https", "http", "wss", "ws")), **t.secret("token")
        )
    return dict(
        sendsms_url=t.url("sendsms_url", ("http", "https")),
        listen=_listen(t, required=False),  # texts may come through the relay instead
        **t.secret("listen_secret"),
        username=t.text("username"),
        max_parts=t.integer("max_parts", 10, 1, 255),
        **t.secret("password"),
    )


def _ca_file(t: Table) -> Path | None:
    """Checked here, not at the first connection: a typo is a config error, not a
    traceback at every sync and send."""
    path = t.path("ca_file")
    if path is None:
        return None
    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise t.error("ca_file", f"no such file {path}", "fix the path or remove the key") from None
    except (OSError, ssl.SSLError) as exc:
        problem = getattr(exc, "reason", None) or exc.strerror
        raise t.error(
            "ca_file",
            f"{path} is not a readable PEM certificate file ({problem or exc})",
            "point it at the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)",
        ) from None
    return path


def _sla(t: Table) -> SlaConfig:
    warn = t.integer("warn_after_minutes", 60, 1, YEAR_MINUTES)
    breach = t.integer("breach_after_minutes", 240, 1, YEAR_MINUTES)
    if warn > breach:
        raise t.error(
            "warn_after_minutes",
            f"{warn} is after breach_after_minutes ({breach}): no case would show the warning",
            "make the warning come first, or equal",
        )
    return SlaConfig(warn, breach)


def _rules_file(t: Table) -> Path | None:
    """A misspelt name would route nothing without a word; the file may be edited
    (and briefly replaced) while omni-tui runs, but it must be there at the start."""
    path = t.path("rules_file")
    if path is not None and not path.is_file():
        raise t.error("rules_file", f"no such file {path}", "fix the path or remove the key")
    return path


def is_host_port(value: str) -> bool:
    host, _, port = value.rpartition(":")
    return bool(host) and port.isdigit() and 1 <= int(port) <= 65535


def _listen(t: Table, *, required: bool) -> str | None:
    listen = t.text("listen", required=required, example='"127.0.0.1:13013"')
    if listen is None:
        return None
    if not is_host_port(listen):
        raise t.error(
            "listen",
            f"{show(listen)} is not host:port",
            'write it like listen = "127.0.0.1:13013"',
        )
    return listen


def _accounts(tables: list[Table], source: Path | None) -> tuple[AccountConfig, ...]:
    result: dict[str, AccountConfig] = {}
    for index, t in enumerate(tables):
        name = t.text("name", required=True, example='"support"')
        if name in result:
            raise t.error(
                "name",
                f"duplicate account name {name!r}",
                "give every [[accounts]] table its own name",
            )
        channel = t.choice("channel", CHANNELS, required=True)
        kind = t.choice("provider", SMS_PROVIDERS, required=True) if channel == "sms" else channel
        t.only(_ALLOWED[kind], _LABELS[kind], _OWNERS)
        sms = {}
        if channel == "sms":
            sms = dict(provider=kind, number=_sms_number(t, kind))
        result[name] = AccountConfig(
            name=name, channel=channel, source=source, index=index, **sms, **_channel_keys(t, kind)
        )
    return tuple(result.values())


def _sms_number(t: Table, provider: str) -> str:
    """Twilio's account number as Twilio writes it: E.164, or a short code. Written any
    other way it matched no inbound text (the ``To`` a pull asks for), and sync said
    "ok". Kannel's is read in the default region, as its texts' numbers are."""
    number = t.text("number", required=True, example='"+1555…"')
    if provider != "twilio" or re.fullmatch(r"\+[1-9]\d{6,14}|\d{3,8}", number):
        return number
    digits = re.sub(r"[\s().\-/]", "", number)
    fix = (
        f'write it as "{digits}"'
        if re.fullmatch(r"\+[1-9]\d{6,14}", digits)
        else 'write it in E.164, like "+15005550006" (or a short code, like "24365")'
    )
    raise t.error("number", f"{number!r} is not a phone number as the gateway writes it", fix)


def _build(data: dict[str, Any], source: Path | None) -> Config:
    top = Table(
        str(source) if source else "<config>",
        "",
        data,
        source.absolute().parent if source else None,
        sections=_SECTIONS,
    )
    top.only(tuple(_SECTIONS), "config files")
    agent, sla, keys = top.section("agent"), top.section("sla"), top.section("keys")
    return Config(
        store=StoreConfig(top.section("store").path("path")),
        agent=AgentConfig(
            agent.text("name", _default_agent_name(), example='"Dana"'),
            agent.text("email", example='"dana@example.com"'),
            agent.text("team", example='"billing"'),
        ),
        identity=IdentityConfig(_region(top.section("identity"))),
        conversation=ConversationConfig(
            top.section("conversation").integer("join_window_days", 7, 0, TEN_YEARS_DAYS)
        ),
        sla=_sla(sla),
        accounts=_accounts(top.tables("accounts"), source),
        canned=_canned(top.tables("canned")),
        keys=_keys(keys),
        relay=_relay(top.section("relay"), source),
        routing=RoutingConfig(_rules_file(top.section("routing"))),
        outbox=OutboxConfig(
            top.section("outbox").integer("retry_after_seconds", 30, 1, DAY_SECONDS),
            top.section("outbox").integer("max_attempts", 8, 1, 1000),
        ),
        source=source,
    )


def _keys(t: Table) -> dict[str, str]:
    """Remaps by binding id; a mistyped id would be silently ignored by the console."""
    for binding in t.data:
        if binding not in BINDING_IDS:
            close = difflib.get_close_matches(binding, sorted(BINDING_IDS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "fix or remove it"
            raise t.error(
                binding,
                f"no key of the console has the id {show(binding)}",
                f"{hint} (the console's ? lists every id)",
            )
    return {binding: t.text(binding, example='"ctrl+r"') for binding in t.data}


def _relay(t: Table, source: Path | None) -> RelayConfig:
    secrets: dict[str, Any] = {}
    for key in RELAY_SECRETS:
        secrets |= t.secret(key)
    public_url = t.url("public_url", ("https", "http")) if "public_url" in t.data else None
    return RelayConfig(
        listen=_listen(t, required=False) or "127.0.0.1:8750",
        public_url=public_url,
        path=t.path("path"),
        retention_days=t.integer("retention_days", 30, 1, TEN_YEARS_DAYS),
        max_body_bytes=t.integer("max_body_bytes", MIB, 1024, 64 * MIB),
        widget_messages_per_minute=t.integer("widget_messages_per_minute", 30, 1, 100_000),
        telegram_api_base=t.url("telegram_api_base", ("https", "http"), "https://api.telegram.org"),
        source=source,
        **secrets,
    )


def parse_config(text: str, source: Path | None = None) -> Config:
    """Parse and validate TOML ``text`` read from ``source`` (for messages, relative paths)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = " ".join(str(exc).split())
        at = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        where, fix = (
            (f"line {at[1]}, column {at[2]}", "fix the syntax there")
            if at
            else (None, "close the string, array or table left open")
        )
        problem = f"invalid TOML: {message[: at.start()] if at else message}"
        raise ConfigError(str(source) if source else "<config>", where, problem, fix) from None
    return _build(data, source)


def load_config(path: str | Path | None = None, *, required: bool = False) -> Config:
    """Read ``path``, else ``$OMNI_CONFIG``, else the user config dir's config.toml.

    Only the last may be missing: that gives ``Config()``, unless ``required``."""
    env = os.environ.get(paths.CONFIG_ENV)
    file = Path(path if path is not None else env or paths.default_config_path()).expanduser()
    must = required or path is not None or bool(env)
    fix = (
        "check the path given with --config"
        if path is not None
        else f"fix ${paths.CONFIG_ENV} or unset it"
        if env
        else "create it, starting from config.example.toml"
    )
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (FileNotFoundError, NotADirectoryError):
        if must:
            raise ConfigError(str(file), None, "config file not found", fix) from None
        return Config()
    except OSError as exc:
        raise ConfigError(
            str(file),
            None,
            f"cannot read it ({exc.strerror or exc})",
            "check that it is a readable file",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(file), None, f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8"
        ) from None
    return parse_config(text, file)
