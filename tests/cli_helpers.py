"""Running the real ``omni-tui`` console script against a small store built by ``ingest``.

The store (built once per test module, copied per test) holds, in ingest order:

* conversation 1, customer 1: Maria's email and her follow-up; her signature gives
  +1 415 555 0134, so her later SMS (conversation 4, customer 4) gets merge suggestion 1;
* conversation 2, customer 2: Bob's email, with an attachment and the raw message;
* conversation 3, customer 3: a web chat from ``web:visitor-1``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.base import AttachmentData, InboundMessage
from omni_tui.ingest import ingest
from omni_tui.store.engine import Store

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MARIA, BOB, VISITOR, MARIA_SMS = 1, 2, 3, 4  # customer ids, and their conversation ids
MARIA_PHONE = "+14155550134"
ALL_NEWEST_FIRST = [MARIA_SMS, VISITOR, BOB, MARIA]
SUMMARY_FIELDS = {
    "id",
    "customer_id",
    "customer_name",
    "subject",
    "status",
    "channels",
    "assignee",
    "last_message_at",
    "waiting_since",
    "unread",
    "snippet",
    "tags",
}
MESSAGE_FIELDS = {
    "id",
    "channel",
    "direction",
    "sender",
    "recipients",
    "subject",
    "text",
    "sent_at",
    "message_id",
    "in_reply_to",
    "status",
    "attachments",
}
ATTACHMENT = b"%PDF-1.4 invoice for February\n"


def _messages() -> list[InboundMessage]:
    support = ["support@acme.test"]
    return [
        InboundMessage(
            channel="email",
            account="support",
            provider_id="e1",
            sender="Maria Lopez <maria@example.com>",
            recipients=support,
            subject="Broken kettle",
            message_id="<m1@example.com>",
            sent_at=T0,
            text="My kettle stopped working.\n\n--\nMaria Lopez\n+1 415 555 0134",
        ),
        InboundMessage(
            channel="email",
            account="support",
            provider_id="e2",
            sender="Maria Lopez <maria@example.com>",
            recipients=support,
            subject="Re: Broken kettle",
            message_id="<m2@example.com>",
            in_reply_to="<m1@example.com>",
            references=["<m1@example.com>"],
            sent_at=T0 + timedelta(minutes=30),
            text="It still does not heat.",
        ),
        InboundMessage(
            channel="email",
            account="support",
            provider_id="e3",
            sender="Bob Stone <bob@example.org>",
            recipients=support,
            subject="Invoice question",
            message_id="<b1@example.org>",
            sent_at=T0 + timedelta(hours=1),
            text="Where is my invoice for February?",
            attachments=[AttachmentData("invoice.pdf", "application/pdf", ATTACHMENT)],
            raw=b"Subject: Invoice question\r\n\r\nWhere is my invoice for February?\r\n",
        ),
        InboundMessage(
            channel="chat",
            account="web",
            provider_id="c1",
            sender="web:visitor-1",
            sent_at=T0 + timedelta(hours=2),
            text="Hi, do you ship to Canada?",
        ),
        InboundMessage(
            channel="sms",
            account="twilio",
            provider_id="s1",
            sender=MARIA_PHONE,
            recipients=["+15550001111"],
            sent_at=T0 + timedelta(hours=3),
            text="Any news on my kettle?",
        ),
    ]


async def _build(path: Path) -> None:
    async with await Store.open(path, create=True) as store:
        result = await ingest(store, _messages())
    assert result.conversation_ids == [MARIA, MARIA, BOB, VISITOR, MARIA_SMS]


def build_template(directory: Path) -> Path:
    """A store directory (``omni.db`` plus its blobs) to copy into each test."""
    asyncio.run(_build(directory / "omni.db"))
    return directory


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        assert "Traceback" not in self.err
        return json.loads(self.out)


class Cli:
    """``cli("list", "--json")`` runs ``python -m omni_tui list --json --db <the test's store>``.

    HOME and the XDG dirs point into the test's directory and OMNI_* is unset, so the
    user's real config and store are never read.
    """

    def __init__(self, root: Path, db: Path) -> None:
        self.root, self.db = root, db
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OMNI_")}
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            self.env[name] = str(root / name.lower())
            (root / name.lower()).mkdir(exist_ok=True)
        self.env["USER"] = "tester"

    @classmethod
    def with_store(cls, root: Path, template: Path) -> Cli:
        shutil.copytree(template, root / "store")
        return cls(root, root / "store" / "omni.db")

    def __call__(self, *args: str | Path, input: str | None = None) -> Result:
        argv = [str(a) for a in args]
        if "--db" not in argv:
            argv += ["--db", str(self.db)]
        done = subprocess.run(
            [sys.executable, "-m", "omni_tui", *argv],
            input=input or "",
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.root,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def json(self, *args: str | Path, input: str | None = None) -> Any:
        return self(*args, "--json", input=input).json()

    def config(self, text: str, name: str = "config.toml") -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path


def assert_one_line_error(result: Result, code: int) -> str:
    """Exit ``code``, nothing on stdout, one ``omni-tui: ...`` line on stderr; returns it."""
    assert "Traceback" not in result.err, result.err
    assert result.code == code, f"exit {result.code}, wanted {code}: {result.err}"
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("omni-tui: ")
    return lines[0]


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` with its bytes and mtime, to prove nothing was written."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]
