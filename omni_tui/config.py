"""Read omni-tui's TOML config (see ``config.example.toml``) into frozen dataclasses.

Every problem is one :class:`~omni_tui.errors.ConfigError` line naming file, key and fix;
keys read like ``accounts[0].imap_port`` (0-based, in file order). Secrets are resolved
only when asked for, by :meth:`AccountConfig.secret`.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from omni_tui import paths
from omni_tui.errors import ConfigError, NotFound

Channel = Literal["email", "sms", "chat"]
Security = Literal["tls", "starttls", "none"]
SmsProvider = Literal["twilio", "kannel"]
CHANNELS: tuple[str, ...] = get_args(Channel)
SECURITIES: tuple[str, ...] = get_args(Security)
SMS_PROVIDERS: tuple[str, ...] = get_args(SmsProvider)
MIB = 1024 * 1024
SECRET_COMMAND_TIMEOUT = 60.0
PLACEHOLDERS = ("customer.name", "agent.name", "agent.email", "agent.team")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True)
class StoreConfig:
    """``[store]``: where the SQLite store lives."""

    #: Store file (``~`` expanded, relative to the config file); None: the default.
    path: Path | None = None

    def db_path(self) -> Path:
        """The file to open: ``$OMNI_DB`` wins, then ``path``, then the user data dir."""
        if self.path is None or os.environ.get(paths.DB_ENV):
            return paths.default_db_path()
        return self.path


def _default_agent_name() -> str:
    return os.environ.get("USER") or "agent"


@dataclass(frozen=True)
class AgentConfig:
    """``[agent]``: the person at this terminal."""

    #: Display name in replies and assignment; default ``$USER`` or "agent".
    name: str = field(default_factory=_default_agent_name)
    email: str | None = None  #: The agent's own address, for ``{agent.email}``.
    team: str | None = None  #: Team label, for inbox filters and ``{agent.team}``.


@dataclass(frozen=True)
class IdentityConfig:
    """``[identity]``: how customer identities are normalised."""

    default_region: str = "US"  #: ISO 3166 region for numbers without a +country code.


@dataclass(frozen=True)
class ConversationConfig:
    """``[conversation]``: how messages are threaded across channels."""

    #: A customer's message on another channel joins their open conversation this recent.
    join_window_days: int = 7


@dataclass(frozen=True)
class SlaConfig:
    """``[sla]``: minutes since a customer's unanswered message before amber, then red."""

    warn_after_minutes: int = 60  #: Minutes waiting before the row warns.
    breach_after_minutes: int = 240  #: Minutes waiting before the row shows a breach.


@dataclass(frozen=True)
class CannedResponse:
    """``[[canned]]``: a reusable reply the composer can insert."""

    name: str  #: Unique name shown in the picker and command palette.
    body: str  #: Text; may use {customer.name}, {agent.name}, {agent.email}, {agent.team}.

    def render(self, *, customer_name: str, agent: AgentConfig) -> str:
        """The body with its placeholders filled in."""
        values = {
            "customer.name": customer_name,
            "agent.name": agent.name,
            "agent.email": agent.email or "",
            "agent.team": agent.team or "",
        }
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.body)


Command = str | tuple[str, ...]  # a shell string, or an argv list (stored as a tuple)


