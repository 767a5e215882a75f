"""How much memory does a first sync of large emails hold at once?

Usage (from the project root, as root: Dovecot is a real process)::

    .venv/bin/python bench/email_memory.py --messages 200 --photo-mb 3 --json
    .venv/bin/python bench/email_memory.py --batch-bytes 0   # batches cut by count alone

It loads ``--messages`` emails, each with a JPEG-sized attachment of ``--photo-mb``
MB of random bytes (base64: a third more on the wire), into a private Dovecot; runs
omni-tui's first sync into a fresh store; and samples the resident memory (VmRSS) of
the sync's process and of its parsing worker every 30 ms. ``--batch-bytes`` sets
where a batch is cut besides its 500 messages (default: what ``omni-tui sync`` uses;
0: never, as before batches were cut by bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from bench.email_sync import Mailbox, load_inbox, log, omni_config, start_dovecot, stop  # noqa: E402
from omni_tui import accounts  # noqa: E402
from omni_tui.config import parse_config  # noqa: E402
from omni_tui.store import Store  # noqa: E402
from omni_tui.sync import sync_once  # noqa: E402


def with_photo(mailbox: Mailbox, n: int, photo: bytes) -> bytes:
    head, _, body = mailbox.message(n).partition(b"\r\n\r\n")
    head = b"\r\n".join(
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"content-type", b"mime-version", b"content-transfer"))
    )
    return (
        head + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the photo.\r\n"
        b"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; "
        b"filename=photo-%d.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n" % n
        + photo
        + b"--b--\r\n"
    )


def rss_mb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


class Sampler:
    """The highest VmRSS of this process and of the parsing worker, sampled on a thread."""

    def __init__(self) -> None:
        self.peaks = {"sync_mb": 0, "worker_mb": 0}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            self.peaks["sync_mb"] = max(self.peaks["sync_mb"], rss_mb(os.getpid()))
            found = subprocess.run(
                ["pgrep", "-f", "omni_tui.parse_worker"], capture_output=True, text=True
            ).stdout.split()
            for pid in found:
                self.peaks["worker_mb"] = max(self.peaks["worker_mb"], rss_mb(pid))
            time.sleep(0.03)


async def first_sync(work: Path, config_text: str) -> tuple[int, float, dict[str, int]]:
    store = await Store.open(work / "omni" / "omni.db", create=True, background_checkpoints=True)
    try:
        with Sampler() as sampler:
            started = time.perf_counter()
            [report] = await sync_once(store, parse_config(config_text))
            elapsed = time.perf_counter() - started
    finally:
        await store.close()
    if report.state != "ok":
        raise RuntimeError(f"the sync went wrong: {report}")
    return report.new, elapsed, sampler.peaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--photo-mb", type=float, default=3.0)
    parser.add_argument("--batch-bytes", type=int, default=accounts.IMAP_BATCH_BYTES)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    accounts.IMAP_BATCH_BYTES = args.batch_bytes or 1 << 62

    work = Path(tempfile.mkdtemp(prefix="omni-bench-memory-"))
    server, _ = start_dovecot(work / "dovecot")
    try:
        photo = base64.encodebytes(os.urandom(int(args.photo_mb * 2**20)))
        photo = photo.replace(b"\n", b"\r\n")
        mailbox = Mailbox(7, max(1, args.messages // 4))
        raws = [with_photo(mailbox, n, photo) for n in range(args.messages)]
        mailbox_mb = round(sum(map(len, raws)) / 2**20, 1)
        load_inbox(server, raws)
        del raws, photo
        gc.collect()
        log(f"{args.messages} messages, {mailbox_mb} MB; first sync…")
        before = rss_mb(os.getpid())
        new, elapsed, peaks = asyncio.run(first_sync(work, omni_config(server)))
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "messages": new,
        "mailbox_mb": mailbox_mb,
        "batch_bytes": args.batch_bytes,
        "first_sync_s": round(elapsed, 2),
        "rss_before_mb": before,
        "peak_sync_mb": peaks["sync_mb"],
        "peak_worker_mb": peaks["worker_mb"],
    }
    print(json.dumps(result, indent=2) if args.json else result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
