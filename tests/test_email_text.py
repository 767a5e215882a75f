"""Email text as its writer meant it: the charsets mail programs really send,
format=flowed paragraphs, the customer behind a group that rewrote the sender, and
HTML kept to its words whatever it was built to do."""

from __future__ import annotations

import pytest

from adapters.email.mime import parse_message


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        ("iso-8859-8-i", "שלום, ההזמנה שלי", "iso8859_8"),  # Hebrew, as Outlook labels it
        ("windows-874", "สวัสดีครับ", "cp874"),  # Outlook's Thai
        ("gb2312", "镕 订单", "gb18030"),  # GBK characters under a gb2312 label
        ("ks_c_5601-1987", "똠 주문", "cp949"),
        ("shift_jis", "①注文", "cp932"),
        ("x-mac-roman", "Café crème", "mac_roman"),
    ],
)
def test_mail_in_the_charsets_mail_programs_really_send_is_readable(
    label: str, text: str, codec: str
) -> None:
    raw = (
        f"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset={label}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + text.encode(codec)
    parsed = parse_message(raw, account="mail", provider_id="1", max_attachment_bytes=1 << 20)
    assert parsed.text == text


def test_mail_a_google_group_rewrote_to_our_address_is_the_reply_to_customers() -> None:
    """Maria wrote to the support group; the group sent it on "from" our own address:
    she became a customer whose address is ours, and the reply came back to us."""
    raw = (
        b"From: 'Maria Lopez' via Support <support@larkspur.example>\r\n"
        b"Reply-To: maria@gmail.com\r\nTo: support@larkspur.example\r\n"
        b"Subject: Broken grinder\r\n\r\nIt does not turn on.\r\n"
    )
    parsed = parse_message(
        raw, account="mail", provider_id="1", max_attachment_bytes=1 << 20,
        own_address="support@larkspur.example",
    )  # fmt: skip
    assert (parsed.sender, parsed.sender_name) == ("maria@gmail.com", "Maria Lopez")
    assert parsed.context["via"] == "support@larkspur.example"
    stranger = raw.replace(b"support@larkspur.example>", b"shop@example.com>", 1)
    plain = parse_message(
        stranger, account="mail", provider_id="2", max_attachment_bytes=1 << 20,
        own_address="support@larkspur.example",
    )  # fmt: skip
    assert plain.sender == "shop@example.com"  # anyone else's Reply-To is only shown


@pytest.mark.parametrize(
    ("params", "body", "expected"),
    [
        (
            "format=flowed; delsp=yes",
            "It was wrap \r\nped by the client and con \r\ntinues here.\r\n",
            "It was wrapped by the client and continues here.",
        ),
        (
            "format=flowed",
            "A paragraph that the \r\nprogram wrapped.\r\n> a quote that \r\n> goes on\r\n"
            " From the stuffed line\r\n-- \r\nAna\r\n",
            "A paragraph that the program wrapped.\n> a quote that goes on\n"
            "From the stuffed line\n-- \nAna",
        ),
    ],
)
def test_flowed_text_reads_as_the_paragraphs_its_writer_typed(
    params: str, body: str, expected: str
) -> None:
    raw = (
        f"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8; {params}"
        f"\r\n\r\n{body}"
    ).encode()
    parsed = parse_message(raw, account="mail", provider_id="1", max_attachment_bytes=1 << 20)
    assert parsed.text.strip("\n") == expected


def html_mail(html: str) -> bytes:
    head = "From: news@bomb.example\r\nSubject: newsletter\r\nContent-Type: text/html\r\n\r\n"
    return (head + html).encode()


def test_html_built_to_blow_up_its_text_is_kept_to_its_words() -> None:
    """6,000 nested lists in 100 KB became 36 MB of indented text, stored twice and
    indexed; converting took seconds for one message, with the mail behind it waiting."""
    from omni_tui.ingest_prepare import content

    nested = "<ul><li>" * 6000 + "the words" + "</li></ul>" * 6000
    message = parse_message(
        html_mail(nested), account="a", provider_id="1", max_attachment_bytes=1 << 20
    )
    _, _, text, html_text = content(message)
    assert text == "the words" and html_text == "the words"


def test_a_mail_of_thousands_of_links_keeps_each_one_beside_its_words() -> None:
    """Numbered references were looked up among every link before them: 40,000 links
    held an account's sync up for minutes. Past a thousand they are written inline."""
    from omni_tui.text import html_to_text

    links = "".join(f'<a href="https://x.example/{n}">item {n}</a> ' for n in range(1500))
    text = html_to_text(links)
    assert "[item 1499](<https://x.example/1499>)" in text
    few = html_to_text('<p>See <a href="https://x.example/a">the guide</a></p>')
    assert few.startswith("See [the guide][1]") and "[1]: <https://x.example/a>" in few


def test_words_past_a_million_characters_are_cut_and_say_so() -> None:
    from omni_tui.text import CUT_NOTE, MAX_TEXT_CHARS, html_to_text

    text = html_to_text("<p>" + "word " * 300_000 + "</p>" + "<ul><li>x</li></ul>" * 600)
    assert len(text) == MAX_TEXT_CHARS + len(CUT_NOTE) and text.endswith(CUT_NOTE)
    assert "<script" not in html_to_text("<script>alert(1)</script><p>hi</p>" + "<ol>" * 600)
    from omni_tui.ingest_prepare import content

    plain = "From: a@example.com\r\nSubject: log\r\n\r\n" + "line of a log\r\n" * 100_000
    message = parse_message(plain.encode(), account="a", provider_id="1", max_attachment_bytes=1)
    assert content(message)[2].endswith(CUT_NOTE)


def test_html_stripped_to_its_words_keeps_a_tables_cells_apart_and_its_links() -> None:
    """An order mail past the limits ran its cells together ("1001Grinder$120", so
    "Grinder" found nothing) and lost where "Track it here" went."""
    from omni_tui.text import html_to_text

    order = (
        "<table><tr><th>Order</th><th>Item</th></tr><tr><td>1001</td><td>Grinder</td></tr>"
        '</table><p>Track it <a href="https://shop.example/t/1">here</a></p>'
        '<a href="javascript:alert(1)">x</a>' + "<ul>" * 600
    )
    text = html_to_text(order)
    assert "1001 Grinder" in text and "here <https://shop.example/t/1>" in text
    assert "javascript" not in text
    photo = '<img src="data:image/png;base64,' + "A" * 2_100_000 + '"><p>See <b>this</b></p>'
    assert html_to_text(photo) == "See this"  # an inline picture is not words to strip
