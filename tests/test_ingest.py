from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.base import AttachmentData, Cursor, InboundMessage
from adapters.email.mime import parse_message
from omni_tui import blobs, outbox, queries, raw
from omni_tui.actions import set_status
from omni_tui.ingest import IngestOptions, ingest
from omni_tui.queries import iso
from omni_tui.store import Attachment, LinkSuggestion, Message, Store, SyncCursor
from tests.conftest import T0


def email(pid: str, sender: str = "Maria Lopez <maria@example.com>", **kw) -> InboundMessage:
    kw.setdefault("subject", "Order #1042 has not arrived")
    kw.setdefault("text", "Hello, my order has not arrived yet.")
    kw.setdefault("message_id", f"<{pid}@mail.example.com>")
    kw.setdefault("sent_at", T0)
    return InboundMessage("email", "support-mail", pid, sender, **kw)


def sms(pid: str, sender: str = "+14155550134", text: str = "any news?", **kw) -> InboundMessage:
    kw.setdefault("sent_at", T0)
    return InboundMessage("sms", "sms-twilio", pid, sender, text, **kw)


async def _messages(store: Store) -> list[Message]:
    async with store.read() as session:
        return list((await session.exec(select(Message).order_by(Message.id))).all())


async def test_the_same_provider_id_delivered_twice_is_stored_once(store: Store) -> None:
    first = await ingest(store, [sms("SM1")])
    again = await ingest(store, [sms("SM1"), sms("SM1")])
    assert (first.new, again.new, again.duplicates) == (1, 0, 2)
    assert len(await _messages(store)) == 1


async def test_a_photo_without_words_and_an_empty_text_are_named_in_the_inbox(
    store: Store,
) -> None:
    """Both were blank rows: no subject, no snippet, nothing an agent could pick out."""
    photo = AttachmentData("lid.jpg", "image/jpeg", b"\xff\xd8 the lid")
    await ingest(
        store, [InboundMessage("sms", "tw", "MM1", "+14155550123", "", attachments=[photo])]
    )
    await ingest(store, [InboundMessage("sms", "tw", "SM2", "+14155550124", "")])
    rows = {r["customer_address"]: r for r in await queries.list_conversations(store)}
    mms, empty = rows["+14155550123"], rows["+14155550124"]
    assert (mms["subject"], mms["snippet"]) == ("📎 lid.jpg", "📎 lid.jpg")
    assert empty["subject"] == "(a message without words)"


async def test_an_email_seen_in_two_folders_is_stored_once_by_message_id(store: Store) -> None:
    result = await ingest(store, [email("1"), email("2", message_id="<1@mail.example.com>")])
    assert (result.new, result.duplicates) == (1, 1)


async def test_our_reply_in_a_long_thread_keeps_its_first_id_and_the_latest(
    store: Store,
) -> None:
    chain = [f"<{n}@mail.example.com>" for n in range(30)]
    first = await ingest(store, [email("30", references=chain, in_reply_to=chain[-1])])
    await outbox.queue_reply(store, first.conversation_ids[0] or 0, "On it.", agent="ana")
    ours = (await queries.show_conversation(store, first.conversation_ids[0] or 0))["messages"]
    refs = ours[-1]["references"]
    assert len(refs) == 20 and refs[0] == chain[0]  # the root: clients thread by it
    assert refs[-2:] == [chain[-1], "<30@mail.example.com>"]


async def test_replies_thread_by_in_reply_to_and_references(store: Store) -> None:
    later = T0 + timedelta(days=30)  # far outside the join window: headers still thread
    result = await ingest(
        store,
        [
            email("1"),
            email(
                "2",
                subject="Something else entirely",
                in_reply_to="<1@mail.example.com>",
                sent_at=later,
            ),
            email(
                "3",
                subject="New topic",
                references=["<1@mail.example.com>", "<2@mail.example.com>"],
                sent_at=later,
            ),
        ],
    )
    assert len(set(result.conversation_ids)) == 1


