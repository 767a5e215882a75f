"""Pulling a chat account's relay: its event log becomes messages and delivery news.

Chat messages become chat messages; SMS webhooks the relay took for a gateway
(``/hooks/twilio``, ``/hooks/kannel``) become texts of the SMS account whose
number they were sent to, exactly as if that account's own listener had heard
them. Delivery news is applied before the batch's messages and cursor commit;
it only moves a message forward, so an event seen twice after a crash is harmless.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence

from adapters.base import ChannelError, Cursor, InboundMessage
from adapters.chat.relay import CURSOR_FOLDER, RelayClient, RelayEvent, RelaySettings, inbound
from adapters.sms import kannel, twilio
from omni_tui import accounts, outbox
from omni_tui.config import AccountConfig
from omni_tui.ingest import IngestOptions, IngestResult, ingest
from omni_tui.store import Store, SyncCursor

log = logging.getLogger(__name__)
INSTANCE_FOLDER = "relay-instance"  # the relay log our cursor counts in
PARKED_FOLDER = "relay-parked"  # events of texts no SMS account here takes, yet


def relay_client(account: AccountConfig) -> RelayClient:
    assert account.channel == "chat"
    return RelayClient(
        RelaySettings(account.name, account.relay_url or "", account.secret("token"))
    )


class Unrouted(ChannelError):
    """A text the relay took for an SMS account this console's config lacks."""

    def __init__(self, event: RelayEvent, what: str) -> None:
        self.event_id = event.id
        super().__init__(
            f"relay event {event.id} is {what} here — add that SMS account to the config;"
            " the text waits until then"
        )


