"""Unit tests of the loader: positions, exact numbers, and hostile or broken input.

Expected lines and columns are worked out by hand from the test's own text (1-based),
never copied from the loader's output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from cprlint.documents import (
    DUPLICATE_KEY,
    MAX_YAML_BYTES,
    SYNTAX,
    TOO_LARGE,
    UNREADABLE,
    UNSAFE,
    Document,
    canonical_json,
    ecmascript_number,
    iter_json_lines,
    load_yaml_documents,
    locate_json,
    read_text,
    suppressions_in,
)
from cprlint.findings import Location, Problem
from hypothesis import given, settings
from hypothesis import strategies as st


def load_one(text: str) -> Document:
    documents, problems = load_yaml_documents("p.yaml", text)
    assert problems == []
    assert len(documents) == 1
    return documents[0]


def codes(problems: list[Problem]) -> list[str | None]:
    return [problem.code for problem in problems]


# --- positions -------------------------------------------------------------------

NESTED = """\
intents:
  password_reset: {risk: low, tier: economy}
tiers:
  premium:
    - gpt-4o
    - claude-sonnet-4
waivers:
  - rule: CPR402
    owner: "@acme/billing"
"""


@pytest.mark.parametrize(
    ("key_path", "expected"),
    [
        # line 1 `intents:` holds a mapping that starts at line 2, column 3.
        (("intents",), (2, 3)),
        # line 2 `  password_reset: {risk: low, tier: economy}`: `{` is column 19,
        # `low` starts at column 26 (19 + len("{risk: ") = 19 + 7), `economy` at 37
        # (26 + len("low, tier: ") = 26 + 11).
        (("intents", "password_reset"), (2, 19)),
        (("intents", "password_reset", "risk"), (2, 26)),
        (("intents", "password_reset", "tier"), (2, 37)),
        # lines 5-6 `    - gpt-4o`, `    - claude-sonnet-4`: items start at column 7 (4 + "- ").
        (("tiers", "premium", 0), (5, 7)),
        (("tiers", "premium", 1), (6, 7)),
        # line 8 `  - rule: CPR402`: `CPR402` at column 11 (3 + "- rule: " = 3 + 8);
        # line 9 `    owner: "@acme/billing"`: the quoted value starts at column 12 (5 + 7).
        (("waivers", 0, "rule"), (8, 11)),
        (("waivers", 0, "owner"), (9, 12)),
    ],
)
def test_locate_value(key_path: tuple[str | int, ...], expected: tuple[int, int]) -> None:
    document = load_one(NESTED)
    assert document.locate(*key_path) == Location("p.yaml", *expected)


@pytest.mark.parametrize(
    ("key_path", "expected"),
    [
        (("intents",), (1, 1)),
        (("intents", "password_reset"), (2, 3)),
        # `tier` inside the flow mapping: column 31 (26 + len("low, ") = 26 + 5).
        (("intents", "password_reset", "tier"), (2, 31)),
        (("tiers", "premium"), (4, 3)),
        # line 8 `  - rule: CPR402`: the key `rule` starts at column 5 (3 + "- ").
        (("waivers", 0, "rule"), (8, 5)),
        (("waivers", 0, "owner"), (9, 5)),
    ],
)
def test_locate_key(key_path: tuple[str | int, ...], expected: tuple[int, int]) -> None:
    document = load_one(NESTED)
    assert document.locate(*key_path, key=True) == Location("p.yaml", *expected)


def test_locate_key_of_list_item_falls_back_to_the_value() -> None:
    # A list item has no key; its own position is the next best place.
    document = load_one(NESTED)
    assert document.locate("tiers", "premium", 1, key=True) == Location("p.yaml", 6, 7)


@pytest.mark.parametrize(
    ("key_path", "expected"),
    [
        # `budget` is missing from password_reset: point at the mapping that should hold it.
        (("intents", "password_reset", "budget"), (2, 19)),
        (("intents", "password_reset", "budget", "cost_per_resolution"), (2, 19)),
        # An index past the end of the list: the list itself (line 5, column 5).
        (("tiers", "premium", 7), (5, 5)),
        (("waivers", 3, "rule"), (8, 3)),
        # Nothing of the path exists: the document's start.
        (("nowhere", "at", "all"), (1, 1)),
        ((), (1, 1)),
    ],
)
def test_locate_missing_path_falls_back_to_nearest_ancestor(
    key_path: tuple[str | int, ...], expected: tuple[int, int]
) -> None:
    document = load_one(NESTED)
    assert document.locate(*key_path) == Location("p.yaml", *expected)


def test_locate_missing_key_falls_back_to_ancestor_value() -> None:
    document = load_one(NESTED)
    assert document.locate("intents", "password_reset", "budget", key=True) == Location(
        "p.yaml", 2, 19
    )


def test_locate_in_later_document_of_a_stream() -> None:
    documents, problems = load_yaml_documents("p.yaml", "a: 1\n---\nb:\n  c: [x, y]\n")
    assert problems == []
    # line 4 `  c: [x, y]`: `y` is at column 10.
    assert documents[1].locate("b", "c", 1) == Location("p.yaml", 4, 10)
    # A missing path in the second document falls back to that document's start (line 3).
    assert documents[1].locate("zzz") == Location("p.yaml", 3, 1)


# --- values ----------------------------------------------------------------------


def test_floats_become_exact_decimals() -> None:
    document = load_one("a: 0.1\nb: 1.10\nc: -2.5e-3\nd: 1_000.5\ne: 3\n")
    assert document.data == {
        "a": Decimal("0.1"),
        "b": Decimal("1.10"),
        "c": Decimal("-2.5e-3"),
        "d": Decimal("1000.5"),
        "e": 3,
    }
    assert type(document.data["a"]) is Decimal
    assert str(document.data["b"]) == "1.10"  # the source text, not a binary float
    assert type(document.data["e"]) is int


def test_non_finite_floats_stay_text() -> None:
    document = load_one("a: .nan\nb: .inf\nc: -.inf\n")
    assert document.data == {"a": ".nan", "b": ".inf", "c": "-.inf"}


def test_dates_stay_strings() -> None:
    document = load_one("as_of: 2026-11-01\nat: 2026-11-01T10:00:00Z\n")
    assert document.data == {"as_of": "2026-11-01", "at": "2026-11-01T10:00:00Z"}


def test_plain_scalars() -> None:
    document = load_one("a: true\nb: null\nc: ~\nd: '0.1'\ne: -0\n")
    assert document.data == {"a": True, "b": None, "c": None, "d": "0.1", "e": 0}


# --- problems --------------------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    text = "budgets:\n  cost_per_resolution: 0.10\n  cost_per_resolution: 0.50\n"
    documents, problems = load_yaml_documents("p.yaml", text)
    assert codes(problems) == [DUPLICATE_KEY]
    # The second key is on line 3, indented by two spaces.
    assert problems[0].location == Location("p.yaml", 3, 3)
    assert "line 2" in problems[0].message
    # The last one wins, and the value is located where it was read from.
    assert documents[0].data == {"budgets": {"cost_per_resolution": Decimal("0.50")}}
    assert documents[0].locate("budgets", "cost_per_resolution") == Location("p.yaml", 3, 24)


def test_duplicate_key_forgets_what_the_first_value_held() -> None:
    documents, problems = load_yaml_documents("p.yaml", "a:\n  x: 1\na:\n  y: 2\n")
    assert codes(problems) == [DUPLICATE_KEY]
    assert documents[0].data == {"a": {"y": 2}}
    # `a.x` is gone: it falls back to the mapping that won, line 4 column 3.
    assert documents[0].locate("a", "x") == Location("p.yaml", 4, 3)
    assert documents[0].locate("a", "x", key=True) == Location("p.yaml", 4, 3)


MERGED = """\
base: &base {risk: low, tier: economy}
password_reset:
  tier: standard
  <<: *base
