"""Real servers on loopback for the tests: a private Dovecot, an SMTP sink."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1, 127.0.0.2
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=SHA512-CRYPT {tmp}/passwd
}}
userdb {{
  driver = passwd-file
  args = {tmp}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
  inet_listener imap_without_idle {{
    address = 127.0.0.2
    port = {port}
  }}
}}
# the same mail through 127.0.0.2, as a server without IDLE would serve it
local 127.0.0.2 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT UIDPLUS
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Dovecot:
    root: Path
    port: int
    tls_port: int
    cert: Path
    user: str = "agent"
    password: str = "secret"
    conf: Path = field(init=False)

    def __post_init__(self) -> None:
        self.conf = self.root / "dovecot.conf"

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.user / "Maildir"

    def doveadm(self, *args: str) -> str:
        done = subprocess.run(
            ["doveadm", "-c", str(self.conf), *args], check=True, capture_output=True, text=True
        )
        return done.stdout

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> None:
        """Put messages in the mailbox (IMAP APPEND, as another client would)."""
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10) as client:
            client.login(self.user, self.password)
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)

    def reset_uidvalidity(self, folder: str = "INBOX") -> None:
        """What a server restore does: same messages, new UIDVALIDITY, new UIDs.

        Never the value it had: a folder made this second has the clock's."""
        doveadm = ["doveadm", "-c", str(self.conf), "mailbox"]
        status = [*doveadm, "status", "-u", self.user, "uidvalidity", folder]
        done = subprocess.run(status, check=True, capture_output=True, text=True)
        old = int(done.stdout.split("=")[-1])
        new = str(old - 1 if old > 1 else old + 1)
        update = [*doveadm, "update", "-u", self.user, "--uid-validity", new, folder]
        subprocess.run(update, check=True, capture_output=True)


def start_dovecot(root: Path) -> tuple[Dovecot, subprocess.Popen[bytes] | None]:
    if shutil.which("dovecot") is None:
        raise RuntimeError("dovecot is not installed: scripts/test installs dovecot-imapd")
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    for parent in root.parents:  # dovecot's unprivileged users must reach the files
        if parent == Path("/") or parent.stat().st_mode & 0o001:
            continue
        os.chmod(parent, parent.stat().st_mode | 0o011)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(exist_ok=True)
    cert, key = make_certificate(root)
    os.chmod(key, 0o644)
    server = Dovecot(root, free_port(), free_port(), cert)
    uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
    hashed = subprocess.run(
        ["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", server.password],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (root / "passwd").write_text(
        f"{server.user}:{hashed}:{uid}:{gid}::{root}/mail/{server.user}::\n"
    )
    ssl_files = f"ssl_cert = <{cert}\nssl_key = <{key}"
    server.conf.write_text(
        DOVECOT_CONF.format(
            tmp=root, port=server.port, tls_port=server.tls_port, ssl="yes", ssl_files=ssl_files
        )
    )
    (root / "mail" / server.user).mkdir(exist_ok=True)
    subprocess.run(["chown", "-R", f"{uid}:{gid}", str(root / "mail")], check=True)
    # no inherited stdout/stderr: a daemon holding the runner's pipes would keep it waiting
    subprocess.run(
        ["dovecot", "-c", str(server.conf)],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(server.port)
    wait_for_port(server.tls_port)
    return server, None


def stop_dovecot(server: Dovecot) -> None:
    pid_file = server.root / "run" / "master.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


@dataclass
class SmtpSink:
    """aiosmtpd in-process: every accepted envelope is kept for the test to read."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    mail_options: list[list[str]] = field(default_factory=list)  # MAIL FROM's, per message

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.mail_options.append(list(envelope.mail_options))
        return "250 OK"

    def messages(self) -> list[Message]:
        from email import message_from_bytes

        return [message_from_bytes(raw) for _, _, raw in self.received]


@contextlib.contextmanager
def running_sink(handler: SmtpSink, **options: Any) -> Iterator[SmtpSink]:
    """aiosmtpd serving ``handler`` on its port for the block; ``options`` go to its
    ``Controller`` (``enable_SMTPUTF8=False``: a server without SMTPUTF8)."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **options)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()