@dataclass(frozen=True)
class AccountConfig:
    """``[[accounts]]``: a mailbox, SMS number or chat relay; unused fields stay None."""

    name: str  #: Unique name; also names the ``OMNI_<NAME>_<KEY>`` secret env vars.
    channel: Channel  #: "email", "sms" or "chat".
    imap_host: str | None = None  #: Email: IMAP server host name.
    imap_port: int | None = None  #: Email: IMAP port; default 993 with tls, else 143.
    imap_security: Security | None = None  #: Email: "tls" (default), "starttls" or "none".
    username: str | None = None  #: Email: IMAP/SMTP login. Kannel: sendsms username.
    password: str | None = field(default=None, repr=False)  #: Email, Kannel: literal password.
    password_command: Command | None = None  #: Email, Kannel: command printing the password.
    folders: tuple[str, ...] = ()  #: Email: IMAP folders to pull; default ("INBOX",).
    smtp_host: str | None = None  #: Email: SMTP server for replies; default imap_host.
    smtp_port: int | None = None  #: Email: SMTP port; default 465 tls, 587 starttls, 25 none.
    smtp_security: Security | None = None  #: Email: "tls", "starttls" (default) or "none".
    address: str | None = None  #: Email: the From address of replies.
    ca_file: Path | None = None  #: Email: extra CA bundle to trust (``~`` expanded).
    sent_folder: str | None = None  #: Email: folder to append sent replies to, if any.
    mark_seen: bool = False  #: Email: set \\Seen on the server when a message is pulled.
    max_attachment_bytes: int = 25 * MIB  #: Email: larger attachments are not downloaded.
    provider: SmsProvider | None = None  #: SMS: "twilio" or "kannel".
    number: str | None = None  #: SMS: our sending number (E.164 or short code).
    api_base: str | None = None  #: Twilio: API base URL; default "https://api.twilio.com".
    account_sid: str | None = None  #: Twilio: account SID (AC…).
    auth_token: str | None = field(default=None, repr=False)  #: Twilio: literal auth token.
    auth_token_command: Command | None = None  #: Twilio: command printing the auth token.
    api_key: str | None = None  #: Twilio: API key SID (SK…), used instead of the auth token.
    api_secret: str | None = field(default=None, repr=False)  #: Twilio: literal API key secret.
    api_secret_command: Command | None = None  #: Twilio: command printing the API secret.
    sendsms_url: str | None = None  #: Kannel: the smsbox sendsms URL.
    listen: str | None = None  #: Kannel: "host:port" for inbound SMS and delivery reports.
    relay_url: str | None = None  #: Chat: base URL of our webhook relay.
    token: str | None = field(default=None, repr=False)  #: Chat: literal relay token.
    token_command: Command | None = None  #: Chat: command printing the relay token.
    #: The config file this came from, for error messages.
    source: Path | None = field(default=None, compare=False, repr=False)
    index: int = field(default=0, compare=False, repr=False)  #: Position in [[accounts]].

    def env_var(self, key: str) -> str:
        """``OMNI_<NAME>_<KEY>``: the env var that can supply secret ``key``."""
        return f"OMNI_{re.sub(r'[^A-Z0-9]', '_', self.name.upper())}_{key.upper()}"

    def secret(self, key: str) -> str:
        """Secret ``key`` ("password", "auth_token", "api_secret", "token"; never in repr):
        the literal, else ``<key>_command``'s stdout, else ``$OMNI_<NAME>_<KEY>``."""
        if key not in _SECRETS[self.provider or self.channel]:
            raise ValueError(f"{key!r} is not a secret of {self.channel} account {self.name!r}")
        if getattr(self, key) is not None:
            return getattr(self, key)
        if getattr(self, f"{key}_command") is not None:
            return self._run(f"{key}_command", getattr(self, f"{key}_command"))
        if os.environ.get(self.env_var(key)):
            return os.environ[self.env_var(key)]
        raise self._error(
            key,
            f"no {key} for account {self.name!r}",
            f"set {key} or {key}_command, or export {self.env_var(key)}",
        )

    def _error(self, key: str, problem: str, fix: str) -> ConfigError:
        file = str(self.source) if self.source else "<config>"
        return ConfigError(file, f"accounts[{self.index}].{key}", problem, fix)

    def _run(self, key: str, command: Command) -> str:
        fix = "run it by hand: it must print the secret and exit 0"
        try:
            done = subprocess.run(
                command if isinstance(command, str) else list(command),
                shell=isinstance(command, str),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                encoding="utf-8",
                timeout=SECRET_COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, UnicodeDecodeError, subprocess.TimeoutExpired) as exc:
            why = getattr(exc, "strerror", None) or type(exc).__name__  # no output: it is secret
            raise self._error(key, f"could not run it ({why})", fix) from None
        if done.returncode != 0:
            raise self._error(key, f"exited with status {done.returncode}", fix)
        if not done.stdout.rstrip("\r\n"):
            raise self._error(key, "printed nothing", fix)
        return done.stdout.rstrip("\r\n")


