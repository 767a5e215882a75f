"""The web chat widget in a real headless Chromium, talking to a real relay process.

The test page is served from another loopback port, so every call the widget makes to
the relay is cross-origin, as it is on a customer's site.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.relay import RelayProcess, running_relay

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"no system Chromium at {CHROMIUM}", allow_module_level=True)
playwright_api = pytest.importorskip(
    "playwright.async_api", reason="the playwright package is not installed"
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MARKUP = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 10_000
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """One relay for the module; each test's fresh browser context is a new visitor."""
    with running_relay(tmp_path_factory.mktemp("widget")) as running:
        yield running


def widget_page(relay: RelayProcess, **data: str) -> bytes:
    """A customer's page with nothing on it but the one widget tag (``data`` its
    ``data-*`` attributes, escaped as a site's template would)."""
    attributes = {"title": "Chat with us", "prechat": "true", **data}
    tag = " ".join(f'data-{k.replace("_", "-")}="{html.escape(v)}"' for k, v in attributes.items())
    return (
        "<!doctype html><html><head><title>Beans &amp; Grinders</title>"
        f'<script src="{relay.url}/widget.js" {tag} async></script>'
        "</head><body><h1>Beans &amp; Grinders</h1></body></html>"
    ).encode()


@contextmanager
def serving(pages: dict[str, bytes]) -> Iterator[str]:
    """The site's origin (another port than the relay's) serving ``pages`` by path."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path.split("?")[0])
            if page is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def site(relay: RelayProcess) -> Iterator[str]:
    with serving({"/shop": widget_page(relay)}) as origin:
        yield f"{origin}/shop"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def visit(browser: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    """A page in a fresh browser context (its own localStorage), and every dialog it opened."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs: list[str] = []

        async def dismiss(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", dismiss)
        yield page, dialogs
    finally:
        await context.close()


async def start_chatting(page: Any, site: str, name: str, email: str) -> str:
    """Open the site, open the box, answer the pre-chat form; the visitor's id."""
    await page.goto(site)
    await page.click("#omni-chat-launcher")
    await page.fill("#omni-chat-name", name)
    await page.fill("#omni-chat-email", email)
    await page.click("#omni-chat-start")
    await page.wait_for_selector("#omni-chat-input", state="visible")
    return await page.evaluate("localStorage.getItem('omni-chat-visitor')")


async def say(page: Any, text: str) -> None:
    await page.fill("#omni-chat-input", text)
    await page.press("#omni-chat-input", "Enter")


async def wait_for_message(page: Any, css: str, text: str) -> None:
    await page.wait_for_function(
        """([css, text]) => [...document.querySelectorAll('#omni-chat-messages ' + css)]
               .some((m) => m.querySelector('.omni-chat-text').textContent === text)""",
        arg=[css, text],
        timeout=TIMEOUT_MS,
    )


async def wait_for_count(page: Any, count: int) -> None:
    await page.wait_for_function(
        "(n) => document.querySelectorAll('#omni-chat-messages .omni-chat-msg').length >= n",
        arg=count,
        timeout=TIMEOUT_MS,
    )


async def transcript(page: Any) -> list[tuple[str, str, str]]:
    """(in|out, author, text) of each message in the box, top to bottom."""
    return [
        tuple(row)
        for row in await page.eval_on_selector_all(
            "#omni-chat-messages .omni-chat-msg",
            """(ms) => ms.map((m) => [
                   m.classList.contains('omni-chat-in') ? 'in' : 'out',
                   m.querySelector('.omni-chat-author').textContent,
                   m.querySelector('.omni-chat-text').textContent])""",
        )
    ]


async def message_events(relay: RelayProcess, visitor: str, count: int) -> list[dict[str, Any]]:
    """The first `count` message events from this visitor, waiting for them to arrive."""
    found: list[dict[str, Any]] = []
    after = 0
    for _ in range(20):
        events = await asyncio.to_thread(relay.events, after, 1.0)
        found += [
            e
            for e in events
            if e["type"] == "message" and e["data"]["conversation"] == f"web:{visitor}"
        ]
        after = events[-1]["id"] if events else after
        if len(found) >= count:
            return found
    raise AssertionError(f"the relay emitted {found}, not {count} message(s)")


def reply(relay: RelayProcess, key: str, visitor: str, text: str, author: str) -> None:
    status, body = relay.reply(key, f"web:{visitor}", text, author)
    assert status in (200, 201, 202), body


async def test_a_visitor_and_an_agent_talk_through_the_widget(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, dialogs = visit
    visitor = await start_chatting(page, site, "Maria Lopez", "maria@example.com")
    assert re.fullmatch(r"[A-Za-z0-9-]{16,64}", visitor)

    await say(page, "My grinder is broken")
    await wait_for_message(page, ".omni-chat-in", "My grinder is broken")
    assert await page.input_value("#omni-chat-input") == ""

    (event,) = await message_events(relay, visitor, 1)
    data = event["data"]
    assert data["conversation"] == f"web:{visitor}"
    assert data["from"] == {
        "id": f"web:{visitor}",
        "name": "Maria Lopez",
        "email": "maria@example.com",
    }
    assert data["text"] == "My grinder is broken"
    assert data["context"] == {"page": site}

    reply(relay, "reply-1", visitor, "Sorry to hear that! Which model is it?", "Ana")
    await wait_for_message(page, ".omni-chat-out", "Sorry to hear that! Which model is it?")
    assert await transcript(page) == [
        ("in", "Maria Lopez", "My grinder is broken"),
        ("out", "Ana", "Sorry to hear that! Which model is it?"),
    ]

    await page.reload()
    await wait_for_message(page, ".omni-chat-out", "Sorry to hear that! Which model is it?")
    assert await page.evaluate("localStorage.getItem('omni-chat-visitor')") == visitor
    assert await page.is_visible("#omni-chat-input")
    assert not await page.is_visible("#omni-chat-name")
    assert await transcript(page) == [
        ("in", "Maria Lopez", "My grinder is broken"),
        ("out", "Ana", "Sorry to hear that! Which model is it?"),
    ]

    await page.fill("#omni-chat-input", "A Baratza Encore")
    await page.press("#omni-chat-input", "Shift+Enter")
    await page.type("#omni-chat-input", "bought in 2023")
    assert await transcript(page) == [
        ("in", "Maria Lopez", "My grinder is broken"),
        ("out", "Ana", "Sorry to hear that! Which model is it?"),
    ]
    await page.press("#omni-chat-input", "Enter")
    await wait_for_message(page, ".omni-chat-in", "A Baratza Encore\nbought in 2023")
    second = (await message_events(relay, visitor, 2))[1]["data"]
    assert second["text"] == "A Baratza Encore\nbought in 2023"
    assert second["from"]["name"] == "Maria Lopez"
    assert second["conversation"] == f"web:{visitor}"
    assert len(await transcript(page)) == 3
    assert dialogs == []


async def test_markup_from_either_side_shows_as_plain_text(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, dialogs = visit
    visitor = await start_chatting(page, site, MARKUP, "")
    await say(page, MARKUP)
    await wait_for_count(page, 1)
    reply(relay, "reply-markup", visitor, MARKUP, "<b>Ana</b>")
    await wait_for_count(page, 2)
    assert await transcript(page) == [("in", MARKUP, MARKUP), ("out", "<b>Ana</b>", MARKUP)]
    await page.reload()
    await wait_for_count(page, 2)

    assert await transcript(page) == [("in", MARKUP, MARKUP), ("out", "<b>Ana</b>", MARKUP)]
    assert await page.locator("#omni-chat-box img").count() == 0
    assert await page.locator("#omni-chat-box b").count() == 0
    assert await page.locator("img").count() == 0
    (event,) = await message_events(relay, visitor, 1)
    assert event["data"]["from"] == {"id": f"web:{visitor}", "name": MARKUP}
    assert dialogs == []


async def test_a_message_the_relay_refuses_shows_its_error_in_the_box(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, _ = visit
    await start_chatting(page, site, "Maria Lopez", "")
    too_long = "x" * 4001  # more than the relay takes; the textarea's maxlength stops typing it
    await page.eval_on_selector("#omni-chat-input", "(box, text) => { box.value = text }", too_long)
    await page.click("#omni-chat-send")
    error = page.locator("#omni-chat-box .omni-chat-error")
    await error.wait_for()
    assert "4000" in (await error.text_content() or "")
    assert await page.input_value("#omni-chat-input") == too_long
    assert await transcript(page) == []


async def test_without_random_uuid_the_visitor_still_gets_a_valid_id(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, _ = visit
    await page.add_init_script("delete Crypto.prototype.randomUUID")
    visitor = await start_chatting(page, site, "Maria Lopez", "")
    assert re.fullmatch(r"[0-9a-f]{32}", visitor)
    await say(page, "Hi")
    await wait_for_message(page, ".omni-chat-in", "Hi")
    (event,) = await message_events(relay, visitor, 1)
    assert event["data"]["conversation"] == f"web:{visitor}"


def omni(config: Path, db: Path, *args: str) -> Any:
    """The installed CLI, as an agent's script runs it; its --json answer."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "omni_tui", *args, "--config", str(config), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


async def test_a_visitor_and_an_agent_at_the_terminal_hold_a_conversation(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]], tmp_path: Path
) -> None:
    from adapters.base import InboundMessage
    from omni_tui.ingest import ingest
    from omni_tui.store import Store

    db = tmp_path / "omni.db"
    async with await Store.open(db, create=True) as store:  # she wrote by email last week
        earlier = InboundMessage(
            channel="email",
            account="mail",
            provider_id="imap:7",
            sender="marta@example.org",
            sender_name="Marta Diaz",
            subject="Grinder",
            text="My grinder makes a noise.",
        )
        await ingest(store, [earlier])
    config = tmp_path / "console.toml"
    config.write_text(
        f'[agent]\nname = "Ana"\n[[accounts]]\nname = "site"\nchannel = "chat"\n'
        f'relay_url = "{relay.url}"\ntoken = "{relay.token}"\n'
    )
    page, dialogs = visit
    await start_chatting(page, site, "Marta Diaz", "marta@example.org")
    await say(page, "It still makes that noise")
    await wait_for_message(page, ".omni-chat-in", "It still makes that noise")
    await asyncio.to_thread(omni, config, db, "sync", "--once", "--json")
    customers = await asyncio.to_thread(omni, config, db, "customer", "list", "--json")
    [customer] = [c for c in customers if c["name"] == "Marta Diaz"]  # other tests' visitors too
    shown = await asyncio.to_thread(
        omni, config, db, "customer", "show", str(customer["id"]), "--json"
    )
    assert [(m["channel"], m["text"]) for m in shown["history"]] == [
        ("email", "My grinder makes a noise."),
        ("chat", "It still makes that noise"),
    ]
    case = shown["history"][-1]["conversation_id"]
    reply = f"Sorry to hear that, a new one is on its way {MARKUP}"
    await asyncio.to_thread(
        omni, config, db, "reply", str(case), "--channel", "chat", "--body", reply, "--json"
    )
    await asyncio.to_thread(omni, config, db, "sync", "--once", "--json")  # delivers it
    await wait_for_message(page, ".omni-chat-out", reply)
    assert await page.locator("#omni-chat-box img").count() == 0 and dialogs == []


def visitor_messages(relay: RelayProcess, visitor: str) -> list[str]:
    return [
        e["data"]["text"]
        for e in relay.events()
        if e["type"] == "message" and e["data"]["conversation"] == f"web:{visitor}"
    ]


async def test_a_reply_that_lands_while_the_stream_is_down_is_shown_once_it_is_back(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, _ = visit
    down = True

    async def stream(route: Any) -> None:  # a proxy's 502 while the relay restarts
        if down:
            await route.fulfill(status=502, body="Bad Gateway")
        else:
            await route.continue_()

    await page.route("**/widget/stream?*", stream)
    visitor = await start_chatting(page, site, "Maria Lopez", "")
    await say(page, "Hello?")
    await wait_for_message(page, ".omni-chat-in", "Hello?")
    reply(relay, "reply-while-down", visitor, "Hi Maria, one moment", "Ana")
    await say(page, "Still there?")  # the relay's answer carries an id above the reply's
    await wait_for_message(page, ".omni-chat-in", "Still there?")
    down = False  # the widget reconnects within 5 s
    await page.wait_for_function(
        "() => document.querySelectorAll('#omni-chat-messages .omni-chat-msg').length >= 3",
        timeout=15_000,
    )
    assert await transcript(page) == [
        ("in", "Maria Lopez", "Hello?"),
        ("out", "Ana", "Hi Maria, one moment"),
        ("in", "Maria Lopez", "Still there?"),
    ]


async def test_sending_again_after_a_lost_answer_keeps_the_message_once(
    relay: RelayProcess, site: str, visit: tuple[Any, list[str]]
) -> None:
    page, _ = visit
    lost: list[int] = []

    async def lose_the_first_answer(route: Any) -> None:
        if lost:
            await route.continue_()
            return
        lost.append(1)
        await route.fetch()  # the relay commits the message...
        await route.abort()  # ...but its answer never reaches the page

    await page.route("**/widget/messages", lose_the_first_answer)
    visitor = await start_chatting(page, site, "Maria Lopez", "")
    await say(page, "Where is my order?")
    await page.locator("#omni-chat-box .omni-chat-error").wait_for()
    assert await page.input_value("#omni-chat-input") == "Where is my order?"
    await page.click("#omni-chat-send")  # the visitor tries again
    await wait_for_message(page, ".omni-chat-in", "Where is my order?")
    assert await asyncio.to_thread(visitor_messages, relay, visitor) == ["Where is my order?"]
    await page.reload()  # the history the relay keeps has it once too
    await wait_for_count(page, 1)
    assert await transcript(page) == [("in", "Maria Lopez", "Where is my order?")]


async def test_a_signed_in_customer_skips_the_form_and_never_sees_anyone_elses_chat(
    visit: tuple[Any, list[str]], tmp_path: Path
) -> None:
    """The site signs who is logged in; on a shared browser, each person who logs in or
    out starts a new chat rather than see the one before."""
    from omni_tui.relay.widget import sign_email

    secret, marta = "site-identity-secret", "marta@example.org"
    with running_relay(tmp_path, widget_identity_secret=secret) as relay:
        signed_in = widget_page(
            relay, user_name="Marta Diaz", user_email=marta, user_hash=sign_email(secret, marta)
        )
        with serving({"/account": signed_in, "/shop": widget_page(relay)}) as origin:
            page, _ = visit
            before = await start_chatting(page, f"{origin}/shop", "Previous person", "")
            await say(page, "my private question")
            await wait_for_message(page, ".omni-chat-in", "my private question")

            await page.goto(f"{origin}/account")  # Marta logs in; the box stays open
            await page.wait_for_selector("#omni-chat-input", state="visible")  # no form
            await say(page, "Where is order A-1001?")
            await wait_for_message(page, ".omni-chat-in", "Where is order A-1001?")
            assert await transcript(page) == [("in", "Marta Diaz", "Where is order A-1001?")]
            hers = await page.evaluate("localStorage.getItem('omni-chat-visitor')")
            assert hers != before
            [event] = await message_events(relay, hers, 1)
            assert event["data"]["from"] == {
                "id": f"web:{hers}", "name": "Marta Diaz", "email": marta, "email_verified": True
            }  # fmt: skip

            await page.goto(f"{origin}/shop")  # she logs out
            await page.wait_for_selector("#omni-chat-name", state="visible")
            await page.fill("#omni-chat-name", "Someone else")
            await page.click("#omni-chat-start")
            await say(page, "Hello")
            await wait_for_message(page, ".omni-chat-in", "Hello")
            assert await transcript(page) == [("in", "Someone else", "Hello")]
            after = await page.evaluate("localStorage.getItem('omni-chat-visitor')")
            assert after not in (before, hers)
