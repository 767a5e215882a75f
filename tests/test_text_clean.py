"""What cleaning untrusted text takes out, in text of every script."""

from __future__ import annotations

import re

import pytest

from omni_tui.text import clean

#: what a terminal or a reader must never get, one character at a time
_REMOVED = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9a\x9c-\x9f\u00ad\u061c\u180e\u200b"
    r"\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
REMOVED = [chr(c) for c in range(0x110000) if _REMOVED.fullmatch(chr(c))]


@pytest.mark.parametrize("around", ["Grüße, José", "Спасибо", "ありがとう", "thanks 🙂"])
def test_every_invisible_or_control_character_is_taken_out_of_non_ascii_text(around: str) -> None:
    for char in REMOVED:
        assert clean(f"{around}{char}\n{around}") == f"{around}\n{around}", hex(ord(char))


def test_a_lone_surrogate_in_non_ascii_text_becomes_a_replacement_character() -> None:
    assert clean("Grüße \ud83d from José") == "Grüße \ufffd from José"


@pytest.mark.parametrize(
    "text",
    [
        "Grüße,\n\tJosé — “quoted” ‘text’ … €12.50",
        "Ольга\u00a0Смирнова: заказ №12345",  # a no-break space is kept
        "田中 裕子\u3000さん",
        "family 👨\u200d👩\u200d👧 and flag "
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    ],
)
def test_ordinary_text_in_any_script_comes_through_unchanged(text: str) -> None:
    assert clean(text) == text
