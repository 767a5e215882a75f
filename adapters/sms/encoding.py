"""How many SMS segments a text costs: GSM-7 when every character fits, else UCS-2.

GSM 03.38: 160 septets in one segment, 153 per segment when concatenated;
extension-table characters (``{}[]~|^€\\``) take two septets.  UCS-2: 70 code
units in one segment, 67 when concatenated; characters beyond the BMP take two.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM_BASIC)
_EXTENDED = frozenset(GSM_EXTENDED)


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    remaining: int  # units left in the last segment

    def __str__(self) -> str:
        return f"{self.encoding} · {self.units} · {self.segments} SMS ({self.remaining} left)"


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def count_segments(text: str, *, ucs2: bool = False) -> Segments:
    """The parts ``text`` takes; ``ucs2``: sent as UCS-2 even if GSM-7 would carry it."""
    if is_gsm7(text) and not ucs2:
        widths = [2 if ch in _EXTENDED else 1 for ch in text]  # an escape and its letter
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # a surrogate pair
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(widths)
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single, single - units)
    # a two-unit character never straddles two parts: one that does not fit starts the next
    segments, used = 1, 0
    for width in widths:
        if used + width > multi:
            segments, used = segments + 1, 0
        used += width
    return Segments(encoding, units, segments, multi, multi - used)


def kannel_coding(text: str) -> str:
    """How Kannel's smsbox must be given ``text``: its 7-bit path reads text as Latin-1, so a
    GSM character outside it (€, the Greek capitals) goes as UCS-2 to arrive whole."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return "UCS-2"
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def kannel_segments(text: str) -> Segments:
    """The parts ``text`` takes as Kannel's smsbox sends it (``kannel_coding``)."""
    return count_segments(text, ucs2=kannel_coding(text) == "UCS-2")


def kannel_parts(text: str) -> int:
    return kannel_segments(text).segments


#: Twilio refuses a longer body (error 21617) when it sends it, after the agent moved on.
TWILIO_MAX_CHARS = 1600


@dataclass(frozen=True, slots=True)
class TextLimit:
    """What one SMS account's gateway takes in one reply, and how it counts it."""

    gateway: str  #: "kannel" or "twilio"
    parts: int | None = None  #: Kannel's ``max_parts``
    chars: int | None = None  #: Twilio's body limit

    def segments(self, text: str) -> Segments:
        return kannel_segments(text) if self.gateway == "kannel" else count_segments(text)

    def refusal(self, text: str) -> str | None:
        """Why the gateway would not send ``text``, or None."""
        if self.parts is not None and (count := self.segments(text).segments) > self.parts:
            return f"the reply takes {count} texts and the gateway sends at most {self.parts}"
        if self.chars is not None and len(text) > self.chars:
            return (
                f"the reply has {len(text)} characters and the gateway sends at most {self.chars}"
            )
        return None
