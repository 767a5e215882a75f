"""Saving an attachment under its own name, whatever the sender called it."""

from __future__ import annotations

from pathlib import Path

from adapters.base import AttachmentData, InboundMessage
from omni_tui import queries
from omni_tui.attachments import save_attachment
from omni_tui.ingest import ingest
from omni_tui.store import Store
from tests.conftest import T0


async def test_a_name_longer_than_the_disk_allows_is_cut_and_keeps_its_extension(
    store: Store, tmp_path: Path
) -> None:
    name = "請求書" * 100 + ".pdf"  # 904 bytes of UTF-8; file systems take 255
    part = AttachmentData(name, "application/pdf", b"%PDF-1.4", 8)
    message = InboundMessage(
        "email", "mail", "1", "ana@example.com", "invoice", sent_at=T0, attachments=[part]
    )
    [case] = (await ingest(store, [message])).conversation_ids
    [shown] = (await queries.show_conversation(store, case or 0))["messages"]
    saved = await save_attachment(store, shown["attachments"][0]["id"], tmp_path)
    assert saved.read_bytes() == b"%PDF-1.4"
    assert saved.name.startswith("請求書") and saved.name.endswith(".pdf")
    assert len(saved.name.encode()) <= 255
