"""How fast is ``adapters.email.mime.parse_message`` next to the stdlib's default policy?

Builds N realistic support messages in memory (Received/DKIM header blocks,
plain and quoted-printable bodies, multipart/alternative, HTML with inline
images, PDF attachments, replies with In-Reply-To/References, RFC 2047 names
and subjects, a few broken charsets) and times, best of ``--repeat`` runs:

- ``parse_message``: the full conversion to ``InboundMessage``;
- ``compat32``: ``email.message_from_bytes(policy=compat32)`` alone (the floor);
- ``default``: ``email.message_from_bytes(policy=email.policy.default)`` alone;
- ``default_extract``: the default policy plus reading what parse_message reads
  (From/To/Cc/Subject/ids/Date, ``get_body``, attachments' content).

Run from the project root: ``.venv/bin/python -m bench.mime [--count 10000]``.
Prints JSON.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import json
import quopri
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime

from adapters.email.mime import parse_message
from bench.corpus import CARRIERS, CITIES, EMAIL_DOMAINS, FILLER, FIRST, ITEMS, LAST, TOPICS

NON_ASCII_NAMES = ["José Müller", "Zoë Ångström", "Łukasz Wójcik", "田中 裕子", "Renée Faÿ",
                   "Søren Kierkegård", "Ольга Смирнова", "François Dupont"]


class Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            order=r.randrange(10000, 99999), n=r.randrange(2, 20),
            tracking=f"1Z{r.randrange(10**9, 10**10)}", day="Monday", city=r.choice(CITIES),
            carrier=r.choice(CARRIERS), item=r.choice(ITEMS), color="black", amount="$25",
            team="billing", serial=r.randrange(1000, 9999), model="Pro", brand="Hario",
        )

    def body(self) -> str:
        r = self.rng
        _, _, sentences, _ = r.choice(TOPICS)
        lines = ["Hi,", ""]
        for _ in range(r.randrange(2, 7)):
            words = " ".join(r.choices(FILLER, k=r.randrange(4, 18)))
            lines.append(f"{self.fill(r.choice(sentences))} {words}.")
        lines += ["", "Thanks,", r.choice(FIRST).title()]
        return "\n".join(lines) + "\n"

    def person(self) -> tuple[str, str]:
        r = self.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        address = f"{first}.{last}{r.randrange(100)}@{r.choice(EMAIL_DOMAINS)}"
        if r.random() < 0.15:
            return r.choice(NON_ASCII_NAMES), address
        return f"{first.title()} {last.title()}", address

    def headers(self, n: int, subject: str, reply: bool) -> list[str]:
        r = self.rng
        name, address = self.person()
        when = self.t0 + timedelta(minutes=n * 7 + r.randrange(5))
        domain = address.rpartition("@")[2]
        encoded_name = Header(name, "utf-8").encode() if not name.isascii() else f'"{name}"'
        encoded_subject = Header(subject, "utf-8").encode() if not subject.isascii() else subject
        head = [f"Return-Path: <{address}>"]
        for hop in range(r.randrange(2, 6)):
            head.append(
                f"Received: from mx{hop}.{domain} (mx{hop}.{domain} [203.0.113.{hop + 10}])\n"
                f"\tby mail.shop.example (Postfix) with ESMTPS id {r.randrange(16**10):010X}\n"
                f"\tfor <support@shop.example>; {format_datetime(when)}"
            )
        signature = base64.b64encode(r.randbytes(128)).decode()
        head += [
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\n"
            f"\th=from:to:subject:date:message-id; bh={signature[:44]};\n"
            f"\tb={signature[:64]}\n\t {signature[64:]}",
            f"Authentication-Results: mail.shop.example; dkim=pass header.d={domain};"
            " spf=pass smtp.mailfrom=" + domain,
            f"From: {encoded_name} <{address}>",
            "To: Support <support@shop.example>",
            f"Subject: {encoded_subject}",
            f"Date: {format_datetime(when)}",
            f"Message-ID: <{n}.{r.randrange(10**12)}@{domain}>",
            "MIME-Version: 1.0",
            f"X-Mailer: {r.choice(['Apple Mail (2.3731)', 'Microsoft Outlook 16.0', 'Gmail'])}",
        ]
        if reply:
            refs = [f"<{n - k}.{k}@shop.example>" for k in range(r.randrange(1, 6), 0, -1)]
            head += [f"In-Reply-To: {refs[-1]}", "References: " + "\n ".join(refs)]
        if r.random() < 0.2:
            head.append("Cc: " + ", ".join(f"<{self.person()[1]}>" for _ in range(2)))
        return head

    def message(self, n: int) -> bytes:
        r = self.rng
        _, subjects, _, _ = r.choice(TOPICS)
        subject = self.fill(r.choice(subjects))
        if r.random() < 0.1:
            subject += " — café ☕"
        reply = r.random() < 0.4
        if reply:
            subject = "Re: " + subject
        head = self.headers(n, subject, reply)
        text = self.body()
        if reply:
            text += "\nOn Monday Support wrote:\n" + "".join(f"> {line}\n" for line in
                                                            self.body().splitlines())
        kind = r.random()
        html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines())
        html_part = self.part("text/html", html + "</body></html>")
        if kind < 0.45:
            body = self.plain(text, r.random() < 0.1)
        elif kind < 0.5:
            body = html_part
        else:
            alternative = self.multipart("alternative", [self.plain(text, False), html_part])
            if kind < 0.75:
                body = alternative
            elif kind < 0.85:
                image = self.attachment("image/png", "logo.png", 2_000, inline=True)
                body = self.multipart("related", [alternative, image])
            else:
                pdf = self.attachment("application/pdf", f"invoice-{n}.pdf",
                                      r.randrange(5_000, 120_000), inline=False)
                body = self.multipart("mixed", [alternative, pdf])
        return ("\n".join(head) + "\n" + body).replace("\n", "\r\n").encode("utf-8")

    def plain(self, text: str, bogus: bool) -> str:
        if bogus:
            return ("Content-Type: text/plain; charset=x-unknown\n"
                    "Content-Transfer-Encoding: 8bit\n\n" + text)
        if text.isascii():
            return "Content-Type: text/plain; charset=us-ascii\n\n" + text
        encoded = quopri.encodestring(text.encode()).decode()
        return ("Content-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: quoted-printable\n\n" + encoded)

    def part(self, content_type: str, text: str) -> str:
        encoded = quopri.encodestring(text.encode()).decode()
        return (f"Content-Type: {content_type}; charset=utf-8\n"
                f"Content-Transfer-Encoding: quoted-printable\n\n{encoded}")

    def attachment(self, content_type: str, name: str, size: int, *, inline: bool) -> str:
        data = base64.encodebytes(self.rng.randbytes(size)).decode()
        disposition = "inline" if inline else "attachment"
        extra = f"Content-ID: <{name}@shop>\n" if inline else ""
        return (f'Content-Type: {content_type}; name="{name}"\n{extra}'
                f'Content-Disposition: {disposition}; filename="{name}"\n'
                f"Content-Transfer-Encoding: base64\n\n{data}")

    def multipart(self, subtype: str, parts: list[str]) -> str:
        boundary = f"----=_Part_{self.rng.randrange(10**9)}"
        inner = "".join(f"--{boundary}\n{part}\n" for part in parts)
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n'
        return f"{head}{inner}--{boundary}--\n"


STDLIB_ERRORS: list[str] = []


def default_extract(raw: bytes) -> None:
    try:
        _default_extract(raw)
    except Exception as exc:  # e.g. LookupError on charset=x-unknown: parse_message copes
        STDLIB_ERRORS.append(type(exc).__name__)


def _default_extract(raw: bytes) -> None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for name in ("from", "to", "cc", "subject", "message-id", "in-reply-to", "references"):
        str(msg.get(name, ""))
    date = msg.get("date")
    if date is not None:
        date.datetime  # noqa: B018 - the parsed value is the cost being measured
    body = msg.get_body(("plain", "html"))
    if body is not None:
        body.get_content()
    for part in msg.iter_attachments():
        part.get_content()


def best(fn: Callable[[bytes], object], corpus: list[bytes], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for raw in corpus:
            fn(raw)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    maker = Maker(args.seed)
    corpus = [maker.message(n) for n in range(args.count)]
    parsed = [parse_message(raw, account="bench", provider_id=str(i),
                            max_attachment_bytes=25 * 1024 * 1024)
              for i, raw in enumerate(corpus)]

    def ours(raw: bytes) -> object:
        return parse_message(raw, account="bench", provider_id="1",
                             max_attachment_bytes=25 * 1024 * 1024)

    timings = {
        "parse_message": best(ours, corpus, args.repeat),
        "compat32": best(lambda raw: email.message_from_bytes(raw, policy=email.policy.compat32),
                         corpus, args.repeat),
        "default": best(lambda raw: email.message_from_bytes(raw, policy=email.policy.default),
                        corpus, args.repeat),
        "default_extract": best(default_extract, corpus, args.repeat),
    }
    report = {
        "messages": len(corpus),
        "corpus_mb": round(sum(map(len, corpus)) / 1e6, 1),
        "with_attachments": sum(1 for m in parsed if m.attachments),
        "html_only": sum(1 for m in parsed if not m.text and m.html),
        "replies": sum(1 for m in parsed if m.in_reply_to),
        "repeat": args.repeat,
        "default_extract_errors": len(STDLIB_ERRORS) // max(args.repeat, 1),
        "seconds": {name: round(value, 3) for name, value in timings.items()},
        "us_per_message": {name: round(value / len(corpus) * 1e6, 1)
                           for name, value in timings.items()},
        "speedup_vs_default": round(timings["default"] / timings["parse_message"], 1),
        "speedup_vs_default_extract": round(
            timings["default_extract"] / timings["parse_message"], 1
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
