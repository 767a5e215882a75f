"""The console's garbage collector: held during start-up, settled once the first page is painted."""

from __future__ import annotations

import gc

_settled = False


def hold_collector() -> None:
    """No collections while the console starts.

    Start-up builds a heap that lives as long as the app (Textual, its stylesheet,
    the first screen); each collection on the way walks that growing heap again,
    about a fifth of the time to the first paint on a small server.
    """
    gc.disable()


def settle_heap() -> None:
    """Keep the collector off the heap that lives as long as the app.

    Textual, SQLAlchemy and the stylesheet leave about a million objects that are
    never freed; a full collection walks all of them (300 ms on a small server)
    and used to come every few keypresses.  After one last full collection they
    are frozen: never scanned again, so a collection walks only what came since.
    Runs once per process; the collector is on again afterwards.
    """
    global _settled
    if not _settled:
        _settled = True
        gc.collect()  # what start-up left behind goes first, once
        gc.freeze()
    gc.enable()
