from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.base import InboundMessage
from omni_tui import outbox, queries
from omni_tui.customers import decide_suggestion, merge, split
from omni_tui.errors import NotFound, Refused
from omni_tui.ingest import ingest
from omni_tui.store import Event, Store
from omni_tui.store.models import Customer, Message, Outbox
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


async def _texts_stop(store: Store, at_days: int = 1) -> None:
    stop = InboundMessage(
        "sms", "sms", f"STOP{at_days}", "+14155550134", "Stop", sent_at=T0 + timedelta(days=at_days)
    )
    await ingest(store, [stop])


async def _can_text(store: Store, customer_id: int) -> bool:
    """Whether a reply by SMS to the customer's newest case is queued, not refused."""
    case = (await queries.show_customer(store, customer_id))["conversations"][-1]["id"]
    try:
        await outbox.queue_reply(store, case, "Your order shipped", agent="ana", channel="sms")
    except Refused:
        return False
    return True


@pytest.mark.parametrize("how", ["merge", "accept"])
async def test_a_merged_customer_keeps_the_sms_opt_out(store: Store, how: str) -> None:
    maria, texter = await _two_maria_customers(store)
    await _texts_stop(store)
    if how == "merge":
        await merge(store, maria, texter, agent="ana")  # the one kept had not opted out
    else:
        [pending] = await queries.list_suggestions(store)
        await decide_suggestion(store, pending["id"], accept=True, agent="ana")
    async with store.read() as session:
        assert (await session.get(Customer, maria)).opted_out_at is not None  # type: ignore[union-attr]
    assert not await _can_text(store, maria)


