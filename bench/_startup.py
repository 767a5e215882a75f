import time  # noqa: I001  -- the very first line: the clock starts before any other import

T0 = time.perf_counter()

# Child of bench/console.py: start the real console headless and time it to a painted inbox.
#
#     python bench/_startup.py DB_PATH [SPAWN_PERF_COUNTER]
#
# Runs the installed command's entry point, `omni-tui --db DB_PATH` (argument parsing,
# config, the store check, the console), with only the terminal swapped for Textual's
# headless driver at 200x60.  Prints one JSON line as soon as the first inbox page is
# painted, then quits.  Times are time.perf_counter() (CLOCK_MONOTONIC on Linux, so
# comparable with the parent's spawn timestamp).  SIGUSR1 dumps every thread and
# asyncio task to stderr (the parent sends it when the process does not finish quitting).

import asyncio  # noqa: E402
import faulthandler  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from omni_tui.cli import main as cli  # noqa: E402
from omni_tui.store import Store  # noqa: E402
from omni_tui.tui import app as console  # noqa: E402

T_IMPORTS = time.perf_counter()
marks: dict[str, Any] = {}
phases: dict[str, list[float]] = {}
LOOP: asyncio.AbstractEventLoop | None = None
ORM = ("sqlalchemy", "sqlmodel", "omni_tui.store.models")


def _first_call(owner: Any, name: str, label: str) -> None:
    """Note when the first call of an async product function started and ended."""
    original = getattr(owner, name)

    async def timed(*args: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original(*args, **kw)
        finally:
            if label not in phases:
                phases[label] = [start - T0, time.perf_counter() - T0]

    setattr(owner, name, timed)


# the ORM modules load after the first paint: wrapping their functions here would
# load them first, so only the store's own calls are timed
_first_call(Store, "open", "store_open")  # before the app starts (run_console)
_first_call(Store, "snapshot", "first_snapshot")  # the first page of the inbox

def _dump(signum: int, frame: Any) -> None:
    print("=== threads ===", file=sys.stderr)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    if LOOP is not None:
        print("=== asyncio tasks ===", file=sys.stderr)
        for task in asyncio.all_tasks(LOOP):
            print(f"--- {task!r}", file=sys.stderr)
            task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


signal.signal(signal.SIGUSR1, _dump)


class StartupProbe(console.OmniApp):
    """The product app, plus a handler that notes when the first inbox page is on screen."""

    # Textual resolves CSS_PATH next to the subclass's file: point it at the product's sheet
    CSS_PATH = str(Path(inspect.getfile(console.OmniApp)).with_name("app.tcss"))

    async def run_async(self, **kw: Any) -> None:  # what run_console calls: headless here
        await super().run_async(headless=True, size=(200, 60))

    def on_mount(self) -> None:  # dispatched before OmniApp.on_mount (subclass first)
        global LOOP
        LOOP = asyncio.get_running_loop()
        marks.setdefault("mounted", time.perf_counter())

    def on_inbox_list_loaded(self, event: object) -> None:
        if "loaded" in marks:
            return
        marks["loaded"] = time.perf_counter()
        marks["rows"] = len(self.inbox.rows)
        # the callback runs once the screen has been refreshed with the new rows
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        marks["painted"] = time.perf_counter()
        marks["option_count"] = self.inbox.row_count
        marks["orm_loaded"] = [name for name in ORM if name in sys.modules]
        report()  # before exiting: shutting down is not part of startup
        self.exit()


SPAWN: float | None = None


def report() -> None:
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "first_line": T0,
        "spawn": SPAWN,
        "imports_s": T_IMPORTS - T0,
        "mount_started_s": marks.get("mounted", float("nan")) - T0,
        "loaded_s": marks.get("loaded", float("nan")) - T0,
        "painted_s": marks.get("painted", float("nan")) - T0,
        "painted_from_spawn_s": (
            marks["painted"] - SPAWN if SPAWN and "painted" in marks else None
        ),
        "rows": marks.get("rows"),
        "option_count": marks.get("option_count"),
        "orm_loaded_before_paint": marks.get("orm_loaded"),
        "phases_s": {k: [round(v, 4) for v in span] for k, span in phases.items()},
        "rss_mb": rss_kb / 1024,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
        + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
    }
    print(json.dumps(out), flush=True)


def main() -> None:
    global SPAWN
    db = Path(sys.argv[1])
    SPAWN = float(sys.argv[2]) if len(sys.argv) > 2 else None
    console.OmniApp = StartupProbe  # run_console builds this one
    with tempfile.TemporaryDirectory() as home:  # no user config: the defaults
        os.environ.pop("OMNI_CONFIG", None)
        os.environ["XDG_CONFIG_HOME"] = home
        code = cli.main(["--db", str(db)])
    print(json.dumps({"exited": time.perf_counter() - T0, "return_code": code}), flush=True)


if __name__ == "__main__":
    main()
