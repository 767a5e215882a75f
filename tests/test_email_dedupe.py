"""Each message stored once, every message stored: copies are recognised by their bytes,
or by Message-ID with the same sender and words, never by Message-ID alone."""

from __future__ import annotations

import asyncio
import itertools

from omni_tui import queries
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.servers import Dovecot
from tests.test_email import config_for, store  # noqa: F401 (a fixture)

_n = itertools.count()


def mail(*headers: str, body: str = "hello", via: str = "mx1") -> bytes:
    lines = [
        f"Received: from {via}.example.com by mail.larkspur.example",
        "To: support@larkspur.example",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def folder() -> str:
    return f"Dedupe{next(_n)}"


async def stored(store: Store) -> list[str]:  # noqa: F811
    rows = await queries.list_conversations(store, queries.ListFilter(limit=100))
    texts = []
    for row in rows:
        texts += [
            m["text"] for m in (await queries.show_conversation(store, row["id"]))["messages"]
        ]
    return sorted(texts)


async def test_mail_without_a_message_id_is_not_stored_again_after_a_uidvalidity_change(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    box = folder()
    dovecot.deliver(
        mail("From: a@example.com", "Subject: no id", "Date: Mon, 16 Nov 2026 09:00:00 +0000"),
        folder=box,
    )
    [first] = await sync_once(store, config_for(dovecot, box))
    dovecot.reset_uidvalidity(box)
    [report] = await sync_once(store, config_for(dovecot, box))
    assert (first.new, report.new, report.skipped) == (1, 0, 1), (first, report)
    assert await stored(store) == ["hello"]


async def test_different_messages_that_share_a_message_id_are_all_stored(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """A broken web-form mailer gives every submission the same Message-ID."""
    box = folder()
    dovecot.deliver(
        mail(
            "From: alice@example.com", "Subject: order 1", "Message-ID: <form@shop.example>",
            "Date: Mon, 16 Nov 2026 09:00:00 +0000", body="from alice",
        ),
        mail(
            "From: bob@example.com", "Subject: refund", "Message-ID: <form@shop.example>",
            "Date: Mon, 16 Nov 2026 10:00:00 +0000", body="from bob",
        ),
        folder=box,
    )  # fmt: skip
    [report] = await sync_once(store, config_for(dovecot, box))
    assert report.new == 2
    assert await stored(store) == ["from alice", "from bob"]


async def test_a_contact_forms_submissions_from_one_sender_and_one_id_are_all_stored(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """The form sends from one address with one Message-ID; two submissions had no Date
    and two the same one: each second one was taken for a copy, and lost."""
    box = folder()
    form = ("From: Contact form <form@shop.example>", "Subject: New submission",
            "Message-ID: <contact-form@shop.example>")  # fmt: skip
    dated = "Date: Mon, 16 Nov 2026 09:00:00 +0000"
    dovecot.deliver(
        mail(*form, body="Alice: order 1001 never arrived"),
        mail(*form, body="Bob: please refund order 1002"),
        mail(*form, dated, body="Carol: wrong size"),
        mail(*form, dated, body="Dave: damaged parcel"),
        folder=box,
    )
    [report] = await sync_once(store, config_for(dovecot, box))
    assert (report.new, report.skipped) == (4, 0)
    assert len(await stored(store)) == 4


async def test_a_cc_that_came_twice_from_a_fast_clock_is_stored_once(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """A Date ahead of arrival is dated when each copy arrived: different for each."""
    box = folder()
    ahead = (
        "From: maria@example.com", "Subject: grinder", "Message-ID: <fast1@example.com>",
        "Date: Mon, 16 Nov 2099 09:00:00 +0000",
    )  # fmt: skip
    dovecot.deliver(mail(*ahead, via="mx1"), folder=box)
    await asyncio.sleep(1.1)  # the server's arrival times have whole seconds
    dovecot.deliver(mail(*ahead, via="mx2"), folder=box)
    [report] = await sync_once(store, config_for(dovecot, box))
    assert (report.new, report.skipped) == (1, 1)


async def test_a_cc_that_also_came_through_a_mailing_list_with_its_footer_is_stored_once(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """The list's copy adds its footer (and a tag to the subject): the same message."""
    box = folder()
    dated = (
        "From: maria@example.com", "Message-ID: <cc-list@example.com>",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
    )  # fmt: skip
    footer = "\r\n-- \r\nteam mailing list\r\nhttps://lists.larkspur.example/team"
    dovecot.deliver(
        mail(*dated, "Subject: Grinder broken", body="It stopped working."),
        mail(*dated, "Subject: [team] Grinder broken", body="It stopped working." + footer),
        folder=box,
    )
    [report] = await sync_once(store, config_for(dovecot, box))
    assert (report.new, report.skipped) == (1, 1)


async def test_a_copy_by_another_route_or_in_another_folder_is_stored_once(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """The customer wrote to support@ and Cc'd sales@: two copies, one message."""
    first, second = folder(), folder()
    headers = (
        "From: carol@example.com", "Subject: grinder", "Message-ID: <c1@example.com>",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
    )  # fmt: skip
    dovecot.deliver(mail(*headers, via="mx1"), folder=first)
    dovecot.deliver(mail(*headers, via="mx2"), mail(*headers, via="mx1"), folder=second)
    [report] = await sync_once(store, config_for(dovecot, [first, second]))
    assert (report.new, report.skipped) == (1, 2)
    assert await stored(store) == ["hello"]


async def test_copies_without_a_date_are_known_by_message_id_and_sender(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    """Without a Date each copy's time is when it arrived, different for each."""
    box = folder()
    headers = ("From: dan@example.com", "Subject: no date", "Message-ID: <nd1@example.com>")
    dovecot.deliver(mail(*headers, via="mx1"), folder=box)
    await asyncio.sleep(1.1)  # the server's arrival times have whole seconds
    dovecot.deliver(mail(*headers, via="mx2"), folder=box)
    [report] = await sync_once(store, config_for(dovecot, box))
    assert (report.new, report.skipped) == (1, 1)


async def test_a_message_reusing_an_id_cannot_draw_the_thread_into_its_case(
    dovecot: Dovecot,
    store: Store,  # noqa: F811
) -> None:
    box = folder()
    first = (
        "From: erin@example.com", "Subject: refund", "Message-ID: <erin1@example.com>",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
    )  # fmt: skip
    reuse = (
        "From: mallory@evil.example", "Subject: hello", "Message-ID: <erin1@example.com>",
        "Date: Mon, 16 Nov 2026 10:00:00 +0000",
    )  # fmt: skip
    answer = (
        "From: erin@example.com", "Subject: Re: refund", "Message-ID: <erin2@example.com>",
        "In-Reply-To: <erin1@example.com>", "Date: Mon, 16 Nov 2026 11:00:00 +0000",
    )  # fmt: skip
    dovecot.deliver(mail(*first, body="refund please"), folder=box)
    await sync_once(store, config_for(dovecot, box))
    dovecot.deliver(mail(*reuse, body="mallory"), folder=box)
    await sync_once(store, config_for(dovecot, box))
    dovecot.deliver(mail(*answer, body="any news?"), folder=box)
    await sync_once(store, config_for(dovecot, box))
    cases = await queries.list_conversations(store, queries.ListFilter(limit=10))
    texts = {
        c["customer_name"] or c["subject"]: [
            m["text"] for m in (await queries.show_conversation(store, c["id"]))["messages"]
        ]
        for c in cases
    }
    assert sorted(texts.values()) == [["mallory"], ["refund please", "any news?"]]
