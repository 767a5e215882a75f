"""Getting attachments out of the store onto the agent's disk, safely."""

from __future__ import annotations

import shutil
from pathlib import Path

from omni_tui import blobs
from omni_tui.errors import NotFound, Refused
from omni_tui.store import Attachment, Store


async def save_attachment(store: Store, attachment_id: int, directory: Path) -> Path:
    """Copy one attachment into ``directory`` under a sanitised, non-clobbering name."""
    async with store.read() as session:
        row = await session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment", attachment_id)
    if row.sha256 is None:
        raise Refused(f"{row.filename} was not downloaded ({row.skipped_reason or 'no content'})")
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
    shutil.copyfile(source, target)
    return target
