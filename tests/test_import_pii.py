"""Redaction on import: IBANs, listed names, stable placeholders, keys, and findings that
quote no personal data (cprlint.pii, cprlint.importers)."""

# ruff: noqa: RUF001  (fullwidth, curly and invisible characters are what is tested)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cprlint.importers.context import ImportContext
from cprlint.importers.labels import LabelMap
from cprlint.pii import (
    CARD,
    EMAIL,
    IBAN,
    NAME,
    PHONE,
    NameList,
    Redactor,
    find_sensitive_data,
    iban_valid,
)

from tests.import_helpers import jsonl


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
    # Lower case and dashes are the same IBAN; a country's IBANs have one length (DE: 22).
    assert iban_valid("de89-3704-0044-0532-0130-00")
    assert not iban_valid("DE89 3704 0044 0532 0130 0")
    # `XX` is no country of the registry, whatever the check digits.
    assert not iban_valid("XX89 3704 0044 0532 0130 00")


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
    names = NameList(["Dana", "Dana Whitfield", "  "])
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
    names = NameList(["Dana"])
    kinds = [item.kind for item in find_sensitive_data(text, names=names)]
    assert kinds == ([NAME] if text.endswith("Dana") else [])


def test_the_lint_detector_finds_ibans_not_names() -> None:
    # The fixture rule (CPR307) reports IBANs as well; names come from a list `cprlint
    # import --names` is given, so the detector finds them only when given the list.
    kinds = [item.kind for item in find_sensitive_data("Dana, GB82 WEST 1234 5698 7654 32")]
    assert kinds == [IBAN]


NAMES = ["Dana Whitfield", "Siobhán O'Brien", "田中 太郎"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dana Whitfield called", "Dana Whitfield"),
        ("account of Whitfield, Dana", "Whitfield, Dana"),  # another order
        ("dana whitfield", "dana whitfield"),  # another case
        ("Dána Whitfield", "Dána Whitfield"),  # an accent the list does not have
        ("Siobhan O'Brien", "Siobhan O'Brien"),  # no accent where the list has one
        ("Sio\u0301bha\u0301n O’Brien", "Sio\u0301bha\u0301n O’Brien"),  # decomposed, curly
        ("SIOBHÁN OʼBRIEN", "SIOBHÁN OʼBRIEN"),  # the modifier-letter apostrophe
        ("田中太郎様", "田中太郎"),  # Japanese: no space, and no word boundary
    ],
)
def test_names_whatever_their_writing(text: str, expected: str) -> None:
    found = find_sensitive_data(text, names=NameList(NAMES))
    assert [(item.kind, item.text) for item in found] == [(NAME, expected)]


def test_names_are_whole_words() -> None:
    found = find_sensitive_data("Danaher Whitfields", names=NameList(NAMES))
    assert found == []


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


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("dana@example.com", "DANA (at) example (dot) com"),
        ("dana@example.com", "ｄａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
        ("+44 20 7946 0958", "+44\u00a020\u00a07946\u00a00958"),
        ("GB82 WEST 1234 5698 7654 32", "gb82-west-1234-5698-7654-32"),
        ("Dana Whitfield", "Whitfield, Dána"),
    ],
)
def test_a_value_spelt_otherwise_keeps_its_placeholder(first: str, again: str) -> None:
    redactor = Redactor(names=["Dana Whitfield"])
    assert redactor.redact(first) == redactor.redact(again)
    assert sum(redactor.distinct.values()) == 1


def test_keys_are_redacted_and_stay_unique() -> None:
    context = ImportContext(label_map=LabelMap(), redactor=Redactor())
    arguments = {
        "dana@example.com": {"plan": "gold"},
        "<EMAIL_1>": "already a placeholder",  # the key dana@example.com's would take
        "bo@example.com": "+44 20 7946 0958",
        "_internal@example.com": "kept: underscored keys are the importer's own",
    }
    event = {"type": "tool_call", "name": "lookup", "args": arguments}
    assert context.redact(event) == {
        "type": "tool_call",
        "name": "lookup",
        "args": {
            "<EMAIL_1>": {"plan": "gold"},
            "<EMAIL_1>~2": "already a placeholder",
            "<EMAIL_2>": "<PHONE_1>",
            "_internal@example.com": "kept: underscored keys are the importer's own",
        },
    }


# --- findings quote no personal data ---------------------------------------------------------


def _logged_call(usage: dict[str, Any], outcome: str) -> str:
    return jsonl(
        {
            "metadata": {"session_id": "s1", "outcome": outcome},
            "timestamp": "2026-11-02T10:00:00Z",
            "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
            "response": {"id": "c1", "object": "chat.completion", "model": "gpt-4o-mini",
                         "choices": [], "usage": usage},
        }
    )  # fmt: skip


@pytest.mark.parametrize("redact", ["--redact", "--no-redact"])
def test_import_findings_quote_no_personal_data(redact: str, run_cli: Any, tmp_path: Path) -> None:
    # A token count that is an address (CPR801 quotes it) and an outcome that is one
    # (CPR804 quotes it): the report says `<EMAIL>`, with or without redaction.
    log = tmp_path / "log.jsonl"
    log.write_text(
        _logged_call({"prompt_tokens": "dana.whitfield@example.com", "completion_tokens": 1},
                     outcome="+44 20 7946 0958")
    )  # fmt: skip
    (tmp_path / "map.yaml").write_text("outcome: {from: metadata.outcome}\n")
    result = run_cli(
        "import", "openai", str(log), "-o", str(tmp_path / "out.jsonl"),
        "--map", str(tmp_path / "map.yaml"), "--format", "json", redact,
    )  # fmt: skip
    messages = [finding["message"] for finding in json.loads(result.stdout)["findings"]]
    quoted = [message for message in messages if "<EMAIL" in message or "<PHONE" in message]
    assert len(quoted) == 2, messages
    assert not any("example.com" in message or "7946" in message for message in messages)
