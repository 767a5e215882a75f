"""The vocabulary of the demo script: the shop's accounts and agents, and the steps of a case.

A step's ``at`` says how long before "now" it happened (``"6d4h30m"``); ``"+2d"``
is in the future (a snooze's wake-up time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SHOP = "Larkspur Coffee Roasters"
SUPPORT_EMAIL = "support@larkspur.example.com"
SMS_NUMBER = "+14155550100"
EMAIL_ACCOUNT = "support-mail"
SMS_ACCOUNT = "sms-twilio"
CHAT_ACCOUNT = "webchat"

# (name, team, email)
AGENTS = (
    ("Ana", "support", "ana@larkspur.example.com"),
    ("Ben", "support", "ben@larkspur.example.com"),
    ("Chloe", "billing", "chloe@larkspur.example.com"),
)


# -- steps -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Email:
    """The customer writes an email.  Follow-ups reply to the case's thread
    (``Re:`` subject, In-Reply-To/References) unless ``fresh`` is set.
    ``attach`` is ``(filename, caption)``: PNG/PDF bytes are generated from
    the caption, CSV/TXT attachments carry the caption as their content."""

    at: str
    text: str = ""
    subject: str | None = None
    html: str | None = None
    attach: tuple[tuple[str, str], ...] = ()
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class Sms:
    at: str
    text: str


@dataclass(frozen=True, slots=True)
class Chat:
    at: str
    text: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reply:
    """An agent's reply; delivered a few seconds later unless ``queued``."""

    at: str
    agent: str
    text: str
    channel: str | None = None
    to: str | None = None
    queued: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    at: str
    agent: str
    text: str


@dataclass(frozen=True, slots=True)
class Assign:
    at: str
    agent: str
    to: str | None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    at: str
    agent: str
    status: str
    until: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    at: str
    agent: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A phone call an agent logs; ``direction`` "out" when we called them."""

    at: str
    agent: str
    text: str
    direction: str = "in"


Step = Email | Sms | Chat | Reply | Note | Assign | Status | Tag | Call


@dataclass(frozen=True, slots=True)
class Case:
    subject: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Customer:
    """Who writes; ``name`` None for someone we only know by a number."""

    key: str
    name: str | None
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    cases: tuple[Case, ...] = ()
