"""The console's garbage collector, settled once the first page is painted."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Keep the collector off the heap that lives as long as the app.

    Textual, SQLAlchemy and the stylesheet leave about a million objects that are
    never freed; a full collection walks all of them (300 ms on a small server)
    and used to come every few keypresses.  After one last full collection they
    are frozen: never scanned again, so a collection walks only what came since.
    """
    gc.collect()  # what start-up left behind goes first, once
    gc.freeze()
