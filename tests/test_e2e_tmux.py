"""End to end: the installed ``omni-tui`` in a real terminal (tmux), driven by keystrokes.

Needs tmux (scripts/test installs it from apt); skipped when it is missing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
OMNI = Path(sys.executable).parent / "omni-tui"
REPLY = "On its way today"  # short: the composer is narrow at 120 columns and wraps
EDITED = " (edited)"

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(not OMNI.exists(), reason=f"{OMNI} is not installed (pip install -e .)"),
]


class Terminal:
    """One tmux session on a private server socket, so nothing else is touched."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"omni-e2e-{uuid.uuid4().hex[:8]}"
        self.session = "omni"
        self.env = env

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, "-f", os.devnull, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", self.session, "-x", "120", "-y", "40", command)

    def screen(self) -> str:
        done = self.tmux("capture-pane", "-p", "-t", self.session, check=False)
        return done.stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.session, check=False).returncode == 0

    def wait_for(self, ready: Callable[[str], object], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if ready(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-session", "-t", self.session, check=False)
        self.tmux("kill-server", check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    config = home / ".config"
    (config / "omni-tui").mkdir(parents=True)
    (config / "omni-tui" / "config.toml").write_text('[agent]\nname = "Ana"\n')
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\nprintf "%s" {shlex.quote(EDITED)} >> "$1"\n')
    editor.chmod(0o755)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "USER")}
    return {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(config),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TERM": "xterm-256color",
        "LANG": os.environ.get("LANG") or "C.UTF-8",
        "EDITOR": str(editor),
    }


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(env)
    try:
        yield term
    finally:
        term.close()


def test_reply_typed_in_the_console_lands_in_the_outbox(
    terminal: Terminal, env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "demo.db"
    rc = tmp_path / "rc"
    run = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), str(OMNI), "demo"])
    terminal.start(f"{run} --db {shlex.quote(str(db))}; echo $? > {shlex.quote(str(rc))}")

    terminal.wait_for(lambda s: "All open" in s and "⏳" in s, "the inbox", timeout=60)
    terminal.send("Enter")  # open the first case: the customer waiting longest
    screen = terminal.wait_for(lambda s: re.search(r"#(\d+)  open", s), "the conversation to open")
    found = re.search(r"#(\d+)  open", screen)
    assert found is not None
    case = found.group(1)

    terminal.send("r")
    terminal.wait_for(lambda s: "Reply via" in s, "the composer")
    terminal.send(REPLY, literal=True)
    terminal.wait_for(lambda s: REPLY in s, "the typed reply")
    terminal.send("C-e")  # $EDITOR: the console suspends, the editor appends, it resumes
    terminal.wait_for(lambda s: EDITED.strip() in s, "the editor's text in the composer")
    terminal.send("C-s")
    terminal.wait_for(lambda s: "Reply queued" in s and "Reply via" not in s, "the send")
    terminal.send("q")
    terminal.wait_for(lambda s: rc.exists() and rc.read_text().strip(), "the console to quit")
    assert rc.read_text().strip() == "0"

    shown = subprocess.run(
        [str(OMNI), "show", case, "--json", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    messages = json.loads(shown.stdout)["messages"]
    sent = [m for m in messages if m["direction"] == "out" and m["status"] == "queued"]
    assert [m["text"] for m in sent] == [REPLY + EDITED]
    assert sent[0]["author"] == "Ana"
