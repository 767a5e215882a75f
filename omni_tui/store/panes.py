"""The case and customer panes, read in one thread hop with plain SQL.

Opening a case is the console's hottest path: a dozen ORM round trips through
the async driver cost more than the rows themselves.  These readers run inside
``Store.snapshot`` (one read transaction on a connection of their own) and build
the same dicts as the rest of ``queries``, so the two never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from omni_tui.errors import NotFound

Row = dict[str, Any]

_CONVERSATION_COLUMNS = (
    "c.id, c.customer_id, c.subject, c.status, c.channels, c.assignee, c.team, c.priority,"
    " c.created_at, c.last_message_at, c.last_inbound_at, c.waiting_since,"
    " c.first_response_at, c.snoozed_until, c.unread, c.message_count, c.snippet"
)
_MESSAGE_COLUMNS = (
    "id, conversation_id, customer_id, channel, direction, account, sender, sender_name,"
    ' recipients, subject, text, sent_at, message_id, in_reply_to, "references", status,'
    " status_reason, author, read_at, context"
)


def iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def conversation_tags(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        marks = ",".join("?" * len(ids))
        for conversation_id, tag in conn.execute(
            f"SELECT conversation_id, tag FROM conversation_tag"
            f" WHERE conversation_id IN ({marks}) ORDER BY tag",
            ids,
        ):
            found[conversation_id].append(tag)
    return found


def summary_row(r: sqlite3.Row, customer_name: str, tags: list[str]) -> Row:
    """A conversation's inbox summary, the shape ``queries`` gives everywhere."""
    return {
        "id": r["id"],
        "customer_id": r["customer_id"],
        "customer_name": customer_name,
        "customer_address": None,
        "subject": r["subject"],
        "status": r["status"],
        "channels": [c for c in r["channels"].split(",") if c],
        "assignee": r["assignee"],
        "team": r["team"],
        "priority": r["priority"],
        "tags": tags,
        "created_at": iso_ms(r["created_at"]),
        "last_message_at": iso_ms(r["last_message_at"]),
        "last_inbound_at": iso_ms(r["last_inbound_at"]),
        "waiting_since": iso_ms(r["waiting_since"]),
        "first_response_at": iso_ms(r["first_response_at"]),
        "snoozed_until": iso_ms(r["snoozed_until"]),
        "unread": r["unread"],
        "message_count": r["message_count"],
        "snippet": " ".join(r["snippet"].split())[:160],
    }


