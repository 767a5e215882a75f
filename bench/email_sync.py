"""How fast does omni-tui pull a mailbox, next to ``mbsync`` pulling the same one?

Usage (from the project root, as root: Dovecot and mbsync are real processes)::

    apt-get install -y dovecot-imapd isync        # once
    .venv/bin/python bench/email_sync.py --messages 10000 --json
    .venv/bin/python bench/email_sync.py --messages 2000 --profile cprofile
    .venv/bin/python bench/email_sync.py --messages 2000 --profile pyinstrument --skip-mbsync

One run does all of this:

1. starts a private Dovecot on loopback (``tests/servers.py``, the one the tests use);
2. builds ``--messages`` realistic support emails (``--seed``): Received/DKIM header
   blocks, RFC 2047 names, plain bodies of 2–20 KB (log-uniform), some
   multipart/alternative with HTML, about 6 % with a PDF or JPEG attachment of
   20–400 KB, replies with In-Reply-To/References and quoted history;
3. bulk-loads them into the INBOX (files in ``Maildir/cur`` + ``doveadm
   force-resync``), then fetches everything once over IMAP so Dovecot's caches are
   warm for both contenders (timed as ``imap_fetch_all_s``, the wire's floor);
4. ``mbsync`` (Debian ``isync``) pulls the INBOX into a fresh Maildir, then runs
   again with nothing new (``mbsync_first_s``, ``mbsync_noop_s``);
5. omni-tui's ``sync_once`` runs in-process into a fresh store (``omni_first_sync_s``),
   then again with nothing new (``omni_noop_sync_s``).

``--json`` prints one JSON object on stdout (progress goes to stderr) with the four
times, ``ratio_first_sync_vs_mbsync`` (omni first sync / mbsync first sync), the
targets and whether they are met:

- ``ratio_first_sync_vs_mbsync`` ≤ 0.5
- ``omni_noop_sync_s`` ≤ 0.2

``omni_first_sync_cpu_s`` gives the CPU seconds of the first sync: the sync's process
(every thread: the event loop, IMAP reading, the store's writer, the checkpointer),
the parsing worker, and the whole machine (those two, Dovecot and the kernel).
``cpu_seconds_at_target`` is what the target leaves for all of it: every core busy
for half of mbsync's time. A first sync whose whole-machine CPU is above it cannot
meet the target on this machine, however well its stages overlap.

The comparison is not like for like in omni-tui's favour: mbsync copies files,
omni-tui also parses every message, resolves customers, threads and indexes them.

``--profile cprofile`` wraps omni-tui's first sync in ``cProfile`` and prints the top
functions by cumulative time to stderr (``--profile-out FILE`` keeps the stats file);
``--profile pyinstrument`` does the same with pyinstrument (if importable; it
attributes time spent awaiting aiosqlite to the coroutine that awaits, which
cProfile cannot).  Both also count the SQL statements omni-tui executes.  A
profiled run's figures carry the profiler's overhead and say so (``profiled``).

Other options: ``--skip-mbsync``, ``--skip-omni``, ``--keep`` (keep the temporary
directory and print where it is), ``--top N`` (rows of the profile).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import grp
import json
import math
import os
import pwd
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import EMAIL_DOMAINS, FILLER, FIRST, LAST, TOPICS  # noqa: E402
from omni_tui.config import parse_config  # noqa: E402
from omni_tui.store import Store  # noqa: E402
from omni_tui.sync import sync_once  # noqa: E402
from tests.servers import Dovecot, start_dovecot, stop_dovecot  # noqa: E402

TARGET_RATIO = 0.5
TARGET_NOOP_S = 0.2
NON_ASCII = ["José Müller", "Zoë Ångström", "Łukasz Wójcik", "Ольга Смирнова", "田中 裕子"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ corpus


class Mailbox:
    """Deterministic realistic support mail: ``message(n)`` → raw RFC 5322 bytes."""

    def __init__(self, seed: int, customers: int) -> None:
        self.rng = random.Random(seed)
        self.t0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        self.people = [self._person(i) for i in range(customers)]
        self.last_by_person: dict[int, tuple[str, str]] = {}  # index → (message id, subject)
        self.attachments = 0

    def _person(self, i: int) -> tuple[str, str]:
        r = self.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        address = f"{first}.{last}{i}@{r.choice(EMAIL_DOMAINS)}"
        name = r.choice(NON_ASCII) if r.random() < 0.1 else f"{first.title()} {last.title()}"
        return name, address

    def _words(self, size: int) -> str:
        r, out, length = self.rng, [], 0
        while length < size:
            _, _, sentences, _ = r.choice(TOPICS)
            line = " ".join(r.choices(FILLER, k=r.randrange(8, 20)))
            sentence = r.choice(sentences).split("{")[0].strip() or "Hello"
            out.append(f"{sentence} {line}.")
            length += len(out[-1]) + 1
        return "\n".join(out)

    def message(self, n: int) -> bytes:
        r = self.rng
        frequent = r.random() < 0.1  # a few customers write a lot, most write once or twice
        who = r.randrange(min(50, len(self.people)) if frequent else len(self.people))
        name, address = self.people[who]
        domain = address.rpartition("@")[2]
        when = self.t0 + timedelta(minutes=n * 3 + r.randrange(3))
        message_id = f"<{n}.{r.randrange(10**12)}@{domain}>"
        previous = self.last_by_person.get(who)
        reply = previous is not None and r.random() < 0.5
        if reply and previous:
            subject = previous[1] if previous[1].startswith("Re: ") else f"Re: {previous[1]}"
        else:
            _, subjects, _, _ = r.choice(TOPICS)
            subject = subjects[r.randrange(len(subjects))]
            subject = subject.replace("{order}", str(r.randrange(10000, 99999)))
            subject = subject.split("{")[0].strip() or "Question"
        self.last_by_person[who] = (message_id, subject)
        head = [f"Return-Path: <{address}>"]
        for hop in range(r.randrange(2, 5)):
            head.append(
                f"Received: from mx{hop}.{domain} (mx{hop}.{domain} [203.0.113.{hop + 10}])\n"
                f"\tby mail.larkspur.example (Postfix) with ESMTPS id {r.randrange(16**10):010X}"
                f"\n\tfor <support@larkspur.example>; {format_datetime(when)}"
            )
        signature = base64.b64encode(r.randbytes(96)).decode()
        encoded_name = Header(name, "utf-8").encode() if not name.isascii() else f'"{name}"'
        head += [
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\n"
            f"\th=from:to:subject:date:message-id; bh={signature[:44]};\n\tb={signature[44:]}",
            f"From: {encoded_name} <{address}>",
            "To: Larkspur Support <support@larkspur.example>",
            f"Subject: {subject}",
            f"Date: {format_datetime(when)}",
            f"Message-ID: {message_id}",
            "MIME-Version: 1.0",
        ]
        if reply and previous:
            head += [f"In-Reply-To: {previous[0]}", f"References: {previous[0]}"]
        size = int(math.exp(r.uniform(math.log(2_000), math.log(20_000))))
        text = f"Hi,\n\n{self._words(size - 900)}\n\nThanks,\n{name}\n"
        if reply:
            text += "\nOn Monday Larkspur Support wrote:\n> " + "\n> ".join(
                self._words(400).splitlines()
            )
        plain = (
            f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}"
        )
        kind = r.random()
        if kind < 0.06:
            self.attachments += 1
            body = self._multipart("mixed", [plain, self._attachment(n)])
        elif kind < 0.2:
            html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines())
            html_part = f"Content-Type: text/html; charset=utf-8\n\n{html}</body></html>\n"
            body = self._multipart("alternative", [plain, html_part])
        else:
            body = plain
        return ("\n".join(head) + "\n" + body).replace("\n", "\r\n").encode("utf-8")

    def _attachment(self, n: int) -> str:
        r = self.rng
        size = int(math.exp(r.uniform(math.log(20_000), math.log(400_000))))
        ctype, name = r.choice(
            [("application/pdf", f"invoice-{n}.pdf"), ("image/jpeg", f"photo-{n}.jpg")]
        )
        data = base64.encodebytes(r.randbytes(size)).decode()
        return (
            f'Content-Type: {ctype}; name="{name}"\n'
            f'Content-Disposition: attachment; filename="{name}"\n'
            f"Content-Transfer-Encoding: base64\n\n{data}"
        )

    def _multipart(self, subtype: str, parts: list[str]) -> str:
        boundary = f"----=_Part_{self.rng.randrange(10**9)}"
        inner = "".join(f"--{boundary}\n{part}\n" for part in parts)
        return (
            f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{inner}--{boundary}--\n'
        )


def load_inbox(server: Dovecot, raws: list[bytes]) -> None:
    """Files straight into ``Maildir/cur`` and ``doveadm force-resync``: seconds, not minutes."""
    for sub in ("cur", "new", "tmp"):
        (server.maildir / sub).mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    for i, raw in enumerate(raws):
        (server.maildir / "cur" / f"{stamp}.M{i}P1.bench,S={len(raw)}:2,").write_bytes(raw)
    uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
    subprocess.run(["chown", "-R", f"{uid}:{gid}", str(server.root / "mail")], check=True)
    server.doveadm("force-resync", "-u", server.user, "INBOX")
    status = server.doveadm("mailbox", "status", "-u", server.user, "messages", "INBOX").split()
    if status != ["INBOX", f"messages={len(raws)}"]:
        raise RuntimeError(f"Dovecot sees {status}, expected {len(raws)} messages")


def fetch_all(server: Dovecot, batch: int = 1000) -> float:
    """Every message over IMAP once: warms Dovecot's caches, and is the wire's floor."""
    from imapclient import IMAPClient

    started = time.perf_counter()
    with IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=60) as client:
        client.login(server.user, server.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), batch):
            client.fetch(uids[i : i + batch], ["BODY.PEEK[]"])
    return time.perf_counter() - started


# ------------------------------------------------------------------------------ mbsync

MBSYNCRC = """\
IMAPAccount bench
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType None
AuthMechs LOGIN

