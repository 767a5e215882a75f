"""The worker of ``parse_pool``: ``python -m omni_tui.parse_worker``.

Says ``READY`` once imported, then reads requests from stdin and writes answers
to stdout, each a pickle preceded by its length (8 bytes, big-endian). The pipe
is private to the sync that started this process; it exits when the sync closes
the pipe or goes away.
"""

from __future__ import annotations

import pickle
import sys
from typing import BinaryIO

SIZE = 8
READY = b"R"


def read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(SIZE)
    if len(head) < SIZE:
        return None
    body = stream.read(int.from_bytes(head, "big"))
    return body


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(SIZE, "big") + data


def main() -> None:
    from omni_tui.parse_pool import parse_and_prepare

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sink.write(READY)  # imported: the sync may send batches now
    sink.flush()
    while (request := read_frame(source)) is not None:
        answer = parse_and_prepare(*pickle.loads(request))
        sink.write(frame(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)))
        sink.flush()


if __name__ == "__main__":
    main()