class RelayPull:
    def __init__(
        self,
        store: Store,
        account: AccountConfig,
        options: IngestOptions,
        sms_accounts: Sequence[AccountConfig] = (),
    ) -> None:
        self.store, self.account, self.options = store, account, options
        self.sms = [a for a in sms_accounts if a.channel == "sms"]
        self.client = relay_client(account)
        self.new = self.duplicates = 0  # stored by the last pull

    async def pull(self, after: int) -> int:
        """Everything after event ``after``; the last event id taken.

        ``new`` and ``duplicates`` count what was stored, also when the pull stops
        early (an error after some pages were committed). A text for an SMS account
        this console lacks is parked (its event id kept in the store) and the pull goes
        on; parked texts are tried again at every pull, and while any wait the pull
        ends with an :class:`Unrouted` error saying what to configure.
        """
        self.new = self.duplicates = 0
        parked = await self._parked()
        events, instance, last = await self.client.page(after)
        if instance is not None and await self._relay_was_reset(instance, after, last):
            after, parked = 0, []  # the parked ids counted in the old log: read it all again
            await self._park([])
            events, _, _ = await self.client.page(after)
        waiting = await self._retry_parked(parked) if parked else []
        while events:
            messages, unrouted = await self._apply(events)
            if unrouted:  # kept before the cursor moves past them
                waiting += unrouted
                await self._park(waiting)
            cursor = Cursor(self.account.name, CURSOR_FOLDER, str(events[-1].id))
            self._count(await ingest(self.store, messages, cursor, options=self.options))
            after = events[-1].id
            events = await self.client.events(after)
        if waiting:
            raise waiting[-1]
        return after

    def _count(self, result: IngestResult) -> None:
        self.new, self.duplicates = self.new + result.new, self.duplicates + result.duplicates

    async def _parked(self) -> list[int]:
        async with self.store.read() as session:
            row = await session.get(SyncCursor, (self.account.name, PARKED_FOLDER))
        return [int(i) for i in (row.value if row else "").split() if i.isdigit()]

    async def _park(self, waiting: Sequence[Unrouted]) -> None:
        ids = " ".join(str(u.event_id) for u in waiting)
        async with self.store.write() as session:
            await session.merge(
                SyncCursor(account=self.account.name, folder=PARKED_FOLDER, value=ids)
            )

    async def _retry_parked(self, parked: Sequence[int]) -> list[Unrouted]:
        """The parked texts an SMS account now takes are stored; the rest still wait."""
        waiting: list[Unrouted] = []
        for event_id in parked:
            found, _, _ = await self.client.page(event_id - 1, limit=1)
            if not found or found[0].id != event_id:
                log.warning(
                    "%s: parked relay event %d is gone from the relay", self.account.name, event_id
                )
                continue
            messages, unrouted = await self._apply(found)
            waiting += unrouted
            if messages:
                self._count(await ingest(self.store, messages, options=self.options))
        if len(waiting) != len(parked):
            await self._park(waiting)
        return waiting

    async def _relay_was_reset(self, instance: str, after: int, last: int | None) -> bool:
        """True when the relay's log is not the one our cursor counts in (wiped, moved
        to a new server: a new instance id; restored from a backup: the same id, but
        its last event is before our cursor): the cursor goes back to 0 with the log's
        id, in one commit, so none of its events is skipped; any seen before are
        duplicates."""
        async with self.store.read() as session:
            known = await session.get(SyncCursor, (self.account.name, INSTANCE_FOLDER))
        restored = last is not None and last < after
        if known is not None and known.value == instance and not restored:
            return False
        reset = (known is not None or restored) and after > 0
        if reset:
            log.warning(
                "%s: the relay's event log is %s (id %s, was %s): reading it from the start",
                self.account.name,
                "behind our cursor (restored?)" if restored else "new",
                instance,
                known.value if known else None,
            )
        name = self.account.name
        async with self.store.write() as session:
            await session.merge(SyncCursor(account=name, folder=INSTANCE_FOLDER, value=instance))
            if reset:
                await session.merge(SyncCursor(account=name, folder=CURSOR_FOLDER, value="0"))
        return reset

    async def _apply(
        self, events: Sequence[RelayEvent]
    ) -> tuple[list[InboundMessage], list[Unrouted]]:
        """The messages of ``events``, and the texts for SMS accounts this console lacks
        (to park). A malformed event (which the relay's checks make rare) is skipped
        with a warning."""
        messages: list[InboundMessage] = []
        unrouted: list[Unrouted] = []
        for event in events:
            try:
                found = await self._one(event)
            except Unrouted as exc:
                unrouted.append(exc)
                continue
            except (ValueError, KeyError, TypeError, ChannelError) as exc:
                log.warning("%s: relay event %d skipped: %s", self.account.name, event.id, exc)
                continue
            if found is not None:
                messages.append(found)
        return messages, unrouted

    async def _one(self, event: RelayEvent) -> InboundMessage | None:
        data, region = event.data, self.options.default_region
        if event.type == "message":
            return inbound(self.account.name, event)
        if event.type == "delivery":
            await self._report(str(data["message"]), data["status"], data.get("reason"))
        elif event.type == "twilio.sms":
            form = data["form"]
            target = accounts.by_number(self.sms, "twilio", form.get("To"), region)
            if target is None:
                raise Unrouted(event, f"a text to {form.get('To')}, and no twilio account has it")
            gateway = await asyncio.to_thread(accounts.twilio_account, target)
            return await gateway.from_webhook(form)
        elif event.type == "twilio.status":
            form = data["form"]
            state = twilio.delivery(
                form.get("MessageStatus", ""), form.get("ErrorCode"), form.get("ErrorMessage")
            )
            await self._report(form["MessageSid"], state.status, state.reason, "twilio")
        elif event.type == "kannel.mo":
            headers = {k.lower(): v for k, v in data.get("headers", {}).items()}
            # the raw bytes: a UCS-2 or Latin-1 text is decoded as the listener does
            body = (
                base64.b64decode(data["body_b64"]) if "body_b64" in data else data["body"].encode()
            )
            probe = kannel.parse_mo("?", data["query"], body, headers)
            target = accounts.by_number(
                self.sms, "kannel", next(iter(probe.recipients), None), region
            )
            target = target or next((a for a in self.sms if a.provider == "kannel"), None)
            if target is None:
                raise Unrouted(event, "a Kannel text, and no kannel account is configured")
            return kannel.parse_mo(target.name, data["query"], body, headers)
        elif event.type == "kannel.dlr":
            report = kannel.parse_dlr(data["query"])
            await self._report(report.key, report.status, report.reason, "kannel")
        return None

    async def _report(
        self, key: str, status: str, reason: str | None, provider: str | None = None
    ) -> None:
        names = [a.name for a in self.sms if a.provider == provider] if provider else []
        await outbox.record_delivery(
            self.store, key, status, reason, accounts=names or [self.account.name]
        )

    async def wait(self, after: int, seconds: float) -> None:
        """Return as soon as the relay has an event after ``after`` (a long poll)."""
        await self.client.events(after, wait=seconds, limit=1)