async def test_email_threads_by_subject_within_the_customer(store: Store) -> None:
    result = await ingest(
        store,
        [
            email("1"),
            email(
                "2",
                subject="RE: Order #1042 has not arrived",
                message_id="<x@y>",
                sent_at=T0 + timedelta(hours=3),
            ),
        ],
    )
    assert result.conversation_ids[0] == result.conversation_ids[1]


async def test_a_new_email_subject_from_an_email_customer_is_a_new_case(store: Store) -> None:
    result = await ingest(
        store,
        [email("1"), email("2", subject="Wholesale prices?", sent_at=T0 + timedelta(hours=1))],
    )
    assert result.conversation_ids[0] != result.conversation_ids[1]


async def test_a_new_email_subject_in_a_later_sync_is_a_new_case_too(store: Store) -> None:
    """The open case's channels come from the store, not only from the batch at hand."""
    first = await ingest(store, [email("1")])
    later = await ingest(
        store, [email("2", subject="Wholesale prices?", sent_at=T0 + timedelta(hours=1))]
    )
    assert later.conversation_ids[0] not in first.conversation_ids


async def test_sms_joins_the_customers_open_conversation(store: Store) -> None:
    result = await ingest(
        store, [sms("SM1"), sms("SM2", text="hello?", sent_at=T0 + timedelta(hours=2))]
    )
    assert result.conversation_ids[0] == result.conversation_ids[1]


async def test_a_message_on_another_channel_joins_the_open_case_within_the_window(
    store: Store,
) -> None:
    first = await ingest(store, [email("1")])
    case = first.conversation_ids[0] or 0
    # the agent answers the email by SMS; the customer texts back two days later
    await outbox.queue_reply(
        store,
        case,
        "Texting you the tracking link",
        agent="ana",
        channel="sms",
        to="(415) 555-0134",
        at=T0 + timedelta(hours=1),
    )
    second = await ingest(store, [sms("SM1", text="got it", sent_at=T0 + timedelta(days=2))])
    assert second.conversation_ids == [case]
    detail = await queries.show_conversation(store, case)
    assert detail["channels"] == ["email", "sms"]
    assert [m["direction"] for m in detail["messages"]] == ["in", "out", "in"]


async def test_the_join_window_is_configurable(store: Store) -> None:
    options = IngestOptions(join_window=timedelta(hours=1))
    result = await ingest(
        store,
        [sms("SM1"), sms("SM2", sent_at=T0 + timedelta(hours=2))],
        options=options,
    )
    assert result.conversation_ids[0] != result.conversation_ids[1]


async def test_a_resolved_case_is_not_joined_but_a_reply_to_it_reopens_it(store: Store) -> None:
    first = await ingest(store, [email("1"), sms("SM1", sender="+14155550100")])
    email_case, sms_case = first.conversation_ids
    for case in (email_case, sms_case):
        await set_status(store, case or 0, "resolved", agent="ana")
    later = T0 + timedelta(hours=4)
    second = await ingest(
        store,
        [
            sms("SM2", sender="+14155550100", text="new question", sent_at=later),
            email("2", in_reply_to="<1@mail.example.com>", sent_at=later),
        ],
    )
    assert second.conversation_ids[0] != sms_case
    assert second.conversation_ids[1] == email_case
    reopened = await queries.show_conversation(store, email_case or 0)
    assert reopened["status"] == "open"
    # the log says who reopened it, so reports count it even once it is resolved again
    [event] = [e for e in reopened["events"] if e["kind"] == "reopen"]
    assert (event["actor"], event["channel"], event["at"]) == ("customer", "email", iso(later))


async def test_a_customers_reply_to_our_email_joins_the_same_conversation(store: Store) -> None:
    first = await ingest(store, [email("1")])
    case = first.conversation_ids[0] or 0
    queued = await outbox.queue_reply(store, case, "It ships tomorrow.", agent="ana")
    ours = (await queries.show_conversation(store, case))["messages"][-1]
    assert ours["in_reply_to"] == "<1@mail.example.com>"
    reply = email(
        "2",
        subject="Re: something",
        in_reply_to=ours["message_id"],
        sent_at=T0 + timedelta(days=20),
    )
    result = await ingest(store, [reply])
    assert result.conversation_ids == [case]
    assert queued.channel == "email"


