"""Without a daemon, the console syncs by itself; with one, it leaves syncing to it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from omni_tui.config import parse_config
from omni_tui.daemon import SyncLock
from omni_tui.tui.app import OmniApp
from tests.relay import RelayProcess, running_relay
from tests.servers import free_port
from tests.test_chat_relay import chat
from tests.test_console import settle


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    with running_relay(tmp_path) as running:
        yield running


def console(relay: RelayProcess, db: Path) -> OmniApp:
    config = parse_config(
        f'[[accounts]]\nname = "site"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    return OmniApp(config, db)


async def _inbox_shows(app: OmniApp, pilot, text: str, seconds: float = 15) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 10)):
        await pilot.pause(0.1)
        if any(text in (row.get("snippet") or "") for row in app.inbox.rows):
            return True
    return False


async def test_with_no_daemon_the_console_pulls_chat_by_itself(
    relay: RelayProcess, tmp_path: Path
) -> None:
    app = console(relay, tmp_path / "omni.db")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "syncing here" in app.sub_title
        await asyncio.to_thread(relay.post_chat, chat("Anyone there?"), msg_id="m1")
        assert await _inbox_shows(app, pilot, "Anyone there?")
        await app.action_quit()
    lock = SyncLock(tmp_path / "omni.db")
    lock.acquire()  # the console let go of it when it quit
    lock.release()


async def test_while_a_daemon_holds_the_store_the_console_does_not_sync(
    relay: RelayProcess, tmp_path: Path
) -> None:
    daemon_lock = SyncLock(tmp_path / "omni.db")
    daemon_lock.acquire()
    try:
        app = console(relay, tmp_path / "omni.db")
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(app, pilot)
            assert "syncing here" not in app.sub_title
            await asyncio.to_thread(relay.post_chat, chat("Hello?"), msg_id="m2")
            assert not await _inbox_shows(app, pilot, "Hello?", seconds=2)
    finally:
        daemon_lock.release()


async def test_when_the_sync_holding_the_store_stops_the_console_takes_over(
    relay: RelayProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console that synced quit (or the daemon stopped): the others synced nothing."""
    monkeypatch.setattr("omni_tui.tui.app.TAKE_OVER_SECONDS", 0.3)
    other = SyncLock(tmp_path / "omni.db")
    other.acquire()
    app = console(relay, tmp_path / "omni.db")
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.pause(0.6)
        assert "syncing here" not in app.sub_title
        other.release()
        await asyncio.to_thread(relay.post_chat, chat("Still there?"), msg_id="m3")
        assert await _inbox_shows(app, pilot, "Still there?")
        assert "syncing here" in app.sub_title
        assert any("this console syncs now" in n.message for n in app._notifications)
        await app.action_quit()


async def test_when_its_sync_cannot_start_the_console_says_so_and_lets_go_of_the_store(
    tmp_path: Path,
) -> None:
    """A failing secret command used to leave "syncing here" on screen, syncing nothing."""
    config = parse_config(
        '[[accounts]]\nname = "texts"\nchannel = "sms"\nprovider = "kannel"\n'
        'number = "+15005550006"\nsendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms"\n'
        f'password = "pw"\nlisten = "127.0.0.1:{free_port()}"\n'
        'listen_secret_command = "exit 3"\n'
    )
    app = OmniApp(config, tmp_path / "omni.db")
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        for _ in range(50):
            if "not syncing" in app.sub_title:
                break
            await pilot.pause(0.1)
        assert "not syncing" in app.sub_title
        [toast] = [n.message for n in app._notifications]
        assert toast.startswith("Syncing stopped:") and "listen_secret_command" in toast
        lock = SyncLock(tmp_path / "omni.db")
        lock.acquire()  # free for a daemon to take
        lock.release()
        await app.action_quit()
