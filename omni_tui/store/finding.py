"""Full-text search across every channel, in plain SQL: the search screen and
``omni-tui search``.

The search screen asks on every keystroke, so this reads in one thread hop
(``Store.snapshot``) and builds the hits from two statements, without the ORM.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from omni_tui.store import sqlite
from omni_tui.store.panes import iso_ms

_HIT_SQL = """
SELECT m.id, m.conversation_id, m.customer_id, u.name AS customer_name, m.channel,
       m.direction, m.sender, m.subject, m.text, m.sent_at
FROM message m JOIN customer u ON u.id = m.customer_id
WHERE m.id IN ({ids})
"""


def hits(conn: sqlite3.Connection, query: str, limit: int) -> list[dict[str, Any]]:
    match = sqlite.fts_query(query)
    if match is None:
        return []
    if sqlite.needs_substring_search(query):  # "坏了" inside "水壶坏了"
        words = [w.lower() for w in sqlite.word_list(query)]
        params = [w for w in words for _ in (0, 1)] + [limit]
        ids = [row[0] for row in conn.execute(sqlite.substring_search_sql(len(words)), params)]
    else:
        try:
            found_ids = conn.execute(sqlite.SEARCH_IDS_SQL, {"query": match, "limit": limit})
            ids = [row[0] for row in found_ids]
        except sqlite3.OperationalError as exc:
            # a letter newer than SQLite's Unicode tables splits a word in two, which the
            # index (no places kept) cannot match as a phrase: no hits, not a crash
            if "phrase" not in str(exc):
                raise
            return []
    if not ids:
        return []
    found = {r["id"]: r for r in conn.execute(_HIT_SQL.format(ids=",".join("?" * len(ids))), ids)}
    words = [w.casefold() for w in sqlite.word_list(query)]
    out = []
    for message_id in ids:  # newest first, as the index gave them
        if (m := found.get(message_id)) is None:
            continue
        snippet_text, spans = highlight(m["text"] or m["subject"] or "", words)
        out.append(
            {
                "id": m["id"],  # the message, as `show` names it
                "message_id": m["id"],  # the same (search's first name for it, kept)
                "conversation_id": m["conversation_id"],
                "customer_id": m["customer_id"],
                "customer_name": m["customer_name"],
                "channel": m["channel"],
                "direction": m["direction"],
                "sender": m["sender"],
                "subject": m["subject"],
                "sent_at": iso_ms(m["sent_at"]),
                "snippet": snippet_text,
                "highlights": spans,
            }
        )
    return out


def highlight(text_: str, words: list[str], width: int = 120) -> tuple[str, list[list[int]]]:
    """A one-line window of ``text_`` around the first match, and the matched spans in it."""
    line = " ".join(text_.split())
    folded = line.casefold()
    starts = [folded.find(w) for w in words if w and folded.find(w) >= 0]
    first = min(starts) if starts else 0
    start = max(0, first - width // 3)
    window = line[start : start + width]
    prefix = "…" if start else ""
    shown = prefix + window + ("…" if start + width < len(line) else "")
    lowered = shown.casefold()
    spans: list[list[int]] = []
    for w in words:
        at = lowered.find(w)
        while w and at >= 0:
            end = at + len(w)
            while end < len(lowered) and lowered[end].isalnum():
                end += 1  # a prefix match highlights the whole word
            spans.append([at, end])
            at = lowered.find(w, end)
    return shown, sorted(spans)
