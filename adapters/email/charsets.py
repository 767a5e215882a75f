"""Text in the charset a message declares, read as mail programs really write it."""

from __future__ import annotations

import codecs
from functools import lru_cache

__all__ = ["decode_text"]

_UNKNOWN = frozenset({"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default"})
#: Labels read as the superset senders really use, as browsers do (the WHATWG Encoding
#: Standard): Outlook's gb2312 is GBK, its ks_c_5601-1987 is cp949, and so on; and
#: labels Python's codecs do not know at all.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "csgb2312": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-e": "iso8859_6",
    "iso-8859-8-e": "iso8859_8",
    "iso-2022-jp": "iso2022_jp_ext",
}


@lru_cache(maxsize=256)
def _codec(charset: str) -> str | None:
    """The Python codec for a MIME charset label, or None when unknown."""
    name = charset.strip().strip("\"'").split("*", 1)[0].lower()
    if not name or name in _UNKNOWN:
        return None
    try:
        return codecs.lookup(_SUPERSETS.get(name, name)).name
    except (LookupError, ValueError):
        return None


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset → text; never raises.

    Undeclared or US-ASCII text is tried as UTF-8 first (what mislabelled mail
    almost always is), then windows-1252; ISO-8859-1 is read as windows-1252 as
    browsers do.  Text labelled UTF-8, or with a label nobody knows, in which no
    byte forms UTF-8 is windows-1252 (an old client's "café" in a UTF-8 template);
    otherwise what is not UTF-8 becomes replacement characters.
    """
    codec = _codec(charset) if charset else "ascii"
    if codec in ("ascii", "iso8859-1"):
        for attempt in ("utf-8", "cp1252") if codec == "ascii" else ("cp1252",):
            try:
                return data.decode(attempt)
            except UnicodeDecodeError:
                pass
        return data.decode("latin-1")
    if codec is None or codec == "utf-8":
        return _utf8_or_western(data)
    try:
        return data.decode(codec, "replace")
    except Exception:  # non-text codecs (zlib, rot13...) and codec bugs
        return _utf8_or_western(data)


def _utf8_or_western(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    if "\ufffd" in text and all(c <= "\x7f" or c == "\ufffd" for c in text):
        return data.decode("cp1252", "replace")  # not one UTF-8 sequence: a Western 8-bit
    return text
