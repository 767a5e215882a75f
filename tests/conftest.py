from __future__ import annotations

import gc
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omni_tui.store import Store
from tests.cli_helpers import Cli, build_template
from tests.servers import Dovecot, start_dovecot, stop_dovecot


@pytest.fixture(autouse=True)
def _python_collector() -> Iterator[None]:
    """A console tunes the process's collector (``tui.heap``); each test starts from Python's."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.enable()


T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "omni.db", create=True)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI tests' store (``cli_helpers``), built once a module and copied per test."""
    return build_template(tmp_path_factory.mktemp("cli-template"))


@pytest.fixture
def cli(tmp_path: Path, template: Path) -> Cli:
    """``cli("list", "--json")`` against a fresh copy of ``template``."""
    return Cli.with_store(tmp_path, template)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One private Dovecot for the whole run; each test uses mailboxes of its own."""
    root = Path(tempfile.mkdtemp(prefix="omni-dovecot-"))
    server, _ = start_dovecot(root / "dovecot")
    try:
        yield server
    finally:
        stop_dovecot(server)
