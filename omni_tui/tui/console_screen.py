"""The console's main screen."""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class ConsoleScreen(Screen[None]):
    """Textual's screen, except that a focus move does not redraw all of it.

    The widget losing the focus and the one taking it redraw themselves (and
    their panes mark themselves), which is all that changes on screen. Textual's
    own screen repaints everything as well: opening a case from the inbox then
    cut the whole 200x60 screen into pieces twice, a third of the switch.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
