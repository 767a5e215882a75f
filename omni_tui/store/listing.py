"""A page of conversation summaries in plain SQL: the inbox, ``omni-tui list``
(and a page of customers: ``omni-tui customer list``, the merge picker).

Every inbox page, every view switch and the console's first paint read one of
these; built through the ORM each cost a statement compile and a round trip
per query.  This reader runs inside ``Store.snapshot`` and gives the same rows.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omni_tui.store.panes import conversation_tags, iso_ms, summary_row
from omni_tui.store.schema import ACTIVITY_KEY, WAITING_KEY

UNRESOLVED = ("open", "pending", "snoozed")


@dataclass(frozen=True, slots=True)
class ListFilter:
    status: str | None = None
    channel: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    tag: str | None = None
    customer_id: int | None = None
    unresolved: bool = False  # open, pending or snoozed
    sort: str = "last_activity"  # or "waiting"
    limit: int = 50
    after: tuple[int, int] | None = None  # keyset: (sort key in ms, conversation id)
    #: the agent whose drafts mark the rows (``draft``); None: rows carry no such mark
    drafts_of: str | None = None


_COLUMNS = (
    "c.id, c.customer_id, c.subject, c.status, c.channels, c.assignee, c.team, c.priority,"
    " c.created_at, c.last_message_at, c.last_inbound_at, c.waiting_since,"
    " c.first_response_at, c.snoozed_until, c.unread, c.message_count, c.snippet"
)


def conversations(conn: sqlite3.Connection, where: ListFilter) -> list[dict[str, Any]]:
    rows = conn.execute(*page_sql(where)).fetchall()
    ids = [r["id"] for r in rows]
    tags = conversation_tags(conn, ids)
    drafted = _drafted(conn, ids, where.drafts_of) if where.drafts_of is not None else None
    out = []
    for r in rows:
        row = summary_row(r, r["customer_name"], tags.get(r["id"], []))
        row["customer_address"] = r["customer_address"]
        if drafted is not None:
            row["draft"] = r["id"] in drafted
        out.append(row)
    return out


def _drafted(conn: sqlite3.Connection, ids: list[int], agent: str) -> set[int]:
    """Which of the cases hold a draft of ``agent``'s: a reply begun and left."""
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    found = conn.execute(
        "SELECT DISTINCT conversation_id FROM draft"
        f" WHERE agent = ? AND conversation_id IN ({marks})",
        [agent, *ids],
    )
    return {conversation_id for (conversation_id,) in found}


def page_mark(row: dict[str, Any], sort: str = "last_activity") -> tuple[int, int]:
    """The keyset ``after`` value that continues a listing after ``row``."""
    if sort == "waiting":
        value = row["waiting_since"]
        mark = _ms(value) if value else 2**62  # nobody waiting: after everyone who is
    else:
        mark = _ms(row["last_message_at"] or row["created_at"])
    return mark, row["id"]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)  # as the store keeps times


def page_sql(where: ListFilter) -> tuple[str, list[Any]]:
    """The statement for one page, and its arguments."""
    if where.sort == "waiting":
        key, order, past = WAITING_KEY.format(t="c."), "ASC", ">"  # as indexed
    else:
        key, order, past = ACTIVITY_KEY.format(t="c."), "DESC", "<"
    joins: list[str] = []
    clauses: list[str] = []
    args: list[Any] = []
    if where.status:
        clauses.append("c.status = ?")
        args.append(where.status)
    elif where.unresolved:
        clauses.append(f"c.status IN ({', '.join('?' * len(UNRESOLVED))})")
        args.extend(UNRESOLVED)
    if where.channel:
        clauses.append("(',' || c.channels || ',') LIKE ?")
        args.append(f"%,{where.channel},%")
    if where.unassigned:
        clauses.append("c.assignee IS NULL")
    elif where.assignee:
        clauses.append("c.assignee = ?")
        args.append(where.assignee)
    if where.tag:
        joins.append("JOIN conversation_tag t ON t.conversation_id = c.id")
        clauses.append("t.tag = ?")
        args.append(where.tag.lower().lstrip("#"))
    if where.customer_id is not None:
        clauses.append("c.customer_id = ?")
        args.append(where.customer_id)
    if where.after is not None:
        mark, last_id = where.after
        clauses.append(f"({key} {past} ? OR ({key} = ? AND c.id {past} ?))")
        args.extend([mark, mark, last_id])
    sql = (
        f"SELECT {_COLUMNS}, u.name AS customer_name,"
        " (SELECT min(i.address) FROM identity i WHERE i.customer_id = c.customer_id)"
        " AS customer_address"
        " FROM conversation c JOIN customer u ON u.id = c.customer_id "
        + " ".join(joins)
        + (" WHERE " + " AND ".join(clauses) if clauses else "")
        + f" ORDER BY {key} {order}, c.id {order} LIMIT ?"
    )
    return sql, [*args, max(1, where.limit)]


def snoozes_due(conn: sqlite3.Connection, now_ms: int) -> bool:
    """Whether any snoozed case's time has come (most looks find none)."""
    sql = "SELECT 1 FROM conversation WHERE status = 'snoozed' AND snoozed_until <= ? LIMIT 1"
    return conn.execute(sql, (now_ms,)).fetchone() is not None


def agent_names(conn: sqlite3.Connection) -> list[str]:
    return [name for (name,) in conn.execute("SELECT name FROM agent ORDER BY name")]


def customers(
    conn: sqlite3.Connection, query: str | None, limit: int, newest_first: bool
) -> list[dict[str, Any]]:
    """Customers not merged away, with their identities and how many cases they have;
    ``query`` is part of a name or an address, or a phone number however it is typed."""
    clauses = ["u.merged_into IS NULL"]
    args: list[Any] = []
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"  # "_" and "%" typed are themselves, not wildcards
        address = "lower(i.address) LIKE ? ESCAPE '\\'"
        found = [like]
        if digits := phone_digits(query):  # "(415) 555-0134" finds +14155550134
            address += " OR i.address LIKE ?"
            found.append(f"%{digits}%")
        clauses.append(
            "(lower(u.name) LIKE ? ESCAPE '\\'"
            f" OR u.id IN (SELECT i.customer_id FROM identity i WHERE {address}))"
        )
        args += [like, *found]
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(
        "SELECT u.id, u.name, u.created_at,"
        " (SELECT count(*) FROM conversation c WHERE c.customer_id = u.id) AS cases"
        f" FROM customer u WHERE {' AND '.join(clauses)} ORDER BY u.id {order} LIMIT ?",
        [*args, max(0, limit)],
    ).fetchall()
    identities: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    ids = list(identities)
    for at in range(0, len(ids), 900):  # bound parameters stay under SQLite's limit
        part = ids[at : at + 900]
        for i in conn.execute(
            "SELECT id, customer_id, channel, address, display_name FROM identity"
            f" WHERE customer_id IN ({', '.join('?' * len(part))}) ORDER BY id",
            part,
        ):
            identities[i["customer_id"]].append(
                {k: i[k] for k in ("id", "channel", "address", "display_name")}
            )
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "identities": identities[r["id"]],
            "conversations": r["cases"],
            "created_at": iso_ms(r["created_at"]),
        }
        for r in rows
    ]


def phone_digits(query: str) -> str | None:
    """The digits of a query written like a phone number, without the leading zeros of
    a trunk or international prefix (``0044 7911…``, ``07911…``); else None."""
    if not re.fullmatch(r"[+\d\s().\-/]+", query.strip()):
        return None
    digits = re.sub(r"\D", "", query).lstrip("0")
    return digits if len(digits) >= 6 else None
