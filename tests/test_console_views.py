"""The console's views and customers: switching views, sorting, the palette, folding
quotes, merging customers and logging calls, pressed as an agent would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.command import CommandPalette

from adapters.base import InboundMessage
from omni_tui import actions, queries
from omni_tui.ingest import ingest
from omni_tui.store import Store
from omni_tui.tui.composer import Composer, Target
from omni_tui.tui.conversation import ConversationView
from omni_tui.tui.screens.pickers import PickOne
from tests.test_console import make_store, with_colleagues
from tests.test_console_actions import (
    SIZE,
    answer,
    case_id,
    case_row,
    console,
    inbox_subjects,
    maria,
    open_case,
    pick,
    press,
    profile,
    screen_text,
    settle,
)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await with_colleagues(await make_store(tmp_path / "omni.db"))


# -- customers ------------------------------------------------------------------


async def test_merge_with_another_customer_via_the_fuzzy_picker(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert app.customer is not None
        maria = app.customer["id"]
        await press(app, pilot, "m")
        assert isinstance(app.screen, PickOne)
        await pick(app, pilot, "vistr1")  # fuzzy: "Visitor  web:visitor-1"
        assert app.store is not None
        merged = await queries.show_customer(app.store, maria)
        addresses = {i["address"] for i in merged["identities"]}
        assert addresses >= {"maria@example.com", "web:visitor-1"}
        assert [c["id"] for c in await queries.list_customers(app.store, "visitor")] == [maria]
        assert "web:visitor-1" in profile(app)
        rows = [r for r in app.inbox.rows if r["subject"] == "do you ship to Canada?"]
        assert rows and rows[0]["customer_id"] == maria
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Merged Visitor into this customer") for m in said), said


async def test_a_merge_is_undone_in_the_console_by_splitting_the_address_out(db: Path) -> None:
    """Undoing a wrong merge meant leaving the console for `omni-tui customer split`."""
    app = console(db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert app.customer is not None and app.store is not None
        maria = app.customer["id"]
        await press(app, pilot, "U")  # one address: nothing to split, and it says so
        assert not isinstance(app.screen, PickOne)
        await press(app, pilot, "m")
        await pick(app, pilot, "vistr1")
        await press(app, pilot, "U")
        await pick(app, pilot, "visitor-1")
        kept = await queries.show_customer(app.store, maria)
        assert {i["address"] for i in kept["identities"]} == {"maria@example.com"}
        [back] = await queries.list_customers(app.store, "visitor")
        assert back["id"] != maria
        said = [n.message for n in app._notifications]
        assert any(m.startswith(f"web:visitor-1 is now customer #{back['id']}") for m in said)
        assert any("one address" in m for m in said)


async def test_the_merge_picker_offers_the_newest_customers_first(db: Path) -> None:
    """It offered the 5,000 oldest: in a big store, never the one who just wrote."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        assert app.store is not None and app.customer is not None
        keep = app.customer["id"]
        await press(app, pilot, "m")
        assert isinstance(app.screen, PickOne)
        offered = [int(key) for key, _ in app.screen.choices]
        everyone = [c["id"] for c in await queries.list_customers(app.store) if c["id"] != keep]
        assert offered == sorted(everyone, reverse=True)


async def make_link_store(path: Path) -> Path:
    """Someone texts from a number; later an email signature gives that number."""
    async with await Store.open(path, create=True) as store:
        text = "Please send the invoice again.\n\n-- \nJo Park\nMobile: (415) 555-0123"
        await ingest(
            store,
            [
                InboundMessage("sms", "sms", "S9", "+14155550123", "has my order shipped?"),
                InboundMessage(
                    "email", "mail", "E9", "Jo Park <jo@example.com>", text,
                    subject="Invoice copy", message_id="<e9@example.com>",
                ),
            ],
        )  # fmt: skip
        assert len(await queries.list_suggestions(store)) == 1
    return path


