"""Making untrusted text safe and readable: control sequences out, HTML to text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# CSI/OSC/other escape sequences, then any remaining C0/C1 control but \t and \n
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    # OSC ... BEL/ST and DCS/SOS/PM/APC ... ST, only when terminated on the same line:
    # an unterminated one loses its ESC and introducer (below), never the text after it
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b\n]*\x1b\\"
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile(
    # C0/C1 controls, bidi marks and overrides, invisible characters (zero-width space,
    # word joiner and invisible operators, BOM, soft hyphen, Mongolian vowel separator)
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
    # zero-width (non-)joiners between ASCII characters, where no script or emoji needs
    # them ("Pay\u200cPal"); tag characters outside a flag's sequence
    r"|(?<=[\x00-\x7f])[\u200c\u200d](?=[\x00-\x7f])"
    r"|(?<![\U0001f3f4\U000e0000-\U000e007f])[\U000e0000-\U000e007f]+"
)
#: lone surrogates (a "+2D0-" in UTF-7): SQLite cannot store them
_SURROGATES = re.compile(r"[\ud800-\udfff]")
#: ``_CONTROLS`` within ASCII
_ASCII_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SPACES = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """Strip terminal control sequences, bidi overrides and invisible characters; keep tabs
    and newlines. A lone surrogate becomes U+FFFD."""
    if not value:
        return ""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in value or "\x9b" in value:  # every escape sequence starts with one
        value = _ESCAPES.sub("", value)
    if value.isascii():  # most mail: the same deletion at memory speed, not regex speed
        data = value.encode("ascii")
        kept = data.translate(None, _ASCII_CONTROLS)
        return value if len(kept) == len(data) else kept.decode("ascii")
    if value.replace("\n", " ").replace("\t", " ").isprintable():
        return value  # every character the patterns take is unprintable: a C-speed check
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", value))


def clean_line(value: str | None) -> str:
    """Like :func:`clean`, folded onto one line (names, subjects, addresses)."""
    return _SPACES.sub(" ", clean(value)).strip()


def snippet(value: str, length: int = 160) -> str:
    line = _SPACES.sub(" ", value).strip()
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def case_title(subject: str | None, text: str, files: Sequence[str] = ()) -> str:
    """A new case's subject: the message's own, its first words, else what it carried
    (an MMS photo, an empty text): a case with no title was a blank inbox row."""
    if title := subject or snippet(text, 80):
        return title
    named = [clean_line(f) for f in files if clean_line(f)]
    return f"📎 {named[0]}" if named else "(a message without words)"


#: HTML past these is stripped to its words, not converted: html2text is quadratic in
#: nested lists (every level indents each line below it: 100 KB of them made 36 MB of
#: text) and its time grows with the document; stripping is linear.
MAX_HTML_CHARS = 2_000_000
MAX_NESTED_BLOCKS = 500
#: Past this many links they are written inline: a numbered reference was looked up
#: among all the links before it (40,000 links held a sync up for minutes).
INLINE_LINKS_PAST = 1000
#: what is kept of a message's words: the raw email keeps the rest
MAX_TEXT_CHARS = 1_000_000
CUT_NOTE = "\n\n[… the rest is not shown here; the raw email keeps all of it]"


def html_to_text(html: str) -> str:
    """Readable text from HTML, computed once at ingest.  Nothing is fetched."""
    import html2text

    lowered = html.lower()
    blocks = sum(lowered.count(tag) for tag in ("<ul", "<ol", "<dl", "<blockquote"))
    sized = len(html) - sum(len(uri) for uri in _DATA_URI.findall(html))  # inline images
    if sized > MAX_HTML_CHARS or blocks > MAX_NESTED_BLOCKS:
        return cut(clean(_words_of(html)).strip())
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = False
    converter.inline_links = lowered.count("<a") > INLINE_LINKS_PAST
    converter.protect_links = True
    converter.unicode_snob = True
    try:
        out = converter.handle(html)
    except Exception:  # a broken document still shows its words
        out = _words_of(html)
    return cut(clean(unicodedata.normalize("NFC", out)).strip())


def cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + CUT_NOTE


#: an image written into the HTML itself: counted as a picture, not as words to convert
_DATA_URI = re.compile(r"data:[^\"'\s>)]{1000,}")
#: where a stripped document's words break: lines, and cells of a table
_LINES = frozenset("p br div li tr h1 h2 h3 h4 h5 h6 hr pre table blockquote dt dd section".split())
_CELLS = frozenset({"td", "th"})


def _words_of(html: str) -> str:
    """The document's words (and where its links go), outside scripts and styles, in
    one pass over it."""
    from html.parser import HTMLParser

    words: list[str] = []
    skipping = 0
    links: list[str] = []  # the open <a>s' targets, innermost last

    class Words(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal skipping
            skipping += tag in ("script", "style")
            if tag in _LINES:
                words.append("\n")
            elif tag in _CELLS:
                words.append(" ")
            elif tag == "a":
                href = dict(attrs).get("href") or ""
                links.append(href if href.startswith(("http://", "https://")) else "")

        def handle_endtag(self, tag: str) -> None:
            nonlocal skipping
            skipping -= tag in ("script", "style") and skipping > 0
            if tag == "a" and links and (href := links.pop()):
                words.append(f" <{href}>")

        def handle_data(self, data: str) -> None:
            if not skipping:
                words.append(data)

    parser = Words(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    text = "".join(words)
    return re.sub(r"\n\s*\n\s*", "\n\n", re.sub(r"[ \t\r\f\v]+", " ", text))


#: "Re:" as mail clients write it in other languages (Aw, Sv, Antw, Odp, Réf, 回复, 答复)
_REPLY_WORDS = r"re|aw|sv|vs|antw|antwort|rif|r|odp|réf|回复|答复|回覆"
_SUBJECT_PREFIX = re.compile(
    rf"^\s*(({_REPLY_WORDS}|fw|fwd|wg|tr|enc|rv)\s*(\[\d+\])?\s*\.?\s*[:：]\s*)+",
    re.IGNORECASE,
)
#: a subject that already says it is a reply (a forward's "Fwd:" does not)
_REPLY_PREFIX = re.compile(rf"^\s*({_REPLY_WORDS})\s*(\[\d+\])?\s*\.?\s*[:：]", re.IGNORECASE)


def normalise_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes, case-folded, for threading."""
    if not subject:
        return ""
    return _SPACES.sub(" ", _SUBJECT_PREFIX.sub("", subject)).strip().casefold()


def reply_subject(subject: str | None) -> str:
    subject = clean_line(subject)
    if not subject:
        return "Re: your message"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"
