"""Wrapping a card's text to the pane's width, the plain lines without Rich's layout.

A case switch wraps its latest cards whole: hundreds of lines of email. Rich
builds a ``Text`` per line and per piece of it; in most lines every character is
one cell wide, and there the same word wrap is a few string operations. Lines
with tabs or wide characters still go through Rich: every line wraps exactly as
Rich wraps it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

_WORD = re.compile(r"\s*\S+\s*")  # a word and the spaces after it, as Rich splits words


def card_lines(text: Text, width: int, style: Style, console: Console) -> list[list[Segment]]:
    """``console.render_lines(text, width, style=style, pad=True)``, line for line."""
    out: list[list[Segment]] = []
    for line in text.split("\n", allow_blank=True):
        plain = line.plain
        if not one_cell_each(plain):  # tabs, wide or joining characters
            options = console.options.update_width(width)
            out += console.render_lines(line, options, style=style, pad=True)
            continue
        pieces = wrap_ascii(plain, width)
        if not line.spans and not line.style:
            out += ([Segment(plain[a:b].ljust(width), style)] for a, b in pieces)
            continue
        if line.spans:
            segments = list(Segment.apply_style(line.render(console), style))
        else:
            segments = [Segment(plain, style + console.get_style(line.style))]
        for a, b in pieces:
            cut = _slice(segments, a, b)
            if b - a < width:
                cut.append(Segment(" " * (width - (b - a)), style))
            out.append(cut)
    return out


def one_cell_each(plain: str) -> bool:
    """Every character is one cell and a grapheme of its own, so a piece of ``n``
    characters is ``n`` cells wide. Totals are not enough: a wide character and a
    combining accent add up to as many cells as characters."""
    if plain.isascii():
        return plain.isprintable()
    return _one_cell_characters().issuperset(plain)


def warm_up() -> None:
    """Build the table behind ``one_cell_each`` now (~20 ms), off the UI thread: else
    the first case with an accented letter pays for it."""
    _one_cell_characters()


@cache
def _one_cell_characters() -> frozenset[str]:
    """Letters, digits, punctuation and symbols up to U+2FFF that Rich draws in one
    cell; marks and controls are left out, as they join the character before."""
    return frozenset(
        ch
        for ch in map(chr, [*range(0x20, 0x7F), *range(0xA0, 0x3000)])
        if unicodedata.category(ch)[0] not in "MC" and get_character_cell_size(ch) == 1
    )


def wrap_ascii(line: str, width: int) -> list[tuple[int, int]]:
    """Rich's word wrap (``Text.wrap``: fold, no justify) of one line of one-cell
    characters, as the (start, end) of each piece."""
    starts: list[int] = []
    start = offset = 0  # where the current piece starts; its length so far
    for match in _WORD.finditer(line):
        at, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:  # longer than a line: folded across lines
            for chunk in range(at, at + len(word), width):
                if chunk:
                    starts.append(start)
                    start = chunk
            offset = at + len(word) - start
        elif offset and at:
            starts.append(start)
            start, offset = at, len(word)
    starts.append(start)
    ends = [*starts[1:], len(line)]
    return [(a, a + _fit(line[a:b], width)) for a, b in zip(starts, ends, strict=True)]


def _slice(segments: list[Segment], start: int, end: int) -> list[Segment]:
    """Cells ``start`` to ``end`` of a line of one-cell characters."""
    out: list[Segment] = []
    position = 0
    for segment in segments:
        size = len(segment.text)
        low, high = max(start, position), min(end, position + size)
        if low < high:
            out.append(Segment(segment.text[low - position : high - position], segment.style))
        position += size
        if position >= end:
            break
    return out


def _fit(piece: str, width: int) -> int:
    """The length kept: spaces past the width go first (``Text.rstrip_end``), then
    the rest is cut."""
    size = len(piece)
    if size > width:
        size -= min(size - len(piece.rstrip()), size - width)
    return min(size, width)
