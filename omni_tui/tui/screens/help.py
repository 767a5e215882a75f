"""Every key of the console, generated from the bindings themselves: the ones that
work where the focus is first, then every other part's, so each id ``[keys]`` can
remap is listed."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

#: A section: its title, and each binding with its keys as the footer shows them.
Section = tuple[str, list[tuple[str, Binding]]]


def _parts() -> list[tuple[str, type[DOMNode]]]:
    """Every part of the console with keys of its own, by the name the help gives it."""
    from omni_tui.tui.composer.composer import Composer
    from omni_tui.tui.console_screen import ConsoleScreen
    from omni_tui.tui.conversation.view import ConversationView
    from omni_tui.tui.customer.timeline import Timeline
    from omni_tui.tui.inbox.list import InboxList
    from omni_tui.tui.screens.pickers import AskText, EditText, PickOne
    from omni_tui.tui.screens.reports import ReportsScreen
    from omni_tui.tui.screens.search import SearchScreen

    return [
        ("Every pane", ConsoleScreen),
        ("Inbox", InboxList),
        ("Conversation", ConversationView),
        ("Composer", Composer),
        ("Customer history", Timeline),
        ("Search", SearchScreen),
        ("Reports", ReportsScreen),
        ("Lists to pick from", PickOne),
        ("Questions", AskText),
        ("Editing a reply", EditText),
        ("Help", HelpScreen),
    ]


def key_sections(app: App[Any]) -> list[Section]:
    """The keys of the focused widget and its ancestors out to the console, then those
    of every other part, each with the keys ``[keys]`` gave it."""
    parts = _parts()
    titles = {cls: title for title, cls in parts}
    focused = app.focused
    here: list[DOMNode] = [focused, *focused.ancestors] if focused else []
    found: list[tuple[str, BindingsMap]] = [
        ("Console" if node is app else titles.get(type(node), type(node).__name__), node._bindings)
        for node in [*here, app]
    ]
    shown = {type(node) for node in here}
    for title, cls in parts:
        if cls not in shown:
            bindings = BindingsMap(cls.__dict__.get("BINDINGS", []))
            bindings.apply_keymap(app._keymap)  # as Textual remaps the mounted ones
            found.append((f"{title} (when there)", bindings))
    sections: list[Section] = []
    seen: set[str] = set()
    for title, bindings in found:
        # one row per binding, its keys together as the terminal shows them ("j ↓")
        rows: dict[str, list[Binding]] = {}  # a binding per key: "j,down" is two
        for _, b in bindings:
            name = b.id or f"{b.action}|{b.description}"
            if name not in seen and (b.tooltip or b.description):
                rows.setdefault(name, []).append(b)
        seen |= set(rows)
        if rows:
            sections.append((title, [(_keys_shown(app, keys), keys[0]) for keys in rows.values()]))
    return sections


def _keys_shown(app: App[Any], keys: list[Binding]) -> str:
    """Letters first, then named keys: "j ↓", "G end"."""
    ordered = sorted(keys, key=lambda b: len(b.key) > 1)
    return " ".join(app.get_key_display(b) for b in ordered)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__(classes="dialog")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static(
                Text("Keys — remap any of them by id under [keys] in the config", style="bold"),
                classes="dialog-title",
            )
            yield Static(_keys_table(self.sections))


def _keys_table(sections: list[Section]) -> Group:
    """Each section's title on a line of its own, full width; under it a key column and
    what the key does, its id after it, dimmed: on a narrow terminal (80×24 over SSH,
    or less) the words wrap, and neither the titles nor the descriptions are cut."""
    parts: list[RenderableType] = []
    for title, bindings in sections:
        if parts:
            parts.append(Text(""))
        parts.append(Text(title, style="bold underline"))
        grid = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        grid.add_column("key", style="bold", no_wrap=True, width=14)
        grid.add_column("action", ratio=1)
        for keys, b in bindings:
            action = Text(b.tooltip or b.description)
            if b.id:
                action.append(f"  {b.id}", style="dim")
            grid.add_row(keys, action)
        parts.append(grid)
    return Group(*parts)
