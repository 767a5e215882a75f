"""What every command handler gets: its arguments, the config, the store's path."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omni_tui.config import Config
from omni_tui.store import Store

if TYPE_CHECKING:
    from omni_tui.ingest import IngestOptions


@dataclass
class Context:
    args: argparse.Namespace
    config: Config

    @property
    def db_path(self) -> Path:
        db = getattr(self.args, "db", None)
        return Path(db).expanduser() if db else self.config.store.db_path()

    @property
    def agent(self) -> str:
        return self.config.agent.name

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def region(self) -> str:
        return self.config.identity.default_region

    @property
    def ingest_options(self) -> IngestOptions:
        from omni_tui.ingest import IngestOptions

        return IngestOptions.from_config(self.config)

    def announce_upgrade(self) -> None:
        """An upgrade can rebuild indexes: on a big store, the wait gets a reason."""
        from omni_tui.cli import output
        from omni_tui.store import sqlite

        version = sqlite.pending_upgrade(self.db_path)
        if version is not None:
            output.info(
                f"omni-tui: upgrading the store {self.db_path} from schema v{version} to"
                f" v{sqlite.SCHEMA_VERSION} (a large store takes a while)…"
            )

    async def open(self, *, create: bool = False, background_checkpoints: bool = False) -> Store:
        self.announce_upgrade()
        return await Store.open(
            self.db_path, create=create, background_checkpoints=background_checkpoints
        )
