from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from adapters.base import InboundMessage
from omni_tui import addresses, identity
from omni_tui.identity import normalise, normalise_chat, normalise_email, normalise_phone
from omni_tui.ingest import IngestOptions, ingest
from omni_tui.store import Customer, Identity, Store
from omni_tui.text import _CONTROLS, _ESCAPES, clean
from tests.conftest import T0

phoneish = st.text(alphabet="+0123456789 ()-.", min_size=1, max_size=20)
emailish = st.builds(
    lambda name, local, domain: f"{name} <{local}@{domain}>",
    st.text(max_size=12),
    st.from_regex(r"[A-Za-z0-9._%+-]{1,12}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9-]{1,10}\.[A-Za-z]{2,4}", fullmatch=True),
)


@given(phoneish, st.sampled_from(["US", "GB", "DE", "FR"]))
def test_phone_normalisation_is_idempotent(raw: str, region: str) -> None:
    once = normalise_phone(raw, region)
    assert normalise_phone(once, region) == once


@given(st.one_of(emailish, st.text(max_size=30)))
def test_email_normalisation_is_idempotent(raw: str) -> None:
    once, _ = normalise_email(raw)
    assert normalise_email(once)[0] == once


@given(st.text(max_size=30))
def test_chat_normalisation_is_idempotent(raw: str) -> None:
    once = normalise_chat(raw)
    assert normalise_chat(once) == once


def test_email_keeps_the_display_name_apart_and_lower_cases_the_address() -> None:
    address = normalise("email", "Maria López <Maria.Lopez@Example.COM>")
    assert (address.address, address.display_name) == ("maria.lopez@example.com", "Maria López")


def test_phone_numbers_become_e164_in_the_default_region() -> None:
    assert normalise_phone("(415) 555-0134", "US") == "+14155550134"
    assert normalise_phone("07700 900123", "GB") == "+447700900123"
    assert normalise_phone("+44 7700 900123", "US") == "+447700900123"


def test_alphanumeric_sender_ids_are_kept_as_they_are() -> None:
    assert normalise_phone("LARKSPUR", "US") == "LARKSPUR"


def test_chat_handles_are_provider_colon_user() -> None:
    assert normalise_chat("Telegram:12345") == "telegram:12345"
    assert normalise_chat("visitor-8f2a") == "chat:visitor-8f2a"


async def test_the_same_person_written_three_ways_resolves_to_one_customer(store: Store) -> None:
    ways = [
        "Maria Lopez <Maria.Lopez@Example.com>",
        "maria.lopez@example.com",
        "  MARIA.LOPEZ@EXAMPLE.COM ",
    ]
    messages = [
        InboundMessage(
            "email", "mail", f"m{i}", sender, f"hello {i}", subject=f"Topic {i}", sent_at=T0
        )
        for i, sender in enumerate(ways)
    ]
    phones = ["+1 415 555 0134", "(415) 555-0134", "4155550134"]
    messages += [
        InboundMessage("sms", "sms", f"s{i}", sender, "hi", sent_at=T0)
        for i, sender in enumerate(phones)
    ]
    await ingest(store, messages, options=IngestOptions(default_region="US"))
    async with store.read() as session:
        identities = (await session.exec(select(Identity))).all()
        customers = (await session.exec(select(Customer))).all()
    assert sorted((i.channel, i.address) for i in identities) == [
        ("email", "maria.lopez@example.com"),
        ("sms", "+14155550134"),
    ]
    assert len(customers) == 2  # email and phone are linked by suggestion, not guess
    assert any(c.name == "Maria Lopez" for c in customers)


_PHONEY = st.text(alphabet=st.sampled_from("0123456789 ()-./+x\n\té٣"), max_size=60)


@given(_PHONEY)
def test_phone_candidates_are_every_stretch_the_pattern_finds(text: str) -> None:
    expected = [m.span() for m in addresses._CANDIDATE.finditer(text)]
    assert [m.span() for m in identity.phone_candidates(text)] == expected


@given(st.text(alphabet=st.characters(max_codepoint=0x2070), max_size=40))
def test_cleaning_removes_the_same_characters_in_ascii_and_unicode_text(text: str) -> None:
    cleaned = clean(text)
    reference = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in reference or "\x9b" in reference:
        reference = _ESCAPES.sub("", reference)
    assert cleaned == _CONTROLS.sub("", reference)


@given(st.text(alphabet=st.sampled_from("aZ09._%+-@"), min_size=3, max_size=20))
def test_a_plain_address_normalises_as_a_parsed_one(value: str) -> None:
    parsed = addresses.parseaddr(value)[1]
    slow = addresses._EMAIL.search(parsed) or addresses._EMAIL.search(value)
    if addresses._BARE_EMAIL.fullmatch(value) and slow is not None:
        assert normalise_email(value) == (slow.group(0).lower(), None)


@pytest.mark.parametrize(
    "text",
    ["Please see invoice INV4155550100 attached.", "Total $4155550100?", "SKU4155550100B"],
)
def test_digits_inside_a_code_or_a_price_are_no_phone_number(text: str) -> None:
    assert identity.phones_in_text(text, "US") == []


@pytest.mark.parametrize(
    "text", ["my cell: (415) 555-0100.", "tel:4155550100", "call 415-555-0100x12 anytime"]
)
def test_a_phone_number_written_down_is_found(text: str) -> None:
    assert identity.phones_in_text(text, "US") == ["+14155550100"]
