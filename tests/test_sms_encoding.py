from __future__ import annotations

from adapters.sms.encoding import TextLimit, count_segments


def test_plain_ascii_fits_160_gsm7_characters_in_one_sms() -> None:
    assert (count_segments("a" * 160).encoding, count_segments("a" * 160).segments) == ("GSM-7", 1)
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_extension_characters_cost_two_septets() -> None:
    assert count_segments("€" * 80).units == 160
    assert count_segments("€" * 81).segments == 2


def test_one_emoji_switches_the_whole_text_to_ucs2() -> None:
    text = "Your order ships today " + "🙂"
    result = count_segments(text)
    assert result.encoding == "UCS-2"
    assert result.units == len(text) + 1  # the emoji is a surrogate pair
    assert count_segments("ж" * 70).segments == 1
    assert count_segments("ж" * 71).segments == 2
    assert count_segments("ж" * 134).segments == 2


def test_empty_text_is_zero_segments() -> None:
    assert count_segments("").segments == 0


def test_a_two_unit_character_on_a_part_boundary_starts_the_next_part() -> None:
    """Phones and gateways never split "€" (escape + letter) or an emoji (a surrogate
    pair) across two parts, so the text needs one part more than its units say."""
    euro = count_segments("x" * 152 + "€" + "x" * 152)  # 306 units: 2 parts by count
    assert (euro.units, euro.segments) == (306, 3)
    wave = count_segments("ü" * 66 + "👋" + "ü" * 66)  # 134 units
    assert (wave.units, wave.segments) == (134, 3)
    assert count_segments("x" * 151 + "€" + "x" * 153).segments == 2  # fits: no change
    assert count_segments("x" * 152 + "€" + "x" * 10).remaining == 153 - 12  # "€" opened part 2


def test_a_kannel_reply_with_a_euro_sign_is_counted_as_kannel_sends_it() -> None:
    """The composer said "GSM-7 · 1 SMS" for a text Kannel sends as two UCS-2 parts."""
    text = "Your refund of 10€ is on its way. ".ljust(118, "!")
    kannel, twilio = TextLimit("kannel", parts=10), TextLimit("twilio", chars=1600)
    assert (twilio.segments(text).encoding, twilio.segments(text).segments) == ("GSM-7", 1)
    assert (kannel.segments(text).encoding, kannel.segments(text).segments) == ("UCS-2", 2)
    long = "Your refund of 10€ is on its way. " * 20
    assert kannel.refusal(long) == "the reply takes 11 texts and the gateway sends at most 10"
    assert twilio.refusal(long) is None and twilio.refusal("a" * 1601) is not None
