"""Normalising addresses: one person written three ways is one address.

``Ana <ANA@Example.com>`` and ``ana@example.com`` normalise alike, and so do
``(415) 555-0100`` and ``+14155550100`` in region US. Pure functions of the text (the store
is ``identity``'s business): the parsing worker runs them without loading it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parseaddr

import phonenumbers

from adapters.base import pickled_by_fields
from omni_tui.text import clean_line

PHONE_CHANNELS = ("sms", "phone")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"[^\s<>\"(),;:]+@[^\s<>\"(),;:]+")
_NOT_ADDRESS = re.compile(r"[\s<>\"]")
#: Where a phone number could be: six or more digits, with at most a few spaces or
#: punctuation marks between groups. The matcher is slow on long text, so it only
#: reads these stretches (order numbers and "3-5 days" are not among them).
#: It starts at a digit (a leading "+" or "(" is added back): a pattern that may start
#: at any character scans three times slower.
_CANDIDATE = re.compile(r"\d(?:[\s().\-/]{0,4}\d){5,}")
#: ASCII text with every digit turned into a zero byte, to jump between digits with find
_DIGIT_MARKS = bytes.maketrans(b"\x000123456789", b"\x01" + bytes(10))
#: A plain address, which needs no RFC 5322 parsing to take apart
_BARE_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Address:
    channel: str
    address: str
    display_name: str | None = None


#: One plain address (no display name, quotes, comments or list): what a web form may
#: give, and what may become a customer's identity without an agent's say
_ATOM = r"[^\s@<>\"(),;:\[\]\\.]+"
_PLAIN_EMAIL = re.compile(rf"{_ATOM}(\.{_ATOM})*@{_ATOM}(\.{_ATOM})+")


def is_plain_email(value: str) -> bool:
    return _PLAIN_EMAIL.fullmatch(value) is not None


def normalise_email(raw: str) -> tuple[str, str | None]:
    """Lower-cased address and the display name apart; tolerant of broken quoting, but
    never reading a quoted local part as an address of its own:
    ``"ana@example.com"@evil.example`` is mail to evil.example, not to Ana."""
    value = clean_line(raw)
    if _BARE_EMAIL.fullmatch(value):
        return value.lower(), None
    name, addr = parseaddr(value)
    if '"' in addr and "@" in addr:  # a quoted local part: all of it is the address
        return addr.lower(), clean_line(name) or None
    found = _EMAIL.search(addr) or (None if '"' in value else _EMAIL.search(value))
    if found is None:
        return _NOT_ADDRESS.sub("", value).lower(), None
    return found.group(0).lower(), (clean_line(name) or None) if found.group(0) in addr else None


def normalise_phone(raw: str, region: str = "US") -> str:
    """E.164 when the number parses; alphanumeric sender ids are kept as they are."""
    value = _normalise_phone_once(raw, region)
    for _ in range(3):  # odd leading zeros can take phonenumbers a second pass to settle
        again = _normalise_phone_once(value, region)
        if again == value:
            break
        value = again
    return value


def _normalise_phone_once(raw: str, region: str) -> str:
    value = clean_line(raw)
    if _LETTER.search(value):
        return value
    # parse the bare digits, so that the result parses to itself again
    digits = "".join(_DIGITS.findall(value))
    canonical = f"+{digits}" if value.lstrip().startswith("+") else digits
    try:
        number = phonenumbers.parse(canonical, region)
    except phonenumbers.NumberParseException:
        return canonical
    if phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return canonical


def normalise_chat(raw: str) -> str:
    """Chat handles are ``provider:user``; the provider is case-folded, the user id kept."""
    value = clean_line(raw)
    provider, sep, user = value.partition(":")
    if not sep:
        return f"chat:{value}"
    return f"{provider.strip().lower()}:{user.strip()}"


def normalise(channel: str, raw: str, region: str = "US") -> Address:
    if channel == "email":
        address, name = normalise_email(raw)
        return Address("email", address, name)
    if channel in PHONE_CHANNELS:
        return Address(channel, normalise_phone(raw, region))
    if channel == "chat":
        return Address("chat", normalise_chat(raw))
    raise ValueError(f"unknown channel {channel!r}")


def is_alphanumeric_sender(address: str) -> bool:
    """An SMS sender id like ``ACMEBANK``: we can read it but never reply to it."""
    return bool(_LETTER.search(address))


def phones_in_text(text: str, region: str = "US") -> list[str]:
    """E.164 numbers mentioned in free text, e.g. an email signature."""
    found: list[str] = []
    text = text[:20000]
    for candidate in phone_candidates(text):
        start, end = candidate.start(), candidate.end()
        after = text[end : end + 2]
        extension = after[:1] in ("x", "X") and after[1:].isdigit()  # 415-555-0100x12
        if _glued(text[start - 1 : start]) or (_glued(after[:1]) and not extension):
            continue  # part of a word or a price: INV4155550100, $4155550100
        if start and text[start - 1] in "+(":
            start -= 1
        for match in phonenumbers.PhoneNumberMatcher(text[start : candidate.end()], region):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


def _glued(char: str) -> bool:
    """A letter, a digit or a currency sign right against a run of digits: an invoice
    number, a product code or a price, never a phone number someone wrote down."""
    return bool(char) and (char.isalnum() or char == "_" or unicodedata.category(char) == "Sc")


def phone_candidates(text: str) -> Iterator[re.Match[str]]:
    """``_CANDIDATE.finditer(text)``; in ASCII text it tries the regex at digits only."""
    if not text.isascii():
        yield from _CANDIDATE.finditer(text)
        return
    marks = text.encode("ascii").translate(_DIGIT_MARKS)
    at = marks.find(0)
    while at != -1:
        found = _CANDIDATE.match(text, at)
        if found is not None:
            yield found
        at = marks.find(0, found.end() if found is not None else at + 1)
