"""A real Kannel on loopback: bearerbox + smsbox, with ``fakesmsc`` as the phones.

The config below is the working recipe (Debian ``kannel`` 1.4.5); the comments
say why each line that matters is there. ``fakesmsc`` connects to the fake SMSC
port, sends the MO texts it is given and prints every MT Kannel hands it.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from tests.servers import free_port, wait_for_port

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"

KANNEL_CONF = """
group = core
admin-port = {admin_port}
admin-password = adminpw
# smsbox talks to bearerbox on this port
smsbox-port = {smsbox_port}
admin-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{tmp}/bearerbox.log"
log-level = 0
# delivery reports are kept in memory: nothing to set up
dlr-storage = internal
# no store file: a test run starts clean
store-type = file
store-location = "{tmp}/store"

group = smsc
# the fake SMSC: fakesmsc connects here and plays the phone network
smsc = fake
smsc-id = FAKE
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
# the HTTP sendsms interface omni-tui sends through
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
# when the listener is down (a daemon restart), Kannel tries again instead of losing the MO
http-request-retry = 5
http-queue-delay = 2
log-file = "{tmp}/smsbox.log"
log-level = 0

group = sendsms-user
username = omni
password = omnipw
# without this, smsbox may replace our From with a default sender
forced-smsc = FAKE
# a reply longer than one SMS goes as concatenated parts (the default cuts it to one)
max-messages = 10
concatenation = true

group = sms-service
# every MO, whatever its first word, goes to omni-tui's listener
keyword = default
catch-all = true
# %p sender, %P receiver, %b the text exactly as sent (%a would fold newlines and
# spaces, and cut UCS-2 apart at whitespace bytes), %T unix time, %I Kannel's message id,
# %c coding (2 = UCS-2) and %C charset, so the listener decodes the text right;
# secret= is the account's listen_secret: no other local process can post texts
get-url = "http://127.0.0.1:{listener_port}/kannel/mo?from=%p&to=%P&text=%b&ts=%T&id=%I&coding=%c&charset=%C&secret={secret}"
# the listener's empty answer is not sent back to the phone as a reply
max-messages = 0
omit-empty = true
"""


@dataclass
class Kannel:
    root: Path
    smsc_port: int
    sendsms_port: int
    listener_port: int
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def phone(self, *lines: str) -> Phone:
        """A fakesmsc that sends ``lines`` ("from to text words…") and records MTs."""
        log = self.root / f"fakesmsc-{time.monotonic_ns()}.log"
        with log.open("wb") as out:  # the child keeps its own copy of the file
            proc = subprocess.Popen(
                [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.2",
                 "-m", str(len(lines)), *lines],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return Phone(proc, log)


@dataclass
class Phone:
    proc: subprocess.Popen[bytes]
    log: Path

    def received(self, *, ucs2_parts: bool = False) -> list[tuple[str, str, str]]:
        """The texts Kannel handed this phone: (from, to, text), decoded, the parts of a
        concatenated text joined once all have come.  fakesmsc does not say how a part
        is coded: ``ucs2_parts`` reads them as UCS-2, else as GSM-7 shown in Latin-1."""
        out = []
        parts: dict[tuple[str, str, int], dict[int, bytes]] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            if "Got message" not in line:
                continue
            body = line.split("Got message", 1)[1].split(": <", 1)[1].rstrip(">")
            sender, to, kind, data = body.split(" ", 3)
            if kind == "udh":  # "udh <header> data <bytes>": one part of a long text
                header, _, data = data.split(" ", 2)
                udh = unquote_to_bytes(header)
                ref, total, seq = udh[3], udh[4], udh[5]  # IE 00: 8-bit reference
                got = parts.setdefault((sender, to, ref), {})
                got[seq] = unquote_to_bytes(data.replace("+", " "))
                if len(got) < total:
                    continue
                raw = b"".join(got[n] for n in sorted(got))
                text = raw.decode("utf-16-be", "replace") if ucs2_parts else raw.decode("latin-1")
            else:
                raw = unquote_to_bytes(data.replace("+", " "))
                text = raw.decode("utf-16-be") if kind == "ucs-2" else raw.decode("latin-1")
            out.append((sender, to, text))
        return out

    def wait_for(
        self, predicate: object, timeout: float = 20.0, *, ucs2_parts: bool = False
    ) -> list[tuple[str, str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(ucs2_parts=ucs2_parts)
            if callable(predicate) and predicate(got):
                return got
            time.sleep(0.1)
        raise AssertionError(f"the phone got {self.received()!r}")

    def hang_up(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if self.proc.poll() is None:
            self.proc.kill()


def _start(box: str, conf: Path) -> subprocess.Popen[bytes]:
    with (conf.parent / f"{box}.out").open("wb") as out:
        return subprocess.Popen([box, str(conf)], stdout=subprocess.DEVNULL, stderr=out)


def _up(proc: subprocess.Popen[bytes], port: int, timeout: float = 15.0) -> bool:
    """Whether ``proc`` listens on ``port`` in time; False as soon as it has exited
    (a port taken between ``free_port`` and the bind makes a box exit at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(TimeoutError):
            wait_for_port(port, timeout=0.5)
            return True
    return False


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    procs.clear()


def _boot(root: Path, listener_port: int, secret: str) -> Kannel | None:
    """One try at bearerbox then smsbox on fresh ports; None (and nothing left
    running) if either did not come up."""
    ports = {
        "admin_port": free_port(),
        "smsbox_port": free_port(),
        "smsc_port": free_port(),
        "sendsms_port": free_port(),
    }
    conf = root / "kannel.conf"
    conf.write_text(
        KANNEL_CONF.format(tmp=root, listener_port=listener_port, secret=secret, **ports)
    )
    kannel = Kannel(root, ports["smsc_port"], ports["sendsms_port"], listener_port)
    bearerbox = _start("bearerbox", conf)
    kannel.procs.append(bearerbox)
    if _up(bearerbox, ports["smsbox_port"]) and _up(bearerbox, ports["admin_port"]):
        smsbox = _start("smsbox", conf)
        kannel.procs.append(smsbox)
        if _up(smsbox, ports["sendsms_port"]):
            return kannel
    _stop(kannel.procs)
    return None


@contextlib.contextmanager
def running_kannel(root: Path, listener_port: int, secret: str) -> Iterator[Kannel]:
    root.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        kannel = _boot(root, listener_port, secret)
        if kannel is not None:
            break
    else:
        logs = "".join(
            f"\n--- {log.name}\n" + log.read_text(errors="replace")[-2000:]
            for log in sorted(root.glob("*box.*"))
        )
        raise RuntimeError(f"Kannel did not start in {root}{logs}")
    try:
        yield kannel
    finally:
        _stop(kannel.procs)
