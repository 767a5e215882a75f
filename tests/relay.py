"""A real ``omni-tui relay`` process on a free loopback port, for the tests.

It runs as it does in production (``python -m omni_tui relay --config FILE``),
so killing it with SIGKILL tests what a crash really leaves on disk.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omni_tui.relay import signing
from tests.servers import free_port

TOKEN = "relay-test-token"
CHAT_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
TELEGRAM_SECRET = "tg-secret-token"
TELEGRAM_BOT = "123456:ABC-test-bot"
TWILIO_TOKEN = "twilio-auth-token"
KANNEL_SECRET = "kannel-shared-secret"


@dataclass
class RelayProcess:
    root: Path
    port: int
    extra: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    token: str = TOKEN
    chat_secret: str = CHAT_SECRET

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.root / "relay.db"

    @property
    def config(self) -> Path:
        return self.root / "relay.toml"

    def write_config(self) -> None:
        keys: dict[str, Any] = {
            "listen": f"127.0.0.1:{self.port}",
            "path": str(self.db),
            "token": TOKEN,
            "chat_secret": CHAT_SECRET,
            "telegram_secret": TELEGRAM_SECRET,
            "telegram_bot_token": TELEGRAM_BOT,
            "twilio_auth_token": TWILIO_TOKEN,
            "kannel_secret": KANNEL_SECRET,
            "max_body_bytes": 64 * 1024,
        } | self.extra  # an extra key set to None is left out
        lines = ["[relay]"] + [f"{k} = {json.dumps(v)}" for k, v in keys.items() if v is not None]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.write_config()
        with (self.root / "relay.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "omni_tui", "relay", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"relay exited: {(self.root / 'relay.log').read_text()}")
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the relay did not come up")

    def start_refused(self, seconds: float = 15) -> tuple[int | None, str]:
        """Start it expecting it to refuse its config: (exit status, what it printed);
        the status is None if it came up and listened instead (it is stopped again)."""
        self.write_config()
        command = [sys.executable, "-m", "omni_tui", "relay", "--config", str(self.config)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            output, _ = process.communicate(timeout=seconds)
            return process.returncode, output.decode()
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            return None, output.decode()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    # -- calling it ------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def events(self, after: int = 0, wait: float = 0) -> list[dict[str, Any]]:
        status, body = self.request("GET", f"/events?after={after}&wait={wait}", None, self.auth())
        assert status == 200, body
        return body["events"]

    def post_chat(
        self, message: dict[str, Any], *, msg_id: str, timestamp: int | None = None
    ) -> tuple[int, Any]:
        body = json.dumps(message).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": signing.sign(CHAT_SECRET, msg_id, ts, body),
        }
        return self.request("POST", "/hooks/chat", body, headers)

    def reply(self, key: str, conversation: str, text: str, author: str = "Ana") -> Any:
        body = json.dumps({"id": key, "conversation": conversation, "text": text, "author": author})
        return self.request(
            "POST", "/messages", body.encode(), {**self.auth(), "Content-Type": "application/json"}
        )


@contextmanager
def running_relay(tmp_path: Path, **extra: Any) -> Iterator[RelayProcess]:
    root = tmp_path / "relay"
    root.mkdir(exist_ok=True)
    relay = RelayProcess(root, free_port(), extra)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


def start_sync_daemon(config: Path, db: Path, log: Path) -> subprocess.Popen[bytes]:
    """``omni-tui sync`` as a team runs it; with a 60 s poll, anything sooner is push."""
    command = [sys.executable, "-m", "omni_tui", "sync", "--poll", "60"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, "--config", str(config), "--db", str(db)], stdout=out, stderr=out
        )
