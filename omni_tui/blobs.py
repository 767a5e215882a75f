"""Attachment and raw-message bodies, stored once under the data dir by sha256."""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

from omni_tui.errors import StoreError
from omni_tui.sharing import share_path, share_with_group


def raw_row(data: bytes) -> dict[str, Any]:
    """A raw message as the store's ``raw_message`` table keeps it: by its sha256."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "data": data}


def blob_path(root: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return root / sha256[:2] / sha256


_folders: set[Path] = set()  # fan-out folders known to exist (one mkdir each, not per blob)
_names = itertools.count()


def put(root: Path, data: bytes, *, sync: bool = True) -> str:
    """:func:`_put`; a full disk, whichever step met it, is the store's ``StoreError``:
    a write error names no file ("standard output"), and the batch must stop."""
    try:
        return _put(root, data, sync=sync)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreError(
                f"{root}: the disk is full, nothing was saved — free some space"
            ) from None
        raise


def _put(root: Path, data: bytes, *, sync: bool) -> str:
    """Write ``data`` if it is not there yet; safe against crashes and concurrent writers.

    With ``sync=False`` the file is not forced to disk: the caller must call
    :func:`flush` before it commits a row that names the blob.  A blob of the
    wrong size (a write cut short by a power loss before that flush) is rewritten.
    The file takes the process umask, like the store: a group-shared data dir
    stays readable by every agent.
    """
    sha = hashlib.sha256(data).hexdigest()
    path = blob_path(root, sha)
    try:
        if os.stat(path).st_size == len(data):
            return sha
    except FileNotFoundError:
        pass
    folder = path.parent
    if folder not in _folders:
        _make_shared(folder, root)
        _folders.add(folder)
    tmp = folder / f".tmp-{os.getpid()}-{threading.get_ident()}-{next(_names)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileNotFoundError:  # the folder went away since: make it again
        _folders.discard(folder)
        return _put(root, data, sync=sync)
    try:
        with os.fdopen(fd, "wb") as fh:
            share_with_group(fh.fileno(), root.parent, directory=False)
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sha


def keep(
    root: Path, data: bytes, *, sync: bool = True, raw_kept: bool = True
) -> tuple[str | None, str | None]:
    """:func:`put`, or why not: a folder that will not take the file (another user made
    it without group write) leaves this one attachment unstored, said so on it, rather
    than stopping a whole sync; the raw email still holds it. Without a raw copy
    (``raw_kept``: MMS, chat) the file is the only one: the error stops the batch, which
    is pulled again. A full disk stops the batch too: it is stored once there is room."""
    if not raw_kept:
        return put(root, data, sync=sync), None
    try:
        return put(root, data, sync=sync), None
    except OSError as exc:  # a full disk is a StoreError: it stops the batch
        where = exc.filename or root
        return None, f"not stored: {exc.strerror or exc} ({where}); the raw email keeps it"


def _make_shared(folder: Path, root: Path) -> None:
    """``mkdir -p``, each new folder group-writable when the data dir is: an agent whose
    shell umask is 022 must not make a folder the sync daemon cannot write into."""
    missing = []
    at = folder
    while not at.exists() and at != at.parent:
        missing.append(at)
        at = at.parent
    folder.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        share_path(made, root.parent, directory=True)


def flush(root: Path) -> None:
    """Make every blob written under ``root`` with ``sync=False`` durable, in one call
    for a whole batch: ``syncfs`` of the file system that holds them (Linux). A
    ``sync`` of the whole machine, elsewhere; on a shared server that was every
    disk's dirty pages, once a batch."""
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:  # nothing written there yet, or gone: the whole machine then
        os.sync()
        return
    try:
        if _syncfs is None or _syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _load_syncfs() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError, ImportError):  # not Linux (or no libc with it)
        return None


_syncfs = _load_syncfs()


def get(root: Path, sha256: str) -> bytes:
    return blob_path(root, sha256).read_bytes()


_UNSAFE = re.compile(r"[^\w.\- ()+,@]+", re.UNICODE)


#: Names Windows opens as devices whatever the extension ("CON.txt" is the console).
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)}
)


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A name that can be written inside a directory and never escape it."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if name.split(".")[0].rstrip(" ").upper() in _DEVICES:
        name = "_" + name
    return _fit(name, 200) or fallback


def _fit(name: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8 (file systems count bytes, 255 at most),
    cut in the stem so the extension stays."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode()) > 16:
        stem, suffix = name, ""
    room = limit - len(suffix.encode()) - len(dot if suffix else "")
    stem = stem.encode()[:room].decode("utf-8", "ignore")
    return f"{stem}.{suffix}" if suffix else stem
