from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.base import InboundMessage
from omni_tui import queries
from omni_tui.customers import decide_suggestion, merge, split
from omni_tui.errors import NotFound, Refused
from omni_tui.ingest import ingest
from omni_tui.store import Event, Store
from tests.conftest import T0


async def _two_maria_customers(store: Store) -> tuple[int, int]:
    """Maria emails with her mobile in the signature, after texting from that mobile."""
    await ingest(
        store,
        [
            InboundMessage("sms", "sms", "SM1", "+14155550134", "is my order shipped?", sent_at=T0),
            InboundMessage(
                "email",
                "mail",
                "E1",
                "Maria Lopez <maria@example.com>",
                "Order 1042 is late.\n--\nMaria Lopez\n+1 415 555 0134",
                subject="Order 1042",
                message_id="<e1@x>",
                sent_at=T0 + timedelta(days=9),
            ),
        ],
    )
    customers = await queries.list_customers(store)
    by_channel = {c["identities"][0]["channel"]: c["id"] for c in customers}
    return by_channel["email"], by_channel["sms"]


def _history(customer: dict) -> list[tuple[str, str]]:
    return [(m["channel"], m["text"]) for m in customer["history"]]


async def test_merge_moves_identities_conversations_and_history(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    await merge(store, maria, texter, agent="ana")
    merged = await queries.show_customer(store, maria)
    assert sorted(i["channel"] for i in merged["identities"]) == ["email", "sms"]
    assert [m["channel"] for m in merged["history"]] == ["sms", "email"]  # time order
    assert len(merged["conversations"]) == 2
    assert (await queries.show_customer(store, texter))["id"] == maria  # old id still finds her
    async with store.read() as session:
        event = (await session.exec(select(Event).where(Event.kind == "merge"))).one()
    assert (event.actor, event.customer_id, event.data["merged"]) == ("ana", maria, texter)


async def test_merge_then_split_gives_back_both_histories(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    before_maria = _history(await queries.show_customer(store, maria))
    before_texter = _history(await queries.show_customer(store, texter))
    await merge(store, maria, texter, agent="ana")
    new = await split(store, maria, "(415) 555-0134", agent="ana")
    assert _history(await queries.show_customer(store, maria)) == before_maria
    assert _history(await queries.show_customer(store, new.id or 0)) == before_texter


async def test_split_of_a_mixed_conversation_moves_only_that_identitys_messages(
    store: Store,
) -> None:
    maria, texter = await _two_maria_customers(store)
    await merge(store, maria, texter, agent="ana")
    await ingest(
        store,
        [
            InboundMessage(
                "sms",
                "sms",
                "SM2",
                "+14155550134",
                "hello again?",
                sent_at=T0 + timedelta(days=9, hours=1),
            )
        ],
    )
    email_case = (await queries.show_customer(store, maria))["conversations"][-1]
    assert email_case["channels"] == ["email", "sms"]  # the SMS joined the email case
    new = await split(store, maria, "+14155550134", agent="ana")
    left = await queries.show_conversation(store, email_case["id"])
    assert [m["channel"] for m in left["messages"]] == ["email"]
    moved = await queries.show_customer(store, new.id or 0)
    assert [m["text"] for m in moved["history"]] == ["is my order shipped?", "hello again?"]


async def test_accepting_a_suggestion_merges_and_dismissing_keeps_apart(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    pending = await queries.list_suggestions(store)
    assert [(s["customer_id"], s["other_customer_id"]) for s in pending] == [(maria, texter)]
    accepted = await decide_suggestion(store, pending[0]["id"], accept=True, agent="ana")
    assert accepted.status == "accepted"
    assert await queries.list_suggestions(store) == []
    with pytest.raises(Refused):
        await decide_suggestion(store, pending[0]["id"], accept=False, agent="ana")


async def test_dismissed_suggestion_is_not_offered_again(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    pending = await queries.list_suggestions(store)
    await decide_suggestion(store, pending[0]["id"], accept=False, agent="ana")
    await ingest(
        store,
        [
            InboundMessage(
                "email",
                "mail",
                "E2",
                "maria@example.com",
                "me again, +1 415 555 0134",
                subject="Order 1042",
                sent_at=T0 + timedelta(days=10),
            )
        ],
    )
    assert await queries.list_suggestions(store) == []
    assert len(await queries.list_customers(store)) == 2


async def test_merge_refuses_nonsense(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    with pytest.raises(Refused):
        await merge(store, maria, maria, agent="ana")
    with pytest.raises(NotFound):
        await merge(store, maria, 999, agent="ana")
    with pytest.raises(Refused):
        await split(store, texter, "+14155550134", agent="ana")  # the only identity
