"""Properties of redaction and of the fixture rule's prescreen, on text made of the pieces
personal data is written with: digits and their separators, the ways to write `@` and
`.`, IBAN groups, listed names, invisible, fullwidth and accented characters."""

# ruff: noqa: RUF001  (fullwidth, curly and invisible characters are what is tested)

from __future__ import annotations

import json

from cprlint.pii import Redactor, find_sensitive_data
from cprlint.rules.fixtures import might_hold_personal_data
from hypothesis import given, settings
from hypothesis import strategies as st

NAMES = ["Dana Whitfield", "Siobhán O'Brien"]
PIECES = [
    # e-mail addresses and the ways to write their `@` and dots
    "dana", "w", "example", ".", "com", "@", "＠", "(at)", "[ at ]", "<AT>", " at ",
    " dot ", "(dot)", "%40", "％４０", "用户", "例子",
    # digits and separators: phones, cards
    "4111", "1111", "0132", "555", "415", "07700", "900123", "+44", "+", "(0)", "(", ")",
    "20", "7946", "0958", "12", "7", " ", "  ", "-", "/", "_", "．", "－", "０９０", "٣",
    "call me on ", "tel",
    # IBANs
    "GB82", "WEST", "1234", "5698", "7654", "32", "de89", "3704", "0044", "0532", "0130", "00",
    # names
    "Dana", "Whitfield", ", ", "Siobhan", "O’Brien", "Dána",
    # what folding drops or changes, and what JSON escapes
    "\u200b", "\u00a0", "\u0301", "é", "ｄ", "İ", "ß", "\n", "\t", '"', "\\", "\u2028", "x",
    # ids
    "053074667b", "bb3e19", "req_01", "=",
]  # fmt: skip
TEXT = st.lists(st.sampled_from(PIECES), max_size=24).map("".join) | st.text(max_size=40)


@settings(max_examples=600, deadline=None)
@given(text=TEXT)
def test_redaction_changes_only_what_it_reports_and_is_done_once(text: str) -> None:
    redactor = Redactor(names=NAMES)
    found = redactor.find(text)
    redacted = redactor.redact(text)
    # What it reports is in order, apart, and is the text at its place.
    position = 0
    expected = []
    for item in found:
        assert position <= item.start < item.end <= len(text)
        assert text[item.start : item.end] == item.text
        expected += [text[position : item.start], redactor.placeholder(item.kind, item.text)]
        position = item.end
    # Outside the spans it reports, nothing changes.
    assert redacted == "".join([*expected, text[position:]])
    # A second redaction finds nothing more.
    assert redactor.redact(redacted) == redacted


@settings(max_examples=1500, deadline=None)
@given(text=TEXT, ascii_only=st.booleans())
def test_the_prescreen_never_skips_a_finding(text: str, ascii_only: bool) -> None:
    line = json.dumps({"events": [{"type": "message", "text": text}]}, ensure_ascii=ascii_only)
    if any(find_sensitive_data(text)):
        assert might_hold_personal_data(line)


@settings(max_examples=300, deadline=None)
@given(key=TEXT)
def test_the_prescreen_reads_keys(key: str) -> None:
    line = json.dumps({"events": [{"type": "tool_call", "args": {key: 1}}]}, ensure_ascii=False)
    if any(find_sensitive_data(key)):
        assert might_hold_personal_data(line)
