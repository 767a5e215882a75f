from __future__ import annotations

from omni_tui.text_parts import split_parts


def test_quoted_history_and_signature_are_set_apart_for_folding() -> None:
    text = (
        "Thanks, that worked!\n\n-- \nMaria Lopez\n+1 415 555 0134\n\n"
        "On Mon, 16 Nov 2026 at 09:00, Larkspur Support <support@example.com> wrote:\n"
        "> Try descaling the grinder.\n> Ana"
    )
    parts = split_parts(text)
    assert parts.body == "Thanks, that worked!"
    assert parts.signature.startswith("-- \nMaria Lopez")
    assert parts.quoted.startswith("On Mon, 16 Nov 2026")


def test_a_message_with_inline_quotes_keeps_its_answers() -> None:
    text = "> is it shipped?\nYes, yesterday.\n> and the invoice?\nAttached."
    assert split_parts(text).body == text
    assert split_parts(text).quoted == ""


def test_trailing_quote_block_is_folded() -> None:
    parts = split_parts("Sounds good.\n\n> old\n> older")
    assert (parts.body, parts.quoted) == ("Sounds good.", "> old\n> older")
