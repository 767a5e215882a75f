"""Our replies' Message-IDs carry the sending account's domain, not a made-up one.

Spam filters score ids whose domain is not the sender's, and a customer's mail
client shows them in the headers: ``<…@omni-tui.local>`` looks like a bulk tool.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omni_tui import accounts, outbox, queries
from omni_tui.config import parse_config
from omni_tui.delivery import deliver_outbox
from omni_tui.store import Store
from omni_tui.sync import sync_once
from tests.cli_helpers import MARIA, Cli, build_template
from tests.servers import Dovecot, SmtpSink
from tests.test_email import config_for, email, folder, sink, store  # noqa: F401 (fixtures)

TWO_ACCOUNTS = """
[[accounts]]
name = "billing"
channel = "email"
imap_host = "127.0.0.1"
imap_security = "none"
username = "agent"
password = "secret"
address = "Billing <billing@invoices.example>"

[[accounts]]
name = "support"
channel = "email"
imap_host = "127.0.0.1"
imap_security = "none"
username = "agent"
password = "secret"
address = "Acme Support <help@acme.example>"
"""


async def test_a_reply_goes_out_with_an_id_of_the_accounts_own_domain(
    dovecot: Dovecot,
    folder: str,  # noqa: F811
    store: Store,  # noqa: F811
    sink: SmtpSink,  # noqa: F811
) -> None:
    config = config_for(dovecot, folder, smtp_port=sink.port)
    dovecot.deliver(email(1, subject="Where is my order?"), folder=folder)
    await sync_once(store, config)
    [case] = await queries.list_conversations(store)
    await outbox.queue_reply(
        store,
        case["id"],
        "It ships today.",
        agent="Ana",
        domains=accounts.reply_domains(config.accounts),
    )
    report = await deliver_outbox(store, config)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [sent] = sink.messages()
    ours = (await queries.show_conversation(store, case["id"]))["messages"][-1]
    assert sent["Message-ID"] == ours["message_id"]
    assert ours["message_id"].endswith("@larkspur.example>")


def test_each_account_names_its_own_domain_and_the_first_is_the_default() -> None:
    config = parse_config(TWO_ACCOUNTS)
    assert accounts.reply_domains(config.accounts) == {
        "billing": "invoices.example",
        "support": "acme.example",
        None: "invoices.example",
    }


def test_an_internationalised_domain_is_written_as_idna() -> None:
    config = parse_config(TWO_ACCOUNTS.replace("acme.example", "bäckerei.example"))
    assert accounts.reply_domains(config.accounts)["support"] == "xn--bckerei-5wa.example"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("message-id-template"))


def test_omni_tui_reply_mints_the_id_from_the_account_the_customer_wrote_to(
    tmp_path: Path, template: Path
) -> None:
    cli = Cli.with_store(tmp_path, template)
    config = cli.config(TWO_ACCOUNTS)  # Maria wrote to "support", not the first account
    queued = cli.json("reply", str(MARIA), "--body", "On its way.", "--config", config)
    reply = cli.json("show", str(MARIA))["messages"][-1]
    assert reply["id"] == queued["message_id"]
    assert reply["message_id"].endswith("@acme.example>")
