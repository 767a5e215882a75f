from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omni_tui.store import Store

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "omni.db", create=True)
    try:
        yield opened
    finally:
        await opened.close()
