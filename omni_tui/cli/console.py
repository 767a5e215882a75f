"""``omni-tui`` with no command: the console, started on only what it needs.

The agent waits for this one.  It does not load the other commands (and the ORM
behind them) before the inbox is on screen.
"""

from __future__ import annotations

from omni_tui.cli.context import Context


async def open_console(ctx: Context) -> int:
    from omni_tui.tui.app import run_console

    # run_console opens the store (creating or upgrading it) before the screen
    # takes over, so a bad store is a one-line error on a normal terminal
    ctx.announce_upgrade()
    return await run_console(ctx.config, ctx.db_path)
