"""The typed config: frozen dataclasses, one per TOML table, every field documented.

Secrets are resolved only when asked for, by :meth:`AccountConfig.secret`.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

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
_SECRETS = {
    "email": ("password",),
    "twilio": ("auth_token", "api_secret"),
    "kannel": ("password", "listen_secret"),
    "chat": ("token",),
}
RELAY_SECRETS = (
    "token",
    "chat_secret",
    "telegram_bot_token",
    "telegram_secret",
    "twilio_auth_token",
    "kannel_secret",
    "widget_identity_secret",
)


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
class OutboxConfig:
    """``[outbox]``: how a reply that could not be delivered is tried again."""

    retry_after_seconds: int = 30  #: Wait before the first retry; it doubles each time.
    max_attempts: int = 8  #: Tries before a reply is marked failed (it can be retried by hand).


@dataclass(frozen=True)
class RoutingConfig:
    """``[routing]``: where the routing rules live (read again whenever they change)."""

    #: The rules file; default ``rules.toml`` next to the config file.
    rules_file: Path | None = None

    def rules_path(self, config_source: Path | None) -> Path:
        if self.rules_file is not None:
            return self.rules_file
        base = config_source.parent if config_source else paths.default_config_path().parent
        return base / "rules.toml"


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
_RESOLVED: dict[tuple[str, str, str, str], str] = {}


class _Secrets:
    """Secrets resolved only when asked for: the literal, else ``<key>_command``'s
    stdout (run once per process), else ``$OMNI_<NAME>_<KEY>``."""

    name: str
    source: Path | None

    def _secret_keys(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _where(self, key: str) -> str:
        raise NotImplementedError

    def env_var(self, key: str) -> str:
        """``OMNI_<NAME>_<KEY>``: the env var that can supply secret ``key``."""
        return f"OMNI_{re.sub(r'[^A-Z0-9]', '_', self.name.upper())}_{key.upper()}"

    def secret(self, key: str) -> str:
        """Secret ``key`` ("password", "auth_token", "api_secret", "token"; never in repr):
        the literal, else ``<key>_command``'s stdout, else ``$OMNI_<NAME>_<KEY>``."""
        if key not in self._secret_keys():
            raise ValueError(f"{key!r} is not a secret of {self.name!r}")
        if getattr(self, key) is not None:
            return getattr(self, key)
        command = getattr(self, f"{key}_command")
        if command is not None:
            cache_key = (str(self.source), self.name, key, repr(command))
            if cache_key not in _RESOLVED:  # asked once per process, not on every send
                _RESOLVED[cache_key] = self._run(f"{key}_command", command)
            return _RESOLVED[cache_key]
        if os.environ.get(self.env_var(key)):
            return os.environ[self.env_var(key)]
        raise self._error(
            key,
            f"no {key} for {self.name!r}",
            f"set {key} or {key}_command, or export {self.env_var(key)}",
        )

    def forget_secrets(self) -> None:
        """Run the ``*_command``s again next time: after a refused login, the secret they
        printed may have been changed since (a rotated password), or was wrong."""
        for cached in [k for k in _RESOLVED if k[:2] == (str(self.source), self.name)]:
            del _RESOLVED[cached]

    def optional_secret(self, key: str) -> str | None:
        """Like :meth:`secret`, but None when the account sets none."""
        if getattr(self, key) is None and getattr(self, f"{key}_command") is None:
            return os.environ.get(self.env_var(key)) or None
        return self.secret(key)

    def _error(self, key: str, problem: str, fix: str) -> ConfigError:
        file = str(self.source) if self.source else "<config>"
        return ConfigError(file, self._where(key), problem, fix)

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
class AccountConfig(_Secrets):
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
    #: SMS: "host:port" where ``omni-tui sync`` takes inbound SMS and delivery reports
    #: (Kannel's get-url and dlr-url; Twilio's webhooks). Required for Kannel.
    listen: str | None = None
    #: Kannel: a shared secret Kannel's get-url and dlr-url must carry (``secret=``), so
    #: nobody else on the machine can post texts or reports to the listener.
    listen_secret: str | None = field(default=None, repr=False)
    listen_secret_command: Command | None = None  #: Kannel: command printing it.
    #: Kannel: the most parts one reply may take, as smsbox's ``max-messages`` allows
    #: (smsbox cuts a longer one short and still reports it delivered).
    max_parts: int = 10
    status_callback: str | None = None  #: Twilio: public URL for delivery-status posts.
    #: Twilio: the public base URL Twilio posts webhooks to (a proxy or tunnel in front
    #: of ``listen``); signatures are checked against it.
    webhook_url: str | None = None
    relay_url: str | None = None  #: Chat: base URL of our webhook relay.
    token: str | None = field(default=None, repr=False)  #: Chat: literal relay token.
    token_command: Command | None = None  #: Chat: command printing the relay token.
    #: The config file this came from, for error messages.
    source: Path | None = field(default=None, compare=False, repr=False)
    index: int = field(default=0, compare=False, repr=False)  #: Position in [[accounts]].

    def _secret_keys(self) -> tuple[str, ...]:
        return _SECRETS[self.provider or self.channel]

    def _where(self, key: str) -> str:
        return f"accounts[{self.index}].{key}"


