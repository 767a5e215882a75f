"""Generate (once) and cache a large synthetic omni-tui store for the console benchmark.

    python bench/generate.py --messages 1000000 --customers 100000

The store is created with ``Store.open(path, create=True)`` so the real schema,
migrations and FTS5 triggers are in place, then filled with the stdlib
``sqlite3`` module in big ``executemany`` transactions (the product's ingest path
would take hours for a million messages).  Messages are inserted in
chronological order, so row ids interleave across conversations the way a real
sync fills the table.  Finally the product's own summary SQL
(``sqlite.refresh_summary_sql``) computes every conversation's inbox columns.

The result lives in ``bench/.cache/`` keyed by the sizes and seed, next to a
``.json`` file describing it (the big customer, sample order numbers, …).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sqlite3
import sys
import time
from bisect import bisect
from itertools import accumulate
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import corpus as C  # noqa: E402

GENERATOR_VERSION = 1
CACHE = HERE / ".cache"
DAY = 86_400_000
HOUR = 3_600_000
MINUTE = 60_000
SPAN = 3 * 365 * DAY  # history covered by the store
RECENT = 14 * DAY
SUPPORT_EMAIL = "support@brewshop.example"
SUPPORT_SMS = "+18005550100"
ACCOUNTS = {"email": "mail", "sms": "sms", "chat": "web"}


def log(msg: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def default_conversations(messages: int) -> int:
    return max(1, round(messages * 0.3))


def default_whale(messages: int) -> int:
    return min(10_000, messages // 2)


def cache_key(messages: int, customers: int, conversations: int, whale: int, seed: int) -> str:
    return f"m{messages}-c{customers}-v{conversations}-w{whale}-s{seed}-g{GENERATOR_VERSION}"


def cache_paths(key: str) -> tuple[Path, Path]:
    return CACHE / f"store-{key}.db", CACHE / f"store-{key}.json"


def ensure_store(
    messages: int,
    customers: int,
    conversations: int | None = None,
    whale: int | None = None,
    seed: int = 1,
    force: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """The cached store for these sizes (generated first if missing) and its metadata."""
    conversations = conversations or default_conversations(messages)
    whale = default_whale(messages) if whale is None else whale
    key = cache_key(messages, customers, conversations, whale, seed)
    db, meta_path = cache_paths(key)
    if db.exists() and meta_path.exists() and not force:
        upgrade_in_place(db)
        return db, json.loads(meta_path.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = db.with_suffix(".db.tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), db, meta_path):
        p.unlink(missing_ok=True)
    started = time.perf_counter()
    meta = Generator(messages, customers, conversations, whale, seed).run(tmp)
    meta["generation_s"] = round(time.perf_counter() - started, 1)
    meta["key"] = key
    os.replace(tmp, db)
    meta_path.write_text(json.dumps(meta, indent=1))
    log(f"done in {meta['generation_s']} s -> {db} ({db.stat().st_size / 1e6:.0f} MB)")
    return db, meta


def upgrade_in_place(db: Path) -> None:
    """A store cached by an older omni-tui is upgraded once, here, so that no run
    times the migration instead of the console."""
    import sqlite3
    import threading

    from omni_tui.store import SCHEMA_VERSION

    with sqlite3.connect(db) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    started = time.perf_counter()
    # a thread of its own: the caller may already be running an event loop
    upgrade = threading.Thread(target=asyncio.run, args=(_create_schema(db),))
    upgrade.start()
    upgrade.join()
    log(f"upgraded the cached store v{version} -> v{SCHEMA_VERSION}"
        f" in {time.perf_counter() - started:.1f} s")  # fmt: skip


async def _create_schema(path: Path) -> None:
    from omni_tui.store import Store

    store = await Store.open(path, create=True)
    await store.close()


class Generator:
    def __init__(self, messages: int, customers: int, conversations: int, whale: int, seed: int):
        if customers < 2:
            raise SystemExit("need at least 2 customers")
        self.n_messages = messages
        self.n_customers = customers
        self.n_conversations = conversations
        self.whale_messages = whale
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = int(time.time() * 1000) // MINUTE * MINUTE
        self.filler_cw = list(accumulate(1.0 / (i + 1) for i in range(len(C.FILLER))))

    # -- people ----------------------------------------------------------------

    def make_customers(self) -> None:
        rng = self.rng
        n = self.n_customers
        self.whale_id = n // 2 + 7 if n > 20 else 1
        self.customers: list[list[Any]] = [None] * (n + 1)  # type: ignore[list-item]
        self.identities: list[list[tuple[int, str, str, str | None]]] = [[] for _ in range(n + 1)]
        self.identity_rows: list[tuple] = []
        self.customer_tags: list[tuple[int, str]] = []
        ident_id = 0
        channels = ["email", "sms", "chat"]
        for cid in range(1, n + 1):
            first, last = rng.choice(C.FIRST), rng.choice(C.LAST)
            name = f"{first.capitalize()} {last.capitalize()}"
            if cid == self.whale_id:
                k, chosen = 3, ["email", "sms", "chat"]
            else:
                k = rng.choices((1, 2, 3), (60, 30, 10))[0]
                chosen = []
                while len(chosen) < k:
                    ch = rng.choices(channels, (50, 30, 20))[0]
                    if ch not in chosen:
                        chosen.append(ch)
            only_phone = chosen == ["sms"] and rng.random() < 0.5
            display = None if only_phone else name
            for ch in chosen:
                ident_id += 1
                if ch == "email":
                    sep = rng.choice((".", "", "_"))
                    addr = f"{first}{sep}{last}{cid}@{rng.choice(C.EMAIL_DOMAINS)}"
                    dn = display
                elif ch == "sms":
                    addr = f"+1{200 + cid % 780:03d}{cid:07d}"
                    dn = None
                else:
                    addr = f"web:visitor-{rng.getrandbits(40):010x}{cid:x}"
                    dn = display or "Visitor"
                self.identities[cid].append((ident_id, ch, addr, dn))
            # unknown texters have no name: the inbox shows their number
            self.customers[cid] = [cid, "" if only_phone else name, first, None, None]
            if rng.random() < 0.05:
                for tag in rng.sample(["vip", "wholesale", "b2b", "press", "at-risk"], 1):
                    self.customer_tags.append((cid, tag))
            if "sms" in chosen and rng.random() < 0.005:
                self.customers[cid][4] = True  # opted out (time set later)

    # -- conversation plans ----------------------------------------------------

    def plan_conversations(self) -> None:
        rng = self.rng
        n_cust = self.n_customers
        whale_msgs = self.whale_messages
        huge = min(1000, whale_msgs // 10) if whale_msgs else 0
        rest = whale_msgs - huge
        whale_convs = [huge] if huge else []
        while rest > 0:
            size = min(rest, max(1, int(rng.expovariate(1 / 38))))
            whale_convs.append(size)
            rest -= size
        normal_total = self.n_messages - whale_msgs
        n_normal = max(n_cust - 1, self.n_conversations - len(whale_convs))
        n_normal = min(n_normal, normal_total)
        # every customer has at least one case; the rest go to a heavy-tailed few
        others = [c for c in range(1, n_cust + 1) if c != self.whale_id]
        owners = list(others)
        weights = list(accumulate(rng.paretovariate(1.3) for _ in others))
        for _ in range(n_normal - len(others)):
            owners.append(others[bisect(weights, rng.random() * weights[-1])])
        mean = normal_total / n_normal
        p = 1 / mean
        logq = math.log(1 - p) if p < 1 else None
        counts = []
        for _ in range(n_normal):
            if logq is None:
                counts.append(1)
            else:
                counts.append(1 + int(math.log(1 - rng.random()) / logq))
        diff = normal_total - sum(counts)
        while diff > 0:
            i = rng.randrange(n_normal)
            counts[i] += 1
            diff -= 1
        while diff < 0:
            i = rng.randrange(n_normal)
            if counts[i] > 1:
                counts[i] -= 1
                diff += 1
        plans = [(owner, count, False) for owner, count in zip(owners, counts, strict=True)]
        plans += [(self.whale_id, size, i == 0 and huge > 0) for i, size in enumerate(whale_convs)]
        # start times; conversations get ids in order of creation
        dated = []
        for owner, count, is_huge in plans:
            start = self.now - int(rng.random() ** 0.9 * SPAN)
            dated.append((start, owner, count, is_huge))
        self.plans = dated  # sorted once the real start (after span shift) is known

    # -- text ------------------------------------------------------------------

    def filler(self) -> str:
        rng = self.rng
        words = rng.choices(C.FILLER, cum_weights=self.filler_cw, k=rng.randint(5, 14))
        return " ".join(words).capitalize() + "."

    def slots(self) -> dict[str, Any]:
        rng = self.rng
        return {
            "order": rng.randint(100000, 999999),
            "tracking": f"1Z{rng.getrandbits(56):014X}",
            "item": rng.choice(C.ITEMS),
            "brand": rng.choice(C.BRANDS),
            "model": rng.choice(C.MODELS),
            "color": rng.choice(C.COLORS),
            "city": rng.choice(C.CITIES),
            "carrier": rng.choice(C.CARRIERS),
            "amount": f"${rng.randint(5, 900)}.{rng.randint(0, 99):02d}",
            "n": rng.randint(2, 40),
            "serial": f"SN{rng.randint(10**7, 10**8 - 1)}",
            "day": rng.choice(C.DAYS),
            "team": rng.choice(C.TEAMS),
        }

    def customer_text(self, topic: tuple, slots: dict, channel: str, first: str, k: int,
                      quote: str | None, when: str) -> str:
        rng = self.rng
        sentences = topic[2]
        if k > 0 and channel != "email" and rng.random() < 0.3:
            return rng.choice(C.SHORT_IN)
        if channel == "email":
            n = rng.randint(1, 3)
            body = " ".join(rng.choice(sentences).format_map(slots) for _ in range(n))
            if rng.random() < 0.45:
                body += " " + self.filler()
            closer = rng.choice(C.CUSTOMER_CLOSERS)
            greeting = rng.choice(C.GREETINGS_IN)
            signoff = rng.choice(C.SIGNOFFS_IN)
            text = f"{greeting}\n\n{body}\n{closer}\n\n{signoff}\n{first.capitalize()}"
            if quote and rng.random() < 0.5:
                quoted = "\n".join("> " + line for line in quote.splitlines()[:8])
                text += f"\n\nOn {when}, Brew Shop Support <{SUPPORT_EMAIL}> wrote:\n{quoted}"
            return text.strip()
        text = rng.choice(sentences).format_map(slots)
        if channel == "sms" and rng.random() < 0.3:
            text = text.lower()
        if rng.random() < 0.25:
            text += " " + self.filler()
        return text

    def agent_text(self, topic: tuple, slots: dict, channel: str, first: str, agent: str,
                   quote: str | None, when: str) -> str:
        rng = self.rng
        sentence = rng.choice(topic[3]).format_map(slots)
        if channel == "email":
            extra = " " + rng.choice(topic[3]).format_map(slots) if rng.random() < 0.4 else ""
            text = (
                f"Hi {first.capitalize()},\n\n{rng.choice(C.AGENT_OPENERS)} {sentence}{extra}\n\n"
                f"{rng.choice(C.AGENT_CLOSERS)}\n\n{agent.capitalize()}\nBrew Shop Support"
            )
            if quote:
                quoted = "\n".join("> " + line for line in quote.splitlines()[:10])
                text += f"\n\nOn {when}, {first.capitalize()} wrote:\n{quoted}"
            return text
        if channel == "chat" and rng.random() < 0.3:
            return f"{rng.choice(C.AGENT_OPENERS)} {sentence}"
        return sentence

    # -- messages --------------------------------------------------------------

    def build(self) -> None:
        rng = self.rng
        now = self.now
        msgs: list[tuple] = []
        convs: list[list[Any]] = []
        conv_tags: list[tuple[int, str]] = []
        gap_mean = {"email": 7 * HOUR, "sms": 40 * MINUTE, "chat": 3 * MINUTE}
        reply_mean = {"email": 3 * HOUR, "sms": 25 * MINUTE, "chat": 90 * 1000}
        topics = C.TOPICS
        # first pass: lay out each conversation's timeline, so ids follow creation order
        laid = []
        for start, owner, count, is_huge in self.plans:
            idents = self.identities[owner]
            primary = rng.choice(idents)
            switch_at = None
            if len(idents) > 1 and count > 1 and rng.random() < 0.12:
                switch_at = rng.randint(1, count - 1)
            kinds = []
            d = "in" if rng.random() < 0.94 else "out"
            for k in range(count):
                if k > 0 and rng.random() < 0.04:
                    kinds.append("note")
                    continue
                if k > 0:
                    if d == "in":
                        d = "out" if rng.random() < 0.75 else "in"
                    else:
                        d = "in" if rng.random() < 0.8 else "out"
                kinds.append(d)
            times = []
            t = 0
            for k in range(count):
                if k:
                    ch = primary[1]
                    if is_huge:
                        gap = int(rng.expovariate(1 / (0.9 * DAY)))
                    elif kinds[k] == "out" and kinds[k - 1] == "in":
                        gap = int(rng.expovariate(1 / reply_mean[ch]))
                    else:
                        gap = int(rng.expovariate(1 / gap_mean[ch]))
                    if not is_huge and rng.random() < 0.05:
                        gap += rng.randint(1, 6) * DAY
                    t += max(gap, 5000)
                times.append(t)
            if is_huge:
                start = now - t - rng.randint(10, 90) * MINUTE  # ongoing: ends just now
            elif start + t > now - MINUTE:
                start = now - t - rng.randint(1, 120) * MINUTE
            laid.append((start, owner, count, is_huge, primary, switch_at, kinds, times))
        laid.sort(key=lambda x: x[0])
        self.whale_conversations: list[int] = []
        self.huge_conversation: int | None = None
        self.sample_orders: list[int] = []
        for conv_id, (start, owner, count, is_huge, primary, switch_at, kinds, times) in enumerate(
            laid, start=1
        ):
            cust = self.customers[owner]
            first = cust[2]
            if cust[3] is None or start < cust[3]:
                cust[3] = start  # customer created at first contact
            idents = self.identities[owner]
            topic = topics[rng.randrange(len(topics))]
            slots = self.slots()
            if rng.random() < 0.002 and len(self.sample_orders) < 40:
                self.sample_orders.append(slots["order"])
            subject = rng.choice(topic[1]).format_map(slots)
            agent = rng.choice(C.AGENTS)
            end = start + times[-1]
            last_real = max((k for k in range(count) if kinds[k] != "note"), default=0)
            last_dir = kinds[last_real]
            recent = now - end < RECENT
            r = rng.random()
            if is_huge:
                status = "open"
            elif recent:
                if last_dir == "in":
                    status = "open" if r < 0.80 else "pending" if r < 0.85 else (
                        "snoozed" if r < 0.90 else "resolved")
                else:
                    status = "pending" if r < 0.4 else "resolved" if r < 0.8 else (
                        "open" if r < 0.95 else "snoozed")
            else:
                status = "resolved" if r < 0.975 else "open" if r < 0.985 else (
                    "pending" if r < 0.995 else "snoozed")
            assignee = agent if (status == "resolved" or rng.random() < 0.7) else None
            team = rng.choice(C.TEAMS) if rng.random() < 0.5 else None
            priority = rng.choices(("normal", "high", "low", "urgent"), (85, 10, 3, 2))[0]
            snoozed_until = now + rng.randint(30, 400) * DAY if status == "snoozed" else None
            resolved_at = end + rng.randint(5, 600) * MINUTE if status == "resolved" else None
            if resolved_at is not None:
                resolved_at = min(resolved_at, now)
            updated_at = resolved_at or end
            # unread: the customer's trailing messages of an unanswered, live case
            trailing_unread = status != "resolved" and last_dir == "in" and rng.random() < 0.7
            if owner == self.whale_id:
                self.whale_conversations.append(conv_id)
                if is_huge:
                    self.huge_conversation = conv_id
            if rng.random() < 0.2:
                for tag in rng.sample(
                    ["refund", "shipping", "damaged", "billing", "warranty", "wholesale", "bug",
                     "feedback", "returns", "address-change", "escalated"], rng.randint(1, 2)
                ):
                    conv_tags.append((conv_id, tag))
            convs.append([conv_id, owner, "", status, assignee, team, priority, snoozed_until,
                          start, updated_at, resolved_at, subject])
            ident = primary
            prev_text: str | None = None
            prev_mid: str | None = None
            refs: list[str] = []
            last_out = max((k for k in range(count) if kinds[k] == "out"), default=-1)
            first_subject_set = False
            for k in range(count):
                if switch_at is not None and k == switch_at:
                    ident = rng.choice([i for i in idents if i is not ident])
                kind = kinds[k]
                sent = start + times[k]
                if rng.random() < 0.3:
                    slots["day"] = rng.choice(C.DAYS)
                when = time.strftime("%a %d %b %Y", time.gmtime(sent / 1000))
                ident_id, channel, address, display = ident
                logged = kind != "note" and rng.random() < 0.015
                attach = 0
                if kind == "note":
                    text = rng.choice(C.NOTES).format_map(slots)
                    row = (conv_id, owner, None, "note", "note", None, None, agent, None, "[]",
                           None, text, None, None, "[]", sent, None, "note", agent, None, "{}",
                           0)
                elif logged:
                    text = (
                        f"Phone call, {rng.randint(1, 25)} min. "
                        + rng.choice(topic[2]).format_map(slots)
                        + " "
                        + rng.choice(topic[3]).format_map(slots)
                    )
                    row = (conv_id, owner, None, "phone", kind, None, None,
                           agent if kind == "out" else (cust[1] or "customer"), None, "[]", None,
                           text, None, None, "[]", sent, None, "logged", agent, sent, "{}", 0)
                elif kind == "in":
                    text = self.customer_text(topic, slots, channel, first, k, prev_text, when)
                    subj = None
                    mid = irt = None
                    refs_json = "[]"
                    if channel == "email":
                        subj = subject if not first_subject_set else f"Re: {subject}"
                        mid = f"<{conv_id}.{k}.{rng.getrandbits(32):08x}@{address.split('@')[1]}>"
                        irt = prev_mid
                        refs_json = json.dumps(refs[-3:], separators=(",", ":"))
                        refs.append(mid)
                        prev_mid = mid
                        attach = 1 if rng.random() < 0.04 else 0
                    if k > last_out and trailing_unread:
                        read_at = None
                    else:
                        read_at = sent + rng.randint(1, 240) * MINUTE
                    context = "{}"
                    if channel == "chat" and k == 0 and rng.random() < 0.3:
                        page = f"/products/{slots['item'].replace(' ', '-')}"
                        context = json.dumps({"page": page})
                    recipients = {"email": f'["{SUPPORT_EMAIL}"]', "sms": f'["{SUPPORT_SMS}"]'}.get(
                        channel, "[]")
                    row = (conv_id, owner, ident_id, channel, "in", ACCOUNTS[channel],
                           f"{conv_id}:{k}", address, display, recipients, subj, text, mid, irt,
                           refs_json, sent, sent + rng.randint(1, 90) * 1000, "received", None,
                           read_at, context, attach)
                else:
                    text = self.agent_text(topic, slots, channel, first, agent, prev_text, when)
                    subj = None
                    mid = irt = None
                    refs_json = "[]"
                    if channel == "email":
                        subj = subject if not first_subject_set else f"Re: {subject}"
                        mid = f"<{conv_id}.{k}.{rng.getrandbits(32):08x}@brewshop.example>"
                        irt = prev_mid
                        refs_json = json.dumps(refs[-3:], separators=(",", ":"))
                        refs.append(mid)
                        prev_mid = mid
                    status_ = "delivered" if channel == "sms" else "sent"
                    if rng.random() < 0.001:
                        status_ = "failed"
                    row = (conv_id, owner, ident_id, channel, "out", ACCOUNTS[channel], None,
                           agent, None, json.dumps([address]), subj, text, mid, irt, refs_json,
                           sent, None, status_, agent, None, "{}", 0)
                if kind != "note" and not logged and k == 0:
                    first_subject_set = True
                    if channel != "email":
                        convs[-1][2] = " ".join(text.split())[:80]
                    else:
                        convs[-1][2] = subject
                elif not convs[-1][2] and kind != "note":
                    convs[-1][2] = subject
                if kind != "note" and not logged:
                    prev_text = text
                msgs.append(row)
            if conv_id % 50_000 == 0:
                log(f"  built {conv_id:,} conversations / {len(msgs):,} messages")
        self.msgs = msgs
        self.convs = convs
        self.conv_tags = conv_tags

    # -- writing ---------------------------------------------------------------

    def run(self, path: Path) -> dict[str, Any]:
        t = time.perf_counter()
        log(f"schema via Store.open -> {path}")
        asyncio.run(_create_schema(path))
        log("customers and identities")
        self.make_customers()
        self.plan_conversations()
        log(f"building ~{self.n_messages:,} messages in {len(self.plans):,} conversations")
        self.build()
        log(f"built in {time.perf_counter() - t:.1f} s; sorting by time")
        self.msgs.sort(key=lambda r: r[15])
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1500000")
        conn.execute("PRAGMA temp_store=MEMORY")
        try:
            self.write(conn)
        finally:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.close()
        return self.meta()

    def write(self, conn: sqlite3.Connection) -> None:
        rng = self.rng
        now = self.now
        t = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO agent (name, email, team, created_at) VALUES (?, ?, ?, ?)",
            [(a, f"{a}@brewshop.example", rng.choice(C.TEAMS), now - SPAN) for a in C.AGENTS],
        )
        cust_rows = []
        for cid in range(1, self.n_customers + 1):
            c = self.customers[cid]
            created = c[3] if c[3] is not None else now - SPAN
            opted = created + DAY if c[4] else None
            cust_rows.append((cid, c[1], "", created, None, opted))
        conn.executemany(
            "INSERT INTO customer (id, name, note, created_at, merged_into, opted_out_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            cust_rows,
        )
        conn.executemany("INSERT INTO customer_tag VALUES (?, ?)", self.customer_tags)
        ident_rows = []
        for cid in range(1, self.n_customers + 1):
            created = cust_rows[cid - 1][3]
            for ident_id, ch, addr, dn in self.identities[cid]:
                ident_rows.append((ident_id, cid, ch, addr, dn, created))
        conn.executemany(
            "INSERT INTO identity (id, customer_id, channel, address, display_name, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ident_rows,
        )
        conn.executemany(
            "INSERT INTO conversation (id, customer_id, subject, status, assignee, team, priority,"
            " snoozed_until, created_at, updated_at, resolved_at, unread, message_count,"
            " channels, snippet) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,0,'','')",
            [(c[0], c[1], c[2] or c[11], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10])
             for c in self.convs],
        )
        conn.executemany("INSERT INTO conversation_tag VALUES (?, ?)", self.conv_tags)
        conn.execute("COMMIT")
        log(f"customers/identities/conversations written ({time.perf_counter() - t:.1f} s)")

        sql = (
            "INSERT INTO message (conversation_id, customer_id, identity_id, channel, direction,"
            " account, provider_id, sender, sender_name, recipients, subject, text, message_id,"
            ' in_reply_to, "references", sent_at, received_at, status, author, read_at, context)'
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )
        (empty,) = conn.execute("SELECT count(*) FROM message").fetchone()
        assert empty == 0
        chunk = 100_000
        total = len(self.msgs)
        for i in range(0, total, chunk):
            conn.execute("BEGIN")
            conn.executemany(sql, (r[:21] for r in self.msgs[i : i + chunk]))
            conn.execute("COMMIT")
            log(f"  messages {min(i + chunk, total):,}/{total:,}"
                f" ({time.perf_counter() - t:.0f} s, FTS triggers included)")
        (last,) = conn.execute("SELECT max(id) FROM message").fetchone()
        assert last == total, (last, total)

        # side tables: ids are insertion order (1..N)
        outbox, events, attachments = [], [], []
        conv_by_id = {c[0]: c for c in self.convs}
        for mid, r in enumerate(self.msgs, start=1):
            conv_id, channel, direction, sent, agent = r[0], r[3], r[4], r[15], r[18]
            if r[21]:
                attachments.append((mid, rng.choice(["photo.jpg", "IMG_2041.HEIC", "receipt.pdf",
                                                     "damage.png", "invoice.pdf"]),
                                    "image/jpeg", rng.randint(20_000, 4_000_000)))
            if direction == "out" and channel in ACCOUNTS:
                to = json.loads(r[9])[0]
                failed = r[17] == "failed"
                outbox.append((mid, conv_id, channel, r[5], to, "failed" if failed else "sent",
                               3 if failed else 1, sent,
                               "550 mailbox unavailable" if failed else None, f"bench-{mid}",
                               sent, None if failed else sent + 2000))
                snippet = " ".join(r[11].split())[:80]
                events.append((sent, agent, "reply", conv_id, None, json.dumps(
                    {"channel": channel, "to": to, "message_id": mid, "snippet": snippet})))
            elif direction == "note":
                events.append((sent, agent, "note", conv_id, None, json.dumps(
                    {"message_id": mid, "snippet": " ".join(r[11].split())[:80]})))
            elif channel == "phone":
                events.append((sent, agent, "log-call", conv_id, r[1], json.dumps(
                    {"channel": "phone", "message_id": mid})))
        for c in self.convs:
            conv_id, status, assignee, team = c[0], c[3], c[4], c[5]
            start, resolved_at = c[8], c[10]
            if assignee:
                events.append((start + 5 * MINUTE, assignee, "assign", conv_id, None, json.dumps(
                    {"before": {"assignee": None, "team": None}, "assignee": assignee,
                     "team": team})))
            if status in ("resolved", "snoozed", "pending"):
                at = resolved_at or c[9]
                until = c[7]
                events.append((at, assignee, "status", conv_id, None, json.dumps(
                    {"before": "open", "status": status,
                     "until": None if until is None else time.strftime(
                         "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(until / 1000))})))
        del conv_by_id
        events.sort(key=lambda e: e[0])
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO attachment (message_id, filename, content_type, size, sha256, inline)"
            " VALUES (?, ?, ?, ?, NULL, 0)",
            attachments,
        )
        conn.executemany(
            "INSERT INTO outbox (message_id, conversation_id, channel, account, to_address,"
            " status, attempts, next_attempt_at, last_error, idempotency_key, created_at, sent_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            outbox,
        )
        conn.executemany(
            "INSERT INTO event (at, actor, kind, conversation_id, customer_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        conn.execute("COMMIT")
        log(f"outbox {len(outbox):,}, events {len(events):,}, attachments {len(attachments):,}"
            f" ({time.perf_counter() - t:.0f} s)")

        from omni_tui.store.sqlite import refresh_summary_sql

        ids = [c[0] for c in self.convs]
        step = 5000
        for i in range(0, len(ids), step):
            conn.execute("BEGIN")
            for statement in refresh_summary_sql(ids[i : i + step]):
                conn.execute(statement)
            conn.execute("COMMIT")
            if (i // step) % 10 == 0 or i + step >= len(ids):
                log(f"  summaries {min(i + step, len(ids)):,}/{len(ids):,}"
                    f" ({time.perf_counter() - t:.0f} s)")
        self.counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("customer", "identity", "conversation", "message", "event", "outbox",
                          "attachment")
        }
        self.status_counts = dict(
            conn.execute("SELECT status, count(*) FROM conversation GROUP BY status").fetchall()
        )
        (self.whale_total,) = conn.execute(
            "SELECT count(*) FROM message WHERE customer_id = ?", (self.whale_id,)
        ).fetchone()
        log(f"counts {self.counts} statuses {self.status_counts}")

    def meta(self) -> dict[str, Any]:
        rng = random.Random(self.seed + 1)
        names = [self.customers[c][1] for c in rng.sample(range(1, self.n_customers + 1), 20)]
        addrs = [self.identities[c][0][2] for c in rng.sample(range(1, self.n_customers + 1), 20)]
        return {
            "messages": self.n_messages,
            "customers": self.n_customers,
            "conversations": len(self.convs),
            "counts": self.counts,
            "statuses": self.status_counts,
            "whale_customer_id": self.whale_id,
            "whale_messages": self.whale_total,
            "whale_conversations": self.whale_conversations,
            "huge_conversation": self.huge_conversation,
            "sample_orders": self.sample_orders,
            "sample_names": [n for n in names if n],
            "sample_addresses": addrs,
            "generated_at_ms": self.now,
            "seed": self.seed,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=None,
                    help="default: 0.3 x messages")
    ap.add_argument("--whale", type=int, default=None,
                    help="messages of the one big customer (default min(10000, messages/2))")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = ap.parse_args(argv)
    db, meta = ensure_store(args.messages, args.customers, args.conversations, args.whale,
                            args.seed, args.force)
    print(json.dumps({"db": str(db), **{k: meta[k] for k in ("counts", "generation_s")}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
