"""The console's garbage collector: held during start-up, settled once the first
page is painted, and sweeping old objects while the agent reads."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: Automatic collections of young objects only, and less often than Python's 700:
#: a case switch allocates tens of thousands of short-lived cells and strips.
YOUNG_THRESHOLDS = (20_000, 20)
#: Old objects are swept by ``Sweeper``: an automatic full collection walks the whole
#: unfrozen heap (100-300 ms here) and used to land in the middle of a keypress.
NEVER = 1_000_000

_settled = False
_held = False  # hold_for_frame turned the collector off
_startup_swept = False


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
    never freed; a full collection walks all of them (100-300 ms on a small server).
    They are frozen at once (never scanned again, and freezing walks nothing), and
    the collector runs by itself on young objects only from then on. What start-up
    left behind as garbage goes at the first sweep (``Sweeper``), which waits for
    the agent to pause: the agent's first cases open without it.
    Runs once per process; the collector is on again afterwards.
    """
    global _settled
    if not _settled:
        _settled = True
        gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLDS, NEVER)
    gc.enable()


def sweep_all() -> None:
    """A full collection; the first one also frees the start-up heap's garbage."""
    global _startup_swept
    if _settled and not _startup_swept:
        _startup_swept = True
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    else:
        gc.collect()


def hold_for_frame() -> None:
    """No automatic collection until the case being opened is on screen.

    A case switch allocates tens of thousands of short-lived objects (strips,
    segments, styles; each Textual ``Strip`` that the compositor leaves in one
    piece even caches itself, a small reference cycle). The collector would walk
    them two or three times while the keypress waits, a fifth of the switch;
    ``sweep_young`` walks them once, after the frame is out.
    """
    global _held
    if _settled and gc.isenabled():
        _held = True
        gc.disable()


def sweep_young() -> None:
    """The collector back on, after one sweep of what the last frame left behind."""
    global _held
    if _held:
        _held = False
        gc.collect(1)
        gc.enable()


class Sweeper:
    """Full collections while the agent reads, not while a case is being drawn.

    ``tick`` is called every few seconds: it collects once ``every`` seconds have
    passed and the agent has been idle for ``idle`` seconds, and after
    ``at_latest`` seconds whatever the agent does, so garbage never piles up.
    """

    def __init__(
        self,
        *,
        every: float = 30.0,
        idle: float = 1.0,
        at_latest: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every, self.idle, self.at_latest = every, idle, at_latest
        self._clock = clock
        self._last = clock()

    def tick(self, idle_for: float) -> bool:
        """Collect if it is time; ``idle_for``: seconds since the agent's last key."""
        since = self._clock() - self._last
        if since < self.every or (idle_for < self.idle and since < self.at_latest):
            return False
        sweep_all()
        self._last = self._clock()
        return True