@pytest.mark.parametrize(
    ("key", "status", "customers"), [("L", "accepted", 1), ("D", "dismissed", 2)]
)
async def test_identity_link_suggestion_is_accepted_with_L_or_dismissed_with_D(
    tmp_path: Path, key: str, status: str, customers: int
) -> None:
    db = await make_link_store(tmp_path / "omni.db")
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Invoice copy")
        assert "⚑" in profile(app) and "(L to link, D to dismiss)" in profile(app)
        await press(app, pilot, key)
        assert app.store is not None and app.customer is not None
        assert await queries.list_suggestions(app.store) == []
        assert len(await queries.list_suggestions(app.store, status)) == 1
        assert len(await queries.list_customers(app.store)) == customers
        jo = await queries.show_customer(app.store, app.customer["id"])
        linked = ("sms", "+14155550123") in {(i["channel"], i["address"]) for i in jo["identities"]}
        assert linked == (key == "L")
        assert "⚑" not in profile(app)
        assert ("+14155550123" in profile(app)) == linked
        await press(app, pilot, key)  # nothing left to decide
        assert any("No identity-link" in n.message for n in app._notifications)


async def test_log_a_phone_call_adds_it_to_the_case(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "l")
        await pick(app, pilot, "phone")
        await answer(app, pilot, "Called Maria, new grinder on its way")
        last = (await case_row(app))["messages"][-1]
        assert (last["channel"], last["author"], last["status"]) == ("phone", "Ana", "logged")
        assert last["text"] == "Called Maria, new grinder on its way"
        last_card = str(app.query_one(ConversationView).card_text(-1))
        assert "new grinder on its way" in last_card
        assert "☎ call" in last_card


# -- the inbox ------------------------------------------------------------------


async def test_views_switch_with_1_2_3_and_the_view_picker(db: Path) -> None:
    async with await Store.open(db) as store:
        await actions.assign(store, await case_id(store, "Broken grinder"), "Ana", agent="Ana")
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        title = app.query_one("#view-title")
        await press(app, pilot, "1")
        assert app.inbox.view is not None and app.inbox.view.key == "mine"
        assert inbox_subjects(app) == ["Broken grinder"]
        assert str(title.render()).startswith("Mine · 1")
        await press(app, pilot, "2")
        assert app.inbox.view.key == "unassigned"
        assert "Broken grinder" not in inbox_subjects(app) and len(app.inbox.rows) == 2
        assert str(title.render()).startswith("Unassigned · 2")
        await press(app, pilot, "3")
        assert app.inbox.view.key == "all" and len(app.inbox.rows) == 3
        assert str(title.render()).startswith("All open · 3")
        await press(app, pilot, "v")
        await pick(app, pilot, "Resolved")
        assert app.inbox.view.key == "status:resolved"
        assert inbox_subjects(app) == ["Order 1001"]
        assert "Order 1001" in screen_text(app)


async def test_a_view_picked_by_channel_name_or_tag_shows_the_folded_inbox(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "t")
        await answer(app, pilot, "warranty")
        await press(app, pilot, "left_square_bracket")
        assert app.query_one("#inbox-pane").has_class("-collapsed")
        await press(app, pilot, "v")
        await pick(app, pilot, "email")  # the channel by its name, not its badge
        assert app.inbox.view is not None and app.inbox.view.key == "channel:email"
        assert app.focused is app.inbox
        assert not app.query_one("#inbox-pane").has_class("-collapsed")
        await press(app, pilot, "left_square_bracket")
        await press(app, pilot, "v")
        await pick(app, pilot, "#warr")  # a tag view folds the inbox out too
        assert app.inbox.view.key == "tag:warranty"
        assert app.focused is app.inbox
        assert not app.query_one("#inbox-pane").has_class("-collapsed")


