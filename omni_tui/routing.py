"""Routing rules: who gets a new case, with which tags and priority, and whether the
customer gets an automatic acknowledgement.

Rules live in their own TOML file (``[routing] rules_file``), which the sync daemon
reads again whenever it changes: a team lead edits it while mail keeps arriving. An
edit with a mistake is reported in one line and the rules before it stay in force.

Every matching rule applies, in file order (later ones override team, assignee and
priority; tags add up), until one says ``stop = true``.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omni_tui.errors import ConfigError

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POLICIES = ("round-robin", "least-open")
PRIORITIES = ("low", "normal", "high", "urgent")
_MATCH_KEYS = ("channel", "account", "to", "sender", "customer_tags", "keywords", "hours")
_ACTION_KEYS = ("team", "assignee", "tags", "priority", "acknowledge", "stop")


@dataclass(frozen=True)
class BusinessHours:
    timezone: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 0)

    def open_at(self, when: datetime) -> bool:
        local = when.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class Team:
    name: str
    agents: tuple[str, ...]
    assign: Literal["round-robin", "least-open"] = "round-robin"


@dataclass(frozen=True)
class Rule:
    name: str
    channel: tuple[str, ...] = ()
    account: tuple[str, ...] = ()
    to: tuple[str, ...] = ()  #: recipient contains (case-insensitive)
    sender: tuple[str, ...] = ()  #: globs on the sender's address
    customer_tags: tuple[str, ...] = ()  #: any of these
    keywords: tuple[str, ...] = ()  #: any of these words in subject or text
    hours: Literal["any", "inside", "outside"] = "any"
    team: str | None = None
    assignee: str | None = None  #: an agent, or "auto": the team's policy
    tags: tuple[str, ...] = ()
    priority: str | None = None
    acknowledge: str | None = None  #: text sent back at once, through the outbox
    stop: bool = False


@dataclass(frozen=True)
class Case:
    """What a rule can look at: a new case's first message and its customer."""

    channel: str
    account: str | None
    sender: str
    recipients: Sequence[str]
    subject: str
    text: str
    customer_tags: Sequence[str]
    at: datetime


@dataclass(frozen=True)
class Decision:
    rules: tuple[str, ...] = ()
    team: str | None = None
    assignee: str | None = None
    tags: tuple[str, ...] = ()
    priority: str | None = None
    acknowledge: str | None = None


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...] = ()
    teams: dict[str, Team] = field(default_factory=dict)
    hours: BusinessHours = field(default_factory=BusinessHours)

    def decide(self, case: Case) -> Decision:
        names: list[str] = []
        team = assignee = priority = ack = None
        tags: list[str] = []
        for rule in self.rules:
            if not self._matches(rule, case):
                continue
            names.append(rule.name)
            team = rule.team or team
            assignee = rule.assignee or assignee
            priority = rule.priority or priority
            ack = rule.acknowledge or ack
            tags += [t for t in rule.tags if t not in tags]
            if rule.stop:
                break
        return Decision(tuple(names), team, assignee, tuple(tags), priority, ack)

    def _matches(self, rule: Rule, case: Case) -> bool:
        if rule.channel and case.channel not in rule.channel:
            return False
        if rule.account and case.account not in rule.account:
            return False
        recipients = " ".join(case.recipients).lower()
        if rule.to and not any(t.lower() in recipients for t in rule.to):
            return False
        if rule.sender and not any(fnmatch.fnmatch(case.sender.lower(), g) for g in rule.sender):
            return False
        if rule.customer_tags and not set(rule.customer_tags) & set(case.customer_tags):
            return False
        if rule.keywords and not _has_word(f"{case.subject}\n{case.text}", rule.keywords):
            return False
        if rule.hours != "any" and self.hours.open_at(case.at) != (rule.hours == "inside"):
            return False
        return True


def _has_word(text: str, words: Sequence[str]) -> bool:
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
    return re.search(pattern, text, re.IGNORECASE) is not None


# -- reading ---------------------------------------------------------------------