@dataclass(frozen=True)
class Config:
    """The whole config file; ``Config()`` is what an absent default file means."""

    store: StoreConfig = field(default_factory=StoreConfig)  #: Where the store lives.
    agent: AgentConfig = field(default_factory=AgentConfig)  #: Who is at this terminal.
    #: How phone numbers are normalised into customer identities.
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    #: How messages are threaded across channels.
    conversation: ConversationConfig = field(default_factory=ConversationConfig)
    sla: SlaConfig = field(default_factory=SlaConfig)  #: Response-time thresholds.
    accounts: tuple[AccountConfig, ...] = ()  #: Channel accounts to sync, in file order.
    canned: tuple[CannedResponse, ...] = ()  #: Canned responses, in file order.
    #: Binding id → key string, for Textual's ``App.set_keymap``.
    keys: dict[str, str] = field(default_factory=dict)
    source: Path | None = None  #: The file this was read from; None for defaults.

    def account(self, name: str) -> AccountConfig:
        """The account called ``name``; NotFound if there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise NotFound("account", name)


_SECTIONS: dict[str, tuple[str, ...] | None] = {
    "store": ("path",),
    "agent": ("name", "email", "team"),
    "identity": ("default_region",),
    "conversation": ("join_window_days",),
    "sla": ("warn_after_minutes", "breach_after_minutes"),
    "accounts": (),
    "canned": ("name", "body"),
    "keys": None,
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
)
_KANNEL = (
    "provider",
    "number",
    "sendsms_url",
    "username",
    "password",
    "password_command",
    "listen",
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
_SECRETS = {
    "email": ("password",),
    "twilio": ("auth_token", "api_secret"),
    "kannel": ("password",),
    "chat": ("token",),
}
_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}  # tomllib's types; anything else is a date/time


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "a date/time")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Table:
    """One TOML table under validation; its errors name ``file: prefix.key``."""

    def __init__(self, file: str, prefix: str, data: object, base: Path | None) -> None:
        if not isinstance(data, dict):
            raise ConfigError(
                file,
                prefix,
                f"expected a table, got {_kind(data)}",
                "write it as a [table] of key = value lines",
            )
        self.file, self.prefix, self.data, self.base = file, prefix, data, base

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        key = key if key.isprintable() and key else repr(key)
        return ConfigError(self.file, f"{self.prefix}.{key}" if self.prefix else key, problem, fix)

    def only(
        self, allowed: tuple[str, ...], what: str, elsewhere: dict[str, str] | None = None
    ) -> None:
        for key in self.data:
            if key in allowed:
                continue
            if elsewhere and key in elsewhere:
                raise self.error(
                    key,
                    f"{key!r} is only for {elsewhere[key]}",
                    "remove it, or fix this account's channel or provider",
                )
            close = difflib.get_close_matches(key, allowed, n=1)
            fix = (
                f"did you mean {close[0]!r}?"
                if close
                else f"remove it; {what} take {', '.join(allowed) or 'nothing else'}"
            )
            raise self.error(key, f"unknown key {_show(key)}", fix)

    def get(
        self,
        key: str,
        kind: type,
        default: Any = None,
        *,
        required: bool = False,
        example: str = '"..."',
    ) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, "missing required key", f"add {key} = {example}")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(
                key,
                f"expected {_KINDS[kind]}, got {_kind(value)} {_show(value)}",
                f"write it like {key} = {example}",
            )
        if kind is str and not value.strip():
            raise self.error(key, "is empty", f"write it like {key} = {example}, or remove it")
        return value

    def text(self, key: str, default: str | None = None, **kw: Any) -> Any:
        return self.get(key, str, default, **kw)

    def integer(self, key: str, default: int, lo: int = 0, hi: int | None = None) -> int:
        value = self.get(key, int, default, example=str(default))
        if value < lo or (hi is not None and value > hi):
            limit = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
            raise self.error(key, f"{value} is out of range", f"use a number {limit}")
        return value

    def choice(
        self,
        key: str,
        options: tuple[str, ...],
        default: str | None = None,
        *,
        required: bool = False,
    ) -> Any:
        value = self.text(key, default, required=required, example=f'"{options[0]}"')
        if value is not None and value not in options:
            raise self.error(
                key, f"unknown {key} {_show(value)}", f"use one of {', '.join(options)}"
            )
        return value

    def names(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, default, example='["INBOX"]')
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "must be a non-empty list of names", f'write {key} = ["INBOX"]')
        return tuple(value)

    def secret(self, key: str) -> dict[str, Any]:
        """``key`` and ``key_command`` (a non-empty string or argv list), at most one set."""
        literal, command = self.text(key), self.data.get(f"{key}_command")
        if isinstance(command, list) and command and all(isinstance(a, str) for a in command):
            command = tuple(command)
        elif command is not None and not (isinstance(command, str) and command.strip()):
            raise self.error(
                f"{key}_command",
                f"expected a command, got {_show(command)}",
                f'write {key}_command = "pass show x" or ["pass", "show", "x"]',
            )
        if literal is not None and command is not None:
            raise self.error(
                f"{key}_command", f"both {key} and {key}_command are set", "keep only one of them"
            )
        return {key: literal, f"{key}_command": command}

    def path(self, key: str) -> Path | None:
        value = self.text(key, example='"~/some/file"')
        path = None if value is None else Path(value).expanduser()
        return path if path is None or path.is_absolute() or not self.base else self.base / path

    def url(self, key: str, schemes: tuple[str, ...], default: str | None = None) -> Any:
        value = self.text(key, default, required=default is None, example='"https://…"')
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            raise self.error(
                key,
                f"{_show(value)} is not a URL",
                f"write a full URL starting with {' or '.join(schemes)}://",
            )
        return value

    def section(self, key: str) -> _Table:
        table = _Table(self.file, key, self.data.get(key, {}), self.base)
        if _SECTIONS[key] is not None:
            table.only(_SECTIONS[key], f"[{key}] tables")
        return table

    def tables(self, key: str) -> list[_Table]:
        items = self.data.get(key, [])
        if not isinstance(items, list):
            raise self.error(
                key,
                f"expected [[{key}]] tables, got {_kind(items)}",
                f"write each entry as its own [[{key}]] table",
            )
        return [_Table(self.file, f"{key}[{i}]", item, self.base) for i, item in enumerate(items)]


def _region(t: _Table) -> str:
    value = t.text("default_region", "US", example='"US"').upper()
    import phonenumbers  # here, only once a config is read: keeps `omni-tui --help` fast

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise t.error(
            "default_region",
            f"unknown region {_show(value)}",
            "use an ISO 3166 alpha-2 code such as US, GB, DE or IN",
        )
    return value


def _canned(tables: list[_Table]) -> tuple[CannedResponse, ...]:
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
                    f"unknown placeholder {_show(match.group(0))}",
                    "use " + ", ".join("{" + p + "}" for p in PLACEHOLDERS),
                )
        result[name] = CannedResponse(name, body)
    return tuple(result.values())


def _channel_keys(t: _Table, kind: str) -> dict[str, Any]:
    if kind == "email":
        imap_security = t.choice("imap_security", SECURITIES, "tls")
        smtp_security = t.choice("smtp_security", SECURITIES, "starttls")
        imap_host = t.text("imap_host", required=True, example='"imap.example.com"')
        address = t.text("address", required=True, example='"support@example.com"')
        if "@" not in parseaddr(address)[1]:
            raise t.error(
                "address",
                f"{_show(address)} is not an email address",
                'write it like address = "Support <support@example.com>"',
            )
        return dict(
            imap_host=imap_host,
            imap_security=imap_security,
            smtp_security=smtp_security,
            imap_port=t.integer("imap_port", 993 if imap_security == "tls" else 143, 1, 65535),
            username=t.text("username", required=True, example='"support@example.com"'),
            folders=t.names("folders", ("INBOX",)),
            smtp_host=t.text("smtp_host", imap_host, example='"smtp.example.com"'),
            smtp_port=t.integer("smtp_port", _SMTP_PORTS[smtp_security], 1, 65535),
            address=address,
            ca_file=t.path("ca_file"),
            sent_folder=t.text("sent_folder"),
            mark_seen=t.get("mark_seen", bool, False, example="true"),
            max_attachment_bytes=t.integer("max_attachment_bytes", 25 * MIB, 1),
            **t.secret("password"),
        )
    if kind == "twilio":
        return dict(
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
    listen = t.text("listen", example='"127.0.0.1:13013"')
    host, _, port = (listen or "x:1").rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise t.error(
            "listen",
            f"{_show(listen)} is not host:port",
            'write it like listen = "127.0.0.1:13013"',
        )
    return dict(
        sendsms_url=t.url("sendsms_url", ("http", "https")),
        listen=listen,
        username=t.text("username"),
        **t.secret("password"),
    )


def _accounts(tables: list[_Table], source: Path | None) -> tuple[AccountConfig, ...]:
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
            sms = dict(provider=kind, number=t.text("number", required=True, example='"+1555…"'))
        result[name] = AccountConfig(
            name=name, channel=channel, source=source, index=index, **sms, **_channel_keys(t, kind)
        )
    return tuple(result.values())


def _build(data: dict[str, Any], source: Path | None) -> Config:
    top = _Table(
        str(source) if source else "<config>",
        "",
        data,
        source.absolute().parent if source else None,
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
        conversation=ConversationConfig(top.section("conversation").integer("join_window_days", 7)),
        sla=SlaConfig(
            sla.integer("warn_after_minutes", 60, 1), sla.integer("breach_after_minutes", 240, 1)
        ),
        accounts=_accounts(top.tables("accounts"), source),
        canned=_canned(top.tables("canned")),
        keys={binding: keys.text(binding, example='"ctrl+r"') for binding in keys.data},
        source=source,
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
