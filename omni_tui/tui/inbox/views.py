"""The inbox's views (Mine, Unassigned, per channel, status, tag) and their pages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from omni_tui.store import listing
from omni_tui.tui import format as fmt

PAGE = 100
FIRST_SORT = "waiting"  # longest-waiting customer first


@dataclass(frozen=True, slots=True)
class InboxView:
    key: str
    title: str
    where: listing.ListFilter


def default_views(agent: str) -> list[InboxView]:
    unresolved = "open"
    views = [
        InboxView("mine", "Mine", listing.ListFilter(assignee=agent, status=unresolved)),
        InboxView(
            "unassigned", "Unassigned", listing.ListFilter(unassigned=True, status=unresolved)
        ),
        InboxView("all", "All open", listing.ListFilter(status=unresolved)),
    ]
    for channel in ("email", "sms", "chat", "phone"):
        views.append(
            InboxView(
                f"channel:{channel}",
                f"{fmt.SHORT[channel]} {channel}",  # what "v" then "email" finds
                listing.ListFilter(channel=channel, unresolved=True),
            )
        )
    for status in ("open", "pending", "snoozed", "resolved"):
        views.append(
            InboxView(f"status:{status}", status.capitalize(), listing.ListFilter(status=status))
        )
    return views


def tag_view(tag: str) -> InboxView:
    return InboxView(f"tag:{tag}", f"#{tag}", listing.ListFilter(tag=tag))


def page_filter(
    view: InboxView,
    sort: str,
    after: tuple[int, int] | None = None,
    limit: int = PAGE,
    *,
    agent: str | None = None,
) -> listing.ListFilter:
    """What one page of ``view`` reads: from the top, or ``after`` a row's mark; rows
    where ``agent`` left a draft say so."""
    return replace(view.where, sort=sort, limit=limit, after=after, drafts_of=agent)


FirstPage = tuple[InboxView, list[dict[str, Any]]]