async def test_an_error_in_the_middle_of_a_batch_keeps_neither_messages_nor_cursor(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(Exception):
        pass

    def explode(html: str) -> str:
        raise Broken

    monkeypatch.setattr("omni_tui.ingest_prepare.html_to_text", explode)
    batch = [sms("SM1"), email("1", text="", html="<p>boom</p>"), sms("SM3")]
    with pytest.raises(Broken):
        await ingest(store, batch, Cursor("sms-twilio", "inbox", "page-2"))
    assert await _messages(store) == []
    async with store.read() as session:
        assert (await session.exec(select(SyncCursor))).all() == []
    monkeypatch.undo()
    await ingest(store, batch, Cursor("sms-twilio", "inbox", "page-2"))
    assert len(await _messages(store)) == 3
    async with store.read() as session:
        cursor = (await session.exec(select(SyncCursor))).one()
    assert cursor.value == "page-2"


async def test_html_only_email_is_shown_as_text_and_nothing_is_fetched(store: Store) -> None:
    html = (
        '<p>Hi,<br>the <b>grinder</b> arrived <a href="https://t.example/x">broken</a>.</p>'
        '<img src="https://tracker.example/pixel.gif">'
    )
    await ingest(store, [email("1", text="", html=html)])
    message = (await _messages(store))[0]
    assert "grinder arrived" in message.text and "<b>" not in message.text
    assert "pixel.gif" not in message.text


async def test_terminal_control_sequences_are_stripped(store: Store) -> None:
    await ingest(
        store,
        [sms("SM1", text="hi\x1b[2J\x1b]0;pwned\x07 there\x07", sender_name="\x1b[31mEvil\x1b[0m")],
    )
    message = (await _messages(store))[0]
    assert message.text == "hi there"
    assert "\x1b" not in (message.sender_name or "")


async def test_attachments_are_stored_once_by_content(store: Store) -> None:
    photo = AttachmentData("grinder.jpg", "image/jpeg", b"\xff\xd8fake-jpeg")
    await ingest(
        store,
        [
            email("1", attachments=[photo]),
            email("2", attachments=[photo], subject="again", sent_at=T0 + timedelta(hours=1)),
        ],
    )
    async with store.read() as session:
        rows = (await session.exec(select(Attachment))).all()
    assert len(rows) == 2 and rows[0].sha256 == rows[1].sha256
    files = [p for p in store.attachments_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == photo.data


async def test_a_phone_in_an_email_signature_suggests_a_merge_in_either_order(
    store: Store,
) -> None:
    signature = "Thanks,\nMaria\nMobile: +1 (415) 555-0134"
    await ingest(store, [sms("SM1"), email("1", text=signature)])
    await ingest(
        store,
        [
            email("2", sender="ben@example.org", text="Call me on 415 555 0199"),
            sms("SM2", sender="+14155550199", sent_at=T0 + timedelta(hours=1)),
        ],
    )
    async with store.read() as session:
        suggestions = (await session.exec(select(LinkSuggestion))).all()
    assert sorted(s.address for s in suggestions) == ["+14155550134", "+14155550199"]
    assert all(s.status == "pending" for s in suggestions)


async def test_a_chat_visitor_who_gives_a_known_email_is_that_customer(store: Store) -> None:
    first = await ingest(store, [email("1")])
    chat = InboundMessage(
        "chat",
        "webchat",
        "ev-1",
        "web:visitor-8f2a",
        "hi, same order",
        context={"email": "Maria@Example.com", "order": "#1042"},
        sent_at=T0 + timedelta(hours=1),
    )
    second = await ingest(store, [chat])
    assert second.conversation_ids == first.conversation_ids
    detail = await queries.show_conversation(store, first.conversation_ids[0] or 0)
    assert detail["messages"][-1]["context"]["order"] == "#1042"


async def test_the_summary_paints_the_inbox(store: Store) -> None:
    await ingest(store, [email("1"), sms("SM1", sender="+14155550100", text="x" * 500)])
    rows = await queries.list_conversations(store)
    assert [r["channels"] for r in rows] == [["sms"], ["email"]]
    assert all(r["unread"] == 1 and r["waiting_since"] for r in rows)
    assert len(rows[0]["snippet"]) <= 160


async def test_raw_messages_are_kept_in_the_store_once_and_old_raw_files_still_read(
    store: Store,
) -> None:
    mail = b"From: maria@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    text = b"raw sms payload"
    await ingest(store, [email("E1", raw=mail), email("E2", raw=mail, message_id="<other@x>")])
    await ingest(store, [sms("SM9", raw=text)])  # the one-by-one path
    async with store.read() as session:
        conn = await session.connection()
        kept = dict((await conn.exec_driver_sql("SELECT sha256, data FROM raw_message")).all())
        shas = [m.raw_sha256 for m in await _messages(store)]
        assert sorted(kept.values()) == [mail, text]  # the same bytes twice: one row
        assert all(sha in kept for sha in shas)
        assert not (store.data_dir / "raw").exists()
        # a store from before keeps its raw messages as files: they still read
        old = blobs.put(store.data_dir / "raw", b"an old raw message")
        assert await raw.get(session, store.data_dir, old) == b"an old raw message"
        assert await raw.get(session, store.data_dir, shas[0]) == mail


async def test_a_batch_of_email_is_searchable_and_the_index_matches_the_messages(
    store: Store,
) -> None:
    batch = [
        email(f"B{n}", f"Customer {n} <c{n}@example.com>", subject=f"Parcel {n}", text=f"kettle{n}")
        for n in range(40)
    ]
    await ingest(store, batch)
    await ingest(store, [sms("SM1", text="the toaster sparks")])  # one by one: the trigger
    for word in ("kettle7", "kettle39", "Parcel", "toaster", "c12@example.com"):
        assert await queries.search(store, word), word
    assert len(await queries.search(store, "Parcel", limit=100)) == 40
    async with store.write() as session:
        conn = await session.connection()
        # FTS5 compares its index with the message table it indexes
        await conn.exec_driver_sql(
            "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)"
        )
        assert (await conn.exec_driver_sql("SELECT count(*) FROM search_batch")).scalar() == 0


@pytest.mark.parametrize("channel", ["sms", "email"])  # one by one, and as a batch
async def test_a_customer_answering_a_pending_case_opens_it_again(
    store: Store, channel: str
) -> None:
    """Pending waits on the customer; their answer puts it back in the open views."""
    first = await ingest(store, [email("1") if channel == "email" else sms("SM1")])
    [case] = first.conversation_ids
    await set_status(store, case or 0, "pending", agent="ana")
    later = T0 + timedelta(hours=3)
    answer = (
        email("2", in_reply_to="<1@mail.example.com>", sent_at=later)
        if channel == "email"
        else sms("SM2", text="here is the photo", sent_at=later)
    )
    second = await ingest(store, [answer])
    assert second.conversation_ids == [case]
    assert (await queries.show_conversation(store, case or 0))["status"] == "open"


async def test_a_message_dated_ahead_of_its_arrival_is_dated_when_it_arrived(
    store: Store,
) -> None:
    """The customer's clock ran 3 hours fast: our answer 5 minutes later must count."""
    arrived = T0
    first = await ingest(
        store, [email("1", sent_at=arrived + timedelta(hours=3), received_at=arrived)]
    )
    [case] = first.conversation_ids
    await outbox.queue_reply(
        store, case or 0, "On it", agent="ana", at=arrived + timedelta(minutes=5)
    )
    shown = await queries.show_conversation(store, case or 0)
    assert shown["messages"][0]["sent_at"] == iso(arrived)
    assert shown["waiting_since"] is None and shown["first_response_at"] is not None


def bounce(n: int, recipient: str, returned_id: str) -> bytes:
    """A Postfix delivery report (RFC 3464) returning the headers of one of our replies."""
    return (
        "From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\r\n"
        "To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: Mon, 16 Nov 2026 1{n}:00:00 +0000\r\nMessage-ID: <dsn{n}@mx.shop.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report;"
        " report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        f"<{recipient}>: host said: 550 5.1.1 User unknown\r\n--B\r\n"
        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.shop.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--B\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\nFrom: support@shop.example\r\n"
        f"To: {recipient}\r\nSubject: Re: Order question\r\nMessage-ID: {returned_id}\r\n--B--\r\n"
    ).encode()


@pytest.mark.parametrize("one_by_one", [False, True], ids=["batch", "single"])
async def test_a_bounce_of_our_reply_joins_that_reply_s_case_not_a_case_of_bounces(
    store: Store, one_by_one: bool
) -> None:
    ana = email("1", "ana@a.example", subject="Order question")
    bob = email("2", "bob@b.example", subject="Order question")
    cases = (await ingest(store, [ana, bob])).conversation_ids
    ours = []
    for case in cases:
        queued = await outbox.queue_reply(store, case or 0, "Answer", agent="joe")
        shown = await queries.show_conversation(store, case or 0)
        ours.append(
            next(m["message_id"] for m in shown["messages"] if m["id"] == queued.message_id)
        )
    recipients = ("ana@a.example", "bob@b.example")
    bounces = [
        parse_message(
            bounce(n, who, mid), account="mail", provider_id=f"b{n}", max_attachment_bytes=10**6
        )
        for n, (who, mid) in enumerate(zip(recipients, ours, strict=True), 1)
    ]
    if one_by_one:
        joined = [(await ingest(store, [b])).conversation_ids[0] for b in bounces]
    else:
        joined = (await ingest(store, bounces)).conversation_ids
    assert joined == cases
    for case, mid in zip(cases, ours, strict=True):
        shown = await queries.show_conversation(store, case or 0)
        [reply] = [m for m in shown["messages"] if m["message_id"] == mid]
        assert reply["status"] == "failed"  # it never reached the customer
        assert reply["status_reason"] == "bounced: 5.1.1 smtp; 550 5.1.1 User unknown"
        assert shown["waiting_since"] is not None  # who waits on us again


async def test_a_case_a_batch_of_email_opens_reads_like_any_other(store: Store) -> None:
    """The batch writes a case's row column by column; a column added to the table
    must be written by it too (or the insert fails on a NOT NULL it leaves out)."""
    from omni_tui.ingest_rows import CONVERSATION_COLUMNS
    from omni_tui.store import Conversation

    assert set(CONVERSATION_COLUMNS) == {c.name for c in Conversation.__table__.columns}
    await ingest(
        store, [email("1"), email("2", text="any news?", in_reply_to="<1@mail.example.com>")]
    )
    await ingest(store, [sms("SM1", sender="+14155550100")])  # an ORM-made case beside it
    async with store.read() as session:
        by_batch, by_orm = (
            await session.exec(select(Conversation).order_by(Conversation.id))
        ).all()
    assert by_batch.created_at == T0 and by_batch.last_message_at == T0
    assert (by_batch.priority, by_batch.status, by_batch.message_count) == ("normal", "open", 2)
    keep = {"id", "customer_id", "subject", "channels", "snippet", "message_count", "unread"}
    keep |= {"first_inbound_channel", "first_reply_channel", "last_inbound_at", "updated_at"}
    keep |= {"created_at", "last_message_at", "waiting_since", "first_inbound_at"}
    same = {k: v for k, v in by_batch.model_dump().items() if k not in keep}
    assert same == {k: v for k, v in by_orm.model_dump().items() if k not in keep}
