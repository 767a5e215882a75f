"""A reply that has not gone out can be retried, edited or cancelled, from the CLI
and from the console; a cancelled reply is never sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import TextArea

from adapters.base import InboundMessage
from omni_tui import outbox, queries
from omni_tui.config import Config
from omni_tui.delivery import deliver_outbox
from omni_tui.errors import Refused
from omni_tui.ingest import ingest
from omni_tui.store import Outbox, Store
from omni_tui.tui.app import OmniApp
from omni_tui.tui.composer import Composer
from omni_tui.tui.screens.pickers import EditText
from tests.test_console import open_case, settle
from tests.test_console_actions import press


async def queued_reply(store: Store, body: str = "We sent a new one") -> tuple[int, int]:
    """A case with one reply in the outbox: the case's and the reply's ids."""
    message = InboundMessage(
        channel="email", account="mail", provider_id="imap:1", sender="maria@example.com",
        subject="Grinder", text="It is broken",
    )  # fmt: skip
    [case] = (await ingest(store, [message])).conversation_ids
    assert case is not None
    queued = await outbox.queue_reply(store, case, body, agent="Ana")
    return case, queued.message_id


async def failed_reply(store: Store) -> tuple[int, int]:
    """A case with one reply that failed (no account can send it)."""
    case, message_id = await queued_reply(store)
    await deliver_outbox(store, Config())  # no email account: refused, failed at once
    return case, message_id


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omni_tui", *args, "--db", str(db)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def test_a_failed_reply_is_edited_from_the_cli_and_queued_again(store: Store) -> None:
    case, message = await failed_reply(store)
    [row] = json.loads(cli(store.path, "outbox", "list", "--json").stdout)
    assert (row["message_id"], row["status"]) == (message, "failed")
    done = cli(store.path, "outbox", "edit", str(message), "--body", "A new grinder ships today")
    assert done.returncode == 0, done.stderr
    last = (await queries.show_conversation(store, case))["messages"][-1]
    assert (last["text"], last["status"]) == ("A new grinder ships today", "queued")
    kinds = [e["kind"] for e in (await queries.show_conversation(store, case))["events"]]
    assert "edit" in kinds


async def test_a_cancelled_reply_stays_in_the_case_and_is_never_sent(store: Store) -> None:
    case, message = await failed_reply(store)
    assert cli(store.path, "outbox", "cancel", str(message)).returncode == 0
    refused = cli(store.path, "outbox", "retry", str(message))
    assert refused.returncode == 4 and "cancelled" in refused.stderr
    assert (await deliver_outbox(store, Config())).sent == 0
    async with store.read() as session:
        [item] = (await session.exec(select(Outbox))).all()
    assert item.status == "cancelled"
    last = (await queries.show_conversation(store, case))["messages"][-1]
    assert last["status"] == "cancelled" and last["status_reason"].startswith("cancelled by ")


async def test_the_console_edits_then_cancels_a_failed_reply(store: Store) -> None:
    case, _ = await failed_reply(store)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Grinder")
        await press(app, pilot, "G")  # the last message: the failed reply
        await press(app, pilot, "E")
        await pilot.press("f7", *"Shipping a new grinder today", "ctrl+s")  # all, retyped
        await settle(app, pilot)
        last = (await queries.show_conversation(store, case))["messages"][-1]
        assert (last["text"], last["status"]) == ("Shipping a new grinder today", "queued")
        await press(app, pilot, "C")
        last = (await queries.show_conversation(store, case))["messages"][-1]
        assert last["status"] == "cancelled"
        # its words come back in the composer, to go out another way
        await press(app, pilot, "r")
        assert app.query_one(Composer).body == "Shipping a new grinder today"


async def test_a_reply_of_several_paragraphs_is_edited_as_paragraphs(store: Store) -> None:
    case, _ = await queued_reply(store, "Hi Maria,\n\nWe sent a new one.\n\nAna")
    await deliver_outbox(store, Config())  # failed: no account can send it
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_case(app, pilot, "Grinder")
        await press(app, pilot, "G")
        await press(app, pilot, "E")
        assert isinstance(app.screen, EditText)
        area = app.screen.query_one(TextArea)
        assert area.document.lines == ["Hi Maria,", "", "We sent a new one.", "", "Ana"]
        await pilot.press("down", "down", "end", *" It ships today.", "ctrl+s")
        await settle(app, pilot)
        last = (await queries.show_conversation(store, case))["messages"][-1]
        assert last["text"] == "Hi Maria,\n\nWe sent a new one. It ships today.\n\nAna"
        await press(app, pilot, "E")
        await pilot.press("f7", *"never mind", "escape")  # esc leaves it as it was
        await settle(app, pilot)
        last = (await queries.show_conversation(store, case))["messages"][-1]
        assert last["text"] == "Hi Maria,\n\nWe sent a new one. It ships today.\n\nAna"


async def test_an_edited_reply_is_what_the_inbox_snippet_shows(store: Store) -> None:
    case, message = await failed_reply(store)
    await outbox.edit(store, message, "A new grinder ships today", agent="Ana")
    [summary] = await queries.list_conversations(store, queries.ListFilter())
    assert (summary["id"], summary["snippet"]) == (case, "A new grinder ships today")


async def test_outbox_list_shows_every_waiting_reply_unless_limited(store: Store) -> None:
    case, _ = await failed_reply(store)
    for n in range(105):
        await outbox.queue_reply(store, case, f"reply {n}", agent="Ana")
    assert len(json.loads(cli(store.path, "outbox", "list", "--json").stdout)) == 106
    limited = cli(store.path, "outbox", "list", "--limit", "5")
    assert (limited.returncode, len(limited.stdout.splitlines())) == (0, 5)
    assert "--limit" in limited.stderr  # a person reading may take 5 for all of them
    assert cli(store.path, "outbox", "list", "--limit", "0").returncode == 2


async def _waiting(store: Store, case: int) -> tuple[str | None, str | None]:
    shown = await queries.show_conversation(store, case)
    return shown["waiting_since"], shown["first_response_at"]


async def test_a_reply_that_failed_leaves_the_customer_waiting_until_it_is_retried(
    store: Store,
) -> None:
    """The customer never got it: the SLA clock and the reports must not count it."""
    case, message_id = await failed_reply(store)
    waiting, answered = await _waiting(store, case)
    assert waiting is not None and answered is None
    await outbox.retry(store, message_id, agent="Ana")  # an answer on its way again
    waiting, answered = await _waiting(store, case)
    assert waiting is None and answered is not None


async def test_a_cancelled_reply_is_no_answer(store: Store) -> None:
    case, message_id = await queued_reply(store, "Wrong customer, sorry")
    assert (await _waiting(store, case))[0] is None
    await outbox.cancel(store, message_id, agent="Ana")
    waiting, answered = await _waiting(store, case)
    assert waiting is not None and answered is None


async def test_a_reply_answers_the_customer_not_a_reply_that_was_cancelled(store: Store) -> None:
    message = InboundMessage(
        channel="email", account="mail", provider_id="imap:7", sender="maria@example.com",
        subject="Grinder", text="It is broken", message_id="<m7@example.com>",
    )  # fmt: skip
    [case] = (await ingest(store, [message])).conversation_ids
    assert case is not None
    draft = await outbox.queue_reply(store, case, "We sent a new one", agent="Ana")
    await outbox.cancel(store, draft.message_id, agent="Ana")
    again = await outbox.queue_reply(store, case, "A new one ships today", agent="Ana")
    shown = {m["id"]: m for m in (await queries.show_conversation(store, case))["messages"]}
    sent = shown[again.message_id]
    assert sent["in_reply_to"] == "<m7@example.com>"  # never an id the customer did not get
    assert shown[draft.message_id]["message_id"] not in sent["references"]


async def test_a_reply_the_gateway_took_and_then_reported_failed_is_retried_and_edited(
    store: Store,
) -> None:
    """The relay (or a Kannel or Twilio report) said failed after taking it: R and E
    refused with "message 2 is sent, not failed", and the agent had to retype it."""
    case, message = await queued_reply(store)
    async with store.read() as session:
        item = (await session.exec(select(Outbox).where(Outbox.message_id == message))).one()
    old_key = item.idempotency_key
    assert item.id is not None
    await outbox.mark_delivered(store, item.id, provider_id="SM-first", status="sent")
    await outbox.record_delivery(store, "SM-first", "failed", "Telegram 401: Unauthorized")
    done = cli(store.path, "outbox", "retry", str(message))
    assert done.returncode == 0, done.stderr
    async with store.read() as session:
        item = (await session.exec(select(Outbox).where(Outbox.message_id == message))).one()
    assert (item.status, item.attempts) == ("queued", 0)
    assert item.idempotency_key != old_key  # the relay's failed row is not taken for it
    # a late report on the failed try changes nothing about the new one
    assert await outbox.record_delivery(store, "SM-first", "delivered") is False
    last = (await queries.show_conversation(store, case))["messages"][-1]
    assert (last["status"], last["status_reason"]) == ("queued", None)
    await outbox.mark_delivered(store, item.id or 0, provider_id="SM-second", status="sent")
    await outbox.record_delivery(store, "SM-second", "failed", "unreachable")
    done = cli(store.path, "outbox", "edit", str(message), "--body", "Sent by email instead")
    assert done.returncode == 0, done.stderr
    last = (await queries.show_conversation(store, case))["messages"][-1]
    assert (last["text"], last["status"]) == ("Sent by email instead", "queued")


async def test_a_reply_reported_undelivered_is_listed_in_the_outbox_as_failed(
    store: Store,
) -> None:
    _, message = await queued_reply(store)
    [item] = await outbox.pending(store)
    await outbox.mark_delivered(store, item.id or 0, provider_id="SM-1", status="sent")
    assert await outbox.pending(store) == []
    await outbox.record_delivery(store, "SM-1", "failed", "the handset could not be reached")
    [row] = json.loads(cli(store.path, "outbox", "list", "--json").stdout)
    assert (row["message_id"], row["status"]) == (message, "failed")
    assert row["last_error"] == "the handset could not be reached"


async def test_a_reply_to_the_teams_own_address_is_refused(store: Store) -> None:
    message = InboundMessage(
        channel="email", account="mail", provider_id="imap:9",
        sender="support@larkspur.example", subject="Fwd: order", text="see below",
    )  # fmt: skip
    [case] = (await ingest(store, [message])).conversation_ids
    with pytest.raises(Refused, match="own address"):
        await outbox.queue_reply(
            store, case or 0, "Thanks", agent="Ana", own={"support@larkspur.example"}
        )