async def test_a_number_that_texted_stop_stays_opted_out_when_split_off(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    await _texts_stop(store)
    await merge(store, maria, texter, agent="ana")
    new = await split(store, maria, "+14155550134", agent="ana")
    assert not await _can_text(store, new.id or 0)


async def test_a_number_that_texted_start_after_stop_is_split_off_opted_in(store: Store) -> None:
    maria, texter = await _two_maria_customers(store)
    await _texts_stop(store)
    start = InboundMessage(
        "sms", "sms", "START", "+14155550134", "start", sent_at=T0 + timedelta(days=2)
    )
    await ingest(store, [start])
    await merge(store, maria, texter, agent="ana")
    new = await split(store, maria, "+14155550134", agent="ana")
    assert await _can_text(store, new.id or 0)


async def test_splitting_off_the_number_that_texted_stop_lets_the_rest_be_texted(
    store: Store,
) -> None:
    bob = InboundMessage("sms", "sms", "B1", "+14155550100", "is my order in?", sent_at=T0)
    stranger = InboundMessage(
        "sms", "sms", "X1", "+14155550199", "STOP", sent_at=T0 + timedelta(days=1)
    )
    bob_id, stranger_id = (await ingest(store, [bob, stranger])).conversation_ids
    customers = {c["id"] for c in await queries.list_customers(store)}
    assert len(customers) == 2 and bob_id and stranger_id
    kept, other = sorted(customers)
    await merge(store, kept, other, agent="ana")  # by mistake
    assert not await _can_text(store, kept)
    await split(store, kept, "+14155550199", agent="ana")
    assert await _can_text(store, kept)  # Bob never texted STOP


async def test_a_suggestion_on_a_split_off_number_goes_with_the_number(store: Store) -> None:
    bob_mail = InboundMessage("email", "mail", "E1", "bob@example.com", "hi", sent_at=T0)
    texter = InboundMessage("sms", "sms", "S1", "+14155550100", "hi", sent_at=T0)
    await ingest(store, [bob_mail, texter])
    bob, number = sorted(c["id"] for c in await queries.list_customers(store))
    await merge(store, bob, number, agent="ana")  # by mistake: the number is not Bob's
    ana_mail = InboundMessage(
        "email", "mail", "E2", "ana@example.com", "my cell: (415) 555-0100", sent_at=T0
    )
    await ingest(store, [ana_mail])
    [pending] = await queries.list_suggestions(store)  # Ana with Bob, via the number
    new = await split(store, bob, "+14155550100", agent="ana")
    [moved] = await queries.list_suggestions(store)
    assert moved["id"] == pending["id"]
    assert {moved["customer_id"], moved["other_customer_id"]} == {pending["customer_id"], new.id}
    await decide_suggestion(store, moved["id"], accept=True, agent="ana")
    shown = await queries.show_customer(store, bob)
    assert [i["address"] for i in shown["identities"]] == ["bob@example.com"]  # Bob alone


async def test_merging_two_customers_with_the_same_suggestion_keeps_one(store: Store) -> None:
    """Maria and Bob both wrote down the texter's number: each got a suggestion."""
    maria, texter = await _two_maria_customers(store)
    bob_mail = InboundMessage(
        "email", "mail", "E9", "Bob <bob@example.org>", "call me on +1 415 555 0134",
        subject="Invoice", message_id="<b9@x>", sent_at=T0 + timedelta(days=10),
    )  # fmt: skip
    await ingest(store, [bob_mail])
    bob = next(c["id"] for c in await queries.list_customers(store) if c["name"] == "Bob")
    assert len(await queries.list_suggestions(store)) == 2
    await merge(store, maria, bob, agent="ana")
    pending = await queries.list_suggestions(store)
    assert [(s["customer_id"], s["other_customer_id"]) for s in pending] == [(maria, texter)]


async def test_a_queued_reply_split_off_with_its_message_follows_it_to_the_new_case(
    store: Store,
) -> None:
    maria, texter = await _two_maria_customers(store)
    await merge(store, maria, texter, agent="ana")
    again = InboundMessage(
        "sms", "sms", "SM2", "+14155550134", "hello?", sent_at=T0 + timedelta(days=9, hours=1)
    )
    await ingest(store, [again])
    email_case = (await queries.show_customer(store, maria))["conversations"][-1]["id"]
    queued = await outbox.queue_reply(store, email_case, "On its way", agent="ana", channel="sms")
    new = await split(store, maria, "+14155550134", agent="ana")
    async with store.read() as session:
        item = await session.get(Outbox, queued.outbox_id)
        message = await session.get(Message, queued.message_id)
    assert item is not None and message is not None
    assert message.conversation_id != email_case and message.customer_id == new.id
    assert item.conversation_id == message.conversation_id


async def test_an_older_start_arriving_after_a_newer_stop_leaves_the_customer_opted_out(
    store: Store,
) -> None:
    """A gateway's retried START (sent 14:30) after the STOP (sent 14:39) opted the
    customer back in: the next text went to someone whose last word was STOP."""
    stop = InboundMessage(
        "sms", "sms", "S2", "+14155550177", "STOP", sent_at=T0 + timedelta(minutes=9)
    )
    late_start = InboundMessage("sms", "sms", "S1", "+14155550177", "START", sent_at=T0)
    [case] = (await ingest(store, [stop])).conversation_ids
    await ingest(store, [late_start])
    async with store.read() as session:
        customer = (await session.exec(select(Customer))).one()
    assert customer.opted_out_at is not None
    with pytest.raises(Refused, match="STOP"):
        await outbox.queue_reply(store, case or 0, "We have a sale on!", agent="ana")
    later_start = InboundMessage(
        "sms", "sms", "S3", "+14155550177", "START", sent_at=T0 + timedelta(minutes=20)
    )
    await ingest(store, [later_start])
    await outbox.queue_reply(store, case or 0, "Welcome back", agent="ana")


async def test_a_late_start_older_than_a_repeated_stop_leaves_the_customer_opted_out(
    store: Store,
) -> None:
    texts = [("S1", "STOP", 0), ("S2", "STOP", 20), ("S3", "START", 10)]  # S3 arrives last
    for pid, word, minutes in texts:
        message = InboundMessage(
            "sms", "sms", pid, "+14155550188", word, sent_at=T0 + timedelta(minutes=minutes)
        )
        await ingest(store, [message])
    async with store.read() as session:
        customer = (await session.exec(select(Customer))).one()
    assert customer.opted_out_at is not None


@pytest.mark.parametrize("ids", [("E1", "E2"), (None, None)], ids=["email-batch", "one-by-one"])
async def test_an_answer_from_another_address_is_in_the_history_of_the_case_it_joined(
    store: Store, ids: tuple[str | None, str | None]
) -> None:
    """Maria answers our reply from her private address: the message joins her case by
    its headers, and her history beside the case shows it (it belongs to a customer of
    its own until an agent merges them)."""
    await ingest(
        store,
        [
            InboundMessage(
                "email", "mail", ids[0], "Maria Lopez <maria@example.com>", "Order 1042 is late.",
                subject="Order 1042", message_id="<e1@x>", sent_at=T0,
            ),
            InboundMessage(
                "email", "mail", ids[1], "Maria Lopez <maria.lopez@gmail.com>", "Any news?",
                subject="Re: Order 1042", message_id="<e2@x>", in_reply_to="<e1@x>",
                sent_at=T0 + timedelta(hours=2),
            ),
        ],
    )  # fmt: skip
    [case] = await queries.list_conversations(store)
    maria = await queries.show_customer(store, case["customer_id"])
    assert _history(maria) == [("email", "Order 1042 is late."), ("email", "Any news?")]
    assert maria["history_total"] == 2
    latest = await queries.show_customer(store, case["customer_id"], history_limit=1)
    assert (_history(latest), latest["history_total"]) == ([("email", "Any news?")], 2)
    [suggestion] = maria["suggestions"]  # maybe her, from another address: the agent decides
    assert suggestion["address"] == "maria.lopez@gmail.com"
    assert suggestion["reason"] == (
        f"maria.lopez@gmail.com wrote in case #{case['id']} of customer {maria['id']}"
    )


@pytest.mark.parametrize(
    "typed", ["(415) 555-0134", "415-555-0134", "+1 415 555 0134", "4155550134", "555 0134"]
)
async def test_a_customer_is_found_by_their_number_however_it_is_typed(
    store: Store, typed: str
) -> None:
    maria, texter = await _two_maria_customers(store)
    assert [c["id"] for c in await queries.list_customers(store, typed)] == [texter]


async def test_a_number_typed_in_a_national_or_international_form_finds_a_foreign_number(
    store: Store,
) -> None:
    await ingest(store, [InboundMessage("sms", "sms", "SM9", "+447911123456", "hello", sent_at=T0)])
    [uk] = await queries.list_customers(store)
    for typed in ("07911 123456", "0044 7911 123456", "+44 7911 123456"):
        assert [c["id"] for c in await queries.list_customers(store, typed)] == [uk["id"]]
    assert await queries.list_customers(store, "2025") == []  # a year is not a number to dial


async def test_a_merged_customers_old_id_still_finds_the_person_to_log_a_call_or_split(
    store: Store,
) -> None:
    """`show 2` followed the merge, while `log-call 2` and `split 2` said "not found"."""
    from omni_tui.actions import log_call

    maria, texter = await _two_maria_customers(store)
    await merge(store, maria, texter, agent="ana")
    await log_call(store, texter, "Called about order 1042", agent="ana")
    history = _history(await queries.show_customer(store, maria))
    assert history[-1] == ("phone", "Called about order 1042")
    moved = await split(store, texter, "+14155550134", agent="ana", region="US")
    assert moved.id not in (maria, texter)
    assert [i["channel"] for i in (await queries.show_customer(store, maria))["identities"]] == [
        "email"
    ]


async def test_a_bounce_joining_a_case_is_no_merge_suggestion(store: Store) -> None:
    """A mail server's report joins the case by its headers; it is nobody to merge."""
    await ingest(
        store,
        [
            InboundMessage(
                "email", "mail", "E1", "Maria Lopez <maria@example.com>", "Order 1042 is late.",
                subject="Order 1042", message_id="<e1@x>", sent_at=T0,
            ),
            InboundMessage(
                "email", "mail", "E2", "Mail Delivery System <MAILER-DAEMON@mx.shop.example>",
                "Delivery failed", subject="Undelivered Mail Returned to Sender",
                message_id="<b1@mx>", in_reply_to="<e1@x>", sent_at=T0 + timedelta(hours=1),
            ),
        ],
    )  # fmt: skip
    assert await queries.list_suggestions(store) == []
