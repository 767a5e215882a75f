"""The console's actions on the customer beside the case: tags, note, addresses, merge,
split."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from omni_tui.errors import OmniError
from omni_tui.lazy import deferred
from omni_tui.tui.composing import Composing
from omni_tui.tui.screens.pickers import AskText, EditText, PickOne

if TYPE_CHECKING:
    from omni_tui import customer_profile, customers, queries
else:  # the ORM loads after the first paint (see ``omni_tui.lazy``)
    customer_profile, customers, queries = (
        deferred(f"omni_tui.{name}") for name in ("customer_profile", "customers", "queries")
    )


def customer_label(customer: dict[str, Any]) -> str:
    """A customer as the agent knows them: by name, else "customer 74" (never "#74",
    which in this console is a case)."""
    return str(customer.get("name") or f"customer {customer['id']}")


def tag_words(answer: str) -> tuple[list[str], list[str]]:
    """What a tags dialog asked: the tags to add, and those to remove (``-vip``)."""
    words = answer.replace(",", " ").split()
    return [w for w in words if not w.startswith("-")], [w[1:] for w in words if w[:1] == "-"]


class CustomerActions(Composing):
    """Who the customer is, for every case of theirs; the app supplies loading and repainting."""

    @work(exit_on_error=False)
    async def action_customer_tag(self) -> None:
        """Who the customer is (``wholesale``, ``vip``): on every case of theirs."""
        assert self.store is not None and self.customer is not None
        who = self.customer
        answer = await self.push_screen_wait(
            AskText(f"Tag {customer_label(who)}", "vip  (prefix - to remove: -vip)")
        )
        if not answer:
            return
        add, remove = tag_words(answer)
        store, customer = self.store, int(who["id"])

        async def change() -> None:
            for tags, removing in ((add, False), (remove, True)):
                if tags:
                    await customer_profile.tag_customer(
                        store, customer, tags, agent=self.agent, remove=removing
                    )

        await self._do("Tag customer", change)

    @work(exit_on_error=False)
    async def action_customer_note(self) -> None:
        """One note about the customer, beside all their cases; "-" clears it."""
        assert self.store is not None and self.customer is not None
        who = self.customer
        title, note = f"Note on {customer_label(who)}", who.get("note") or ""
        store, customer, seen = self.store, int(who["id"]), note
        while True:
            dialog = (  # a note of several lines is edited as such, not run together
                EditText(title, note)
                if "\n" in note
                else AskText(title, "what every agent should know (- clears it)", value=note)
            )
            answer = await self.push_screen_wait(dialog)
            if answer is None:
                return
            note = "" if answer == "-" else answer
            changed: list[str] = []

            async def save(
                note: str = note, seen: str = seen, changed: list[str] = changed
            ) -> None:
                try:
                    await customer_profile.set_note(
                        store, customer, note, agent=self.agent, expected=seen
                    )
                except customer_profile.NoteChanged as theirs:
                    changed.append(theirs.current)

            if not await self._do("Customer note", save) or not changed:
                return
            # theirs first, then what this agent wrote: merged by the agent, nothing lost
            seen, note = changed[0], f"{changed[0]}\n\n{note}".strip()
            self.notify(
                "Another agent changed the note meanwhile: theirs is above yours — merge and save",
                title="Customer note", severity="warning",
            )  # fmt: skip

    @work(exit_on_error=False)
    async def action_add_address(self) -> None:
        """An address the customer gave (a new number on the phone): their next message
        from it lands beside their history, and a reply can go to it. What cannot be
        added comes back to be fixed, not thrown away."""
        assert self.store is not None and self.customer is not None
        store, customer = self.store, int(self.customer["id"])
        region, typed = self.config.identity.default_region, ""
        title = f"Add an address to {customer_label(self.customer)}"
        while True:
            answer = await self.push_screen_wait(
                AskText(title, "ana@example.com or +14155550134", value=typed)
            )
            if not answer:
                return
            try:
                channel, address, new = await customer_profile.add_address(
                    store, customer, answer, agent=self.agent, region=region, flag=""
                )
            except customer_profile.AddressTaken as taken:
                owner = await queries.show_customer(store, taken.owner, history_limit=0)
                self.notify(
                    f"{taken.address} is {customer_label(owner)}'s"
                    " — if they are one person, press m to merge them",
                    title="Add address", severity="error", markup=False,
                )  # fmt: skip
            except OmniError as exc:
                self.notify(str(exc), title="Add address", severity="error", markup=False)
            else:
                self.reload()
                said = "added" if new else "is already theirs"
                self.notify(f"{channel} {address} {said}", title="Add address")
                return
            typed = answer

    @work(exit_on_error=False)
    async def action_merge(self) -> None:
        assert self.store is not None and self.customer is not None
        keep = int(self.customer["id"])
        # the newest first: the one to merge has usually just written from a new address
        found = await queries.list_customers(self.store, limit=5000, newest_first=True)
        others = [c for c in found if c["id"] != keep]
        choices = [
            (
                str(c["id"]),
                f"{customer_label(c)}  " + " ".join(i["address"] for i in c["identities"]),
            )
            for c in others
        ]
        pick = await self.push_screen_wait(
            PickOne(f"Merge into {customer_label(self.customer)}", choices)
        )
        if pick:
            store, name = self.store, dict(choices)[pick].split("  ")[0]
            if await self._do(
                "Merge", lambda: customers.merge(store, keep, int(pick), agent=self.agent)
            ):
                self.notify(f"Merged {name} into this customer — U splits an address out again")

    @work(exit_on_error=False)
    async def action_split(self) -> None:
        """A merge undone, or two people who shared an address told apart."""
        assert self.store is not None and self.customer is not None
        who, identities = int(self.customer["id"]), self.customer["identities"]
        if len(identities) < 2:
            self.notify("This customer has one address: there is nothing to split out")
            return
        choices = [(i["address"], f"{i['channel']}  {i['address']}") for i in identities]
        address = await self.push_screen_wait(PickOne("Split out to a new customer", choices))
        if not address:
            return
        store, region = self.store, self.config.identity.default_region
        made: list[int] = []

        async def split() -> None:
            new = await customers.split(store, who, address, agent=self.agent, region=region)
            made.append(new.id or 0)

        if await self._do("Split", split):
            self.notify(f"{address} is now customer #{made[0]}, with its messages")

    @work(exit_on_error=False)
    async def action_link_suggestion(self, accept: bool) -> None:
        assert self.store is not None
        pending = (self.customer or {}).get("suggestions") or []
        if not pending:
            self.notify("No identity-link suggestion for this customer")
            return
        store, suggestion = self.store, int(pending[0]["id"])
        await self._do(
            "Link",
            lambda: customers.decide_suggestion(store, suggestion, accept=accept, agent=self.agent),
        )