@dataclass(frozen=True)
class RelayConfig(_Secrets):
    """``[relay]``: the webhook relay ``omni-tui relay`` runs on the team's server."""

    listen: str = "127.0.0.1:8750"  #: "host:port" to serve on.
    #: The URL visitors' browsers and providers reach the relay at (behind a proxy).
    public_url: str | None = None
    path: Path | None = None  #: The relay's own SQLite event log; default in the data dir.
    retention_days: int = 30  #: Events older than this are dropped.
    max_body_bytes: int = 1 * MIB  #: Larger webhooks are refused with 413.
    #: Web widget: messages one client address may post a minute (429 beyond).
    widget_messages_per_minute: int = 30
    #: Bearer token consoles pull events and post replies with.
    token: str | None = field(default=None, repr=False)
    token_command: Command | None = None  #: Command printing the token.
    #: Standard Webhooks secret (``whsec_…``) that signs ``POST /hooks/chat``.
    chat_secret: str | None = field(default=None, repr=False)
    chat_secret_command: Command | None = None  #: Command printing the chat secret.
    #: Telegram: the bot token replies are sent with (``sendMessage``).
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_bot_token_command: Command | None = None  #: Command printing the bot token.
    #: Telegram: the ``secret_token`` given to ``setWebhook``, checked on every update.
    telegram_secret: str | None = field(default=None, repr=False)
    telegram_secret_command: Command | None = None  #: Command printing it.
    telegram_api_base: str = "https://api.telegram.org"  #: Bot API base URL.
    #: Twilio: auth token that signs ``POST /hooks/twilio`` (``X-Twilio-Signature``).
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_auth_token_command: Command | None = None  #: Command printing it.
    #: Kannel: shared secret its get-url and dlr-url carry as ``secret=``.
    kannel_secret: str | None = field(default=None, repr=False)
    kannel_secret_command: Command | None = None  #: Command printing it.
    #: Web widget: the key a site signs a logged-in customer's email with (HMAC-SHA256).
    #: Once set, only a signed email joins a visitor to that customer; one typed into
    #: the pre-chat form is only suggested to the agent.
    widget_identity_secret: str | None = field(default=None, repr=False)
    widget_identity_secret_command: Command | None = None  #: Command printing it.
    source: Path | None = field(default=None, compare=False, repr=False)
    name: str = field(default="relay", init=False, repr=False)

    def _secret_keys(self) -> tuple[str, ...]:
        return RELAY_SECRETS

    def _where(self, key: str) -> str:
        return f"relay.{key}"

    def db_path(self) -> Path:
        return self.path or paths.default_relay_db_path()

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.listen}").rstrip("/")


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
    relay: RelayConfig = field(default_factory=RelayConfig)  #: The webhook relay server.
    routing: RoutingConfig = field(default_factory=RoutingConfig)  #: Routing rules.
    outbox: OutboxConfig = field(default_factory=OutboxConfig)  #: Delivery retries.
    source: Path | None = None  #: The file this was read from; None for defaults.

    def account(self, name: str) -> AccountConfig:
        """The account called ``name``; NotFound if there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise NotFound("account", name)