IMAPStore bench-remote
Account bench

MaildirStore bench-local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-remote:
Near :bench-local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
"""


def run_mbsync(server: Dovecot, work: Path, expected: int) -> dict[str, Any]:
    if shutil.which("mbsync") is None:
        raise SystemExit("mbsync is not installed: apt-get install -y isync (or --skip-mbsync)")
    maildir = work / "mbsync"
    maildir.mkdir()
    rc = work / "mbsyncrc"
    rc.write_text(
        MBSYNCRC.format(
            port=server.port, user=server.user, password=server.password, maildir=maildir
        )
    )
    rc.chmod(0o600)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run(["mbsync", "-q", "-c", str(rc), "bench"], capture_output=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"mbsync failed: {done.stderr.decode(errors='replace')}")
    pulled = sum(1 for sub in ("cur", "new") for _ in (maildir / "INBOX" / sub).iterdir())
    if pulled != expected:
        raise RuntimeError(f"mbsync pulled {pulled} messages, expected {expected}")
    version = subprocess.run(["mbsync", "--version"], capture_output=True, text=True).stdout
    return {"first": times[0], "noop": times[1], "version": version.strip()}


# ----------------------------------------------------------------------------- omni-tui


def omni_config(server: Dovecot) -> str:
    return f"""
[[accounts]]
name = "support"
channel = "email"
imap_host = "127.0.0.1"
imap_port = {server.port}
imap_security = "none"
username = "{server.user}"
password = "{server.password}"
folders = ["INBOX"]
address = "Larkspur Support <support@larkspur.example>"
"""


def count_statements(store: Store) -> list[int]:
    """Count SQL statements on the store's engines (a private attribute: best effort)."""
    from sqlalchemy import event

    counter = [0]

    def bump(*_: object) -> None:
        counter[0] += 1

    for engine in (getattr(store, "_writer", None), getattr(store, "_reader", None)):
        if engine is not None:
            event.listen(engine.sync_engine, "before_cursor_execute", bump)
    return counter


