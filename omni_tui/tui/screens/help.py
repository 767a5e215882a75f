"""Every key that works right now, generated from the bindings themselves."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, Binding]]]]) -> None:
        """``sections``: a title, and each binding with its keys as the footer shows them."""
        super().__init__(classes="dialog")
        self.sections = sections

    def compose(self) -> ComposeResult:
        grid = Table(box=None, show_header=False, expand=True, padding=(0, 2))
        grid.add_column("key", style="bold", no_wrap=True)
        grid.add_column("action")
        grid.add_column("id", style="dim", no_wrap=True)
        for title, bindings in self.sections:
            grid.add_row(Text(title, style="bold underline"), "", "")
            for keys, b in bindings:
                grid.add_row(keys, b.tooltip or b.description, b.id or "")
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static(
                Text("Keys — remap any of them by id under [keys] in the config", style="bold"),
                classes="dialog-title",
            )
            yield Static(grid)
