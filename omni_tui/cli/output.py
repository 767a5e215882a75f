"""Printing for people and for scripts: data on stdout, errors on stderr.

Untrusted text is printed through Rich ``Text`` objects, never as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from omni_tui.text import clean, clean_line


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """A reader that stopped early (``| head``) is no failure: ``main`` exits 0, as
        with ``--json``. Rich's own handler would exit 1."""
        self.quiet = True
        raise BrokenPipeError


def console() -> Console:
    # piped output is for grep and less: do not cut it to 80 columns
    width = None if sys.stdout.isatty() else 400
    return _Console(markup=False, highlight=False, emoji=False, soft_wrap=False, width=width)


@contextmanager
def progress_reporter(
    stream: TextIO | None = None,
) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """A bar per account on stderr during a long first sync (messages stored of those
    to come, time left); a count alone where the pull cannot tell how many will come.
    Nothing when stderr is not a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("messages"),
        TimeRemainingColumn(),
        console=Console(file=stream, markup=False, highlight=False),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(account: str, done: int, total: int | None) -> None:
            if account not in tasks:
                tasks[account] = bar.add_task(clean_line(account), total=total)
            bar.update(tasks[account], completed=done, total=total)

        yield update


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def error(message: str) -> None:
    print(f"omni-tui: {clean_line(message)}", file=sys.stderr)


def info(message: str) -> None:
    print(message, file=sys.stderr)


def line(label: str, untrusted: str) -> None:
    """``label`` then a customer's (or a gateway's) words, control sequences out."""
    print(label + clean_line(untrusted))


def ago(value: str | None, now: datetime | None = None) -> str:
    """``3d 4h``-style age of an ISO time, for the WAITING column."""
    if not value:
        return ""
    then = datetime.fromisoformat(value)
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < 60:
        return "now"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes % 60}m"
    return f"{minutes}m"


def local(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")


FLEXIBLE = {"SUBJECT", "MATCH", "REASON", "IDENTITIES", "CUSTOMER", "NAME", "TEXT"}


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, show_header: bool = True
) -> None:
    """Short columns (ids, times, states) keep their width; long text columns share what
    is left, cut with an ellipsis. Left to Rich, a long subject pushed the id column off
    an 80-column terminal."""
    out = console()
    cells = [[Text(clean_line("" if v is None else str(v))) for v in row] for row in rows]
    natural = [
        max([len(h) if show_header else 0, *(r[i].cell_len for r in cells)])
        for i, h in enumerate(headers)
    ]
    flexible = [i for i, h in enumerate(headers) if h in FLEXIBLE]
    fixed = sum(w for i, w in enumerate(natural) if i not in flexible)
    room = out.width - fixed - 2 * (len(headers) - 1)  # two spaces between columns
    shares = dict(zip(flexible, _share([natural[i] for i in flexible], room), strict=True))
    grid = Table(
        box=None, pad_edge=False, show_edge=False, header_style="bold", show_header=show_header
    )
    for i, header in enumerate(headers):
        if i in shares:
            grid.add_column(header, overflow="ellipsis", no_wrap=True, width=shares[i])
        else:
            grid.add_column(header, no_wrap=True, min_width=natural[i])
    for row in cells:
        grid.add_row(*row)
    out.print(grid)


def _share(natural: list[int], room: int, least: int = 6) -> list[int]:
    """Each column its natural width while they all fit; else the narrow ones theirs and
    the rest an even share of what is left."""
    widths = [0] * len(natural)
    left = list(range(len(natural)))
    room = max(room, least * len(natural))
    while left:
        share = room // len(left)
        narrow = [i for i in left if natural[i] <= share]
        if not narrow:
            for i in left:
                widths[i] = share
            break
        for i in narrow:
            widths[i] = natural[i]
            room -= natural[i]
        left = [i for i in left if i not in narrow]
    return widths


def conversation_rows(items: Sequence[dict[str, Any]]) -> None:
    table(
        ["ID", "STATUS", "CHANNELS", "CUSTOMER", "SUBJECT", "ASSIGNEE", "WAITING", "LAST"],
        [
            [
                c["id"],
                c["status"] + (f" ({c['unread']})" if c["unread"] else ""),
                ",".join(c["channels"]),
                c["customer_name"] or c["customer_address"] or f"#{c['customer_id']}",
                c["subject"][:60],
                c["assignee"] or "-",
                ago(c["waiting_since"]) if c["status"] != "resolved" else "-",  # nobody waits
                local(c["last_message_at"]),
            ]
            for c in items
        ],
    )


def message_block(m: dict[str, Any]) -> None:
    out = console()
    who = m["sender_name"] or m["sender"]
    if m["direction"] == "out":
        who = f"{m['author'] or m['sender']} → {', '.join(m['recipients'])}"
    head = Text()
    head.append(f"[{m['channel']} {m['direction']}] ", style="bold")
    head.append(clean_line(who))
    head.append(f"  {local(m['sent_at'])}", style="dim")
    if m["direction"] == "out":
        reason = f": {clean_line(m['status_reason'])}" if m.get("status_reason") else ""
        head.append(f"  {m['status']}{reason}", style="dim")
    out.print(head)
    if m.get("subject"):
        out.print(Text("  Subject: " + clean_line(m["subject"])))
    for line in clean(m["text"]).splitlines() or [""]:
        out.print(Text("  " + line))
    for a in m["attachments"]:
        reason = clean_line(a["skipped_reason"])
        note = f" (not downloaded: {reason})" if reason else ""
        out.print(Text(f"  📎 {clean_line(a['filename'])} {a['size']} bytes{note}"))
    out.print()
