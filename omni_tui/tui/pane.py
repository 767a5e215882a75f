"""A bordered pane that shows when the focus is inside it."""

from __future__ import annotations

from textual import events
from textual.containers import Vertical


class Pane(Vertical):
    """Marks itself ``-active`` while it holds the focus, restyling only itself.

    A ``:focus-within`` rule would do the same, but Textual then restyles every
    widget inside both panes on each focus move: the largest single cost of
    opening a case from the inbox.
    """

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark()

    def on_mount(self) -> None:
        self._mark()

    def _mark(self) -> None:
        active = self.has_focus_within
        if active != self.has_class("-active"):
            self.set_class(active, "-active", update=False)
            self.app.stylesheet.update_nodes([self])  # this pane only: its border
