"""Cards wrap their plain lines without Rich's layout, exactly as Rich wraps them."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from omni_tui.tui.conversation.wrap import card_lines

CARD = Style(bgcolor="grey11")
TRICKY = [
    "",
    " ",
    "     ",
    "word",
    "two words",
    "  leading spaces and trailing spaces   ",
    "a" * 95 + " short",
    "short " + "b" * 250 + " tail",
    "x" * 40,
    "x" * 41,
    "exactly forty chars of text, no more!!!!",
    "spaces    between     words      wider than       the line " * 3,
    "ends in spaces" + " " * 60,
    "https://example.com/a/very/long/link/that/does/not/fit/on/one/line/at/all?q=1",
    "[✉ mail] ← Maria López <maria@example.com>  Tue 03 Jan 00:00",
    "··· 12 quoted/signature lines (x to expand) — Grüße, Zoë\u00a0Núñez\u00a0\u00a0",
]


def cells(lines: list) -> list[list[tuple[str, Style | None]]]:
    return [[(ch, seg.style) for seg in line for ch in seg.text] for line in lines]


def rich_lines(text: Text, width: int) -> list:
    console = Console(width=200)
    return console.render_lines(text, console.options.update_width(width), style=CARD, pad=True)


@pytest.mark.parametrize("width", [1, 7, 40, 41, 80])
def test_plain_lines_wrap_cell_for_cell_as_rich_wraps_them(width: int) -> None:
    rng = random.Random(width)
    made = [
        " ".join("w" * rng.choice([1, 3, 8, 30, 90]) + " " * rng.choice([0, 0, 1, 4])
                 for _ in range(rng.randint(1, 30)))
        for _ in range(40)
    ]  # fmt: skip
    text = Text("\n").join(Text(line) for line in [*TRICKY, *made])
    ours = card_lines(text, width, CARD, Console(width=200))
    assert cells(ours) == cells(rich_lines(text, width))


@pytest.mark.parametrize(
    "line",
    [
        "\u2705 abcdefghijklmnopq cafe\u0301",  # a wide emoji and a combining accent
        "\u6ce8\u6587 ok ok ok ok ok ok cafe\u0301 Zoe\u0308 and more words to wrap here",
        "\u2764\ufe0f hearts \u2764\ufe0f joined to their variation selector " * 2,
        "flags \U0001f1e9\U0001f1ea and people \U0001f469\u200d\U0001f4bb at work " * 2,
    ],
)
def test_lines_mixing_wide_and_zero_width_characters_wrap_as_rich_wraps_them(line: str) -> None:
    """Two cells and zero cells add up to as many cells as characters: not one cell each."""
    ours = card_lines(Text(line), 20, CARD, Console(width=200))
    assert cells(ours) == cells(rich_lines(Text(line), 20))
    assert all(sum(cell_len(seg.text) for seg in row) == 20 for row in ours)


def test_wide_and_tabbed_lines_wrap_as_rich_wraps_them() -> None:
    text = Text("\n").join(
        [
            Text.assemble(("Subject: ", "dim"), "Broken grinder"),
            Text("Grüße aus München — 日本語のテキストも折り返す " * 3),
            Text("a\ttab"),
            Text("plain line that is long enough to wrap somewhere in the middle"),
        ]
    )
    ours = card_lines(text, 20, CARD, Console(width=200))
    assert cells(ours) == cells(rich_lines(text, 20))


@pytest.mark.parametrize("width", [5, 23, 40])
def test_styled_plain_lines_wrap_cell_for_cell_as_rich_wraps_them(width: int) -> None:
    rng = random.Random(width)
    lines = []
    for n, plain in enumerate(TRICKY * 3):
        line = Text(plain, style="italic" if n % 4 == 0 else "")
        for _ in range(rng.randint(0, 4)):
            start = rng.randint(0, len(plain))
            line.stylize(rng.choice(["bold", "dim", "red", "on blue"]), start, start + 9)
        lines.append(line)
    text = Text("\n").join(lines)
    ours = card_lines(text, width, CARD, Console(width=200))
    assert cells(ours) == cells(rich_lines(text, width))
