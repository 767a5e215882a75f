"""An address a customer gives an agent joins their history: from the CLI and the console."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.base import InboundMessage
from omni_tui import queries
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.screens.pickers import AskText
from tests.cli_helpers import BOB, MARIA_PHONE, MARIA_SMS, Cli, assert_one_line_error
from tests.conftest import T0
from tests.test_console import make_store, with_colleagues
from tests.test_console_actions import SIZE, answer, console, open_case, press, profile


def test_a_number_given_on_the_phone_is_added_and_its_next_text_joins_the_history(
    cli: Cli,
) -> None:
    added = cli("customer", "add", str(BOB), "(415) 555-0199")
    assert (added.code, added.out.strip()) == (0, f"customer {BOB}: added sms +14155550199")
    shown = cli.json("customer", "show", str(BOB))
    assert {(i["channel"], i["address"]) for i in shown["identities"]} >= {("sms", "+14155550199")}
    again = cli.json("customer", "add", str(BOB), "+1 415 555 0199")  # no change, no error
    assert len(again["identities"]) == len(shown["identities"])
    assert again["added"] == {"channel": "sms", "address": "+14155550199", "new": False}
    by_mail = cli("customer", "add", str(BOB), "Bob.Other@Example.org")
    assert by_mail.code == 0 and "added email bob.other@example.org" in by_mail.out
    # a reply can go to it now, and a text from it is Bob's (not a stranger's new case)
    assert cli("reply", str(BOB), "--channel", "sms", "--body", "got it").code == 0
    texts = cli.json("outbox", "list")
    assert [t["to"] for t in texts if t["channel"] == "sms"] == ["+14155550199"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        ([str(BOB), MARIA_PHONE], 4, f"customer {MARIA_SMS}'s — if they are one person:"
                                     f" omni-tui customer merge {BOB} {MARIA_SMS}"),
        ([str(BOB), "555-01"], 4, "is not a phone number in use"),
        ([str(BOB), "bob@", "--channel", "email"], 4, "is not an email address"),
        # a space kept only what followed it: someone else's address, saved as Bob's
        ([str(BOB), "bob 2@example.org"], 4, "is not an email address"),
        ([str(BOB), "bob@gmailcom"], 4, "is not an email address"),  # a typo, one label
        (["999", "ann@example.com"], 3, "customer 999 not found"),
    ],
)  # fmt: skip
def test_an_address_that_is_someone_elses_or_no_address_is_refused_in_one_line(
    cli: Cli, args: list[str], code: int, said: str
) -> None:
    before = cli.json("customer", "show", str(BOB))["identities"]
    assert said in assert_one_line_error(cli("customer", "add", *args), code)
    assert cli.json("customer", "show", str(BOB))["identities"] == before


async def test_the_console_adds_an_address_and_the_customers_next_text_lands_beside_it(
    tmp_path: Path,
) -> None:
    db = await with_colleagues(await make_store(tmp_path / "omni.db"))
    app = console(db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert app.customer is not None and app.store is not None
        maria = app.customer["id"]
        await press(app, pilot, "A")
        await answer(app, pilot, "(415) 555-0199")
        assert "+14155550199" in profile(app)
        said = [n.message for n in app._notifications]
        assert "sms +14155550199 added" in said, said
    async with await Store.open(db) as store:
        text = InboundMessage(
            "sms", "sms-main", "SM9", "+14155550199", "it's Maria, on my new phone", sent_at=T0
        )
        result = await ingest(store, [text])
        case = await queries.show_conversation(store, result.conversation_ids[0] or 0)
        assert case["customer_id"] == maria


def test_a_reply_to_an_address_typed_with_a_space_is_refused_not_sent_elsewhere(
    cli: Cli,
) -> None:
    done = cli("reply", str(BOB), "--to", "bob 9@example.org", "--body", "hi")
    assert "is not an email address" in assert_one_line_error(done, 4)
    assert cli.json("outbox", "list") == []


async def test_an_address_the_console_cannot_add_comes_back_to_be_fixed(tmp_path: Path) -> None:
    """It closed the dialog with the CLI's words ("ADDRESS '…'", a shell command to
    merge): the agent typed it all again, and learnt nothing of the console's keys."""
    db = await with_colleagues(await make_store(tmp_path / "omni.db"))
    app = console(db)

    async def asked_again(pilot, typed: str) -> None:  # type: ignore[no-untyped-def]
        for _ in range(100):  # the dialog comes back once the store has said no
            if isinstance(app.screen, AskText):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, AskText) and app.screen.value == typed

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "A")
        for typed in ("maria at home", "web:visitor-1", "(415) 555-0100"):
            await answer(app, pilot, typed)  # no address; a chat handle; someone else's
            await asked_again(pilot, typed)
        said = [n.message for n in app._notifications]
        assert any("neither an email address nor a phone number" in m for m in said), said
        assert not any("ADDRESS" in m or "omni-tui customer" in m for m in said), said
        taken = [m for m in said if m.endswith("if they are one person, press m to merge them")]
        assert taken and taken[0].startswith("+14155550100 is customer ")  # not "#3": a case
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, AskText)


def test_an_address_pasted_with_an_invisible_character_is_taken_as_it_reads(cli: Cli) -> None:
    """A zero-width space from a chat or a web page made the address 'not an email
    address', and the error showed one that looked right."""
    added = cli.json("customer", "add", str(BOB), "\u200bbob.home@example.org\ufeff")
    assert added["added"] == {"channel": "email", "address": "bob.home@example.org", "new": True}
