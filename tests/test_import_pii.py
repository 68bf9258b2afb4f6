"""Redaction on import: IBANs, listed names, and stable placeholders (cprlint.pii)."""

from __future__ import annotations

import pytest
from cprlint.pii import (
    CARD,
    EMAIL,
    IBAN,
    NAME,
    PHONE,
    Redactor,
    find_personal_data,
    find_sensitive_data,
    iban_valid,
    names_pattern,
)


def test_iban_mod_97_by_hand() -> None:
    # GB82 WEST 1234 5698 7654 32, the ISO 13616 example: move GB82 to the end and turn
    # letters into numbers (W=32 E=14 S=28 T=29 G=16 B=11):
    # 3214282912345698765432 161182, which is 1 modulo 97.
    assert int("3214282912345698765432161182") % 97 == 1
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert iban_valid("GB82WEST12345698765432")
    # The last account digit 2 -> 3 adds 10^6 to that number; 10^6 = 97 x 10,309 + 27,
    # so the remainder becomes 1 + 27 = 28, not 1.
    assert int("3214282912345698765433161182") % 97 == 28
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    # DE89 3704 0044 0532 0130 00, the German example: 370400440532013000131489 % 97 == 1.
    assert int("370400440532013000131489") % 97 == 1
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704")  # too short for any country


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pay to GB82 WEST 1234 5698 7654 32 today", [(IBAN, "GB82 WEST 1234 5698 7654 32")]),
        # The next word in capitals is not taken into the IBAN.
        ("IBAN GB82 WEST 1234 5698 7654 32 THANKS", [(IBAN, "GB82 WEST 1234 5698 7654 32")]),
        ("DE89370400440532013000.", [(IBAN, "DE89370400440532013000")]),
        # The digits of an IBAN are not also a phone number or a card.
        ("DE89 3704 0044 0532 0130 00", [(IBAN, "DE89 3704 0044 0532 0130 00")]),
        (
            "Dana Whitfield wrote to dana@example.com",
            [(NAME, "Dana Whitfield"), (EMAIL, "dana@example.com")],
        ),
        ("Hi Dana, call +44 20 7946 0958", [(NAME, "Dana"), (PHONE, "+44 20 7946 0958")]),
        ("card 4111 1111 1111 1111", [(CARD, "4111 1111 1111 1111")]),
    ],
)
def test_finds_sensitive_data(text: str, expected: list[tuple[str, str]]) -> None:
    names = names_pattern(["Dana", "Dana Whitfield", "  "])
    found = find_sensitive_data(text, names=names)
    assert [(item.kind, item.text) for item in found] == expected


@pytest.mark.parametrize(
    "text",
    [
        "order AB12 CDEF GHIJ KLMN was shipped",  # IBAN-shaped, fails mod 97
        "Danaher and Danae are not Dana",
        "ticket GB82-WEST",
    ],
)
def test_leaves_lookalikes_alone(text: str) -> None:
    names = names_pattern(["Dana"])
    kinds = [item.kind for item in find_sensitive_data(text, names=names)]
    assert kinds == ([NAME] if text.endswith("Dana") else [])


def test_the_lint_detector_is_unchanged() -> None:
    # `find_personal_data` (the fixture rule CPR307) keeps its three kinds; IBANs and
    # names are found by `find_sensitive_data`, on import.
    kinds = {item.kind for item in find_personal_data("Dana, GB82 WEST 1234 5698 7654 32")}
    assert IBAN not in kinds
    assert NAME not in kinds


def test_placeholders_are_stable_and_counted() -> None:
    redactor = Redactor(names=["Dana"])
    assert redactor.redact("Dana: dana@example.com, (415) 555-0132") == (
        "<NAME_1>: <EMAIL_1>, <PHONE_1>"
    )
    # The same values, spelt otherwise, get the same placeholders; new ones the next.
    assert redactor.redact("DANA@EXAMPLE.COM or 415.555.0132 or bo@example.com") == (
        "<EMAIL_1> or <PHONE_1> or <EMAIL_2>"
    )
    assert redactor.redact("nothing here") == "nothing here"
    assert dict(redactor.replaced) == {NAME: 1, EMAIL: 3, PHONE: 2}
    assert dict(redactor.distinct) == {NAME: 1, EMAIL: 2, PHONE: 1}
    # Redacting redacted text changes nothing.
    assert redactor.redact("<NAME_1>: <EMAIL_1>") == "<NAME_1>: <EMAIL_1>"
