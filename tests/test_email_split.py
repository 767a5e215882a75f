"""The fast message splitter builds exactly the tree the stdlib parser builds."""

from __future__ import annotations

import email
import random
from email.message import EmailMessage, Message
from email.policy import compat32

import pytest

from adapters.email import split
from tests.test_email_hostile import hostile_corpus


def _ordinary() -> dict[str, bytes]:
    plain = EmailMessage()
    plain["From"] = "Jane Doe <jane@example.com>"
    plain["To"] = "support@shop.example"
    plain["Subject"] = "Where is my order? " + "long words " * 12  # folded
    plain["Message-ID"] = "<m1@example.com>"
    plain.set_content("Hi,\n\nmy order #1234 is late.\n\n> quoted\n-- \nJane\n")
    alternative = EmailMessage()
    alternative["From"] = "Olga <olga@example.com>"
    alternative.set_content("Привет, заказ не пришёл.\n")
    alternative.add_alternative("<p>Привет, <b>заказ</b> не пришёл.</p>", subtype="html")
    mixed = EmailMessage()
    mixed["From"] = "Kim <kim@example.com>"
    mixed.set_content("See the photo.\n")
    mixed.add_alternative("<p>See the photo.</p>", subtype="html")
    mixed.add_attachment(bytes(range(256)) * 40, maintype="image", subtype="jpeg", filename="a.jpg")
    mixed.preamble = "This is a multi-part message in MIME format."
    mixed.epilogue = "trailing words\n"
    forwarded = EmailMessage()
    forwarded["From"] = "Lee <lee@example.com>"
    forwarded.set_content("Forwarding this.\n")
    forwarded.add_attachment(plain)  # message/rfc822: left to the stdlib
    corpus = {}
    for name, msg in (
        ("plain", plain),
        ("alternative", alternative),
        ("mixed", mixed),
        ("forwarded", forwarded),
    ):
        crlf = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        corpus[f"{name} crlf"] = crlf
        corpus[f"{name} lf"] = crlf.replace(b"\r\n", b"\n")
        corpus[f"{name} cr"] = crlf.replace(b"\r\n", b"\r")
    return corpus


CORPUS = {**_ordinary(), **hostile_corpus("http://127.0.0.1:9/pixel.gif")}


def assert_same_tree(fast: Message, slow: Message, where: str = "message") -> None:
    assert fast._headers == slow._headers, where
    assert (fast.preamble, fast.epilogue) == (slow.preamble, slow.epilogue), where
    assert (fast._unixfrom, fast.get_default_type()) == (slow._unixfrom, slow.get_default_type())
    if isinstance(slow._payload, list):
        assert isinstance(fast._payload, list), where
        assert len(fast._payload) == len(slow._payload), where
        for n, (a, b) in enumerate(zip(fast._payload, slow._payload, strict=True)):
            assert_same_tree(a, b, f"{where}.{n}")
    else:
        assert fast._payload == slow._payload, where


def stdlib(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=compat32)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_message_splits_into_the_tree_the_stdlib_builds(name: str) -> None:
    raw = CORPUS[name]
    fast = split.message_from_bytes(raw)
    assert_same_tree(fast, stdlib(raw))
    assert fast.as_bytes() == stdlib(raw).as_bytes()


def test_ordinary_mail_never_reaches_the_stdlib_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> Message:
        raise AssertionError("the stdlib parser was used")

    monkeypatch.setattr(split.email, "message_from_string", refuse)
    for name in ("plain crlf", "alternative lf", "mixed crlf", "mixed cr"):
        tree = split.message_from_bytes(CORPUS[name])
        assert tree.get("From")
    with pytest.raises(AssertionError, match="stdlib parser"):
        split.message_from_bytes(CORPUS["forwarded crlf"])


def _damage(raw: bytes, rng: random.Random) -> bytes:
    lines = raw.split(b"\n")
    at = rng.randrange(len(lines))
    match rng.randrange(9):
        case 0:
            del lines[at]
        case 1:
            lines.insert(at, rng.choice(lines))  # e.g. a boundary line twice
        case 2:
            lines[at] = lines[at][: rng.randrange(len(lines[at]) + 1)]
        case 3:
            lines = lines[:at]  # cut short: no closing boundary
        case 4:
            lines[at] = lines[at].replace(b"\r", b"")  # mixed line endings
        case 5:
            lines = [line.replace(b"\r", b"") + b"\r" for line in lines]
        case 6:
            lines[at] = lines[at].rstrip(b"\r") + rng.choice([b" ", b"\t", b"--", b"-- x"]) + b"\r"
        case 7:
            lines[at] = b" " + lines[at]
        case _:
            junk = [b"", b"\r", b" x", b"--", b"From me", b":x", b"a b: c", b"x:\xff"]
            lines.insert(at, rng.choice(junk))
    return b"\n".join(lines)


def test_randomly_damaged_mail_splits_as_the_stdlib_parses_it() -> None:
    rng = random.Random(20261202)
    seeds = [raw for raw in CORPUS.values() if len(raw) < 200_000]
    fast_path = 0
    for _ in range(3000):
        raw = _damage(rng.choice(seeds), rng)
        text = raw.decode("ascii", "surrogateescape")
        try:
            split._message(text, 0, len(text), nested=False)
            fast_path += 1
        except split._Unsure:
            pass
        assert_same_tree(split.message_from_bytes(raw), stdlib(raw), repr(raw[:200]))
    assert fast_path > 1000  # most damage still leaves something the fast path builds
