"""A reply being typed is saved to the case it was typed in, however fast the agent moves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from omni_tui import drafts
from omni_tui.store import Store
from omni_tui.tui.composer import Composer
from tests.test_console import console, db, open_case, settle  # noqa: F401 (db: a fixture)


async def _draft(db: Path, case: int) -> str | None:  # noqa: F811
    async with await Store.open(db) as store:
        found = await drafts.load_draft(store, case, "Ana")
    return None if found is None else found.body


async def test_switching_cases_mid_sentence_keeps_the_text_with_its_own_case(
    db: Path,  # noqa: F811
) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        typed_in = app.conversation["id"]
        await pilot.press("r", *"Yes, we ship to Canada")
        other = next(r["id"] for r in app.inbox.rows if r["subject"] == "Broken grinder")
        app.open_conversation(other)  # a click on another case, before the typing pause
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.query_one(Composer).body == ""  # not the other customer's reply
    assert await _draft(db, typed_in) == "Yes, we ship to Canada"
    assert await _draft(db, other) is None


async def test_the_last_keys_before_quitting_are_in_the_draft(db: Path) -> None:  # noqa: F811
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        case = app.conversation["id"]
        await pilot.press("r", *"Yes, we do", "ctrl+q")  # no pause to save in
    assert await _draft(db, case) == "Yes, we do"


async def test_a_sent_reply_does_not_come_back_as_a_draft(db: Path) -> None:  # noqa: F811
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        case = app.conversation["id"]
        await pilot.press("r", *"Yes, we do", "ctrl+s")  # sent before the typing pause
        await settle(app, pilot)
        await pilot.pause(0.6)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.query_one(Composer).body == ""
    assert await _draft(db, case) is None


async def test_a_note_begun_beside_a_reply_draft_stays_a_private_note(
    db: Path,  # noqa: F811
) -> None:
    """`n` on a case with a reply draft used to open that reply: the "note" went to
    the customer. A note and a reply are two drafts; the key says which one opens."""
    from omni_tui import queries

    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        case = app.conversation["id"]
        await pilot.press("r", *"Dear Maria, ")
        await pilot.press("escape")  # the reply waits as a draft
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert (composer.mode, composer.body) == ("note", "")
        await pilot.press(*"customer is upset, no refund", "ctrl+s")
        await settle(app, pilot)
        last = (await queries.show_conversation(app.store, case))["messages"][-1]
        assert (last["direction"], last["text"]) == ("note", "customer is upset, no refund")
        await pilot.press("r")
        await settle(app, pilot)
        assert (composer.mode, composer.body) == ("reply", "Dear Maria, ")
    assert await _draft(db, case) == "Dear Maria, "


def hold_the_store(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Another process (a big sync batch) holding the store's write lock."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute('UPDATE conversation SET updated_at = updated_at WHERE id = 1')\n"
        "print('holding', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('COMMIT')\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline()
    return holder


async def test_typing_goes_on_while_another_process_holds_the_store(
    db: Path,  # noqa: F811
) -> None:
    """Each typing pause saves the draft; a save waiting on a busy store used to hold
    back every key pressed after it, for as long as the store stayed busy."""
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        case = app.conversation["id"]
        await pilot.press("r", *"Yes")
        holder = hold_the_store(db, 6)
        await pilot.pause(0.6)  # the typing pause: its save waits for the store
        await pilot.press(*", we do")
        await pilot.pause(0.5)
        assert app.query_one(Composer).body == "Yes, we do"  # on screen, store still busy
        assert holder.poll() is None
        holder.wait(15)
        holder.stdout.close()
        await pilot.press("ctrl+q")
    assert await _draft(db, case) == "Yes, we do"  # the newer text, not the older save


async def test_a_reply_reopened_while_its_save_waits_on_a_busy_store_comes_back_whole(
    db: Path,  # noqa: F811
) -> None:
    """The reopened composer read the store before the waiting save: it came back empty,
    and closing it saved that emptiness over the text."""
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        case = app.conversation["id"]
        holder = hold_the_store(db, 3)
        await pilot.press("r", *"Yes, we do", "escape", "r")
        composer = app.query_one(Composer)
        for _ in range(100):
            await pilot.pause(0.1)
            if composer.display and composer.body:
                break
        assert composer.body == "Yes, we do"
        holder.wait(15)
        holder.stdout.close()
        await pilot.press("escape")
        await settle(app, pilot)
    assert await _draft(db, case) == "Yes, we do"


async def test_a_reply_sent_while_the_store_is_busy_is_queued_even_if_the_agent_quits(
    db: Path,  # noqa: F811
) -> None:
    """Another process (a big sync batch) holds the store for 3 s; the agent sends and
    quits at once. The reply used to be neither queued nor kept as a draft."""
    from omni_tui import outbox

    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "do you ship to Canada?")
        case = app.conversation["id"]
        holder = hold_the_store(db, 3)
        await pilot.press("r", *"Yes, in 5 days", "ctrl+s")
        await pilot.pause(0.3)
        await pilot.press("ctrl+q")
    holder.wait(10)
    holder.stdout.close()
    async with await Store.open(db) as store:
        queued = [o for o in await outbox.pending(store) if o.conversation_id == case]
    assert len(queued) == 1
    assert await _draft(db, case) is None  # sent: no draft left behind
