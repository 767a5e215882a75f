"""The teams a case can be handed to: those the routing rules define, those cases
and agents already carry, and the agent's own.

A team is a label on a case; a misspelt one ("billin") would put the case in a
queue nobody watches, so a name is matched to a known team, case aside.
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from omni_tui.config import Config
from omni_tui.errors import ConfigError, Refused
from omni_tui.store import Agent, Conversation, Store


def configured(config: Config) -> list[str]:
    """The ``[[teams]]`` of the rules file; none when it is missing or unreadable
    (the daemon reports a broken rules file; choosing a team must still work)."""
    from omni_tui.routing import parse_rules

    path = config.routing.rules_path(config.source)
    try:
        return list(parse_rules(path.read_text(encoding="utf-8"), path).teams)
    except (OSError, UnicodeDecodeError, ConfigError):
        return []


async def known(store: Store, config: Config) -> list[str]:
    names = set(await asyncio.to_thread(configured, config))  # a file: off the event loop
    if config.agent.team:
        names.add(config.agent.team)
    async with store.read() as session:
        on_cases = await session.exec(
            select(Conversation.team).where(col(Conversation.team).is_not(None)).distinct()
        )
        of_agents = await session.exec(
            select(Agent.team).where(col(Agent.team).is_not(None)).distinct()
        )
        names.update(t for t in [*on_cases.all(), *of_agents.all()] if t)
    return sorted(names, key=str.casefold)


def match(name: str, teams: list[str], config: Config) -> str:
    """The known team ``name`` means ("Billing " is billing); a new name only while no
    team is known at all (a team without a rules file starts its first label so)."""
    wanted = " ".join(name.split())
    for team in teams:
        if team.casefold() == wanted.casefold():
            return team
    if not teams:
        return wanted
    path = config.routing.rules_path(config.source)
    raise Refused(
        f"unknown team {wanted!r} — the known teams are {', '.join(teams)};"
        f" a new team is added to {path} ([[teams]])"
    )
