"""Attaching files to a reply in the console: ctrl+t in the composer."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from omni_tui import drafts, queries
from omni_tui.store import Store
from omni_tui.tui.app import OmniApp
from omni_tui.tui.composer import Composer
from tests.test_console import console, db, open_case, settle  # noqa: F401 (db: a fixture)

INVOICE = b"%PDF-1.4 invoice 1101\n"


async def attach(app: OmniApp, pilot, path: Path) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+t")
    await settle(app, pilot)
    await pilot.press(*str(path), "enter")
    await settle(app, pilot)


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "invoice-1101.pdf"
    path.write_bytes(INVOICE)
    return path


async def reply_in(app: OmniApp, pilot, subject: str) -> None:  # type: ignore[no-untyped-def]
    await open_case(app, pilot, subject)
    await pilot.press("r")
    await settle(app, pilot)


def status(app: OmniApp) -> str:
    return str(app.query_one("#composer-status", Static).render())


async def test_a_file_attached_in_the_composer_goes_out_with_the_reply(
    db: Path,  # noqa: F811
    invoice: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await reply_in(app, pilot, "Broken grinder")
        await attach(app, pilot, invoice)
        assert app.query_one(Composer).files == [invoice]
        assert "📎 invoice-1101.pdf" in status(app)
        await pilot.press(*"Invoice attached", "ctrl+s")
        await settle(app, pilot)
        assert not app.query_one(Composer).display
        case = app.conversation["id"]
    async with await Store.open(db) as store:
        reply = (await queries.show_conversation(store, case))["messages"][-1]
    assert (reply["text"], reply["status"], reply["channel"]) == (
        "Invoice attached",
        "queued",
        "email",
    )
    assert [(a["filename"], a["size"]) for a in reply["attachments"]] == [
        ("invoice-1101.pdf", len(INVOICE))
    ]


async def test_files_stay_with_their_case_and_never_ride_along_to_another(
    db: Path,  # noqa: F811
    invoice: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await reply_in(app, pilot, "Broken grinder")
        await attach(app, pilot, invoice)
        await pilot.press("escape")
        await reply_in(app, pilot, "do you ship to Canada?")
        assert app.query_one(Composer).files == []
        assert "📎" not in status(app)
        await pilot.press("escape")
        await reply_in(app, pilot, "Broken grinder")
        assert app.query_one(Composer).files == [invoice]


async def test_a_draft_brings_its_files_back_after_the_console_quits(
    db: Path,  # noqa: F811
    invoice: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await reply_in(app, pilot, "Broken grinder")
        await pilot.press(*"Invoice for you")
        await attach(app, pilot, invoice)
        await app.action_quit()
    again = console(db)
    async with again.run_test(size=(80, 24)) as pilot:
        await reply_in(again, pilot, "Broken grinder")
        assert again.query_one(Composer).body == "Invoice for you"
        assert again.query_one(Composer).files == [invoice]
        assert "📎 invoice-1101.pdf" in status(again)
        await pilot.press("ctrl+t")  # taken off again: the draft forgets it too
        await settle(again, pilot)
        await pilot.press(*"remove invoice", "enter")
        await settle(again, pilot)
        assert again.query_one(Composer).files == []
        case = again.conversation["id"]
        await again.action_quit()
    async with await Store.open(db) as store:
        draft = await drafts.load_draft(store, case, "Ana")
    assert draft is not None and (draft.body, draft.files) == ("Invoice for you", [])


async def test_a_file_that_is_not_there_is_named_and_nothing_is_attached(
    db: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await reply_in(app, pilot, "Broken grinder")
        await attach(app, pilot, tmp_path / "nvoice.pdf")
        assert app.query_one(Composer).files == []
        assert any("nvoice.pdf" in str(n.message) for n in app._notifications)


async def test_a_file_can_be_taken_off_again_before_sending(
    db: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    (tmp_path / "a.pdf").write_bytes(INVOICE)
    (tmp_path / "b.pdf").write_bytes(INVOICE * 2)
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await reply_in(app, pilot, "Broken grinder")
        await attach(app, pilot, tmp_path / "a.pdf")
        await pilot.press("ctrl+t")  # with files attached: add another, or remove one
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press(*str(tmp_path / "b.pdf"), "enter")
        await settle(app, pilot)
        assert [f.name for f in app.query_one(Composer).files] == ["a.pdf", "b.pdf"]
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        await pilot.press(*"remove a.pdf", "enter")
        await settle(app, pilot)
        assert [f.name for f in app.query_one(Composer).files] == ["b.pdf"]


async def test_files_on_a_chat_reply_are_refused_and_the_reply_stays_to_edit(
    db: Path,  # noqa: F811
    invoice: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await reply_in(app, pilot, "do you ship to Canada?")
        await attach(app, pilot, invoice)
        assert "email only: ctrl+o" in status(app)
        await pilot.press(*"Yes, we do", "ctrl+s")
        await settle(app, pilot)
        composer = app.query_one(Composer)
        assert composer.display and composer.body == "Yes, we do"
        assert any("--channel email" in str(n.message) for n in app._notifications)
        assert [m["direction"] for m in app.conversation["messages"]] == ["in"]
        case = app.conversation["id"]
        await pilot.press("ctrl+q")  # at once: the refused text must be kept as a draft
    async with await Store.open(db) as store:
        kept = await drafts.load_draft(store, case, "Ana")
    assert kept is not None and kept.body == "Yes, we do"


async def test_a_file_is_not_taken_on_a_private_note(db: Path) -> None:  # noqa: F811
    """It was taken, refused at send, and left a draft of no words behind."""
    app = console(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert app.query_one(Composer).files == []
        assert any("attach files to a reply" in n.message for n in app._notifications)
