"""The worker of ``parse_pool``: ``python -m omni_tui.parse_worker``.

Says ``READY`` once imported, then reads requests from stdin and writes answers
to stdout, each a pickle preceded by its length (8 bytes, big-endian). The pipe
is private to the sync that started this process; it exits when the sync closes
the pipe or goes away.

Both ends are read and written with ``os.read``/``os.write`` loops, not
``sys.stdout.buffer``: CPython's buffered writer can drop the rest of a large
write to a pipe when the process is stopped mid-write (``ctrl+z`` on the sync,
a debugger attaching), and the sync would then wait forever for the missing bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle

SIZE = 8
READY = b"R"
#: A batch is megabytes: with the default 64 KiB pipe it crossed in thousands of
#: writes, each waking the other side (Linux lets any process ask for 1 MiB).
PIPE_BYTES = 1 << 20


def read_exactly(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd``, or None at end of input."""
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> bytes | None:
    head = read_exactly(fd, SIZE)
    if head is None:
        return None
    return read_exactly(fd, int.from_bytes(head, "big"))


def size_of(data: bytes) -> bytes:
    return len(data).to_bytes(SIZE, "big")


def widen(fd: int) -> None:
    """Make the pipe behind ``fd`` hold a megabyte, where the system allows it."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or a lower limit
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def main() -> None:
    from omni_tui.parse_batch import answer

    # the answers get stdout to themselves: a stray print goes where stderr goes
    source, sink = 0, os.dup(1)
    os.dup2(2, 1)
    widen(source)
    widen(sink)
    write_all(sink, READY)  # imported: the sync may send batches now
    while (request := read_frame(source)) is not None:
        answered = answer(*pickle.loads(request))
        data = pickle.dumps(answered, protocol=pickle.HIGHEST_PROTOCOL)
        write_all(sink, size_of(data))
        write_all(sink, data)


if __name__ == "__main__":
    main()
