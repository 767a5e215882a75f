"""What went wrong with the store's disk, in one line an agent can act on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from omni_tui.errors import StoreBusy, StoreError


def store_error(path: Path, error: BaseException, doing: str) -> StoreError:
    """:func:`store_failure` as the error to raise: ``StoreBusy`` for a store that
    stayed locked, so a script can tell "try again" from "something is wrong"."""
    said = store_failure(path, error, doing)
    return (StoreBusy if _busy(error) else StoreError)(said)


def _busy(error: BaseException) -> bool:
    text = str(getattr(error, "orig", None) or error).lower()
    return "locked" in text or "busy" in text


def store_failure(path: Path, error: BaseException, doing: str) -> str:
    """One line for the agent: what went wrong with the store's disk, and what to do."""
    text = str(getattr(error, "orig", None) or error)
    return disk_failure(path, error, doing) or f"{path}: {doing} ({text})"


def disk_failure(path: Path, error: BaseException, doing: str) -> str | None:
    """:func:`store_failure` for a failure of the disk or the file's rights; None for
    anything else (a damaged file, a bug)."""
    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    if "full" in lowered or ("i/o" in lowered and _nearly_full(path.parent)):
        return f"{path}: the disk is full, {doing} — free some space (df -h {path.parent})"
    if "readonly" in lowered or "read-only" in lowered:
        if (unwritable := _not_yours(path)) is not None:
            return f"{path}: {unwritable}, {doing} — let this user write it (chown or chmod g+w)"
        return (
            f"{path}: the store is read-only, {doing} — mount {path.parent} read-write"
            " and check the file and its folder are writable"
        )
    if _busy(error):
        return f"{path}: the store stayed busy for 10 s, {doing} — try again"
    if "unable to open" in lowered and not os.access(path.parent, os.W_OK):
        return (
            f"{path}: the store's folder is not writable (SQLite keeps -wal/-shm files"
            f" beside it), {doing} — make {path.parent} writable or move the store"
        )
    return None


def _not_yours(path: Path) -> str | None:
    """Which of the store's files this user may not write (one made by root, say)."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            info = file.stat()
        except OSError:
            continue
        if not os.access(file, os.W_OK):
            owner = _owner(info.st_uid)
            return f"{file.name} is {owner}'s, mode {info.st_mode & 0o777:o}, not writable by you"
    return None


def _owner(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _nearly_full(folder: Path) -> bool:
    """SQLite reports a full disk as an I/O error when its -shm file cannot grow."""
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False
