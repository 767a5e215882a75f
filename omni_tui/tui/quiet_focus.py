"""Focus moves that redraw only what looks different."""

from __future__ import annotations

from textual import events
from textual.widget import Widget


class QuietFocus(Widget):
    """Takes and loses the focus without Textual's restyle and full repaint.

    Textual restyles a widget and all its children when it gains or loses the
    focus, and repaints all of it. The console moves the focus on every case it
    opens; for widgets no style rule makes look different with the focus, that
    was work for nothing. Such a widget redraws what changes itself, in its own
    ``on_focus`` and ``on_blur`` (which run before these).

    List it after the widget's Textual base: Textual takes a widget's default
    styles from its first base, class by class.
    """

    def _on_focus(self, event: events.Focus) -> None:
        event.prevent_default()
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def watch_has_focus(self, has_focus: bool) -> None:
        """Nothing to restyle (see above)."""