async def run_omni(
    server: Dovecot, work: Path, expected: int, profile: str | None, out: Path | None, top: int
) -> dict[str, Any]:
    config = parse_config(omni_config(server))
    # as `omni-tui sync` opens it
    store = await Store.open(work / "omni" / "omni.db", create=True, background_checkpoints=True)
    statements = count_statements(store) if profile else None
    try:
        first_call: Callable[[], Awaitable[list[Any]]] = lambda: sync_once(store, config)  # noqa: E731
        if profile:
            first_s, [first] = await profiled(first_call, profile, out, top)
        else:
            before = cpu_seconds()
            started = time.perf_counter()
            [first] = await first_call()
            first_s = time.perf_counter() - started
            cpu = {k: round(v - before[k], 2) for k, v in cpu_seconds().items()}
        sql_first = statements[0] if statements else None
        started = time.perf_counter()
        [noop] = await sync_once(store, config)
        noop_s = time.perf_counter() - started
    finally:
        await store.close()
    if first.state != "ok" or first.new + first.skipped != expected or noop.new != 0:
        raise RuntimeError(f"omni-tui sync went wrong: {first} then {noop}")
    result: dict[str, Any] = {
        "first": first_s,
        "noop": noop_s,
        "report": first.as_json(),
        "store_mb": round(sum(p.stat().st_size for p in (work / "omni").rglob("*")) / 2**20, 1),
    }
    if not profile:
        result["cpu"] = cpu
    if sql_first is not None:
        result["sql_statements_first_sync"] = sql_first
        result["sql_statements_per_message"] = round(sql_first / max(expected, 1), 1)
    return result