card_arrival:
  <<: *base
  tier: premium
"""


def test_merge_keys() -> None:
    document = load_one(MERGED)
    assert document.data["password_reset"] == {"tier": "standard", "risk": "low"}
    assert document.data["card_arrival"] == {"risk": "low", "tier": "premium"}
    # A key given in the mapping is located there, before or after the merge:
    # line 3 `  tier: standard` (value at column 9), line 7 `  tier: premium`.
    assert document.locate("password_reset", "tier") == Location("p.yaml", 3, 9)
    assert document.locate("password_reset", "tier", key=True) == Location("p.yaml", 3, 3)
    assert document.locate("card_arrival", "tier") == Location("p.yaml", 7, 9)
    # A merged key is located at the anchor it came from: `risk` on line 1, column 14.
    assert document.locate("password_reset", "risk", key=True) == Location("p.yaml", 1, 14)
    assert document.locate("card_arrival", "risk", key=True) == Location("p.yaml", 1, 14)


def test_merge_of_several_sources() -> None:
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n"
    document = load_one(text)
    assert document.data["c"] == {"x": 1, "y": 3}  # the first source wins
    # `x` came from `a` (line 1, key at column 8), `y` from `b` (line 2, key at column 14).
    assert document.locate("c", "x", key=True) == Location("p.yaml", 1, 8)
    assert document.locate("c", "y", key=True) == Location("p.yaml", 2, 14)
    assert ("c", 0) not in document.value_positions


def test_python_tag_is_refused_and_never_constructed(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def forbidden(*args: object) -> int:
        raise AssertionError("os.system was called")

    monkeypatch.setattr(os, "system", forbidden)
    text = "budget: !!python/object/apply:os.system ['echo hi']\n"
    documents, problems = load_yaml_documents("p.yaml", text)
    assert codes(problems) == [UNSAFE]
    # The tag starts right after `budget: ` (8 characters): column 9.
    assert problems[0].location == Location("p.yaml", 1, 9)
    assert documents[0].data == {"budget": ["echo hi"]}


@pytest.mark.parametrize(
    "text",
    [
        "vpc: !Ref MyVpc\n",
        "vpc: !Ref [a, b]\n",
        "vpc: !Ref {a: b}\n",
        "vpc: !!python/name:os.system\n",
        "vpc: !!binary aGk=\n",
    ],
)
def test_custom_tags_are_refused(text: str) -> None:
    documents, problems = load_yaml_documents("p.yaml", text)
    assert codes(problems) == [UNSAFE]
    assert problems[0].location == Location("p.yaml", 1, 6)
    value = documents[0].data["vpc"]
    assert isinstance(value, str | list | dict)  # plain data, never an object


def test_billion_laughs_is_refused() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":  # 9 levels of 9 aliases each: 9**9 strings if expanded
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
        previous = name
    documents, problems = load_yaml_documents("p.yaml", "\n".join(lines) + "\n")
    assert documents == []
    assert codes(problems) == [UNSAFE]


def test_recursive_alias_is_refused() -> None:
    documents, problems = load_yaml_documents("p.yaml", "a: &a [*a]\n")
    assert documents == []
    assert codes(problems) == [UNSAFE]


@pytest.mark.parametrize(
    "text",
    ["[" * 5000, "[" * 5000 + "]" * 5000, "{a: " * 5000, "- " * 5000 + "x", "[" * 100 + "]" * 100],
    ids=["open-5000", "closed-5000", "flow-map-5000", "block-list-5000", "closed-100"],
)
def test_deep_nesting_is_a_problem_not_a_crash(text: str) -> None:
    documents, problems = load_yaml_documents("p.yaml", text)
    assert documents == []
    assert problems
    assert set(codes(problems)) <= {UNSAFE, SYNTAX}


def test_syntax_error_position() -> None:
    text = "intents:\n  password_reset: {risk: low, tier: economy\ntiers: {}\n"
    documents, problems = load_yaml_documents("p.yaml", text)
    assert documents == []
    assert codes(problems) == [SYNTAX]
    # The flow mapping opened on line 2 is still open when `tiers:` (line 3) begins;
    # PyYAML stops at the `:` after `tiers`, column 6.
    assert problems[0].location == Location("p.yaml", 3, 6)


def test_syntax_error_keeps_earlier_documents() -> None:
    documents, problems = load_yaml_documents("p.yaml", "a: 1\n---\nb: [1, 2\n")
    assert [document.data for document in documents] == [{"a": 1}]
    assert codes(problems) == [SYNTAX]
    assert problems[0].location.line == 4  # the stream ends while the list is open


@pytest.mark.parametrize(
    "text",
    ["a: !!bool maybe\n", "a: !!bool ''\n", "a: !!int ''\n", "a: !!int '-'\n", "a: !!int x\n"],
)
def test_explicit_core_tag_with_bad_value_is_a_problem(text: str) -> None:
    documents, problems = load_yaml_documents("p.yaml", text)
    assert codes(problems) == [SYNTAX]
    assert problems[0].location == Location("p.yaml", 1, 4)
    assert isinstance(documents[0].data["a"], str)


def test_control_character_is_a_syntax_error() -> None:
    # line 2 `b: x\x1fy`: `x` is column 4, the control character column 5.
    documents, problems = load_yaml_documents("p.yaml", "a: 1\nb: x\x1fy\n")
    assert documents == []
    assert codes(problems) == [SYNTAX]
    assert problems[0].location == Location("p.yaml", 2, 5)


@pytest.mark.parametrize("number", ["1.0e+999999999", "-1.5e-99999", "1" + "0" * 5000])
def test_absurd_numbers_are_a_problem(number: str) -> None:
    documents, problems = load_yaml_documents("p.yaml", f"budget: {number}\n")
    assert codes(problems) == [SYNTAX]
    assert problems[0].location == Location("p.yaml", 1, 9)
    assert documents[0].data == {"budget": number}


def test_large_but_sane_numbers_are_read() -> None:
    document = load_one("a: 1.0e+400\nb: 1.5e-300\n")
    assert document.data == {"a": Decimal("1.0e+400"), "b": Decimal("1.5e-300")}


def test_multi_document_stream() -> None:
    text = "# comment\nid: T-1\n---\nid: T-2\nintent: x\n---\n- 1\n- 2\n"
    documents, problems = load_yaml_documents("p.yaml", text)
    assert problems == []
    assert [document.data for document in documents] == [
        {"id": "T-1"},
        {"id": "T-2", "intent": "x"},
        [1, 2],
    ]
    assert [document.start_line for document in documents] == [2, 4, 7]
    assert documents[1].locate("intent") == Location("p.yaml", 5, 9)


# --- reading bytes -----------------------------------------------------------------


def test_read_text_over_the_size_cap() -> None:
    text, problems = read_text("big.yaml", b"a" * 11, limit=10)
    assert text is None
    assert codes(problems) == [TOO_LARGE]
    assert problems[0].location == Location("big.yaml", 1, 1)


def test_read_text_default_cap() -> None:
    text, problems = read_text("big.yaml", b"#" * (MAX_YAML_BYTES + 1))
    assert text is None
    assert codes(problems) == [TOO_LARGE]
    text, problems = read_text("ok.yaml", b"#" * MAX_YAML_BYTES)
    assert problems == []


def test_read_text_not_utf8() -> None:
    text, problems = read_text("p.yaml", b"a: 1\nb: \xff\xfe\n")
    assert text is None
    assert codes(problems) == [UNREADABLE]
    assert problems[0].location.line == 2


def test_read_text_strips_bom() -> None:
    text, problems = read_text("p.yaml", b"\xef\xbb\xbfa: 1\n")
    assert (text, problems) == ("a: 1\n", [])


# --- JSON Lines --------------------------------------------------------------------


def test_iter_json_lines_streams_and_survives_a_broken_line() -> None:
    lines = [
        b'{"id": "T-1", "cost": 0.1}\n',
        b'{"id": 2,, "x": 1}\n',
        b"\n",
        b'{"id": "T-3"}\n',
    ]
    consumed: list[bytes] = []

    def source() -> object:
        for line in lines:
            consumed.append(line)
            yield line

    stream = iter_json_lines("f.jsonl", source())  # type: ignore[arg-type]
    first = next(stream)
    assert isinstance(first, Document)
    assert len(consumed) == 1  # streamed: nothing read ahead
    assert first.data == {"id": "T-1", "cost": Decimal("0.1")}
    assert first.start_line == 1
    rest = list(stream)
    assert len(rest) == 2
    problem, third = rest
    assert isinstance(problem, Problem)
    assert problem.code == SYNTAX
    # `{"id": 2,, ...`: the second comma is the 10th character.
    assert problem.location == Location("f.jsonl", 2, 10)
    assert isinstance(third, Document)
    assert third.data == {"id": "T-3"}
    assert third.start_line == 4  # the blank line 3 is skipped but still counted


def test_iter_json_lines_truncated_line_points_at_its_end() -> None:
    # `{"id": 1, ` is 10 characters; the parser runs out of text at column 11.
    (problem,) = list(iter_json_lines("f.jsonl", iter([b'{"id": 1, \n'])))
    assert isinstance(problem, Problem)
    assert problem.code == SYNTAX
    assert problem.location == Location("f.jsonl", 1, 11)


@pytest.mark.parametrize(
    "line",
    [
        b"[" * 100_000 + b"\n",
        b"[" * 66 + b"]" * 66 + b"\n",  # parses, but deeper than the 64 levels rules walk
        b"1" * 5000 + b"\n",
        b'{"a": 1e999999999}\n',
        b'{"a": NaN}\n',
        b'{"a": -Infinity}\n',
    ],
    ids=["open-100000", "closed-66", "int-5000-digits", "exponent-999999999", "nan", "-infinity"],
)
def test_iter_json_lines_unreadable_values_are_problems(line: bytes) -> None:
    (problem,) = list(iter_json_lines("f.jsonl", iter([line])))
    assert isinstance(problem, Problem)
    assert problem.code in (SYNTAX, UNSAFE)
    assert problem.location.line == 1


def test_iter_json_lines_reads_large_but_sane_values() -> None:
    line = b'{"a": 1e400, "b": ' + b"[" * 63 + b"]" * 63 + b"}\n"
    (document,) = list(iter_json_lines("f.jsonl", iter([line])))
    assert isinstance(document, Document)
    assert document.data["a"] == Decimal("1e400")


def test_iter_json_lines_not_utf8() -> None:
    items = list(iter_json_lines("f.jsonl", iter([b'{"a": 1}\n', b'{"a": "\xff"}\n'])))
    assert isinstance(items[0], Document)
    assert isinstance(items[1], Problem)
    assert items[1].code == UNREADABLE
    # `{"a": "` is 7 bytes: the bad byte is the 8th.
    assert items[1].location == Location("f.jsonl", 2, 8)


# `{"a": {"b": [1, {"c": "x"}]}, "d": true}`, 0-based indexes:
#   0 `{`   1 `"a"`  6 `{`  7 `"b"`  12 `[`  13 `1`  16 `{`  17 `"c"`  22 `"x"`  30 `"d"`  35 `true`
# and 1-based columns are those indexes + 1.
NESTED_JSON = '{"a": {"b": [1, {"c": "x"}]}, "d": true}'


def test_locate_json_values_and_keys_along_a_path() -> None:
    values, keys = locate_json(NESTED_JSON, ("a", "b", 1, "c"))
    assert values == {(): 1, ("a",): 7, ("a", "b"): 13, ("a", "b", 1): 17, ("a", "b", 1, "c"): 23}
    assert keys == {("a",): 2, ("a", "b"): 8, ("a", "b", 1, "c"): 18}
    values, keys = locate_json(NESTED_JSON, ("d",))
    assert values == {(): 1, ("d",): 36}
    assert keys == {("d",): 31}
    assert locate_json(NESTED_JSON, ("a", "b", 0))[0][("a", "b", 0)] == 14


def test_locate_json_stops_where_the_path_does() -> None:
    # No "x" under "a"; no item 2 in "b"; "b" is no object; "d" is no array.
    for key_path, deepest in [
        (("a", "x", "y"), ("a",)),
        (("a", "b", 2), ("a", "b")),
        (("a", "b", "c"), ("a", "b")),
        (("d", 0), ("d",)),
        (("a", "b", -1), ("a", "b")),
    ]:
        values, _ = locate_json(NESTED_JSON, key_path)
        assert max(values, key=len) == deepest


def test_locate_json_with_whitespace_and_escapes() -> None:
    # `{ "k\"ey" :  [ 1 ,2 ] }`: `"k\"ey"` starts at index 2 (column 3) and is 7
    # characters long; `[` is at index 13 (2 + 7 + len(" :  ") = 13), `1` at 15, `2` at 18.
    text = '{ "k\\"ey" :  [ 1 ,2 ] }'
    values, keys = locate_json(text, ('k"ey', 1))
    assert keys == {('k"ey',): 3}
    assert values == {(): 1, ('k"ey',): 14, ('k"ey', 1): 19}
    assert locate_json(text, ('k"ey', 0))[0][('k"ey', 0)] == 16


def test_locate_json_finds_a_key_written_twice_where_the_parser_keeps_it() -> None:
    # `{"a": 1, "\u0061": [2]}`: the second "a" (written as an escape) is the one
    # json.loads keeps; its key starts at index 9 (column 10), its `[` at 19 (column 20).
    text = '{"a": 1, "\\u0061": [2]}'
    assert json.loads(text) == {"a": [2]}
    values, keys = locate_json(text, ("a", 0))
    assert keys == {("a",): 10}
    assert values == {(): 1, ("a",): 20, ("a", 0): 21}
    # The value kept may begin the one written first: "1" and "12". `{"a": 12, "b": 0, `
    # is 18 characters, so the last "a" is at index 18 (column 19) and its 1 at column 24.
    values, keys = locate_json('{"a": 12, "b": 0, "a": 1}', ("a",))
    assert keys == {("a",): 19}
    assert values == {(): 1, ("a",): 24}


def test_locate_json_on_broken_text_keeps_what_it_found() -> None:
    # A container cut short is not read (whether "a" is written again later cannot be
    # told), and every container holds the end of the text: the root is all there is to
    # know, and it is known. (Lines are located only once they parsed.)
    assert locate_json('  {"a": 1, "b": ', ("a",)) == ({(): 3}, {})
    assert locate_json('[{"a": [1]}, {"a": [', (0, "a", 0)) == ({(): 1}, {})


# Characters that JSON escapes or that mean structure, and some past ASCII (one to four
# bytes of UTF-8: columns count characters, the reading counts bytes).
_KEY_ALPHABET = 'ab"\\ {}[],:é€😀'
# (NaN and infinities are no JSON: the readers refuse them, so no line holds one.)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=_KEY_ALPHABET + "x1\n", max_size=5)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=_KEY_ALPHABET, max_size=3), children, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def values_with_a_path(draw: st.DrawFn) -> tuple[Any, tuple[str | int, ...]]:
    value = draw(json_values)
    path: list[str | int] = []
    item = value
    while isinstance(item, dict | list) and item and draw(st.booleans()):
        step = draw(st.sampled_from(sorted(item) if isinstance(item, dict) else range(len(item))))
        path.append(step)
        item = item[step]
    return value, tuple(path)


@settings(max_examples=400, deadline=None)
@given(
    values_with_a_path(),
    st.sampled_from([(",", ":"), (", ", ": "), (" , ", " :  ")]),
    st.booleans(),
)
def test_locate_json_points_at_each_value_and_key_of_the_path(
    value_and_path: tuple[Any, tuple[str | int, ...]],
    separators: tuple[str, str],
    ensure_ascii: bool,
) -> None:
    value, key_path = value_and_path
    text = " " + json.dumps(value, separators=separators, ensure_ascii=ensure_ascii)
    assert_located_along(text, value, key_path)


# Objects whose keys may be written twice, "a" also as the escape `\u0061`: the parser
# keeps the value written last, and that is where a finding must point.
json_texts_with_keys_written_twice = st.recursive(
    json_scalars.map(lambda scalar: json.dumps(scalar, ensure_ascii=False)),
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(
            st.tuples(st.sampled_from(["a", "b", "\\u0061", "é"]), children), max_size=5
        ).map(lambda members: "{" + ",".join(f' "{key}" :{item}' for key, item in members) + "}")
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(json_texts_with_keys_written_twice, st.data())
def test_locate_json_finds_keys_written_twice_where_the_parser_keeps_them(
    text: str, data: st.DataObject
) -> None:
    value = json.loads(text)
    key_path: list[str | int] = []
    item = value
    while isinstance(item, dict | list) and item and data.draw(st.booleans()):
        step = data.draw(
            st.sampled_from(sorted(item) if isinstance(item, dict) else range(len(item)))
        )
        key_path.append(step)
        item = item[step]
    assert_located_along(text, value, tuple(key_path))


def assert_located_along(text: str, value: Any, key_path: tuple[str | int, ...]) -> None:
    values, keys = locate_json(text, key_path)
    assert set(values) == {key_path[:length] for length in range(len(key_path) + 1)}
    item = value
    for length in range(len(key_path) + 1):
        path = key_path[:length]
        if length:
            item = item[key_path[length - 1]]
        # Parsing from the column gives the value there; from a key's, the key.
        assert json.JSONDecoder().raw_decode(text, values[path] - 1)[0] == item
        if length and isinstance(path[-1], str):
            assert json.decoder.scanstring(text, keys[path])[0] == path[-1]  # type: ignore[attr-defined]
    assert len(keys) == sum(isinstance(step, str) for step in key_path)


def test_json_document_locates_lazily() -> None:
    (document,) = list(iter_json_lines("f.jsonl", iter([b"\n", NESTED_JSON.encode() + b"\n"])))
    assert isinstance(document, Document)
    assert document.value_positions == {}  # nothing computed until a finding asks
    assert document.locate("a", "b", 1, "c") == Location("f.jsonl", 2, 23)
    assert document.locate("a", "b", 1, "c", key=True) == Location("f.jsonl", 2, 18)
    assert document.locate("d", key=True) == Location("f.jsonl", 2, 31)
    # A missing key falls back to its nearest existing ancestor: `{` of "a", column 7.
    assert document.locate("a", "missing") == Location("f.jsonl", 2, 7)
    assert json.loads(NESTED_JSON) == document.data


# --- suppressions ------------------------------------------------------------------


def test_suppressions_in() -> None:
    text = (
        "intents:\n"
        "  a: {tier: x}  # cprlint: disable=CPR101,CPR102\n"
        "  b: {tier: y}\n"
        "  c: {tier: z} #cprlint:disable=cpr201, CPR202\n"
    )
    assert suppressions_in(text) == {
        2: frozenset({"CPR101", "CPR102"}),
        4: frozenset({"CPR201", "CPR202"}),
    }


def test_suppressions_in_without_any() -> None:
    assert suppressions_in("a: 1  # a comment\n") == {}


# --- RFC 8785 canonical JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    ("double", "text"),
    [
        # RFC 8785, Appendix B: IEEE doubles and their ECMAScript text.
        (0.0, "0"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (9007199254740994.0, "9007199254740994"),
        (295147905179352830000.0, "295147905179352830000"),
        (1e21, "1e+21"),
        (1e23, "1e+23"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (333333333.3333333, "333333333.3333333"),
        (-5e-324, "-5e-324"),
        (4.5, "4.5"),
        (2e-3, "0.002"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(double: float, text: str) -> None:
    assert ecmascript_number(double) == text


def test_canonical_json_sorts_keys_by_utf16_code_units() -> None:
    # RFC 8785, 3.2.3: "\r" (U+000D) < "1" < U+0080 < "ö" < "€" < U+1F600 (its high
    # surrogate D83D) < U+FB33, which sorts after the emoji in UTF-16, not before.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_canonical_json_makes_equal_numbers_one() -> None:
    # 1, 1.0 and 1e0 read as one double; 10**400 is past the doubles and only itself.
    assert canonical_json({"a": [1, Decimal("1.0"), Decimal("1E+0")]}) == '{"a":[1,1,1]}'
    assert canonical_json(Decimal("1e400")) == '"1E+400"'
    assert canonical_json(["é\n", None, True]) == '["é\\n",null,true]'


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False).map(lambda x: Decimal(repr(x)))
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(_json_values, _json_values)
@settings(max_examples=300, deadline=None)
def test_the_replay_key_of_arguments_is_as_equal_as_their_canonical_json(a: Any, b: Any) -> None:
    from cprlint.replay import _arguments_key

    assert (_arguments_key(a) == _arguments_key(b)) == (canonical_json(a) == canonical_json(b))
    # The same value written another way (an integer as a decimal) is the same key.
    assert _arguments_key(a) == _arguments_key(
        json.loads(json.dumps(a, default=float), parse_float=Decimal)
    )
