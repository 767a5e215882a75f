"""Export a whole store as JSON lines, and import it into an empty one.

One line per row, ``{"type": <table>, ...columns}``, tables in dependency
order, then one ``blob`` line per stored file, so an export is a complete,
greppable backup that imports back equal.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from omni_tui import blobs, raw
from omni_tui.errors import Refused, StoreError
from omni_tui.store import Store, refresh_summaries, sqlite
from omni_tui.store.models import Attachment, Message, Timestamp


def _tables() -> list[Table]:
    """The tables an export holds: everything but what the store derives itself, and
    raw messages, which are ``blob`` lines like attachments."""
    return [
        t
        for t in SQLModel.metadata.sorted_tables
        if isinstance(t, Table) and t.name not in (*sqlite.REPORT_TABLES, "raw_message")
    ]


def _encode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": table.name}
    for column in table.columns:
        value = row[column.name]
        if isinstance(value, datetime):
            value = value.isoformat()
        out[column.name] = value
    return out


def _decode(table: Table, record: dict[str, Any], line_no: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in record:
            continue
        value = record[column.name]
        if isinstance(column.type, Timestamp) and value is not None:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise StoreError(
                    f"line {line_no}: {table.name}.{column.name}: not an ISO-8601 time: {value!r}"
                ) from None
        row[column.name] = value
    return row


#: The last record of an export: how many records of each type came before it, so an
#: import can tell a whole export from one cut short at a line's end
END = "end"


async def export_lines(store: Store) -> AsyncIterator[str]:
    """The records, then the ``end`` record; files rows name that are not in the data dir
    (a store restored without its ``attachments/``) are counted there as ``missing``."""
    counts: dict[str, int] = {}
    missing: dict[str, int] = {}
    async with contextlib.aclosing(_records(store)) as records:
        async for record_type, line in records:
            if line is None:  # a file the rows name, not found
                missing[record_type] = missing.get(record_type, 0) + 1
                continue
            counts[record_type] = counts.get(record_type, 0) + 1
            yield line
    end: dict[str, object] = {"type": END, "counts": counts}
    if missing:
        end["missing"] = missing
    yield json.dumps(end, sort_keys=True)


def missing_files(end_line: str) -> dict[str, int]:
    """What the ``end`` record of an export says was not found: kind → count."""
    try:
        record = json.loads(end_line)
    except ValueError:
        return {}
    return dict(record.get("missing") or {}) if isinstance(record, dict) else {}


async def _records(store: Store) -> AsyncIterator[tuple[str, str | None]]:
    async with store.read() as session:  # one snapshot: rows and blobs agree
        for table in _tables():
            result = await session.stream(select(table).order_by(*table.primary_key.columns))
            async for row in result.mappings():
                encoded = _encode(table, dict(row))
                yield table.name, json.dumps(encoded, ensure_ascii=False, sort_keys=True)
        rows = await session.exec(select(Attachment.sha256))  # type: ignore[call-overload]
        for sha in sorted({sha for (sha,) in rows.all() if sha}):
            path = blobs.blob_path(store.attachments_dir, sha)
            if path.exists():
                yield "blob", _blob_line("attachments", sha, path.read_bytes())
            else:
                yield "attachments", None
        rows = await session.exec(select(Message.raw_sha256))  # type: ignore[call-overload]
        shas = sorted({sha for (sha,) in rows.all() if sha})
        for start in range(0, len(shas), raw.CHUNK):
            chunk = shas[start : start + raw.CHUNK]
            found = await raw.get_many(session, store.data_dir, chunk)
            for sha in chunk:
                if sha in found:
                    yield "blob", _blob_line("raw", sha, found[sha])
                else:
                    yield "raw", None


def _blob_line(kind: str, sha: str, content: bytes) -> str:
    data = base64.b64encode(content).decode("ascii")
    return json.dumps({"type": "blob", "kind": kind, "sha256": sha, "data": data})


async def import_lines(
    store: Store, lines: Iterable[str], *, allow_incomplete: bool = False
) -> dict[str, int]:
    """Load an export into an empty store; all or nothing.

    Files are written only after the rows are committed, so a bad line
    leaves neither rows nor files behind. An export must end with its ``end``
    record, and hold what it counts: one cut short is refused, unless
    ``allow_incomplete`` (an export from before the record, or a rescue).
    """
    tables = {t.name: t for t in _tables()}
    counts: dict[str, int] = {}
    files: list[tuple[str, bytes, str]] = []
    try:
        await _import_rows(store, lines, tables, counts, files, allow_incomplete)
    except DBAPIError as exc:  # e.g. a foreign key that points nowhere, seen at commit
        raise StoreError(f"the export is inconsistent ({exc.orig})") from None
    for kind, data, _ in files:
        blobs.put(store.data_dir / kind, data)
    return counts


async def _import_rows(
    store: Store,
    lines: Iterable[str],
    tables: dict[str, Table],
    counts: dict[str, int],
    files: list[tuple[str, bytes, str]],
    allow_incomplete: bool,
) -> None:
    ended: dict[str, int] | None = None
    async with store.write() as session:
        has_rows = await session.exec(text("SELECT 1 FROM customer LIMIT 1"))  # type: ignore[call-overload]
        if has_rows.first() is not None:
            raise Refused(f"{store.path} already has data — import into a new store (--db NEW)")
        await session.exec(text(sqlite.DEFER_FOREIGN_KEYS_SQL))  # type: ignore[call-overload]
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if ended is not None:
                raise StoreError(f"line {line_no}: records after the export's end record")
            try:
                record = json.loads(line)
                kind = record["type"]
                if kind == END:
                    ended = _counted(record, line_no)
                    continue
                if kind == "blob":
                    blob = _blob(record, line_no)
                    if blob[0] == "raw":
                        await raw.keep(session, blob[1])
                    else:
                        files.append(blob)
                elif kind in tables:
                    table = tables[kind]
                    await session.exec(insert(table).values(_decode(table, record, line_no)))  # type: ignore[call-overload]
                else:
                    raise StoreError(f"line {line_no}: unknown record type {kind!r}")
            except StoreError:
                raise
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StoreError(f"line {line_no}: not a valid export record ({exc})") from None
            except DBAPIError as exc:
                raise StoreError(f"line {line_no}: rejected by the store ({exc.orig})") from None
            counts[kind] = counts.get(kind, 0) + 1
        _whole(ended, counts, allow_incomplete)
        uncounted = [i for (i,) in (await session.exec(text(sqlite.UNCOUNTED_SQL))).all()]  # type: ignore[call-overload]
        for start in range(0, len(uncounted), 10_000):
            await refresh_summaries(session, uncounted[start : start + 10_000])
        for statement in sqlite.REBUILD_REPORT_TABLES_SQL:
            await session.exec(text(statement))  # type: ignore[call-overload]


def _counted(record: dict[str, Any], line_no: int) -> dict[str, int]:
    found = record.get("counts")
    if not isinstance(found, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in found.items()
    ):
        raise StoreError(f"line {line_no}: the end record has no counts")
    return {k: v for k, v in found.items() if v}


def _whole(ended: dict[str, int] | None, counts: dict[str, int], allow_incomplete: bool) -> None:
    if allow_incomplete:
        return
    if ended is None:
        raise StoreError(
            "the export has no end record: it was cut short, or written by an older omni-tui"
            " — import what it has with --allow-incomplete"
        )
    if ended != counts:
        kinds = sorted(ended.keys() | counts.keys())
        kind = next(k for k in kinds if ended.get(k) != counts.get(k))
        raise StoreError(
            f"the export is damaged: its end record counts {ended.get(kind, 0)} {kind} records,"
            f" the file has {counts.get(kind, 0)} — import what it has with --allow-incomplete"
        )


def _blob(record: dict[str, Any], line_no: int) -> tuple[str, bytes, str]:
    data = base64.b64decode(record["data"], validate=True)
    kind = "raw" if record.get("kind") == "raw" else "attachments"
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise StoreError(f"line {line_no}: blob content does not match its sha256")
    return kind, data, record["sha256"]
