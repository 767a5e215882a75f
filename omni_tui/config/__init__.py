"""omni-tui's configuration: ``config.example.toml`` documents every key."""

from __future__ import annotations

from omni_tui.config.model import (
    CHANNELS,
    MIB,
    PLACEHOLDERS,
    SECURITIES,
    SMS_PROVIDERS,
    AccountConfig,
    AgentConfig,
    CannedResponse,
    Channel,
    Command,
    Config,
    ConversationConfig,
    IdentityConfig,
    OutboxConfig,
    RelayConfig,
    RoutingConfig,
    Security,
    SlaConfig,
    SmsProvider,
    StoreConfig,
)
from omni_tui.config.parse import load_config, parse_config

__all__ = [
    "CHANNELS",
    "MIB",
    "PLACEHOLDERS",
    "SECURITIES",
    "SMS_PROVIDERS",
    "AccountConfig",
    "AgentConfig",
    "CannedResponse",
    "Channel",
    "Command",
    "Config",
    "ConversationConfig",
    "IdentityConfig",
    "RelayConfig",
    "OutboxConfig",
    "RoutingConfig",
    "Security",
    "SlaConfig",
    "SmsProvider",
    "StoreConfig",
    "load_config",
    "parse_config",
]
