"""``omni-tui export`` and ``import``: a whole store as JSON lines, and back."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from omni_tui.cli import output
from omni_tui.cli.commands import Context, _done, command
from omni_tui.errors import OmniError, Refused
from omni_tui.store import Store

if TYPE_CHECKING:
    from omni_tui import transfer
else:  # loaded by the command that needs it
    from omni_tui.lazy import deferred

    transfer = deferred("omni_tui.transfer")


@command("export")
async def export(ctx: Context) -> int:
    """To a file: written beside it and renamed when complete, so a full disk or an
    error leaves no half backup, and an existing file is only replaced by a whole one."""
    target = Path(ctx.args.output) if ctx.args.output else None
    if target is not None:
        _not_the_store(ctx, target)
    async with await ctx.open() as store:
        if target is None:  # closed however the reader ends (| head, a full disk)
            _say_missing(store, await _write(store, sys.stdout))
            return 0
        real = _regular_file(target)
        if real is None:  # a FIFO, a device, ">(gzip > x.gz)": written through, as cat would
            try:
                with open(target, "w", encoding="utf-8") as out:
                    last = await _write(store, out)
            except OSError as exc:
                raise OmniError(f"{target}: cannot write ({exc.strerror})") from None
            _say_missing(store, last)
            return 0
        try:
            handle, partial = tempfile.mkstemp(
                prefix=f".{real.name}.", suffix=".partial", dir=real.parent
            )
        except OSError as exc:
            raise OmniError(f"{target}: cannot write ({exc.strerror})") from None
        try:
            with open(handle, "w", encoding="utf-8") as out:
                last = await _write(store, out)
            os.replace(partial, real)  # a symlink's file, not the symlink
        except OSError as exc:
            raise OmniError(f"{target}: cannot write ({exc.strerror}); nothing kept") from None
        finally:
            Path(partial).unlink(missing_ok=True)
        _say_missing(store, last)
    return 0


async def _write(store: Store, out: TextIO) -> str:
    last = ""
    async with contextlib.aclosing(transfer.export_lines(store)) as exported:
        async for last in exported:
            out.write(last + "\n")
    return last


def _regular_file(target: Path) -> Path | None:
    """The file to replace whole (through a symlink, the file it names), or None for
    something that is not a file to replace: a FIFO, a device, a pipe in /dev/fd."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target.resolve()
    except OSError:
        return target
    return target.resolve() if stat.S_ISREG(mode) else None


def _say_missing(store: Store, end_line: str) -> None:
    missing = transfer.missing_files(end_line)
    if missing:
        what = ", ".join(f"{n} {kind} file{'s' * (n != 1)}" for kind, n in sorted(missing.items()))
        output.info(
            f"export: {what} the store names were not in {store.data_dir} (restored without"
            " them?); the export holds their rows only"
        )


def _not_the_store(ctx: Context, target: Path) -> None:
    store = ctx.db_path.resolve()
    own = {store, *(store.with_name(store.name + end) for end in ("-wal", "-shm", "-journal"))}
    if target.resolve() in own or store.parent / "attachments" in target.resolve().parents:
        raise Refused(f"{target}: that is the store itself — export to another file")


@command("import")
async def import_(ctx: Context) -> int:
    source = ctx.args.file
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise OmniError(f"{source}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise OmniError(f"{source}: not a UTF-8 JSON-lines export") from None
    path = ctx.db_path
    fresh = not path.exists()
    try:
        async with await ctx.open(create=True) as store:
            counts = await transfer.import_lines(
                store, text.splitlines(), allow_incomplete=ctx.args.allow_incomplete
            )
    except BaseException:
        if fresh:  # a failed import leaves nothing behind
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    return _done(ctx, counts, " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
