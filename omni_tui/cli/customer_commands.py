"""``customer``: list, show, tag, note, add to, merge and split customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omni_tui import queries
from omni_tui.cli import output
from omni_tui.cli.commands import Context, _body, _done, _id, _page, _some_tag, command
from omni_tui.store import Store

if TYPE_CHECKING:
    from omni_tui import customer_profile, customers
else:  # loaded by the command that needs it: `customer show` reads plain SQL
    from omni_tui.lazy import deferred

    customer_profile, customers = (
        deferred(f"omni_tui.{n}") for n in ("customer_profile", "customers")
    )


async def change_profile(ctx: Context, store: Store) -> dict[str, Any]:
    """Tag or note the customer; the customer as ``customer show`` gives them."""
    a = ctx.args
    customer = _id(a.customer, "customer")
    if a.customer_command == "tag":
        _some_tag(a.tags)
        await customer_profile.tag_customer(
            store, customer, a.tags, agent=ctx.agent, remove=a.remove
        )
    else:
        await customer_profile.set_note(store, customer, _body(a.body), agent=ctx.agent)
    return await queries.show_customer(store, customer, history_limit=0)


def said(ctx: Context, data: dict[str, Any]) -> str:
    who = f"customer {data['id']}"
    if ctx.args.customer_command == "tag":
        return f"{who}: tags {' '.join(data['tags']) or '(none)'}"
    return f"{who}: note {'cleared' if not data['note'] else 'saved'}"


@command("customer")
async def customer(ctx: Context) -> int:
    a, action = ctx.args, ctx.args.customer_command
    async with await ctx.open() as store:
        if action == "list":
            items = _page(await queries.list_customers(store, a.query, a.limit + 1), a.limit)
            if ctx.json:
                output.emit_json(items)
            else:
                output.table(
                    ["ID", "NAME", "IDENTITIES", "CASES"],
                    [
                        [
                            c["id"],
                            c["name"],
                            " ".join(f"{i['channel']}:{i['address']}" for i in c["identities"]),
                            c["conversations"],
                        ]
                        for c in items
                    ],
                )
            return 0
        if action == "show":
            data = await queries.show_customer(store, _id(a.customer, "customer"))
            if ctx.json:
                output.emit_json(data)
                return 0
            output.line(f"#{data['id']} ", data["name"] or "(no name)")
            output.table(
                ["CHANNEL", "ADDRESS", "NAME"],
                [[i["channel"], i["address"], i["display_name"] or ""] for i in data["identities"]],
                show_header=False,
            )
            for s in data["suggestions"]:
                output.line(f"  suggestion {s['id']}: ", s["reason"])
            print()
            for m in data["history"]:
                output.message_block(m)
            return 0
        if action in ("tag", "note"):
            data = await change_profile(ctx, store)
            return _done(ctx, data, said(ctx, data))
        if action == "add":
            channel, address, new = await customer_profile.add_address(
                store, _id(a.customer, "customer"), a.address, agent=ctx.agent,
                region=ctx.region, channel=a.channel or "",
            )  # fmt: skip
            data = await queries.show_customer(store, _id(a.customer, "customer"), history_limit=0)
            data["added"] = {"channel": channel, "address": address, "new": new}
            verb = "added" if new else "already has"
            return _done(ctx, data, f"customer {data['id']}: {verb} {channel} {address}")
        if action == "merge":
            keep = await customers.merge(
                store, _id(a.keep, "customer"), _id(a.other, "customer"), agent=ctx.agent
            )
            data = await queries.show_customer(store, keep.id or 0)
            return _done(ctx, data, f"merged customer {a.other} into {keep.id}")
        if action == "split":
            new = await customers.split(
                store, _id(a.customer, "customer"), a.identity, agent=ctx.agent, region=ctx.region
            )
            data = await queries.show_customer(store, new.id or 0)
            return _done(ctx, data, f"{a.identity} is now customer {new.id}")
        if action == "suggestions":
            items = await queries.list_suggestions(store)
            if ctx.json:
                output.emit_json(items)
            else:
                output.table(
                    ["ID", "CUSTOMER", "OTHER", "ADDRESS", "REASON"],
                    [
                        [
                            s["id"],
                            s["customer_id"],
                            s["other_customer_id"],
                            s["address"],
                            s["reason"],
                        ]
                        for s in items
                    ],
                )
            return 0
        suggestion = await customers.decide_suggestion(
            store, _id(a.suggestion, "suggestion"), accept=action == "accept", agent=ctx.agent
        )
        row = queries.suggestion_row(suggestion)
        return _done(ctx, row, f"suggestion {suggestion.id} {suggestion.status}")
