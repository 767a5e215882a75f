"""Several agents on one store: claiming races, presence, and "Ana is replying"."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Label

from adapters.base import InboundMessage
from omni_tui import actions, activity, outbox, presence, queries
from omni_tui.config import Config, parse_config
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.app import OmniApp
from omni_tui.tui.screens.pickers import PickOne
from tests.test_console import open_case, settle
from tests.test_console_actions import pick, press


def agent_config(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[agent]\nname = "{name}"\n')
    return path


async def cases(store: Store, n: int) -> list[int]:
    messages = [
        InboundMessage(
            channel="email",
            account="mail",
            provider_id=f"imap:{i}",
            sender=f"customer{i}@example.com",
            subject=f"Help {i}",
            text="Hello?",
        )
        for i in range(n)
    ]
    result = await ingest(store, messages)
    return [c for c in result.conversation_ids if c]


async def begin_reply(app: OmniApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """The agent opens the case and starts typing a reply."""
    await open_case(app, pilot, "Help 0")
    await press(app, pilot, "r")
    await pilot.press(*text)


async def test_two_agents_racing_to_claim_a_case_exactly_one_wins(
    store: Store, tmp_path: Path
) -> None:
    ids = await cases(store, 8)
    db = store.path
    configs = {name: agent_config(tmp_path, name) for name in ("Ana", "Ben")}

    async def claim(name: str, case: int) -> tuple[str, int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "omni_tui", "claim", str(case), "--json",
            "--config", str(configs[name]), "--db", str(db),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        assert process.returncode is not None
        return name, process.returncode, err.decode()

    outcomes = await asyncio.gather(*(claim(n, c) for c in ids for n in ("Ana", "Ben")))
    for case in ids:
        mine = [o for o in outcomes[ids.index(case) * 2 : ids.index(case) * 2 + 2]]
        winners = [name for name, code, _ in mine if code == 0]
        [loser] = [(name, err) for name, code, err in mine if code != 0]
        assert len(winners) == 1, mine
        assert f"already {winners[0]}'s" in loser[1]  # the other is told who has it
        row = await queries.show_conversation(store, case)
        assert row["assignee"] == winners[0]
        claims = [e for e in row["events"] if e["kind"] == "assign"]
        assert [e["actor"] for e in claims] == winners


async def test_agents_are_online_while_their_console_beats_and_offline_after(
    store: Store, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    await presence.heartbeat(store, "Ana", composing=(await cases(store, 1))[0])
    await presence.heartbeat(store, "Ben", at=datetime.now(UTC) - timedelta(minutes=5))
    done = subprocess.run(
        [sys.executable, "-m", "omni_tui", "agents", "--json", "--db", str(store.path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    roster = {row["agent"]: row for row in json.loads(done.stdout)}
    assert (roster["Ana"]["state"], roster["Ben"]["state"]) == ("online", "offline")
    assert roster["Ana"]["composing"] is not None and roster["Ben"]["composing"] is None


async def test_an_agent_sees_a_colleague_replying_and_is_asked_before_sending(
    store: Store, tmp_path: Path
) -> None:
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        assert "replying" not in str(app.query_one("#conversation-replying").render())
        await presence.heartbeat(store, "Ben", composing=case)  # Ben's console, elsewhere
        for _ in range(20):
            await pilot.pause(0.1)
            if "Ben is replying" in str(app.query_one("#conversation-replying").render()):
                break
        assert "Ben is replying" in str(app.query_one("#conversation-replying").render())
        await press(app, pilot, "r")
        await pilot.press(*"On it")
        await pilot.press("ctrl+s")  # the send waits for the agent's answer: no settling
        await pilot.pause()
        await pick(app, pilot, "Keep editing")
        assert [
            m["direction"] for m in (await queries.show_conversation(store, case))["messages"]
        ] == ["in"]  # nothing sent: the agent chose to wait
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pick(app, pilot, "Send anyway")
        await settle(app, pilot)
        sent = (await queries.show_conversation(store, case))["messages"]
        assert [m["direction"] for m in sent] == ["in", "out"]
        roster = {r["agent"]: r for r in await presence.roster(store)}
        assert roster[app.agent]["composing"] is None  # done writing


async def test_an_agent_is_asked_before_sending_when_a_colleague_answered_since_they_began(
    store: Store,
) -> None:
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await begin_reply(app, pilot, "Let me check your order")
        # meanwhile, in Ben's console
        await outbox.queue_reply(store, case, "Refund sent!", agent="Ben")
        await actions.set_status(store, case, "resolved", agent="Ben")
        await pilot.press("ctrl+s")
        await pilot.pause()
        asked = str(app.screen.query_one(".dialog-title", Label).render())
        assert "Ben replied here by email" in asked and "Ben resolved the case" in asked
        await pick(app, pilot, "Keep editing")
        messages = (await queries.show_conversation(store, case))["messages"]
        assert [m["author"] for m in messages if m["direction"] == "out"] == ["Ben"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pick(app, pilot, "Send anyway")
        await settle(app, pilot)
        messages = (await queries.show_conversation(store, case))["messages"]
        assert [m["author"] for m in messages if m["direction"] == "out"] == ["Ben", app.agent]


async def test_a_reply_goes_out_unasked_when_only_the_agent_and_robots_acted_meanwhile(
    store: Store,
) -> None:
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await begin_reply(app, pilot, "On it")
        await actions.assign(store, case, app.agent.upper(), agent=app.agent)  # their other console
        await outbox.queue_reply(store, case, "We got your mail", agent="auto-reply")
        await press(app, pilot, "ctrl+s")
        assert not isinstance(app.screen, PickOne)
        messages = (await queries.show_conversation(store, case))["messages"]
        assert [m["author"] for m in messages if m["direction"] == "out"] == [
            "auto-reply",
            app.agent,
        ]


async def test_an_agent_who_quits_mid_reply_is_offline_and_writing_nowhere_at_once(
    store: Store,
) -> None:
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        await press(app, pilot, "r")
        await pilot.press(*"Looking into it")
        await settle(app, pilot)
        assert await presence.replying(store, case, besides="Ben") == [app.agent]
        await app.action_quit()
    roster = {r["agent"]: r for r in await presence.roster(store)}
    assert (roster[app.agent]["state"], roster[app.agent]["composing"]) == ("offline", None)


async def test_a_console_clears_a_writing_mark_an_earlier_one_left_behind(store: Store) -> None:
    """A console killed mid-reply left "Ana is replying" on the case for good."""
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    await presence.heartbeat(store, app.agent, composing=case)  # the console that was killed
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(30):
            await pilot.pause(0.1)
            if not await presence.replying(store, case, besides="Ben"):
                break
        assert await presence.replying(store, case, besides="Ben") == []


async def test_leaving_a_reply_for_another_case_stops_showing_the_agent_as_replying(
    store: Store,
) -> None:
    """Colleagues saw "Ana is replying" on the case she had left, and were asked before
    sending there."""
    first, other = await cases(store, 2)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        await press(app, pilot, "r")
        await pilot.press(*"Looking into it")
        roster = {r["agent"]: r for r in await presence.roster(store)}
        assert roster[app.agent]["composing"] == app.conversation["id"]
        app.open_conversation(other if app.conversation["id"] == first else first)
        await settle(app, pilot)
        roster = {r["agent"]: r for r in await presence.roster(store)}
        assert roster[app.agent]["composing"] is None


async def test_claiming_in_the_console_a_case_a_colleague_just_took_tells_who_has_it(
    store: Store,
) -> None:
    from omni_tui import actions

    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        app._polling = True  # this console has not repainted since: it still shows nobody
        await actions.claim(store, case, agent="Ben")  # at Ben's console, a moment ago
        await press(app, pilot, "a")
        await pick(app, pilot, "me")
        assert any("already Ben's" in n.message for n in app._notifications)
        assert (await queries.show_conversation(store, case))["assignee"] == "Ben"


async def test_handing_a_case_to_a_team_keeps_the_colleague_who_just_claimed_it(
    store: Store,
) -> None:
    from omni_tui import actions

    [case] = await cases(store, 1)
    app = OmniApp(parse_config('[agent]\nname = "Ana"\nteam = "billing"\n'), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        app._polling = True  # this console has not repainted since: it still shows nobody
        await actions.claim(store, case, agent="Ben")
        await press(app, pilot, "a")
        await pick(app, pilot, "team billing")
        row = await queries.show_conversation(store, case)
        assert (row["team"], row["assignee"]) == ("billing", "Ben")


async def test_a_reply_caught_mid_send_by_a_crash_goes_out_exactly_once_after_restart(
    store: Store, tmp_path: Path
) -> None:
    import signal
    import time

    from sqlmodel import select

    from omni_tui import outbox
    from omni_tui.store import Outbox
    from tests.relay import running_relay
    from tests.test_chat_relay import chat

    with running_relay(tmp_path) as relay:
        await asyncio.to_thread(relay.post_chat, chat("Hello?"), msg_id="m1")
        config = tmp_path / "omni.toml"
        config.write_text(
            f'[[accounts]]\nname = "site"\nchannel = "chat"\n'
            f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
        )
        from omni_tui.config import load_config
        from omni_tui.sync import sync_once

        await sync_once(store, load_config(config))
        [case] = (await queries.show_customer(store, 1))["conversations"]
        queued = await outbox.queue_reply(store, case["id"], "We are on it", agent="Ana")
        async with store.write() as session:  # the crash: the relay got it, we never heard
            item = (await session.exec(select(Outbox))).one()
            item.status = "sending"
            session.add(item)
            key = item.idempotency_key
        await asyncio.to_thread(relay.reply, key, "hook:c-42", "We are on it")
        daemon = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "omni_tui", "sync", "--config", str(config),
            "--db", str(store.path), stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                row = await queries.show_conversation(store, case["id"])
                if row["messages"][-1]["status"] == "sent":
                    break
                await asyncio.sleep(0.1)
        finally:
            daemon.send_signal(signal.SIGTERM)
            await daemon.wait()
        assert row["messages"][-1]["id"] == queued.message_id
        assert row["messages"][-1]["status"] == "sent"
        assert [e["kind"] for e in row["events"]].count("resend") == 1
        replies = [e for e in relay.events() if e["type"] == "reply"]
        assert len(replies) == 1  # the relay knew the key: one reply, not two


async def test_a_store_deleted_under_the_console_is_reported_and_the_draft_kept(
    store: Store, tmp_path: Path
) -> None:
    [case] = await cases(store, 1)
    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_case(app, pilot, "Help 0")
        await press(app, pilot, "r")
        await pilot.press(*"Half-written answer")
        for leftover in store.path.parent.glob(store.path.name + "*"):
            leftover.unlink()  # someone removes the store (and its WAL) from the server
        for _ in range(30):
            await pilot.pause(0.1)
            if any(n.title == "Store gone" for n in app._notifications):
                break
        [gone] = [n for n in app._notifications if n.title == "Store gone"]
        assert "deleted or replaced" in gone.message
        [draft] = tmp_path.glob("**/omni.db.draft-*.txt")
        assert draft.read_text() == "Half-written answer" and str(draft) in gone.message
        await press(app, pilot, "ctrl+s")  # a send now would be lost: refused
        assert any("store is gone" in n.message for n in app._notifications)


async def test_a_console_left_alone_turns_away_and_a_key_brings_its_agent_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cases(store, 1)
    monkeypatch.setattr(activity, "AWAY_AFTER", 2.0)  # five minutes in the product

    async def state_of(agent: str) -> str | None:
        roster = {r["agent"]: r["state"] for r in await presence.roster(store)}
        return roster.get(agent)

    app = OmniApp(Config(), store.path)
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.1)
            if await state_of(app.agent) == "online":
                break
        assert await state_of(app.agent) == "online"
        for _ in range(60):
            await pilot.pause(0.1)
            if await state_of(app.agent) == "away":
                break
        assert await state_of(app.agent) == "away"
        await pilot.press("j")
        for _ in range(20):
            await pilot.pause(0.1)
            if await state_of(app.agent) == "online":
                break
        assert await state_of(app.agent) == "online"


async def test_a_cli_reply_warns_on_stderr_when_a_colleague_is_writing_in_the_case(
    store: Store, tmp_path: Path
) -> None:
    [case] = await cases(store, 1)
    await presence.heartbeat(store, "Ben", composing=case)  # Ben's console, elsewhere

    def reply(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "omni_tui", "reply", str(case), "--body", "On it", *extra,
             "--db", str(store.path), "--config", str(agent_config(tmp_path, "Ana"))],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    done = reply("--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "queued"  # scripts read the same
    [line] = done.stderr.splitlines()
    assert line == f"omni-tui: warning: Ben is writing a reply in conversation {case} too"
    await presence.heartbeat(store, "Ben", composing=None)  # Ben sent his
    quiet = reply()
    assert (quiet.returncode, quiet.stderr) == (0, "")
