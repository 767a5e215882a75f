"""The stdlib's ``compat32`` message tree, built by slicing instead of line by line.

``email.message_from_bytes`` feeds the message through a parser that handles
every line in Python, several calls per line: for a support email with a
quoted thread or a base64 attachment that is most of the cost of a sync.
This builds the same tree (the same headers, payloads, preambles and
epilogues, so everything downstream reads it unchanged) from the few places
that matter: the end of each header block and the boundary lines, found with
``str.find``.

It only builds what it is sure the stdlib would build identically: clean
header blocks and properly closed multiparts.  Anything else (a line in the
headers that is not a header, a missing or repeated boundary, a part without
its blank line, message/* parts, an envelope ``From`` line) goes to the
stdlib parser, defects and all.  The test suite checks the two agree,
including on thousands of randomly damaged messages.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.policy import compat32

__all__ = ["message_from_bytes"]

_EOL = re.compile(r"\r\n|\r|\n")
# the stdlib's test for a header line, less the cases it treats as defects
_HEADER = re.compile(
    r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:\r\n|\r|\n)(?:[ \t][^\r\n]*(?:\r\n|\r|\n))*)"
)
_PLAIN_CTE = ("7bit", "8bit", "binary")


class _Unsure(Exception):
    """Something the stdlib parser handles in its own way: let it."""


def message_from_bytes(raw: bytes) -> Message:
    """``email.message_from_bytes(raw, policy=compat32)``, only faster."""
    text = raw.decode("ascii", "surrogateescape")  # exactly as BytesParser decodes
    try:
        return _message(text, 0, len(text), nested=False)
    except _Unsure:
        return email.message_from_string(text, policy=compat32)


def _message(text: str, start: int, end: int, *, nested: bool) -> Message:
    """The message in ``text[start:end]``; a ``nested`` part gives its last line
    break to the boundary after it (RFC 2046), as the stdlib does."""
    msg = Message(policy=compat32)
    body = _headers(msg, text, start, end)
    ctype = msg.get_content_type()
    maintype = ctype.partition("/")[0]
    if maintype == "message" or ctype == "multipart/digest":
        raise _Unsure
    if maintype != "multipart":
        payload = text[body:end]
        msg.set_payload(_without_eol(payload) if nested else payload)
        return msg
    boundary = msg.get_boundary()
    cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
    if not boundary or cte not in _PLAIN_CTE:
        raise _Unsure
    lines = _boundary_lines(text, body, end, "--" + boundary)
    if len(lines) < 2 or lines[0][2] or not lines[-1][2]:
        raise _Unsure  # no opening boundary, or never closed
    first = lines[0][0]
    if first > body:
        msg.preamble = _without_eol(text[body:first])
    for (_, part_start, _), (part_end, _, _) in zip(lines, lines[1:], strict=False):
        if part_start >= part_end:
            raise _Unsure  # two boundary lines in a row
        msg.attach(_message(text, part_start, part_end, nested=True))
    epilogue = text[lines[-1][1] : end]
    if nested:
        msg.epilogue = _without_eol(epilogue) if epilogue else None
    else:
        msg.epilogue = epilogue
    return msg


def _headers(msg: Message, text: str, start: int, end: int) -> int:
    """Read the header block into ``msg``; returns where the body starts.

    One match a field (its continuation lines included), not one a line: a
    message's header block is mostly long folded ``Received`` and DKIM fields.
    """
    pos = start
    while field := _HEADER.match(text, pos, end):
        msg.set_raw(field.group(1), field.group(2).rstrip("\r\n"))
        pos = field.end()
    blank = _EOL.match(text, pos, end)
    if blank is None:
        raise _Unsure  # not a field (an mbox "From " line), a stray continuation, no end
    return blank.end()


def _boundary_lines(text: str, start: int, end: int, separator: str) -> list[tuple[int, int, bool]]:
    """(line start, next line start, closes) of each boundary line, up to the closing one."""
    found: list[tuple[int, int, bool]] = []
    at = text.find(separator, start, end)
    while at != -1:
        if at == start or text[at - 1] in "\r\n":
            pos = at + len(separator)
            closes = text.startswith("--", pos, end)
            if closes:
                pos += 2
            while pos < end and text[pos] in " \t":
                pos += 1
            line_end = _line_end(text, pos, end)
            if line_end is not None:
                found.append((at, line_end, closes))
                if closes:
                    break
        at = text.find(separator, at + 1, end)
    return found


def _line_end(text: str, pos: int, end: int) -> int | None:
    """Where the next line starts if only a line break (or the end) is at ``pos``."""
    if pos == end:
        return pos
    char = text[pos]
    if char == "\n":
        return pos + 1
    if char == "\r":
        return pos + 2 if text.startswith("\n", pos + 1, end) else pos + 1
    return None


def _without_eol(value: str) -> str:
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith(("\r", "\n")):
        return value[:-1]
    return value
