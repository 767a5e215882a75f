"""Splitting a message body into what the customer wrote, quoted history and signature,
so the console can fold the last two away."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(
    r"^(on .{4,200} wrote:|am .{4,200} schrieb.*:|le .{4,200} a écrit\s*:"
    r"|-{2,}\s*original message\s*-{2,}|from:\s.+|_{10,})\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|—|sent from my \w+.*|get outlook for \w+.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Parts:
    body: str
    quoted: str
    signature: str


def split_parts(text: str) -> Parts:
    """The first attribution line or run of ``>`` lines starts the quote; ``-- `` the signature."""
    lines = text.split("\n")
    quote_at = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _ATTRIBUTION.match(stripped) or (
            stripped.startswith(">")
            and all(not rest.strip() or rest.lstrip().startswith(">") for rest in lines[i:])
        ):
            quote_at = i
            break
    head, quoted = lines[:quote_at], lines[quote_at:]
    sig_at = len(head)
    for i, line in enumerate(head):
        if _SIGNATURE.match(line.rstrip()) and len(head) - i <= 12:
            sig_at = i
            break
    body, signature = head[:sig_at], head[sig_at:]
    return Parts(
        "\n".join(body).rstrip(), "\n".join(quoted).strip("\n"), "\n".join(signature).strip("\n")
    )
