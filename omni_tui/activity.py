"""Is the agent at their console?  Kept from their keys and clicks.

Apart from ``presence`` (which writes the heartbeats), so the console can track
it from its first key without loading the ORM.
"""

from __future__ import annotations

import time
from collections.abc import Callable

HEARTBEAT_EVERY = 20.0  # seconds
AWAY_AFTER = 300.0  # seconds without a key or a click: the agent is away


class Activity:
    """When the agent last touched their console, and the heartbeat that follows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.touched = clock()
        self._beat_at: float | None = None
        self._sent: str | None = None

    def touch(self) -> None:
        self.touched = self._clock()

    @property
    def idle_for(self) -> float:
        """Seconds since the agent's last key or click."""
        return self._clock() - self.touched

    @property
    def status(self) -> str:
        return "away" if self.idle_for >= AWAY_AFTER else "online"

    def due(self) -> str | None:
        """The status to send now, if a heartbeat is due: on schedule, or at once
        when the agent goes away or comes back."""
        now, status = self._clock(), self.status
        if self._beat_at is None or now - self._beat_at >= HEARTBEAT_EVERY or status != self._sent:
            self._beat_at, self._sent = now, status
            return status
        return None
