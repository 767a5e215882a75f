"""The bulk FETCH reader, on answers as a server writes them (bytes on the wire)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from adapters.email.fetch import FastFetchError, _size, read_fetch_responses, read_responses
from adapters.email.imap import batches

BODY_1 = b"Subject: one\r\n\r\nA body that says UID 99 and BODY[] {12}\r\nA7 OK not the end\r\n"
BODY_2 = b"Subject: two\r\n\r\nsecond\r\n"


def wire(*chunks: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(b"".join(chunks)))


def read(stream: io.BufferedReader, tag: bytes = b"A7") -> list[tuple[int, bytes, object]]:
    return read_fetch_responses(tag, stream.readline, stream.read)


def test_bodies_come_back_whole_with_uid_and_date_whatever_else_the_server_says() -> None:
    stream = wire(
        b'* 1 FETCH (UID 41 INTERNALDATE " 7-Mar-2025 16:00:05 +0100" BODY[] {%d}\r\n'
        % len(BODY_1),
        BODY_1,
        b")\r\n",
        b"* 3 EXISTS\r\n",  # news about the mailbox in the middle of the answer
        b"* 2 FETCH (FLAGS (\\Seen))\r\n",  # an unsolicited flag update: no body
        b"* 2 FETCH (BODY[] {%d}\r\n" % len(BODY_2),
        BODY_2,
        b" UID 42 FLAGS ())\r\n",  # items after the literal
        b"A7 OK Fetch completed.\r\n",
        b"* after the command\r\n",
    )
    assert read(stream) == [
        (41, BODY_1, datetime(2025, 3, 7, 15, 0, 5, tzinfo=UTC)),
        (42, BODY_2, None),
    ]
    assert stream.readline() == b"* after the command\r\n"  # nothing read past the end


@pytest.mark.parametrize(
    "answer",
    [
        b'* 1 FETCH (UID 5 BODY[] "a quoted body")\r\n',
        b"* 1 FETCH (BODY[] {2}\r\nhi)\r\n",  # no UID
        b"+ go ahead\r\n",
    ],
)
def test_an_answer_it_does_not_parse_is_read_to_its_end_then_refused(answer: bytes) -> None:
    rest = (b"* 2 FETCH (UID 6 BODY[] {2}\r\n", b"ok)\r\n", b"A7 OK done\r\n", b"next\r\n")
    stream = wire(answer, *rest)
    with pytest.raises(FastFetchError):
        read(stream)
    assert stream.readline() == b"next\r\n"  # in step for the fallback's own command


def test_a_refused_fetch_is_refused() -> None:
    with pytest.raises(FastFetchError, match="NO"):
        read(wire(b"A7 NO [SERVERBUG] Internal error\r\n"))


def test_a_connection_closed_mid_answer_is_a_connection_error() -> None:
    with pytest.raises(ConnectionError):
        read(wire(b"* 1 FETCH (UID 5 BODY[] {40}\r\n", b"short"))


def sizes(*lines: bytes) -> list[tuple[int, int]]:
    """The (uid, size) pairs of an answer to ``A7 UID FETCH n:* (UID RFC822.SIZE)``."""
    stream = wire(*lines, b"A7 OK Fetch completed.\r\n")
    return read_responses(b"A7", stream.readline, stream.read, _size)


def test_sizes_come_back_per_uid_in_either_order_of_items() -> None:
    assert sizes(
        b"* 1 FETCH (UID 41 RFC822.SIZE 5120)\r\n",
        b"* 2 FETCH (RFC822.SIZE 20971520 UID 42)\r\n",
        b"* 3 FETCH (FLAGS (\\Seen))\r\n",  # another client read message 3 meanwhile
        b"* 4 EXPUNGE\r\n",
    ) == [(41, 5120), (42, 20971520)]


def test_a_size_answer_without_its_uid_is_read_to_its_end_then_refused() -> None:
    stream = wire(
        b"* 1 FETCH (RFC822.SIZE 5120)\r\n",
        b"* 2 FETCH (UID 42 RFC822.SIZE 10)\r\n",
        b"A7 OK Fetch completed.\r\n",
        b"A8 OK next command\r\n",
    )
    with pytest.raises(FastFetchError):
        read_responses(b"A7", stream.readline, stream.read, _size)
    assert stream.readline() == b"A8 OK next command\r\n"  # the connection is still in step


def test_batches_stop_at_a_count_or_a_byte_limit_and_a_giant_goes_alone() -> None:
    kb = 1024
    sizes = [(1, 10 * kb), (2, 10 * kb), (3, 10 * kb), (4, 50 * kb), (5, 1 * kb), (6, 1 * kb)]
    assert batches(sizes, count=2, limit=100 * kb) == [[1, 2], [3, 4], [5, 6]]
    assert batches(sizes, count=10, limit=25 * kb) == [[1, 2], [3], [4], [5, 6]]
    assert batches([], count=10, limit=kb) == []