async def test_the_footer_offers_the_dialogs_keys_while_a_dialog_is_open(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        footer = screen_text(app).splitlines()[-1]
        assert "r Reply" in footer and "a Assign" in footer
        await press(app, pilot, "a")
        footer = screen_text(app).splitlines()[-1]
        assert "esc Cancel" in footer
        assert "Reply" not in footer and "Quit" not in footer  # typed into the filter here
        await press(app, pilot, "escape")
        assert "r Reply" in screen_text(app).splitlines()[-1]


async def test_o_toggles_the_inbox_between_waiting_time_and_last_activity(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        waiting = ["Broken grinder", "do you ship to Canada?", "is the roastery open?"]
        assert inbox_subjects(app) == waiting
        assert "by waiting" in str(app.query_one("#view-title").render())
        await press(app, pilot, "o")
        assert app.inbox.sort == "last_activity"
        assert inbox_subjects(app) == list(reversed(waiting))
        assert "by activity" in str(app.query_one("#view-title").render())
        await press(app, pilot, "o")
        assert inbox_subjects(app) == waiting


async def test_command_palette_offers_reply_via_sms_for_a_texting_customer(db: Path) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "is the roastery open?")
        await press(app, pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"reply via sms")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert "Reply via SMS to +14155550100" in screen_text(app)
        await press(app, pilot, "enter")
        composer = app.query_one(Composer)
        assert composer.display and composer.target is not None
        assert composer.target == Target("sms", "+14155550100")


async def test_the_palette_shows_each_actions_key_as_the_config_binds_it(db: Path) -> None:
    """Found in the palette, pressed next time: "Resolve  e", and a remapped key as
    remapped."""
    app = console(db, '[agent]\nname = "Ana"\n[keys]\n"app.snooze" = "z"\n')
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "ctrl+p")
        await pilot.press(*"resolve")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert re.search(r"Resolve +e\b", screen_text(app))
        await pilot.press(*("backspace",) * 7, *"snooze")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert re.search(r"Snooze until… +z\b", screen_text(app))
        keys = app.palette_keys()
        assert keys["resolve"] == "e" and "customer_tag" in keys


