"""The personal-data detector: what it must catch in support text, and what it must not."""

# ruff: noqa: RUF001, RUF003  (fullwidth, curly and invisible characters are what is tested)

from __future__ import annotations

import pytest
from cprlint.pii import (
    CARD,
    EMAIL,
    IBAN,
    PHONE,
    find_sensitive_data,
    fold,
    luhn_valid,
    mask_personal_data,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # From the ABCD sample conversation (customer details of a real-looking scenario).
        ("cminh730@email.com", [(EMAIL, "cminh730@email.com")]),
        ("my number is (977) 625-2661", [(PHONE, "(977) 625-2661")]),
        ("call +44 20 7946 0958 today", [(PHONE, "+44 20 7946 0958")]),
        ("reach me at 415.555.0132", [(PHONE, "415.555.0132")]),
        # 4111 1111 1111 1111 is the classic Visa test number: Luhn sum 30, valid.
        ("card 4111 1111 1111 1111", [(CARD, "4111 1111 1111 1111")]),
        ("card 4111-1111-1111-1111", [(CARD, "4111-1111-1111-1111")]),
        ("a.b+tag@mail.example.co.uk wrote", [(EMAIL, "a.b+tag@mail.example.co.uk")]),
        # Other writings of an address: fullwidth, spelt out, URL-encoded, invisible
        # characters inside, other scripts.
        ("ｄａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ", [(EMAIL, "ｄａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ")]),
        ("dana(at)example(dot)com", [(EMAIL, "dana(at)example(dot)com")]),
        ("dana [at] example.com", [(EMAIL, "dana [at] example.com")]),
        ("write to dana at example dot com", [(EMAIL, "dana at example dot com")]),
        ("?email=dana%40example.com&x=1", [(EMAIL, "dana%40example.com")]),
        ("da\u200bna@exam\u2060ple.com", [(EMAIL, "da\u200bna@exam\u2060ple.com")]),
        ("josé@bücher.de", [(EMAIL, "josé@bücher.de")]),
        ("用户@例子.广告", [(EMAIL, "用户@例子.广告")]),
        # The address ends where the Japanese around it starts.
        ("メールはdana@example.comです", [(EMAIL, "dana@example.com")]),
        # `me at dana...` is tried first and refused; the address after it is found.
        ("reach me at dana.w@example.com", [(EMAIL, "dana.w@example.com")]),
        # Phone numbers: no separators after a `+`, national formats, no-break spaces.
        ("whatsapp +14155550132", [(PHONE, "+14155550132")]),
        ("mobile 07700 900123", [(PHONE, "07700 900123")]),
        ("Telefon 030/12345678", [(PHONE, "030/12345678")]),
        ("+33 6 12 34 56 78", [(PHONE, "+33 6 12 34 56 78")]),
        ("+44\u00a020\u00a07946\u00a00958", [(PHONE, "+44\u00a020\u00a07946\u00a00958")]),
        ("電話090-1234-5678", [(PHONE, "090-1234-5678")]),
        # Without separators, a number is a phone number only after a word saying so.
        ("call me on 07700900123", [(PHONE, "07700900123")]),
        # Cards split by dots, slashes, underscores, double spaces, no-break spaces.
        ("4111.1111.1111.1111", [(CARD, "4111.1111.1111.1111")]),
        ("4111/1111/1111/1111", [(CARD, "4111/1111/1111/1111")]),
        ("card_number=4111_1111_1111_1111", [(CARD, "4111_1111_1111_1111")]),
        ("4111  1111  1111  1111", [(CARD, "4111  1111  1111  1111")]),
        # IBANs: lower case, dashes, fullwidth; the fixture rule reports them too.
        ("gb82 west 1234 5698 7654 32", [(IBAN, "gb82 west 1234 5698 7654 32")]),
        ("GB82-WEST-1234-5698-7654-32", [(IBAN, "GB82-WEST-1234-5698-7654-32")]),
        (
            "ＧＢ８２ＷＥＳＴ１２３４５６９８７６５４３２",
            [(IBAN, "ＧＢ８２ＷＥＳＴ１２３４５６９８７６５４３２")],
        ),
        # A word that starts like an IBAN (`ab12`) and fails does not hide the one after.
        ("ref ab12 and de89 3704 0044 0532 0130 00", [(IBAN, "de89 3704 0044 0532 0130 00")]),
    ],
)
def test_finds_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(found.kind, found.text) for found in find_sensitive_data(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order ID: 3348917502",  # a ten-digit id without separators is not a phone number
        "card 4111 1111 1111 1112",  # fails Luhn: sum 31
        "purchased on 2019-11-06, refunded 06/11/2019",
        "I was charged EUR 40.00 twice",
        "input_tokens 812 output_tokens 12",
        "transfer TR-88 of 1,250.00 is pending",
        "What can I do if my card still hasn't arrived after 2 weeks?",
        # Ids: an OpenTelemetry trace id once became `053074667b<CARD_1>bb3e19`.
        "trace 053074667b1113278073667614bb3e19 span 76a26812b532f640",
        "request 9c818a40-ae65-4e66-97d9-001303f7ba01",
        "chatcmpl-9Xyz1234567890123456 and toolu_01A09q90qw90lq917835lq9",
        # Nanoseconds since 1970 pass the Luhn check one time in ten; no card starts with 1.
        "startTimeUnixNano 1758026593210770000",
        "at 2024-05-01 12:00, from 192.168.100.200, score 0.91795975",
        "the fine is 1 250 000 000 won",  # ten digits grouped by thousands: an amount
        "look at example.com for the help page",  # a plain ` at ` with a real dot: prose
        "hotel room 1234567890",  # `tel` inside a word says nothing
        'tool_call":false,"created_at":1749650243',  # nor `call` inside an identifier
    ],
)
def test_leaves_ordinary_support_text_alone(text: str) -> None:
    assert list(find_sensitive_data(text)) == []


def test_positions_are_those_of_the_original_text() -> None:
    # Folding drops the zero-width space (U+200B) and the accent of a decomposed é
    # (e + U+0301) and turns the fullwidth ＠ into @; what is found is reported at its
    # place in the text as written: `x ` is 2 characters, the address 1 + 1 + 4 + 1 + 11.
    text = "x d\u200be\u0301na＠example.com y"
    (found,) = find_sensitive_data(text)
    assert (found.start, found.end) == (2, 20)
    assert found.text == "d\u200be\u0301na＠example.com"


def test_folding() -> None:
    folded = fold("Ｄána\u200b–ʼ")
    # Ｄ -> d, á -> a (the accent dropped), the zero-width space dropped, – -> -, ʼ -> '.
    assert folded.text == "dana-'"
    assert folded.origins == [0, 1, 2, 3, 5, 6]
    assert fold("plain ASCII").origins is None


def test_messages_quote_kinds_not_values() -> None:
    # A value cut short in a message (`dana.whitfield@exam`) is hidden all the same.
    message = "`user.id` (dana@example.com) and `b` ('dana.whitfield@exam'), +44 20 7946 0958"
    assert mask_personal_data(message) == "`user.id` (<EMAIL>) and `b` ('<EMAIL>'), <PHONE>"


def test_luhn() -> None:
    # 79927398713: the textbook example. Doubling every second digit from the right:
    # 7 9 9 2 7 3 9 8 7 1 3 -> 7+(18-9)+9+4+7+6+9+(16-9)+7+2+3 = 70, divisible by 10.
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
