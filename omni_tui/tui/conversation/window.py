"""Which messages of the open case the console reads."""

from __future__ import annotations

from dataclasses import dataclass

#: Messages read when a case opens (the latest ones); the view paints 20 of them.
MESSAGE_PAGE = 100


@dataclass(slots=True)
class CaseWindow:
    """The latest page of the open case, more on request, and every message from one
    the agent jumped to: a thousand-message case opens as fast as a short one.

    Kept while the same case is shown, so a repaint reads what is on screen.
    """

    conversation_id: int | None = None
    latest: int | None = MESSAGE_PAGE
    since: int | None = None

    def read(self, conversation_id: int, message_id: int | None) -> tuple[int | None, int | None]:
        """(latest, since) for ``panes.conversation``; ``message_id`` must be among them."""
        if conversation_id != self.conversation_id:
            self.conversation_id, self.latest, self.since = conversation_id, MESSAGE_PAGE, None
        if message_id is not None:
            self.since = message_id
        return self.latest, self.since

    def earlier(self, loaded: int, *, everything: bool = False) -> None:
        """The agent went past the oldest message read: a page more, or all of them."""
        self.latest = None if everything else loaded + MESSAGE_PAGE

    def loaded(self, conversation_id: int, oldest: int | None) -> None:
        """The case was read from ``oldest`` on; its repaints read at least that far.

        "The latest page" moves as messages arrive: without this, a new message
        pushed the oldest one read out of the view, and the cursor resting on it
        jumped to the newest card.
        """
        if conversation_id == self.conversation_id and oldest is not None:
            self.since = oldest
