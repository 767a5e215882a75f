"""Email text as its writer meant it: the charsets mail programs really send,
format=flowed paragraphs, and the customer behind a group that rewrote the sender."""

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
