"""Commands for a team on one server: claiming, presence, the outbox, the relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omni_tui.cli import output
from omni_tui.cli.commands import Context, _body, _done, _id, _page, _summary, command
from omni_tui.text import clean_line

if TYPE_CHECKING:
    from omni_tui import accounts, actions, outbox
else:  # loaded by the command that needs it
    from omni_tui.lazy import deferred

    accounts, actions, outbox = (
        deferred(f"omni_tui.{n}") for n in ("accounts", "actions", "outbox")
    )


@command("outbox")
async def outbox_(ctx: Context) -> int:
    a = ctx.args
    async with await ctx.open() as store:
        if a.outbox_command == "list":
            asked = None if a.limit is None else a.limit + 1  # one more: is there more?
            rows = [
                {
                    "message_id": item.message_id,
                    "conversation_id": item.conversation_id,
                    "channel": item.channel,
                    "to": item.to_address,
                    "status": item.status,
                    "attempts": item.attempts,
                    "last_error": item.last_error,
                }
                for item in await outbox.pending(store, limit=asked)
            ]
            if a.limit is not None:
                rows = _page(rows, a.limit)
            if ctx.json:
                output.emit_json(rows)
            for row in [] if ctx.json else rows:
                to = clean_line(row["to"])  # an address from a customer's mail: untrusted
                print(f"{row['message_id']}  {row['status']:8} {row['channel']:5} {to}")
            return 0
        message = _id(a.message, "message")
        if a.outbox_command == "retry":
            await outbox.retry(store, message, agent=ctx.agent)
        elif a.outbox_command == "cancel":
            await outbox.cancel(store, message, agent=ctx.agent)
        else:
            limits = accounts.text_limits(ctx.config.accounts)
            await outbox.edit(store, message, _body(a.body), agent=ctx.agent, text_limits=limits)
    data = {"message_id": message, "action": a.outbox_command}
    return _done(ctx, data, f"message {message}: {a.outbox_command} done")


@command("claim")
async def claim(ctx: Context) -> int:
    conv = _id(ctx.args.conversation, "conversation")
    async with await ctx.open() as store:
        await actions.claim(store, conv, agent=ctx.agent)
        data = await _summary(store, conv)
    return _done(ctx, data, f"conversation {conv} is yours")


@command("agents")
async def agents(ctx: Context) -> int:
    from omni_tui import presence

    async with await ctx.open() as store:
        rows = await presence.roster(store)
    if ctx.args.json:
        output.emit_json(rows)
    else:
        for row in rows:
            busy = f", writing in {row['composing']}" if row["composing"] else ""
            print(f"{clean_line(str(row['agent']))}: {row['state']}{busy}")  # [agent] name
    return 0


@command("relay")
async def relay(ctx: Context) -> int:
    import dataclasses

    from omni_tui.relay.server import run_relay

    config = ctx.config.relay
    if ctx.args.listen:
        config = dataclasses.replace(config, listen=ctx.args.listen)
    return await run_relay(config)
