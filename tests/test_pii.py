"""The personal-data detector: what it must catch in support text, and what it must not."""

from __future__ import annotations

import pytest
from cprlint.pii import CARD, EMAIL, PHONE, find_personal_data, luhn_valid


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
    ],
)
def test_finds_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(found.kind, found.text) for found in find_personal_data(text)] == expected


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
    ],
)
def test_leaves_ordinary_support_text_alone(text: str) -> None:
    assert list(find_personal_data(text)) == []


def test_luhn() -> None:
    # 79927398713: the textbook example. Doubling every second digit from the right:
    # 7 9 9 2 7 3 9 8 7 1 3 -> 7+(18-9)+9+4+7+6+9+(16-9)+7+2+3 = 70, divisible by 10.
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
