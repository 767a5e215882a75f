"""The footer: the focused widget's keys, drawn as one line of text.

Textual's ``Footer`` mounts one widget per key and recomposes them all whenever
focus moves; with a console's worth of bindings that was about half the work of
opening a conversation. This draws the same hints (key, description, the
palette key on the right, dimmed when disabled) as a single widget that only
repaints, and a click on a hint presses its key, as the stock footer does.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.keys import key_to_character
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

#: (key, shown key, description, enabled) of one hint
Hint = tuple[str, str, str, bool]

#: Hints left out first on a narrow terminal, so a case's own keys stay in sight (at 80
#: columns Resolve, Snooze and Tag fell off the end): views, search and quit are the
#: keys every agent learns first, and they stay on ``?`` and in the palette.
LESS_NEEDED = ("pick_view", "search", "quit")


class KeyBar(Widget, can_focus=False):
    """Key hints for the screen's active bindings, or for the dialog over it: a dialog
    takes every key, so the console's own would be hints that type into its filter."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._hints: list[Hint] = []
        self._spare: list[Hint] = []  # of ``_hints``, those to leave out first
        self._palette: Hint | None = None
        self._spans: list[tuple[int, int, Hint]] = []
        self._drawn: dict[tuple[object, ...], tuple[Strip, list[tuple[int, int, Hint]]]] = {}
        self._shown: Screen[object] | None = None  # the screen whose keys are drawn

    def on_mount(self) -> None:
        self._shown = self.screen
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        self.app.screen_change_signal.unsubscribe(self)
        self.screen.bindings_updated_signal.unsubscribe(self)
        if self._shown is not None and self._shown is not self.screen:
            self._shown.bindings_updated_signal.unsubscribe(self)

    def _screen_changed(self, top: Screen[object]) -> None:
        """A dialog opened over this screen, or closed: draw the keys of the one on top."""
        if not self.is_attached or self.screen not in self.app.screen_stack:
            return
        if top is self._shown:
            return
        if self._shown is not None and self._shown is not self.screen:
            self._shown.bindings_updated_signal.unsubscribe(self)
        if top is not self.screen:
            top.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._shown = top
        self._bindings_changed(top)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self._shown:
            return
        hints, palette, spare = self._collect(screen)
        if (hints, palette) != (self._hints, self._palette):
            self._hints, self._palette, self._spare = hints, palette, spare
            self.refresh()

    def _collect(self, screen: Screen[object]) -> tuple[list[Hint], Hint | None, list[Hint]]:
        active = screen.active_bindings
        seen: set[str] = set()
        hints: list[Hint] = []
        spare: dict[str, Hint] = {}
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if _typed_into(screen, key):
                continue  # the composer takes "/" as text: no use offering it as a key
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                hints.append(self._hint(binding, enabled))
                if binding.action in LESS_NEEDED:
                    spare[binding.action] = hints[-1]
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and self.app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            palette = self._hint(binding, enabled)
        return hints, palette, [spare[a] for a in LESS_NEEDED if a in spare]

    def _hint(self, binding: Binding, enabled: bool) -> Hint:
        return binding.key, self.app.get_key_display(binding), binding.description, enabled

    def render_line(self, y: int) -> Strip:
        """The line, drawn once per set of hints: focus moves back and forth between
        a few widgets, and their hints are drawn again only when they change."""
        width = self.size.width
        key = (tuple(self._hints), self._palette, width, self.app.theme)
        cached = self._drawn.get(key)
        if cached is None:
            line = self._line()
            base = self.get_visual_style().rich_style
            segments = Segment.apply_style(line.render(self.app.console), base)
            strip = Strip(list(segments)).adjust_cell_length(width, base)
            cached = self._drawn[key] = (strip, self._spans)
            if len(self._drawn) > 16:
                self._drawn.pop(next(iter(self._drawn)))
        strip, self._spans = cached
        return strip

    def render(self) -> RenderResult:
        return self._line()

    def _line(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, Hint]] = []

        def add(hint: Hint) -> None:
            _key, shown, description, enabled = hint
            start = len(line)
            line.append(f" {shown} ", key_style)
            if description:
                line.append(f"{description} ", text_style)
            if not enabled:
                line.stylize("dim", start)
            spans.append((start, len(line), hint))

        hints, short = self._fitted()
        palette = Text(no_wrap=True, end="")
        if self._palette is not None:  # always shown, at the right: the way to every action
            _key, shown, description, _enabled = self._palette
            palette.append(f"│ {shown} ", key_style)
            if not short:
                palette.append(f"{description} ", text_style)
        room = self.size.width - len(palette)
        for hint in hints:
            before = len(line)
            add(hint)
            if len(line) > room:  # only whole hints: the rest are in the palette and on ?
                line.right_crop(len(line) - before)
                spans.pop()
                break
        if self._palette is not None and room >= 0:
            line.append(" " * (room - len(line)))
            spans.append((len(line), len(line) + len(palette), self._palette))
            line.append_text(palette)
        self._spans = spans
        return line

    def _fitted(self) -> tuple[list[Hint], bool]:
        """The hints for this width, and whether the line is short of room: then the
        palette's hint is its key alone and the less needed hints go first."""

        full = short = 0
        if self._palette is not None:  # drawn as "│" and the hint
            key, shown, _text, enabled = self._palette
            full, short = 1 + _cells(self._palette), 1 + _cells((key, shown, "", enabled))
        hints = list(self._hints)
        if sum(map(_cells, hints)) + full <= self.size.width:
            return hints, False
        for spare in self._spare:
            if sum(map(_cells, hints)) + short <= self.size.width:
                break
            hints.remove(spare)
        return hints, True

    def on_click(self, event: events.Click) -> None:
        for start, end, (key, _shown, _description, enabled) in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return


def _cells(hint: Hint) -> int:
    """How wide ``_line`` draws a hint: " key description " (" key " without one)."""
    _key, shown, description, _enabled = hint
    return len(f" {shown} ") + (len(description) + 1 if description else 0)


#: keys whose character Textual's ``key_to_character`` does not know
_CHARACTERS = {"slash": "/"}


def _typed_into(screen: Screen[object], key: str) -> bool:
    """Whether the focused widget (a text area, an input) takes ``key`` as typing."""
    focused = screen.focused
    character = key_to_character(key) or _CHARACTERS.get(key)
    return (
        focused is not None and character is not None and focused.check_consume_key(key, character)
    )
