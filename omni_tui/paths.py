"""Where omni-tui keeps its files by default, via `platformdirs`.

``$OMNI_CONFIG`` and ``$OMNI_DB`` override the platform defaults (an empty value counts
as unset). Nothing here creates directories; callers do that when they write.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "omni-tui"
CONFIG_ENV = "OMNI_CONFIG"
DB_ENV = "OMNI_DB"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def default_config_path() -> Path:
    """``$OMNI_CONFIG``, else ``<user config dir>/omni-tui/config.toml``."""
    override = _from_env(CONFIG_ENV)
    if override is not None:
        return override
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_db_path() -> Path:
    """``$OMNI_DB``, else ``<user data dir>/omni-tui/omni.db``."""
    override = _from_env(DB_ENV)
    if override is not None:
        return override
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "omni.db"


def default_relay_db_path() -> Path:
    """``<user data dir>/omni-tui/relay.db``: the relay's event log."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "relay.db"
