"""What the parsing worker does with a batch of fetched email.

The parser and the store-independent preparation only: ``parse_worker`` imports
this and nothing of the store, so it is ready to parse about a tenth of a second
after it starts (with the store's ORM it took most of a second, while the sync
parsed batches itself).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from adapters.base import InboundMessage
from adapters.email.fetched import FetchedBatch, parse_fetched
from omni_tui import ingest_prepare
from omni_tui.ingest_prepare import Prepared

Parsed = tuple[list[InboundMessage], list[Prepared] | None]


def parse_and_prepare(
    account: str, max_bytes: int, region: str, attachments: Path, fetched: FetchedBatch
) -> Parsed:
    """What the worker does with a batch (and the sync's thread, without a worker).

    The attachments are written to ``attachments`` here, and their bytes are not
    handed back: the rows name them by their sha256.
    """
    messages = parse_fetched(account, max_bytes, fetched)
    if not ingest_prepare.fits(messages):
        return messages, None
    prepared = ingest_prepare.prepare(messages, region, attachments)
    return [_without_attachment_bytes(m) for m in messages], prepared


#: What the worker sends back: the parsed batch, less the raw messages it was sent
#: and kept as they came (the sync holds those), and which ones those are. A batch
#: with its rows prepared goes back without the messages' words too: the store takes
#: them from the rows (``Prepared.text``), so they would cross the pipe twice.
Answer = tuple[Parsed, list[int]]


def answer(
    account: str, max_bytes: int, region: str, attachments: Path, fetched: FetchedBatch
) -> Answer:
    """``parse_and_prepare`` for the pipe: each raw message crosses it once, not twice."""
    messages, prepared = parse_and_prepare(account, max_bytes, region, attachments, fetched)
    returned = []
    for index, (message, item) in enumerate(zip(messages, fetched.items, strict=True)):
        if message.raw is not item[1]:  # rewritten (a skipped attachment): it goes back as it is
            if prepared is not None:
                messages[index] = replace(message, text="", html=None)
            continue
        returned.append(index)
        messages[index] = (
            replace(message, raw=None)
            if prepared is None
            else replace(message, raw=None, text="", html=None)
        )
        if prepared is not None and (row := prepared[index].raw) is not None:
            row["data"] = None
    return (messages, prepared), returned


def with_raw(fetched: FetchedBatch, answered: Answer) -> Parsed:
    (messages, prepared), returned = answered
    for index in returned:
        raw = fetched.items[index][1]
        messages[index] = replace(messages[index], raw=raw)
        if prepared is not None and (row := prepared[index].raw) is not None:
            row["data"] = raw
    return messages, prepared


def _without_attachment_bytes(message: InboundMessage) -> InboundMessage:
    if not any(part.data is not None for part in message.attachments):
        return message
    parts = [
        part
        if part.data is None
        else replace(part, data=None, size=part.size if part.size is not None else len(part.data))
        for part in message.attachments
    ]
    return replace(message, attachments=parts)
