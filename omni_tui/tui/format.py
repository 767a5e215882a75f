"""Small Rich renderables shared by the panes.  Untrusted text only ever enters
through ``Text(...)``/``append`` (never markup), after control sequences are stripped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher

from omni_tui.text import clean, clean_line

BADGES = {
    "email": "✉ mail",
    "sms": "✆ sms",
    "chat": "◆ chat",
    "phone": "☎ call",
    "in-person": "☺ visit",
    "note": "✎ note",
}
SHORT = {"email": "✉", "sms": "✆", "chat": "◆", "phone": "☎", "in-person": "☺", "note": "✎"}
#: a message's direction between its channel and its text: from the customer, to them
ARROWS = {"in": " ← ", "out": " → ", "note": " · "}  # a note's ✎ is its channel mark


def badge(channel: str) -> Text:
    label = BADGES.get(channel, channel)
    return Text(f"[{label}]", style=f"bold {channel_style(channel)}")


def channel_style(channel: str) -> str:
    return {
        "email": "cyan",
        "sms": "green",
        "chat": "magenta",
        "phone": "yellow",
        "in-person": "yellow",
        "note": "bright_black",
    }.get(channel, "")


def channel_icons(channels: list[str]) -> Text:
    out = Text()
    for channel in channels:
        out.append(SHORT.get(channel, "?"), style=channel_style(channel))
    return out


def now() -> datetime:
    """The console's clock (one place, so snapshots can pin it)."""
    return datetime.now(UTC)


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def age(value: str | None, at: datetime | None = None) -> str:
    then = parse(value)
    if then is None:
        return ""
    seconds = max(0, int(((at or now()) - then).total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 86400}d{seconds % 86400 // 3600}h"


def waiting(value: str | None, warn_minutes: int, breach_minutes: int) -> Text:
    """How long the customer has waited, coloured against the SLA thresholds."""
    then = parse(value)
    if then is None:
        return Text("")
    minutes = (now() - then).total_seconds() / 60
    style = "bold red" if minutes >= breach_minutes else "yellow" if minutes >= warn_minutes else ""
    return Text(f"⏳{age(value)}", style=style)


def when(value: str | None, *, in_a_list: bool = False) -> str:
    """Today's time alone, as mail programs show it; ``in_a_list`` of dated lines, a
    bare "01:00" read as the date of the line above it, so it says "today"."""
    then = parse(value)
    if then is None:
        return ""
    local = then.astimezone()
    if local.date() == now().astimezone().date():
        return local.strftime("today %H:%M" if in_a_list else "%H:%M")
    return local.strftime("%a %d %b %H:%M")


def status(case: dict[str, Any]) -> str:
    """A case's status as the agent reads it: a snoozed one says when it wakes."""
    if case["status"] == "snoozed" and case.get("snoozed_until"):
        return f"snoozed until {when(case['snoozed_until'])}"
    return str(case["status"])


def safe(value: str | None, style: str = "") -> Text:
    return Text(clean(value), style=style)


def safe_line(value: str | None, style: str = "") -> Text:
    return Text(clean_line(value), style=style)


def size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n} {unit}"
        n //= 1024
    return f"{n} GB"


def highlight(matcher: Matcher, label: str) -> Content:
    """``Matcher.highlight`` without reading ``label`` as markup: names, tags and
    addresses come from customers, and ``[/]`` in one must not crash the console."""
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    if score:
        for offset in offsets:
            if not label[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