def cpu_seconds() -> dict[str, float]:
    """CPU time of this process (all its threads), of its ended children (the
    parsing worker, reaped when the sync closes it) and of the whole machine
    (Dovecot's share is in it, and whatever else ran meanwhile)."""
    me, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "sync_process": me.ru_utime + me.ru_stime,
        "parse_worker": children.ru_utime + children.ru_stime,
        "whole_machine": machine_busy_seconds(),
    }


def machine_busy_seconds() -> float:
    """CPU seconds every core has spent busy since boot (Linux ``/proc/stat``), or 0."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(f) for f in fields]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


async def profiled(
    call: Callable[[], Awaitable[Any]], kind: str, out: Path | None, top: int
) -> tuple[float, Any]:
    if kind == "pyinstrument":
        try:
            from pyinstrument import Profiler
        except ImportError:
            raise SystemExit("pyinstrument is not importable (pip install pyinstrument)") from None
        profiler = Profiler(async_mode="enabled")
        profiler.start()
        started = time.perf_counter()
        result = await call()
        elapsed = time.perf_counter() - started
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        log(text)
        if out:
            out.write_text(text)
        return elapsed, result
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    result = await call()
    elapsed = time.perf_counter() - started
    profiler.disable()
    if out:
        profiler.dump_stats(str(out))
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return elapsed, result


# --------------------------------------------------------------------------------- main


def stop(server: Dovecot, timeout: float = 10.0) -> None:
    """Stop Dovecot and wait for its master to exit before its files are removed."""
    pid_file = server.root / "run" / "master.pid"
    pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
    stop_dovecot(server)
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=0, help="default: messages / 4")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--skip-mbsync", action="store_true")
    parser.add_argument("--skip-omni", action="store_true")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--profile-out", type=Path, help="cProfile stats / pyinstrument text")
    parser.add_argument("--top", type=int, default=30, help="rows of the cProfile listing")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        log("note: Dovecot's private instance needs root (it switches to the dovecot user)")

    work = Path(tempfile.mkdtemp(prefix="omni-bench-email-"))
    server, _ = start_dovecot(work / "dovecot")
    try:
        log(f"building {args.messages} messages…")
        started = time.perf_counter()
        mailbox = Mailbox(args.seed, args.customers or max(1, args.messages // 4))
        raws = [mailbox.message(n) for n in range(args.messages)]
        sizes = sorted(len(r) for r in raws)
        load_inbox(server, raws)
        elapsed = time.perf_counter() - started
        log(f"  loaded {sum(sizes) / 2**20:.1f} MB into Dovecot in {elapsed:.1f}s")
        fetch_s = fetch_all(server)
        log(f"  IMAP fetch of everything (cache warm-up): {fetch_s:.2f}s")
        result: dict[str, Any] = {
            "messages": args.messages,
            "mailbox_mb": round(sum(sizes) / 2**20, 1),
            "message_kb": {
                "median": round(sizes[len(sizes) // 2] / 1024, 1),
                "p10": round(sizes[len(sizes) // 10] / 1024, 1),
                "p90": round(sizes[len(sizes) * 9 // 10] / 1024, 1),
                "max": round(sizes[-1] / 1024, 1),
            },
            "share_2_to_20_kb": round(sum(2048 <= n <= 20480 for n in sizes) / len(sizes), 2),
            "with_attachments": mailbox.attachments,
            "imap_fetch_all_s": round(fetch_s, 3),
        }
        if not args.skip_mbsync:
            log("mbsync: first sync, then a no-op sync…")
            mb = run_mbsync(server, work, args.messages)
            result |= {
                "mbsync_first_s": round(mb["first"], 3),
                "mbsync_noop_s": round(mb["noop"], 3),
                "mbsync_version": mb["version"],
            }
            log(f"  {mb['first']:.2f}s, no-op {mb['noop']:.3f}s")
        if not args.skip_omni:
            log("omni-tui: sync_once into a fresh store, then a no-op sync_once…")
            om = asyncio.run(
                run_omni(server, work, args.messages, args.profile, args.profile_out, args.top)
            )
            result |= {
                "omni_first_sync_s": round(om["first"], 3),
                "omni_noop_sync_s": round(om["noop"], 3),
                "omni_messages_per_s": round(args.messages / om["first"], 1),
                "omni_store_mb": om["store_mb"],
                "omni_first_sync_cpu_s": om.get("cpu"),
                "omni_report": om["report"],
            }
            for key in ("sql_statements_first_sync", "sql_statements_per_message"):
                if key in om:
                    result[f"omni_{key}"] = om[key]
            log(f"  {om['first']:.2f}s, no-op {om['noop']:.3f}s")
        met: dict[str, bool] = {}
        if "omni_first_sync_s" in result and "mbsync_first_s" in result:
            ratio = result["omni_first_sync_s"] / result["mbsync_first_s"]
            result["ratio_first_sync_vs_mbsync"] = round(ratio, 2)
            met["ratio_first_sync_vs_mbsync"] = ratio <= TARGET_RATIO
            budget = TARGET_RATIO * result["mbsync_first_s"] * (os.cpu_count() or 1)
            result["cpu_seconds_at_target"] = round(budget, 2)
        if "omni_noop_sync_s" in result:
            met["omni_noop_sync_s"] = result["omni_noop_sync_s"] <= TARGET_NOOP_S
        result["targets"] = {
            "ratio_first_sync_vs_mbsync": TARGET_RATIO,
            "omni_noop_sync_s": TARGET_NOOP_S,
        }
        result["met"] = met
        result["profiled"] = args.profile
        result["cpus"] = os.cpu_count()
    finally:
        stop(server)
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
