"""The store's WAL file does not stay at the size a long read let it grow to."""

from __future__ import annotations

from pathlib import Path

from omni_tui.store import sqlite

MB = 1024 * 1024


def test_the_wal_is_cut_back_once_a_long_read_that_let_it_grow_has_ended(
    tmp_path: Path,
) -> None:
    """An export holds its snapshot while the daemon writes, so no checkpoint can empty
    the WAL and it grows past its usual size; afterwards the disk gets the space back."""
    db = tmp_path / "omni.db"
    writer = sqlite.connect_reader(db)
    writer.execute("CREATE TABLE mail (raw BLOB)")
    export = sqlite.connect_reader(db)
    export.execute("BEGIN")
    export.execute("SELECT count(*) FROM mail").fetchone()  # the snapshot it reads from
    for _ in range(36):
        writer.execute("INSERT INTO mail VALUES (zeroblob(?))", (2 * MB,))
    wal = db.with_name("omni.db-wal")
    assert wal.stat().st_size > sqlite.WAL_KEEP_BYTES
    export.execute("COMMIT")  # the export is done
    writer.execute("PRAGMA wal_checkpoint(PASSIVE)")  # as the writers do on their own
    writer.execute("INSERT INTO mail VALUES (x'00')")  # the next write starts the WAL over
    assert wal.stat().st_size <= sqlite.WAL_KEEP_BYTES
    export.close()
    writer.close()
