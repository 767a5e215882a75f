"""``omni-tui`` with no command: the console, started on only what it needs.

The agent waits for this one.  It does not load the other commands (and the ORM
behind them) before the inbox is on screen.
"""

from __future__ import annotations

import sys

from omni_tui.cli.context import Context, UsageError


def need_terminal() -> None:
    """The console reads keys from stdin and draws on stderr.

    Without a terminal on both it would wait on nothing at full speed (a script
    calling ``omni-tui demo``, a cron job calling ``omni-tui``), so it says so instead.
    """
    for name, stream in (("standard input", sys.__stdin__), ("standard error", sys.__stderr__)):
        if stream is None or not stream.isatty():
            raise UsageError(
                f"the console needs a terminal, and {name} is not one — scripts use"
                " the commands (omni-tui --help), and `demo --no-tui` only builds the store"
            )


async def open_console(ctx: Context) -> int:
    from omni_tui.tui.app import run_console

    need_terminal()
    # run_console opens the store (creating or upgrading it) before the screen
    # takes over, so a bad store is a one-line error on a normal terminal
    ctx.announce_upgrade()
    return await run_console(ctx.config, ctx.db_path)
