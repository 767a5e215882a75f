"""Files an agent attaches to a reply: stored with it, and sent with it by email."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from omni_tui import attachments, outbox, queries
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.cli_helpers import BOB, MARIA, VISITOR, Cli, assert_one_line_error, build_template
from tests.servers import Dovecot, SmtpSink
from tests.test_email import config_for, email, folder, sink, store  # noqa: F401 (fixtures)

INVOICE = b"%PDF-1.4\n" + bytes(range(256)) * 40  # binary, so a text-mode slip would show
NOTES = "Größe: 250 g\nRöstung: hell\n".encode()


def _only(smtp: SmtpSink) -> EmailMessage:
    [(_, _, raw)] = smtp.received
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    (tmp_path / "invoice-1101.pdf").write_bytes(INVOICE)
    (tmp_path / "roast notes.txt").write_bytes(NOTES)
    return [tmp_path / "invoice-1101.pdf", tmp_path / "roast notes.txt"]


async def test_a_reply_with_files_reaches_the_customer_with_them_threaded(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
    files: list[Path],
) -> None:
    config = config_for(dovecot, folder, smtp_port=sink.port)
    dovecot.deliver(email(1, subject="Invoice for order 1101?"), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(
        store,
        case["id"],
        "Here is the invoice, and the roast notes you asked for.",
        agent="Ana",
        attachments=attachments.read_for_reply(files),
    )
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors

    sent = _only(sink)
    original = (await queries.show_conversation(store, case["id"]))["messages"][0]
    assert sent["In-Reply-To"] == original["message_id"]
    assert sent["Subject"] == "Re: Invoice for order 1101?"
    body = sent.get_body(("plain",))
    assert body is not None and "Here is the invoice" in body.get_content()
    got = {
        (p.get_filename(), p.get_content_type()): p.get_payload(decode=True)
        for p in sent.iter_attachments()
    }
    assert got == {
        ("invoice-1101.pdf", "application/pdf"): INVOICE,
        ("roast notes.txt", "text/plain"): NOTES,
    }
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert ours["status"] == "sent"
    assert [(a["filename"], a["size"]) for a in ours["attachments"]] == [
        ("invoice-1101.pdf", len(INVOICE)),
        ("roast notes.txt", len(NOTES)),
    ]


async def test_the_files_are_kept_with_the_reply_even_if_the_originals_go(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
    files: list[Path],
) -> None:
    """Outbox first: what the agent attached is in the store before delivery starts."""
    config = config_for(dovecot, folder, smtp_port=sink.port)
    dovecot.deliver(email(1), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(
        store,
        case["id"],
        "Invoice attached.",
        agent="Ana",
        attachments=attachments.read_for_reply(files[:1]),
    )
    files[0].unlink()
    await deliver_outbox(store, config)
    sent = _only(sink)
    [part] = list(sent.iter_attachments())
    assert part.get_payload(decode=True) == INVOICE


# -- the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("attach-template"))


@pytest.fixture
def cli(tmp_path: Path, template: Path) -> Cli:
    return Cli.with_store(tmp_path, template)


def test_reply_attach_queues_the_files_with_the_reply(cli: Cli, files: list[Path]) -> None:
    queued = cli.json(
        "reply",
        str(MARIA),
        "--body",
        "Invoice attached.",
        "--attach",
        files[0],
        "--attach",
        files[1],
    )
    assert queued["attachments"] == ["invoice-1101.pdf", "roast notes.txt"]
    reply = cli.json("show", str(MARIA))["messages"][-1]
    assert reply["id"] == queued["message_id"] and reply["status"] == "queued"
    assert [(a["filename"], a["content_type"], a["size"]) for a in reply["attachments"]] == [
        ("invoice-1101.pdf", "application/pdf", len(INVOICE)),
        ("roast notes.txt", "text/plain", len(NOTES)),
    ]
    assert (
        "with 2 attachments"
        in cli(
            "reply", str(MARIA), "--body", "Again.", "--attach", files[0], "--attach", files[1]
        ).out
    )


@pytest.mark.parametrize(
    ("conversation", "extra"),
    [(VISITOR, ()), (BOB, ("--channel", "sms", "--to", "+14155550199"))],
    ids=["chat", "sms"],
)
def test_files_on_a_reply_that_is_not_an_email_are_refused_and_nothing_is_queued(
    cli: Cli, files: list[Path], conversation: int, extra: tuple[str, ...]
) -> None:
    before = cli.json("show", str(conversation))["messages"]
    result = cli("reply", str(conversation), *extra, "--body", "hi", "--attach", files[0])
    assert "--channel email" in assert_one_line_error(result, 4)
    assert cli.json("show", str(conversation))["messages"] == before
    assert cli.json("outbox", "list") == []


def test_a_file_that_is_not_there_is_named_and_nothing_is_queued(cli: Cli, tmp_path: Path) -> None:
    result = cli("reply", str(MARIA), "--body", "hi", "--attach", tmp_path / "nvoice.pdf")
    assert "nvoice.pdf" in assert_one_line_error(result, 3)
    assert cli.json("outbox", "list") == []


def test_files_over_what_mail_carries_are_refused_before_anything_is_queued(
    cli: Cli, tmp_path: Path
) -> None:
    big = tmp_path / "scan.tiff"
    with big.open("wb") as fh:
        fh.truncate(attachments.MAX_REPLY_BYTES + 1)
    result = cli("reply", str(MARIA), "--body", "hi", "--attach", big)
    assert "at most 18 MB" in assert_one_line_error(result, 4)
    assert cli.json("outbox", "list") == []
