"""Noticing that the store file was deleted or replaced under a running console.

SQLite keeps writing to the open, deleted file, so nothing would fail and
everything written from then on would vanish when the console closes. The
console checks the file on every poll; when it is gone it stops writing, says
so, and saves what the agent was typing to a file beside where the store was.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from omni_tui.paths import APP_NAME


class StoreGuard:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self._identity = self._stat()
        self.lost = False

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def check(self) -> bool:
        """True the first time the store is found gone or replaced."""
        if self.lost or self._identity is None:
            return False
        if self._stat() != self._identity:
            self.lost = True
            return True
        return False

    def warning(self, draft: str, conversation_id: int | None) -> str:
        """What the agent is told once the store is gone (``draft``: what they typed)."""
        saved = ""
        if draft.strip():
            try:
                saved = f" Your draft is saved in {self.rescue(draft, conversation_id)}."
            except OSError as exc:
                saved = f" Copy your draft out now: {exc}."
        return (
            f"The store {self.path} was deleted or replaced: nothing more is saved.{saved}"
            " Quit and restore it from a backup."
        )

    def rescue(self, text: str, conversation_id: int | None) -> Path:
        """Write the agent's unsent text where they will find it; the path written."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{self.path.name}.draft-{conversation_id or 'new'}-{stamp}.txt"
        for folder in (self.path.parent, Path(platformdirs.user_state_dir(APP_NAME))):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / name
                target.write_text(text, encoding="utf-8")
                return target
            except OSError:
                continue
        raise OSError(f"could not save the draft anywhere: {name}")
