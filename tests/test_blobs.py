"""Attachment files: durable before the rows that name them commit, and made so on
the store's own disk, not by flushing every disk of a shared server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.base import AttachmentData, InboundMessage
from omni_tui import blobs
from omni_tui.ingest import ingest
from omni_tui.store import Store
from tests.conftest import T0


async def test_a_batch_makes_its_attachments_durable_on_the_stores_disk_alone(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real = blobs._syncfs
    assert real is not None  # Linux: the tests run there

    def syncfs(fd: int) -> int:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return int(real(fd))

    def whole_machine() -> None:
        raise AssertionError("os.sync() flushes every disk of the machine")

    monkeypatch.setattr(blobs, "_syncfs", syncfs)
    monkeypatch.setattr(os, "sync", whole_machine)
    part = AttachmentData("lid.jpg", "image/jpeg", b"\xff\xd8 a photo", 11)
    mail = InboundMessage(
        "email", "mail", "1", "ana@example.com", "see photo", sent_at=T0, attachments=[part]
    )
    await ingest(store, [mail])
    assert synced == [str(store.attachments_dir)]


def test_without_syncfs_the_machine_is_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(blobs, "_syncfs", None)
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    blobs.flush(tmp_path)
    blobs.flush(tmp_path / "not yet made")
    assert calls == ["sync", "sync"]
