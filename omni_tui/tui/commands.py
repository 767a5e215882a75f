"""The command palette: every action that fits what is on screen right now."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from omni_tui.tui import format as fmt

if TYPE_CHECKING:
    from omni_tui.tui.app import OmniApp
    from omni_tui.tui.composer import Target
    from omni_tui.tui.inbox import InboxView


class OmniCommands(Provider):
    def _commands(self) -> list[tuple[str, str, str, str]]:
        """(title, help, action, key): the key is "" for an action no key is bound to."""
        app: OmniApp = self.app  # type: ignore[assignment]
        keys = app.palette_keys()
        return [(t, h, a, keys.get(a, "")) for t, h, a in app.palette_commands()]

    async def discover(self) -> Hits:
        app = self.app
        for title, help_text, action, key in self._commands():
            yield DiscoveryHit(
                _with_key(Content(title), key),
                partial(app.run_action, action),
                title,
                escape(help_text),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.app
        for title, help_text, action, key in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    _with_key(fmt.highlight(matcher, title), key),
                    partial(app.run_action, action),
                    title,
                    escape(help_text),
                )


def _with_key(title: Content, key: str) -> Content:
    return title if not key else Content.assemble(title, ("  " + key, "dim"))


def palette_entries(
    views: Sequence[InboxView],
    conversation: dict[str, Any] | None,
    targets: Sequence[Target],
    customer: dict[str, Any] | None,
) -> list[tuple[str, str, str]]:
    """(title, help, action) for every action that fits the current context."""
    found = [
        ("Search every channel", "Full-text search", "search"),
        ("Switch inbox view", "Mine, Unassigned, All, channel, status, tag", "pick_view"),
        ("Reports", "Volume, response times, backlog, channel switches", "reports"),
    ]
    found += [(f"View: {v.title}", "Inbox view", f"view({v.key!r})") for v in views]
    if conversation is not None:
        found += [
            (
                f"Reply via {t.channel.upper()} to {t.address}",
                "Answer on this channel",
                f"reply_to({t.channel!r}, {t.address!r})",
            )
            for t in targets
        ]
        found += [
            ("Add private note", "Only agents see it", "note"),
            ("Assign to…", "Me, an agent, nobody or a team", "assign"),
            ("Resolve", "", "resolve"),
            ("Reopen", "", "reopen"),
            ("Mark pending", "Waiting on the customer", "pending"),
            ("Snooze until…", "", "snooze"),
            ("Tag…", "", "tag"),
            ("Merge customer with…", "Fuzzy pick the other customer", "merge"),
            ("Split an address out of this customer…", "Undoes a merge", "split"),
            ("Tag the customer…", "On all their cases; routing rules match them", "customer_tag"),
            ("Note on the customer…", "Every agent sees it beside their cases", "customer_note"),
            ("Add an address to the customer…", "A new email or number they gave", "add_address"),
            ("Log a phone call or visit", "", "log_call"),
            ("New outbound conversation…", "", "compose_new"),
            ("Save attachments of this message", "", "save_attachments"),
            ("Open attachments with the system viewer", "", "open_attachments"),
            ("Retry failed delivery", "", "retry"),
            ("Cancel a queued or failed reply", "", "cancel_reply"),
            ("Edit a queued or failed reply", "", "edit_reply"),
        ]
        if customer and customer["suggestions"]:
            found += [
                (
                    "Accept identity-link suggestion",
                    "Merge the two customers",
                    "link_suggestion(True)",
                ),
                ("Dismiss identity-link suggestion", "", "link_suggestion(False)"),
            ]
    found += [("Help: every key", "", "help"), ("Quit", "", "quit")]
    return found
