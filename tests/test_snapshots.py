"""SVG snapshots of the console's main screens, at a roomy and a minimal terminal size.

Deterministic: the demo store is seeded once at a fixed instant (in the future, so no
snooze wakes up), the console's clock is pinned to it, TZ is UTC, the store is opened by a
relative path (the header shows it) and cursors do not blink.

Update after an intended UI change: ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from omni_tui.config import parse_config
from omni_tui.demo import seed_demo
from omni_tui.store import Store
from omni_tui.tui import format as fmt
from omni_tui.tui.app import OmniApp
from omni_tui.tui.conversation import ConversationView
from tests.test_console import settle
from tests.test_console_actions import screen_text

FIXED = datetime(2040, 1, 9, 9, 0, tzinfo=UTC)
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
Compare = Callable[..., bool]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo store for the module; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("seeded")

    async def seed() -> None:
        async with await Store.open(folder / "demo.db", create=True) as store:
            await seed_demo(store, now=FIXED)

    asyncio.run(seed())
    return folder


@pytest.fixture
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def app(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, utc: None) -> OmniApp:
    shutil.copytree(seeded, tmp_path / "store")
    monkeypatch.chdir(tmp_path / "store")
    monkeypatch.setattr(fmt, "now", lambda: FIXED)
    monkeypatch.delenv("NO_COLOR", raising=False)  # read when the app is made
    # cursor blink off: the blink timers' callbacks do nothing, so a focused cursor stays on
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    return OmniApp(parse_config('[agent]\nname = "Ana"\n'), Path("demo.db"))


def before(*steps: Callable[[OmniApp, Pilot], Awaitable[None]]):  # type: ignore[no-untyped-def]
    async def run(pilot: Pilot) -> None:  # type: ignore[type-arg]
        app: OmniApp = pilot.app  # type: ignore[assignment]
        await settle(app, pilot)
        for step in steps:
            await step(app, pilot)
        await settle(app, pilot)

    return run


async def open_first_case(app: OmniApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    app.inbox.focus()
    app.inbox.highlighted = 0
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.conversation is not None
    # the view scrolls to the newest message after a refresh, so where it lands can vary by
    # a line with timing; pin it to the end
    app.query_one(ConversationView).scroll_end(animate=False, immediate=True)
    await pilot.pause()


async def open_help(app: OmniApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.press("question_mark")
    await settle(app, pilot)


async def search_grinder(app: OmniApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.press("slash", *"grinder")
    await pilot.pause(0.3)  # the search waits for a pause in typing
    await settle(app, pilot)


async def open_reports(app: OmniApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.press("M")
    await settle(app, pilot)


async def start_reply(app: OmniApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.press("r", *"Thanks, Alex! Adding a bag now.")
    await pilot.pause(0.5)  # the draft is saved
    await settle(app, pilot)


@SIZES
def test_main_screen_with_a_conversation_open(
    snap_compare: Compare, app: OmniApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=before(open_first_case))


@SIZES
def test_help_screen(snap_compare: Compare, app: OmniApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=before(open_help))


@SIZES
def test_search_screen_with_results(
    snap_compare: Compare, app: OmniApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=before(search_grinder))


@SIZES
def test_reports_screen(snap_compare: Compare, app: OmniApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=before(open_reports))


@SIZES
def test_composer_open(snap_compare: Compare, app: OmniApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=before(open_first_case, start_reply))


# -- what the snapshots show that should not be so -------------------------------------


async def test_the_status_bar_is_visible_above_the_footer(app: OmniApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "outbox:" in screen_text(app)


async def test_inbox_rows_keep_name_age_and_subject_when_the_list_scrolls(app: OmniApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.inbox.rows[0]["subject"] == "Can I add a bag to my open order?"
        lines = screen_text(app).splitlines()
        [name] = [i for i, line in enumerate(lines) if "● Alex Morgan ✉✆" in line]
        assert "⏳" in lines[name]  # the waiting time stays on the name's line
        subject = lines[name + 1].split("│")[1].strip()
        assert subject.startswith("Can I add a bag") and subject.endswith("…")  # cut, not wrapped
        assert "my open order?" not in lines[name + 2]


async def test_opening_a_case_clears_its_unread_dot(app: OmniApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "● Alex Morgan" in screen_text(app)
        await open_first_case(app, pilot)
        await pilot.pause(1.0)  # a couple of store polls
        await settle(app, pilot)
        assert "● Alex Morgan" not in screen_text(app)
