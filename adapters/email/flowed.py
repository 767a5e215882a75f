"""``format=flowed`` text (RFC 3676) as its writer meant it: one line a paragraph.

Mail programs (Thunderbird, Apple Mail) wrap long lines at about 72 columns and end
each wrapped line with a space: that space says "the line goes on". Shown as sent, a
paragraph is cut into short lines, and with ``delsp=yes`` words come out split in two.
"""

from __future__ import annotations

__all__ = ["unflow"]

SIGNATURE = "-- "


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the lines a sender's program wrapped, at the same quote depth; undo the
    space-stuffing of lines that began with a space, ``>`` or "From "."""
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffed (and the space after a quote mark)
        soft = body.endswith(" ") and body != SIGNATURE
        if current is not None and depth != current_depth:
            out.append(_quoted(current_depth, current))  # a paragraph never spans depths
            current = None
        piece = body[:-1] if soft and delsp else body
        current = piece if current is None else current + piece
        current_depth = depth
        if not soft:
            out.append(_quoted(depth, current))
            current = None
    if current is not None:
        out.append(_quoted(current_depth, current))
    return "\n".join(out)


def _quoted(depth: int, text: str) -> str:
    return f"{'>' * depth} {text}" if depth else text