async def test_over_the_reports_the_palette_offers_no_case_action(db: Path) -> None:
    """It offered Resolve and the rest there; choosing one did nothing, and said nothing."""
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        titles = [title for title, _, _ in app.palette_commands()]
        assert "Resolve" in titles and "Reports" in titles
        await press(app, pilot, "M")
        await press(app, pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        titles = [title for title, _, _ in app.palette_commands()]
        assert "Resolve" not in titles and "Search every channel" in titles


async def test_x_unfolds_and_folds_quoted_text_and_signature(db: Path) -> None:
    async with await Store.open(db) as store:
        text = "Any news?\n\n-- \nMaria Lopez\n\nOn Mon, Ana wrote:\n> We are on it\n> soon"
        await ingest(store, [maria("e3", text, 1)])
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        view = app.query_one(ConversationView)
        assert "Any news?" in str(view.card_text(-1))
        assert "We are on it" not in screen_text(app)
        assert "(x to expand)" in screen_text(app)
        await press(app, pilot, "x")
        assert "> We are on it" in screen_text(app)
        assert "(x to expand)" not in screen_text(app)
        await press(app, pilot, "x")
        assert "We are on it" not in screen_text(app)


async def test_a_search_hit_is_one_line_at_80_columns(db: Path) -> None:
    """Hits wrapped to two or more lines: four fitted on an 80×24 screen."""
    app = console(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"grinder")
        await pilot.pause(0.5)  # the search waits for a pause in typing
        await settle(app, pilot)
        lines = [line for line in screen_text(app).splitlines() if "← Maria Lopez" in line]
        assert len(lines) == 1 and "My grinder arrived broken. …" in lines[0]
        assert "Fix it" not in screen_text(app)  # the rest of the hit's line is cut


async def test_a_pop_up_never_covers_the_reply_being_typed(db: Path) -> None:
    from textual.widgets import TextArea
    from textual.widgets._toast import Toast

    app = console(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "r")
        await pilot.press(*"line one", "enter", *"line two")
        app.notify("1 new message", title="Maria Lopez")
        await pilot.pause(0.3)
        [toast] = app.screen.query(Toast)
        typing = app.query_one(Composer).query_one(TextArea).region
        assert not toast.region.overlaps(typing), (toast.region, typing)


async def test_at_60_columns_the_inbox_makes_room_for_a_reply_and_comes_back(db: Path) -> None:
    """The composer had 24 columns there: its status took five rows and the text one."""
    from textual.widgets import TextArea

    app = console(db)
    async with app.run_test(size=(60, 20)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        inbox = app.query_one("#inbox-pane")
        assert not inbox.has_class("-collapsed")
        await press(app, pilot, "r")
        await pilot.press(*"line one", "enter", *"line two", "enter", *"line three")
        await pilot.pause()
        assert inbox.has_class("-collapsed")
        typing = app.query_one(Composer).query_one(TextArea)
        assert typing.region.width >= 50 and typing.region.height >= 3
        assert "line three" in screen_text(app)
        await press(app, pilot, "escape")
        assert not inbox.has_class("-collapsed")
        await press(app, pilot, "r")
        await pilot.press(*"Sent at once")
        assert inbox.has_class("-collapsed")
        await press(app, pilot, "ctrl+s")  # sent: the composer goes, the inbox comes back
        assert not inbox.has_class("-collapsed")


async def test_the_help_screen_cuts_neither_a_section_title_nor_what_a_key_does(
    db: Path,
) -> None:
    """At 80 columns titles were cut to 14 ("Customer hist…"); at 60, what a key does to 3."""
    from rich.console import Console

    from omni_tui.tui.screens.help import _keys_table, key_sections

    app = console(db)
    async with app.run_test(size=(60, 20)) as pilot:
        await open_case(app, pilot, "Broken grinder")
        sections = key_sections(app)
    out = Console(width=52, record=True, color_system=None)
    out.print(_keys_table(sections))
    shown = out.export_text()
    for title, _ in sections:
        assert title in shown
    assert "Show or fold quoted text" in shown and "…" not in shown


async def test_tags_and_a_note_on_the_customer_show_beside_every_case_of_theirs(
    db: Path,
) -> None:
    app = console(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "T")
        await answer(app, pilot, "wholesale vip")
        await press(app, pilot, "N")
        await answer(app, pilot, "Owns two cafés; call before noon")
        assert "#vip #wholesale" in profile(app) and "call before noon" in profile(app)
        await press(app, pilot, "T")
        await answer(app, pilot, "-vip")
        await press(app, pilot, "N")
        await answer(app, pilot, "-")
        assert "#wholesale" in profile(app) and "#vip" not in profile(app)
        assert "call before noon" not in profile(app)
        assert app.store is not None and app.customer is not None
        shown = await queries.show_customer(app.store, app.customer["id"])
        assert (shown["tags"], shown["note"]) == (["wholesale"], "")
        from omni_tui.customer_profile import set_note
        from omni_tui.tui.screens.pickers import EditText

        await set_note(
            app.store, app.customer["id"], "Owns two cafés.\n\nCall before noon.", agent="Ben"
        )
        for _ in range(30):  # another agent's note shows within a second or so
            await pilot.pause(0.1)
            if "\n" in (app.customer or {}).get("note", ""):
                break
        await press(app, pilot, "N")  # a note of paragraphs is edited as paragraphs
        assert isinstance(app.screen, EditText)
        await press(app, pilot, "ctrl+s")
        shown = await queries.show_customer(app.store, app.customer["id"])
        assert shown["note"] == "Owns two cafés.\n\nCall before noon."


async def test_a_customer_note_a_colleague_saved_meanwhile_is_merged_not_overwritten(
    db: Path,
) -> None:
    """Ana's save replaced Ben's warning, written while her dialog was open; neither knew."""
    from omni_tui.customer_profile import set_note
    from omni_tui.tui.screens.pickers import AskText, EditText

    app = console(db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_case(app, pilot, "Broken grinder")
        await press(app, pilot, "N")
        await answer(app, pilot, "Owns two cafés")
        await press(app, pilot, "N")  # Ana begins to add to it
        assert isinstance(app.screen, AskText) and app.store is not None
        customer = app.customer["id"]
        await set_note(app.store, customer, "BEN: chargeback risk, no refunds", agent="Ben")
        await pilot.press("end", *" + called back")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, EditText)  # both, for Ana to merge
        assert app.screen.query_one("TextArea").text == (  # type: ignore[attr-defined]
            "BEN: chargeback risk, no refunds\n\nOwns two cafés + called back"
        )
        assert any("changed the note meanwhile" in n.message for n in app._notifications)
        shown = await queries.show_customer(app.store, customer)
        assert shown["note"] == "BEN: chargeback risk, no refunds"  # kept until Ana saves
        await press(app, pilot, "ctrl+s")
        shown = await queries.show_customer(app.store, customer)
        assert shown["note"] == "BEN: chargeback risk, no refunds\n\nOwns two cafés + called back"
