"""What every command handler gets: its arguments, the config, the store's path."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from omni_tui.config import Config
from omni_tui.errors import EXIT_USAGE, OmniError
from omni_tui.store import Store

if TYPE_CHECKING:
    from omni_tui.ingest import IngestOptions


class UsageError(OmniError):
    """A flag's value is malformed: exit 2, as argparse does for a bad flag."""

    exit_code = EXIT_USAGE


class FromStdin(str):
    """A body read from standard input before the command's event loop runs: a blocking
    read inside it ignored the first ctrl+c."""


def stdin_body() -> FromStdin:
    """``--body -``: standard input, as UTF-8; other bytes would reach the customer as �."""
    data = sys.stdin.buffer.read()
    try:
        return FromStdin(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"the body on stdin is not UTF-8 (byte {exc.start}) — convert it first,"
            " e.g. iconv -f latin1 -t utf-8"
        ) from None


#: The years a time flag may name: the day after year 9999's last one does not exist,
#: and reports and the demo reach past the time they are given.
YEARS = (2, 9998)


def iso_time(flag: str, value: str, *, years: tuple[int, int] = YEARS) -> datetime:
    """An ISO-8601 time from a flag (UTC if it names no zone), or a usage error."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{flag}: {value!r} is not an ISO-8601 time — write it like 2025-03-03T09:00"
        ) from None
    if not years[0] <= when.year <= years[1]:
        raise UsageError(f"{flag}: {value!r} is out of range — use a year {years[0]}–{years[1]}")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class Context:
    args: argparse.Namespace
    config: Config

    @property
    def db_path(self) -> Path:
        db = getattr(self.args, "db", None)
        if db is not None and not db.strip():  # "--db $UNSET": not the configured store
            raise UsageError("--db is empty — give the store's path, or leave --db out")
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