def _messages(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Row]:
    parts: dict[int, list[Row]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    for chunk in range(0, len(ids), 500):
        marks = ",".join("?" * len(ids[chunk : chunk + 500]))
        for a in conn.execute(
            "SELECT id, message_id, filename, content_type, size, sha256, inline,"
            f" skipped_reason FROM attachment WHERE message_id IN ({marks}) ORDER BY id",
            ids[chunk : chunk + 500],
        ):
            parts[a["message_id"]].append(
                {
                    "id": a["id"],
                    "filename": a["filename"],
                    "content_type": a["content_type"],
                    "size": a["size"],
                    "sha256": a["sha256"],
                    "inline": bool(a["inline"]),
                    "skipped_reason": a["skipped_reason"],
                }
            )
    return [
        {
            "id": m["id"],
            "conversation_id": m["conversation_id"],
            "customer_id": m["customer_id"],
            "channel": m["channel"],
            "direction": m["direction"],
            "account": m["account"],
            "sender": m["sender"],
            "sender_name": m["sender_name"],
            "recipients": json.loads(m["recipients"]),
            "subject": m["subject"],
            "text": m["text"],
            "sent_at": iso_ms(m["sent_at"]),
            "message_id": m["message_id"],
            "in_reply_to": m["in_reply_to"],
            "references": json.loads(m["references"]),
            "status": m["status"],
            "status_reason": m["status_reason"],
            "author": m["author"],
            "read": m["read_at"] is not None or m["direction"] != "in",
            "context": json.loads(m["context"]),
            "attachments": parts.get(m["id"], []),
        }
        for m in rows
    ]


def _customer_name(conn: sqlite3.Connection, customer_id: int) -> str:
    found = conn.execute("SELECT name FROM customer WHERE id = ?", (customer_id,)).fetchone()
    return found["name"] if found else ""


def conversation(
    conn: sqlite3.Connection,
    conversation_id: int,
    *,
    latest: int | None = None,
    since: int | None = None,
    with_events: bool = True,
) -> Row:
    """A case with its messages and events, oldest first.

    Every message, or (``latest``) only the latest ones and every one from message
    ``since`` on: the console reads a thousand-message case as a page, and says how
    many there are in ``message_total``.
    """
    found = conn.execute(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversation c WHERE c.id = ?", (conversation_id,)
    ).fetchone()
    if found is None:
        raise NotFound("conversation", conversation_id)
    tags = [
        r["tag"]
        for r in conn.execute(
            "SELECT tag FROM conversation_tag WHERE conversation_id = ? ORDER BY tag",
            (conversation_id,),
        )
    ]
    row = summary_row(found, _customer_name(conn, found["customer_id"]), tags)
    row["customer_address"] = conn.execute(  # as the inbox listing gives it
        "SELECT min(address) FROM identity WHERE customer_id = ?", (found["customer_id"],)
    ).fetchone()[0]
    messages = _case_messages(conn, conversation_id, latest, since)
    row["messages"] = _messages(conn, messages)
    row["message_total"] = (
        len(messages)
        if latest is None
        else conn.execute(
            "SELECT count(*) FROM message WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()[0]
    )
    if with_events:
        events = conn.execute(
            "SELECT id, at, actor, kind, data FROM event WHERE conversation_id = ? ORDER BY at",
            (conversation_id,),
        )
        row["events"] = [
            {"id": e["id"], "at": iso_ms(e["at"]), "actor": e["actor"], "kind": e["kind"]}
            | json.loads(e["data"])
            for e in events
        ]
    return row


def _case_messages(
    conn: sqlite3.Connection, conversation_id: int, latest: int | None, since: int | None
) -> list[sqlite3.Row]:
    columns = f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE conversation_id = ?"
    if latest is None:
        return conn.execute(f"{columns} ORDER BY sent_at, id", (conversation_id,)).fetchall()
    rows = conn.execute(
        f"{columns} ORDER BY sent_at DESC, id DESC LIMIT ?", (conversation_id, latest)
    ).fetchall()
    rows.reverse()
    if since is not None and all(r["id"] != since for r in rows):
        # a message further back was asked for: from it on
        rows = (
            conn.execute(
                f"{columns} AND (sent_at, id) >= (SELECT sent_at, id FROM message WHERE id = ?)"
                " ORDER BY sent_at, id",
                (conversation_id, since),
            ).fetchall()
            or rows
        )
    return rows


def _live_customer(conn: sqlite3.Connection, customer_id: int) -> sqlite3.Row:
    """Follow merges: a merged id still finds the person."""
    seen: set[int] = set()
    sql = "SELECT id, name, note, created_at, merged_into, opted_out_at FROM customer WHERE id = ?"
    customer = conn.execute(sql, (customer_id,)).fetchone()
    while customer is not None and customer["merged_into"] is not None:
        if customer["id"] in seen:
            break
        seen.add(customer["id"])
        customer = conn.execute(sql, (customer["merged_into"],)).fetchone()
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


#: A customer's history: what they wrote or were sent, and everything in their cases
#: (their answer from another address, a colleague they copied, a note on the case).
_THEIRS = (
    "(customer_id = ? OR conversation_id IN (SELECT id FROM conversation WHERE customer_id = ?))"
)


def customer(
    conn: sqlite3.Connection,
    customer_id: int,
    history_limit: int | None,
    *,
    with_cases: bool = True,
) -> Row:
    """The customer with their whole history, or its latest ``history_limit`` messages.

    ``with_cases=False`` leaves out the list of their cases (``case_counts`` stays):
    a customer of thousands of cases costs tens of milliseconds to list, and the
    console's customer pane shows only how many there are.
    """
    found = _live_customer(conn, customer_id)
    cid = found["id"]
    identities = conn.execute(
        "SELECT id, channel, address, display_name FROM identity WHERE customer_id = ? ORDER BY id",
        (cid,),
    )
    tags = conn.execute("SELECT tag FROM customer_tag WHERE customer_id = ?", (cid,))
    total_cases, open_cases = conn.execute(
        "SELECT count(*), coalesce(sum(status != 'resolved'), 0) FROM conversation"
        " WHERE customer_id = ?",
        (cid,),
    ).fetchone()
    suggestions = conn.execute(
        "SELECT id, customer_id, other_customer_id, address, reason, status, created_at"
        " FROM link_suggestion WHERE status = 'pending' AND customer_id = ?"
        " UNION ALL SELECT id, customer_id, other_customer_id, address, reason, status,"
        " created_at FROM link_suggestion WHERE status = 'pending' AND other_customer_id = ?"
        " AND customer_id != ? ORDER BY id",
        (cid, cid, cid),
    )
    if history_limit is None:
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE {_THEIRS} ORDER BY sent_at, id"
        history = _messages(conn, conn.execute(sql, (cid, cid)).fetchall())
        total = len(history)
    else:
        latest = conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE {_THEIRS}"
            " ORDER BY sent_at DESC, id DESC LIMIT ?",
            (cid, cid, history_limit),
        ).fetchall()
        history = list(reversed(_messages(conn, latest)))
        sql = f"SELECT count(*) FROM message WHERE {_THEIRS}"
        total = conn.execute(sql, (cid, cid)).fetchone()[0]
    row: Row = {
        "id": cid,
        "name": found["name"],
        "note": found["note"],
        "opted_out": found["opted_out_at"] is not None,
        "created_at": iso_ms(found["created_at"]),
        "merged_from": [  # every customer merged into this one, however it was asked for
            r[0] for r in conn.execute("SELECT id FROM customer WHERE merged_into = ?", (cid,))
        ],
        "tags": sorted(r["tag"] for r in tags),
        "identities": [dict(i) for i in identities],
        "case_counts": {"open": open_cases, "total": total_cases},
        "suggestions": [dict(s) | {"created_at": iso_ms(s["created_at"])} for s in suggestions],
        "history": history,
        "history_total": total,
    }
    if with_cases:
        conversations = conn.execute(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversation c"
            " WHERE c.customer_id = ? ORDER BY c.created_at",
            (cid,),
        )
        cases = conversations.fetchall()
        tags_of = conversation_tags(conn, [c["id"] for c in cases])
        address = min((i["address"] for i in row["identities"]), default=None)
        row["conversations"] = [
            summary_row(c, found["name"], tags_of.get(c["id"], [])) | {"customer_address": address}
            for c in cases
        ]
    return row


def case(
    conn: sqlite3.Connection,
    conversation_id: int,
    history: tuple[int | None, int],
    first_page: int,
    messages: tuple[int | None, int | None] = (None, None),
) -> tuple[Row, Row]:
    """A case and its customer, read together (one snapshot, one thread hop).

    ``history`` is the customer shown now and how much of their history is loaded:
    the same customer keeps that much; another one starts at ``first_page``.
    ``messages`` is (``latest``, ``since``) of ``conversation``; no events.
    """
    latest, since = messages
    found = conversation(conn, conversation_id, latest=latest, since=since, with_events=False)
    shown_customer, limit = history
    if shown_customer != found["customer_id"]:
        limit = first_page
    return found, customer(conn, found["customer_id"], limit, with_cases=False)