class _Reader:
    def __init__(self, source: Path | None) -> None:
        self.file = str(source) if source else "<rules>"

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(self.file, key, problem, fix)

    def words(self, where: str, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(
                f"{where}.{key}",
                "expected a string or a list of strings",
                f'write {key} = ["a", "b"]',
            )
        return tuple(value)

    def text(self, where: str, data: dict[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise self.error(f"{where}.{key}", "expected a non-empty string", f'write {key} = "…"')
        return value

    def only(self, where: str, data: object, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(where, "expected a table", "write it as [table] key = value lines")
        for key in data:
            if key not in allowed:
                raise self.error(
                    f"{where}.{key}",
                    f"unknown key {key!r}",
                    f"remove it; allowed: {', '.join(allowed)}",
                )
        return data


def _clock(reader: _Reader, key: str, value: object) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise reader.error(
            key, f"{value!r} is not a time of day", 'write it like "09:00"'
        ) from None


def _hours(reader: _Reader, data: object) -> BusinessHours:
    table = reader.only("business_hours", data, ("timezone", "days", "start", "end"))
    zone = str(table.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.error(
            "business_hours.timezone",
            f"unknown time zone {zone!r}",
            'use an IANA name such as "Europe/Berlin"',
        ) from None
    days = reader.words("business_hours", table, "days") or DAYS[:5]
    if unknown := [d for d in days if d.lower() not in DAYS]:
        raise reader.error(
            "business_hours.days", f"unknown day {unknown[0]!r}", f"use {', '.join(DAYS)}"
        )
    start = _clock(reader, "business_hours.start", table.get("start", "09:00"))
    end = _clock(reader, "business_hours.end", table.get("end", "17:00"))
    if end <= start:
        raise reader.error(
            "business_hours.end", "ends before it starts", "make end later than start"
        )
    return BusinessHours(zone, tuple(DAYS.index(d.lower()) for d in days), start, end)


def _team(reader: _Reader, index: int, data: object) -> Team:
    where = f"teams[{index}]"
    table = reader.only(where, data, ("name", "agents", "assign"))
    name = reader.text(where, table, "name")
    if name is None:
        raise reader.error(f"{where}.name", "a team needs a name", 'add name = "billing"')
    assign = table.get("assign", "round-robin")
    if assign not in POLICIES:
        raise reader.error(
            f"{where}.assign", f"unknown policy {assign!r}", f"use {' or '.join(POLICIES)}"
        )
    return Team(name, reader.words(where, table, "agents"), assign)


def _rule(reader: _Reader, index: int, data: object, teams: dict[str, Team]) -> Rule:
    where = f"rules[{index}]"
    table = reader.only(where, data, ("name", *_MATCH_KEYS, *_ACTION_KEYS))
    words = {
        k: reader.words(where, table, k)
        for k in ("channel", "account", "to", "sender", "customer_tags", "keywords", "tags")
    }
    hours = table.get("hours", "any")
    if hours not in ("any", "inside", "outside"):
        raise reader.error(
            f"{where}.hours", f"unknown value {hours!r}", 'use "inside" or "outside"'
        )
    team = reader.text(where, table, "team")
    assignee = reader.text(where, table, "assignee")
    if assignee == "auto" and (team is None or team not in teams):
        raise reader.error(
            f"{where}.assignee",
            '"auto" needs a team from [[teams]]',
            "set team to one of the [[teams]] names",
        )
    priority = reader.text(where, table, "priority")
    if priority is not None and priority not in PRIORITIES:
        raise reader.error(
            f"{where}.priority", f"unknown priority {priority!r}", f"use {', '.join(PRIORITIES)}"
        )
    stop = table.get("stop", False)
    if not isinstance(stop, bool):
        raise reader.error(f"{where}.stop", "expected true or false", "write stop = true")
    return Rule(
        name=reader.text(where, table, "name") or f"rule {index + 1}",
        channel=words["channel"],
        account=words["account"],
        to=words["to"],
        sender=tuple(g.lower() for g in words["sender"]),
        customer_tags=words["customer_tags"],
        keywords=words["keywords"],
        hours=hours,
        team=team,
        assignee=assignee,
        tags=words["tags"],
        priority=priority,
        acknowledge=reader.text(where, table, "acknowledge"),
        stop=stop,
    )


def parse_rules(text: str, source: Path | None = None) -> Rules:
    reader = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise reader.error(
            "", f"invalid TOML: {' '.join(str(exc).split())}", "fix the syntax there"
        ) from None
    reader.only("", data, ("business_hours", "teams", "rules"))
    teams_data = data.get("teams", [])
    rules_data = data.get("rules", [])
    if not isinstance(teams_data, list) or not isinstance(rules_data, list):
        raise reader.error(
            "rules",
            "expected [[rules]] and [[teams]] tables",
            "write each as [[rules]] / [[teams]]",
        )
    teams = {t.name: t for t in (_team(reader, i, d) for i, d in enumerate(teams_data))}
    hours = _hours(reader, data["business_hours"]) if "business_hours" in data else BusinessHours()
    rules = tuple(_rule(reader, i, d, teams) for i, d in enumerate(rules_data))
    return Rules(rules, teams, hours)


class RulesFile:
    """The rules file, read again when it changes; a broken edit keeps the last good rules."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rules = Rules()
        self.error: ConfigError | None = None
        self._stamp: tuple[int, int] | None = None

    def current(self) -> Rules:
        if self.path is None:
            return self.rules
        try:
            info = self.path.stat()
        except FileNotFoundError:
            if self._stamp is not None:
                log.warning("%s: the rules file is gone; the last rules stay in force", self.path)
            return self.rules
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp:
            return self.rules
        self._stamp = stamp
        try:
            self.rules = parse_rules(self.path.read_text(encoding="utf-8"), self.path)
            self.error = None
            log.info("%s: %d routing rules in force", self.path, len(self.rules.rules))
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            self.error = (
                exc
                if isinstance(exc, ConfigError)
                else ConfigError(str(self.path), None, f"cannot read it ({exc})", "check the file")
            )
            log.error("%s — the previous rules stay in force", self.error)
        return self.rules
