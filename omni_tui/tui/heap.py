"""The console's garbage-collector settings, applied once the first page is painted."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Keep the collector off the heap that lives as long as the app.

    Textual, SQLAlchemy and the stylesheet leave about a million objects that are
    never freed; a full collection walks all of them (300 ms on a small server)
    and used to come every few keypresses.  Frozen, they are never scanned again,
    and a higher first threshold makes collections rarer while a case opens.
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
