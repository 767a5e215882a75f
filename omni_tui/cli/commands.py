"""One handler per command; each opens the store, does one thing, prints it."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from omni_tui import paths, queries
from omni_tui.cli import output
from omni_tui.cli.console import need_terminal, open_console
from omni_tui.cli.context import Context, FromStdin, UsageError, iso_time, stdin_body
from omni_tui.config import load_config
from omni_tui.errors import NotFound, Refused, StoreError
from omni_tui.store import Store
from omni_tui.text import clean_line
from omni_tui.when import parse_when

if TYPE_CHECKING:
    from omni_tui import accounts, actions, attachments, outbox, presence, teams
else:  # `list`, `show` and `search` read plain SQL: a script does not wait for the ORM
    from omni_tui.lazy import deferred

    _LAZY = ("accounts", "actions", "attachments", "outbox", "presence", "teams")
    accounts, actions, attachments, outbox, presence, teams = (
        deferred(f"omni_tui.{name}") for name in _LAZY
    )

#: SQLite's files beside a store
WAL = ("-wal", "-shm", "-journal")


def _id(value: str, kind: str) -> int:
    try:
        number = int(str(value).lstrip("#"))
    except ValueError:
        raise NotFound(kind, value) from None
    if not 0 < number < 2**63:
        raise NotFound(kind, value)
    return number


def _body(value: str) -> str:
    """``-``: the body from stdin (``main`` reads it before the event loop starts)."""
    return stdin_body() if value == "-" and not isinstance(value, FromStdin) else value


Handler = Callable[[Context], Awaitable[int]]
HANDLERS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


async def dispatch(args: argparse.Namespace) -> int:
    ctx = Context(args, load_config(getattr(args, "config", None)))
    return await HANDLERS[args.command](ctx)


def _done(ctx: Context, data: Any, human: str) -> int:
    if ctx.json:
        output.emit_json(data)
    else:
        print(human)
    return 0


@command("demo")
async def demo(ctx: Context) -> int:
    from omni_tui.demo import seed_demo

    now = iso_time("--now", ctx.args.now, years=(1971, 9998)) if ctx.args.now else None
    path = ctx.db_path
    if not getattr(ctx.args, "db", None) and not os.environ.get(paths.DB_ENV):
        raise UsageError(
            f"demo needs --db FILE (or $OMNI_DB): a demo store never takes the place of"
            f" the real one at {path}"
        )
    if path.exists() and path.stat().st_size > 0:
        raise Refused(f"{path} already exists — pass a new --db for the demo store")
    if not ctx.args.no_tui:
        need_terminal()  # before the build, not after it
    output.info(f"building a demo store at {path} (a few seconds)…")  # the screen stays blank
    # built beside it and renamed when whole: a full disk leaves no half store behind
    building = path.with_name(f".{path.name}.building")
    try:
        async with await Store.open(building, create=True) as store:
            summary = await seed_demo(store, now=now)
        os.replace(building, path)
    finally:
        for leftover in (building, *(building.with_name(building.name + e) for e in WAL)):
            leftover.unlink(missing_ok=True)
    output.info(
        f"demo store at {path}: {summary.customers} customers,"
        f" {summary.conversations} conversations, {summary.messages} messages"
    )
    if ctx.args.no_tui:
        return 0
    return await open_console(ctx)


command("console")(open_console)


@command("list")
async def list_(ctx: Context) -> int:
    a = ctx.args
    where = queries.ListFilter(
        status=a.status,
        channel=a.channel,
        assignee=ctx.agent if a.mine else a.assignee,
        unassigned=a.unassigned,
        tag=a.tag,
        sort=a.sort,
        limit=a.limit + 1,  # one more: is there more?
    )
    async with await ctx.open() as store:
        if where.assignee:  # "ben" is Ben, as assign takes it
            where = replace(where, assignee=await queries.agent_named(store, where.assignee))
        try:
            if await queries.snoozes_due(store):
                await actions.wake_snoozed(store)
        except StoreError:  # a long write holds the store: list what is there, unwoken
            pass
        items = _page(await queries.list_conversations(store, where), a.limit)
    if ctx.json:
        output.emit_json(items)
    else:
        output.conversation_rows(items)
    return 0


def _page(items: list[Any], limit: int) -> list[Any]:
    """The first ``limit`` of ``items`` (asked for with one more, to know whether more
    there are): a person, or a script, may take a full page for all there is, so stderr
    says when there is more, and only then."""
    if len(items) > limit:
        output.info(f"the first {limit} shown; --limit N shows more")
    return items[:limit]


@command("show")
async def show(ctx: Context) -> int:
    async with await ctx.open() as store:
        conv = await queries.show_conversation(store, _id(ctx.args.conversation, "conversation"))
    if ctx.json:
        output.emit_json(conv)
        return 0
    tags = " ".join(f"#{t}" for t in conv["tags"])
    output.table(
        ["#", "SUBJECT", "CUSTOMER", "STATUS", "ASSIGNEE", "TAGS"],
        [
            [
                conv["id"],
                conv["subject"],
                conv["customer_name"],
                conv["status"],
                conv["assignee"] or "-",
                tags,
            ]
        ],
    )
    print()
    for message in conv["messages"]:
        output.message_block(message)
    return 0


@command("search")
async def search(ctx: Context) -> int:
    async with await ctx.open() as store:
        hits = await queries.search(store, " ".join(ctx.args.query), ctx.args.limit + 1)
    hits = _page(hits, ctx.args.limit)
    if ctx.json:
        output.emit_json(hits)
        return 0
    output.table(
        ["CONV", "CHANNEL", "WHO", "WHEN", "MATCH"],
        [
            [
                h["conversation_id"],
                h["channel"],
                h["customer_name"] or h["sender"],
                output.local(h["sent_at"]),
                h["snippet"],
            ]
            for h in hits
        ],
    )
    return 0


@command("reply")
async def reply(ctx: Context) -> int:
    a = ctx.args
    files = attachments.read_for_reply(a.attach)  # before the store: a typo costs nothing
    conv = _id(a.conversation, "conversation")
    async with await ctx.open() as store:
        own = accounts.own_addresses(ctx.config.accounts)
        queued = await outbox.queue_reply(
            store,
            conv,
            _body(a.body),
            agent=ctx.agent,
            channel=a.channel,
            to=a.to,
            default_region=ctx.region,
            domains=accounts.reply_domains(ctx.config.accounts),
            text_limits=accounts.text_limits(ctx.config.accounts),
            attachments=files,
            cc=a.cc or (),
            reply_all=not (a.no_cc or a.cc),
            own=own,
        )
        busy = await presence.replying(store, conv, besides=ctx.agent)
    if busy:  # the console asks before sending over a colleague; a script is told
        who = clean_line(", ".join(busy))
        output.info(f"omni-tui: warning: {who} is writing a reply in conversation {conv} too")
    data = {
        "conversation_id": conv,
        "message_id": queued.message_id,
        "outbox_id": queued.outbox_id,
        "channel": queued.channel,
        "to": queued.to,
        "cc": list(queued.cc),
        "status": "queued",
        "attachments": [f.filename for f in files],
    }
    carrying = f" with {len(files)} attachment{'s' * (len(files) != 1)}" if files else ""
    copied = f", copied to {clean_line(', '.join(queued.cc))}" if queued.cc else ""
    return _done(
        ctx,
        data,
        f"queued {queued.channel} reply to {clean_line(queued.to)}{copied}{carrying}"
        f" (message {queued.message_id}: the id `outbox retry` and `outbox cancel` take)",
    )


@command("note")
async def note(ctx: Context) -> int:
    conv = _id(ctx.args.conversation, "conversation")
    async with await ctx.open() as store:
        message_id = await actions.add_note(store, conv, _body(ctx.args.body), agent=ctx.agent)
    data = {"conversation_id": conv, "message_id": message_id}
    return _done(ctx, data, f"note added to conversation {conv}")


@command("assign")
async def assign(ctx: Context) -> int:
    a, conv = ctx.args, _id(ctx.args.conversation, "conversation")
    assignee = None if a.nobody else (ctx.agent if a.me else a.agent)
    if assignee is not None and not assignee.strip():  # "$AGENT" unset unassigned the case
        raise Refused("an agent's name cannot be blank — to unassign, use --nobody")
    async with await ctx.open() as store:
        team = a.team
        if team:  # "" clears the case's team
            team = teams.match(team, await teams.known(store, ctx.config), ctx.config)
        await actions.assign(
            store, conv, assignee, agent=ctx.agent, team=team, new_agent=a.new_agent
        )
        data = await _summary(store, conv)
    return _done(ctx, data, f"conversation {conv} assigned to {data['assignee'] or 'nobody'}")


async def _summary(store: Store, conversation_id: int) -> dict[str, Any]:
    data = await queries.show_conversation(store, conversation_id)
    data.pop("messages")
    data.pop("events")
    return data


async def _set_status(ctx: Context, status: str, until: datetime | None = None) -> int:
    conv = _id(ctx.args.conversation, "conversation")
    async with await ctx.open() as store:
        await actions.set_status(store, conv, status, agent=ctx.agent, until=until)
        data = await _summary(store, conv)
    extra = f" until {output.local(data['snoozed_until'])}" if until else ""
    return _done(ctx, data, f"conversation {conv} {status}{extra}")


@command("resolve")
async def resolve(ctx: Context) -> int:
    return await _set_status(ctx, "resolved")


@command("reopen")
async def reopen(ctx: Context) -> int:
    return await _set_status(ctx, "open")


@command("status")
async def status(ctx: Context) -> int:
    return await _set_status(ctx, ctx.args.status)


@command("snooze")
async def snooze(ctx: Context) -> int:
    try:
        until = parse_when(ctx.args.until)
    except ValueError as exc:
        raise UsageError(f"--until: {exc}") from None
    return await _set_status(ctx, "snoozed", until)


@command("tag")
async def tag(ctx: Context) -> int:
    conv = _id(ctx.args.conversation, "conversation")
    _some_tag(ctx.args.tags)
    async with await ctx.open() as store:
        tags = await actions.add_tags(
            store, conv, ctx.args.tags, agent=ctx.agent, remove=ctx.args.remove
        )
    data = {"conversation_id": conv, "tags": tags}
    shown = clean_line(" ".join(tags)) or "(none)"
    return _done(ctx, data, f"conversation {conv} tags: {shown}")


def _some_tag(tags: list[str]) -> None:
    """`tag 75 "$TAG"` with TAG unset changed nothing and said all was well."""
    if not any(t.strip().lstrip("#").strip() for t in tags):
        raise Refused("no tag given — name at least one, e.g. refund")


@command("log-call")
async def log_call(ctx: Context) -> int:
    a = ctx.args
    customer_id = _id(a.customer, "customer")
    async with await ctx.open() as store:
        conv, message_id = await actions.log_call(
            store,
            customer_id,
            _body(a.body),
            agent=ctx.agent,
            channel=a.channel,
            direction=a.direction,
            conversation_id=_id(a.conversation, "conversation") if a.conversation else None,
        )
    data = {"customer_id": customer_id, "conversation_id": conv, "message_id": message_id}
    return _done(ctx, data, f"{a.channel} logged in conversation {conv}")


@command("sync")
async def sync(ctx: Context) -> int:
    from omni_tui.delivery import deliver_outbox
    from omni_tui.sync import sync_once

    if not ctx.args.once:
        from omni_tui.daemon import run_daemon

        if ctx.args.account:
            raise UsageError("--account needs --once: the daemon syncs every account")
        return await run_daemon(ctx.db_path, ctx.config, poll=ctx.args.poll)
    from omni_tui.daemon import SyncLock
    from omni_tui.recovery import recover_interrupted

    if ctx.args.account:
        ctx.config.account(ctx.args.account)  # an unknown name is a one-line error first
    lock = SyncLock(ctx.db_path)  # one deliverer per store: else a reply can go out twice
    lock.acquire()
    try:
        async with await ctx.open(create=True, background_checkpoints=True) as store:
            await recover_interrupted(store, ctx.config)  # a run killed mid-send
            with output.progress_reporter() as progress:
                reports = await sync_once(
                    store, ctx.config, account=ctx.args.account, progress=progress
                )
            delivery = await deliver_outbox(store, ctx.config)
    finally:
        lock.release()
    if ctx.json:
        output.emit_json(
            {
                "accounts": [r.as_json() for r in reports],
                "outbox": {
                    "sent": delivery.sent,
                    "failed": delivery.failed,
                    "retrying": delivery.retrying,
                    "errors": delivery.errors,
                },
            }
        )
    else:
        output.table(
            ["ACCOUNT", "CHANNEL", "NEW", "SKIPPED", "STATE", "ERRORS"],
            [
                [r.account, r.channel, r.new, r.skipped, r.state, "; ".join(r.errors)]
                for r in reports
            ],
        )
        print(
            f"outbox: {delivery.sent} sent, {delivery.retrying} retrying, {delivery.failed} failed"
        )
        for line in delivery.errors:
            output.error(line)
    # a script that queued a reply must hear that it will never go (retries will)
    return 1 if any(r.failed for r in reports) or delivery.failed else 0


# the team's, the reports' and the backup's commands live in modules of their own;
# importing them registers them
from omni_tui.cli import (  # noqa: E402, F401
    customer_commands,
    stats_commands,
    team_commands,
    transfer_commands,
)
