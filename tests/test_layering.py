from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli_helpers import Cli


def test_core_and_cli_listing_import_without_textual() -> None:
    code = (
        "import sys\n"
        "import adapters, omni_tui.store, omni_tui.ingest, omni_tui.identity, omni_tui.queries\n"
        "import omni_tui.customers, omni_tui.outbox, omni_tui.transfer, omni_tui.config\n"
        "import omni_tui.cli.main, omni_tui.cli.commands\n"
        "assert 'textual' not in sys.modules, 'textual imported by the core'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


READERS_PROBE = """
import contextlib, io, json, sys
from omni_tui.cli import main as cli
ran = {}
for argv in (["list"], ["list", "--assignee", "ben"], ["show", "1"], ["search", "grinder"],
             ["customer", "show", "1"], ["customer", "list"], ["customer", "list", "-q", "ma"]):
    with contextlib.redirect_stdout(io.StringIO()):
        ran[" ".join(argv)] = cli.main([*argv, "--json", "--db", sys.argv[1]])
orm = [m for m in ("sqlalchemy", "sqlmodel") if m in sys.modules]
print(json.dumps({"codes": ran, "orm": orm}))
"""


def test_scripts_reading_the_store_do_not_wait_for_the_orm(cli: Cli) -> None:
    """`list`, `show`, `search` and `customer list`/`show` read plain SQL; the ORM's
    imports (most of a second) are for the commands that write."""
    out = subprocess.run(
        [sys.executable, "-c", READERS_PROBE, str(cli.db)],
        check=True, capture_output=True, text=True, env=cli.env, timeout=60,
    )  # fmt: skip
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(seen["codes"].values()) == {0}, seen
    assert seen["orm"] == []


def test_adapters_never_import_the_store_or_the_console() -> None:
    code = (
        "import sys, adapters\n"
        "bad = [m for m in sys.modules if m.startswith(('omni_tui', 'textual', 'sqlmodel'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


CONSOLE_PROBE = """
import gc, inspect, json, sys
from pathlib import Path
from omni_tui.cli import console as cli_console, main as cli
from omni_tui.tui import app as console

ORM = ("sqlalchemy", "sqlmodel", "omni_tui.store.models")
seen = {}


class Probe(console.OmniApp):
    CSS_PATH = str(Path(inspect.getfile(console.OmniApp)).with_name("app.tcss"))

    async def run_async(self, **kw):
        await super().run_async(headless=True, size=(120, 40))

    def on_inbox_list_loaded(self, event):
        if not seen:
            seen["rows"] = len(self.inbox.rows)
            self.call_after_refresh(self._painted)

    def _painted(self):
        seen["orm_before_paint"] = [name for name in ORM if name in sys.modules]
        seen["collector_held"] = not gc.isenabled()
        self.set_timer(20, self.exit)  # the collector never came back
        self.set_interval(0.1, self._settled)

    def _settled(self):
        if gc.isenabled():
            seen["collector_back"] = True
            seen["orm_after"] = [name for name in ORM if name in sys.modules]
            self.exit()


console.OmniApp = Probe  # what run_console starts
cli_console.need_terminal = lambda: None  # its output is a pipe here
code = cli.main(["--db", sys.argv[1]])
print(json.dumps({"code": code, **seen}))
"""


def test_the_console_paints_its_first_page_before_loading_the_orm(tmp_path: Path) -> None:
    """`omni-tui` shows the inbox first; the ORM and the collector follow while the agent reads."""
    db = tmp_path / "demo.db"
    subprocess.run(
        [sys.executable, "-m", "omni_tui", "demo", "--no-tui", "--db", str(db)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("OMNI_CONFIG", None)
    out = subprocess.run(
        [sys.executable, "-c", CONSOLE_PROBE, str(db)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0 and seen["rows"] > 0
    assert seen["orm_before_paint"] == []
    assert seen["collector_held"] is True
    assert seen.get("collector_back") is True  # settled soon after the paint
    assert "sqlalchemy" in seen["orm_after"]  # loaded by then, off the critical path
