"""Attachments between the agent's disk and the store, safely both ways."""

from __future__ import annotations

import asyncio
import mimetypes
import shutil
from collections.abc import Sequence
from pathlib import Path

from adapters.base import AttachmentData
from omni_tui import blobs
from omni_tui.errors import NotFound, Refused
from omni_tui.store import Attachment, Store
from omni_tui.text import clean_line

#: What one reply may carry in all. Most mail providers refuse a message over 25 MB,
#: and base64 makes a file a third bigger on the way (4/3, and a line break each 76).
MAX_REPLY_BYTES = 18 * 1024 * 1024


def check_for_reply(paths: Sequence[Path]) -> int:
    """The files' total size, or the one-line reason a reply cannot carry them."""
    total = 0
    for path in paths:
        try:
            info = path.expanduser().stat()
        except FileNotFoundError:
            raise NotFound("file to attach", str(path)) from None
        except OSError as exc:
            raise Refused(f"cannot attach {path}: {exc.strerror}") from None
        if not path.expanduser().is_file():
            raise Refused(f"cannot attach {path}: not a file")
        total += info.st_size
    if total > MAX_REPLY_BYTES:
        raise Refused(
            f"the attachments come to {total / 2**20:.1f} MB; a reply carries at most"
            f" {MAX_REPLY_BYTES // 2**20} MB (25 MB once encoded for mail) — send a link instead"
        )
    return total


def read_for_reply(paths: Sequence[Path]) -> list[AttachmentData]:
    """The agent's files as a reply carries them: blocking, so callers use a thread."""
    check_for_reply(paths)
    out = []
    for path in paths:
        try:
            data = path.expanduser().read_bytes()
        except OSError as exc:
            raise Refused(f"cannot attach {path}: {exc.strerror}") from None
        kind, encoding = mimetypes.guess_type(path.name)
        out.append(
            AttachmentData(
                filename=path.name,
                content_type=kind if kind and not encoding else "application/octet-stream",
                data=data,
                size=len(data),
            )
        )
    return out


async def save_attachment(store: Store, attachment_id: int, directory: Path) -> Path:
    """Copy one attachment into ``directory`` under a sanitised, non-clobbering name."""
    async with store.read() as session:
        row = await session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment", attachment_id)
    if row.sha256 is None:
        reason = clean_line(row.skipped_reason) or "no content"
        raise Refused(f"{clean_line(row.filename)} was not downloaded ({reason})")
    source = blobs.blob_path(store.attachments_dir, row.sha256)
    if not source.exists():
        raise NotFound("attachment file", row.sha256)
    directory = directory.expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    name = blobs.safe_filename(row.filename)
    target = directory / name
    stem, suffix, n = target.stem, target.suffix, 1
    while target.exists():
        target = directory / f"{stem} ({n}){suffix}"
        n += 1
    if target.resolve().parent != directory:
        raise Refused(f"refusing to write {row.filename!r} outside {directory}")
    await asyncio.to_thread(shutil.copyfile, source, target)  # a 20 MB file: not in the UI's loop
    return target
