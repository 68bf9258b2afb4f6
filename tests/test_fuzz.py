"""Fuzzing the loaders through the whole command line.

Each example copies the repo's example project, replaces one of its files with broken,
hostile or random content, and runs `cprlint lint --format json`. Whatever the input,
the run must end as a report (exit 0 or 1) or a clean usage error (exit 2), never as an
internal error (exit 3) or a traceback, and every finding must name a file and a line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.cli import run
from cprlint.reporters import REPORTERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git

REPO = Path(__file__).resolve().parent.parent

POLICY = "policies/support.yaml"
MANIFEST = "prompts/router/prompt.yaml"
PROMPT_VERSION = "prompts/router/v2.md"
FIXTURE_JSONL = "fixtures/recorded.jsonl"
FIXTURE_YAML = "fixtures/handwritten.yaml"
FIXTURES = (FIXTURE_JSONL, FIXTURE_YAML)
TARGETS = (POLICY, MANIFEST, PROMPT_VERSION, FIXTURE_JSONL, FIXTURE_YAML)

ORIGINAL = {target: (REPO / target).read_text("utf-8") for target in TARGETS}


# Every example runs the whole CLI (~40 ms on the example project); these budgets keep
# the file well under a minute on a 2-core machine.
# `CPRLINT_FUZZ_SCALE=20 pytest tests/test_fuzz.py` for a longer hunt than CI affords.
SCALE = float(os.environ.get("CPRLINT_FUZZ_SCALE", "1"))


def fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def run_with(
    replacements: dict[str, bytes], command: str = "lint", *, against_base: bool = False
) -> dict[str, Any] | None:
    """Run `command` (`lint`, or `check`, which also replays and prices) on a copy of the
    example project with some files replaced; check the outcome. With `against_base`, the
    copy is committed as `main` first and `check --base main` compares with it.

    Every other format is written too, beside the project: names and messages from the
    replaced files reach rich, markdown, XML and workflow commands as well.

    Returns the parsed JSON report, or None when the run ended with a usage error.
    """
    with tempfile.TemporaryDirectory(prefix="cprlint-fuzz-") as directory:
        root = Path(directory) / "project"
        reports = Path(directory) / "reports"
        shutil.copytree(REPO / "policies", root / "policies")
        shutil.copytree(REPO / "prompts", root / "prompts")
        # Only the hand-made fixtures: generated sets would make every example slow.
        (root / "fixtures").mkdir()
        for fixture in FIXTURES:
            shutil.copy(REPO / fixture, root / fixture)
        base: list[str] = []
        if against_base:
            for arguments in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-qm", "x")):
                git(root, *arguments)
            base = ["--base", "main"]
        for relative, content in replacements.items():
            (root / relative).write_bytes(content)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            replay = ["--no-cache", "--today", "2026-11-23"] if command == "check" else []
            others = [
                f"--format={name}:{reports / name}" for name in sorted(REPORTERS) if name != "json"
            ]
            code = run([command, str(root), "--format", "json", *others, *replay, *base])
        out, err = stdout.getvalue(), stderr.getvalue()
        assert code in (0, 1, 2), f"exit {code}: {err}"
        assert "Traceback" not in err, err
        assert "Traceback" not in out
        if code == 2:
            assert err.startswith("cprlint: "), err
            assert err.count("\n") == 1, err
            return None
        report = json.loads(out)
        for name in REPORTERS.keys() - {"json"}:
            assert (reports / name).read_text(encoding="utf-8").endswith("\n"), name
        findings = report["findings"]
        if code == 1:
            assert findings, "exit 1 without a finding"
        for finding in findings:
            assert finding["rule"].startswith("CPR"), finding
            assert finding["severity"] in ("error", "warning"), finding
            assert isinstance(finding["message"], str), finding
            assert finding["message"], finding
            assert isinstance(finding["line"], int), finding
            assert finding["line"] >= 1, finding
            if "column" in finding:
                assert finding["column"] >= 1, finding
            # A finding names a file (or prompt folder) of the project, relative to it.
            assert finding["path"], finding
            assert not Path(finding["path"]).is_absolute(), finding
            assert (root / finding["path"]).exists(), finding
        return report


def check_replaced(target: str, content: str | bytes) -> dict[str, Any] | None:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return run_with({target: raw})


def findings_in(report: dict[str, Any] | None, path: str) -> list[dict[str, Any]]:
    assert report is not None
    return [finding for finding in report["findings"] if finding["path"] == path]


def test_the_copied_example_project_is_valid() -> None:
    # The fuzzer starts from files with nothing wrong in them.
    report = run_with({})
    for target in TARGETS:
        assert findings_in(report, target) == [], target


# --- (a) random bytes ----------------------------------------------------------------


@fuzz(60)
@given(target=st.sampled_from(TARGETS), content=st.binary(max_size=600))
def test_random_bytes(target: str, content: bytes) -> None:
    check_replaced(target, content)


@fuzz(40)
@given(
    target=st.sampled_from(TARGETS),
    content=st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from(list("{}[]:,-&*!|>'\"#\n ")),
        max_size=300,
    ),
)
def test_random_text(target: str, content: str) -> None:
    check_replaced(target, content)


# --- (b) mutations of the valid files -----------------------------------------------

PUNCTUATION_CHARACTERS = list(":-{}[],&*!|>'\"#%@`?\\\t\n")
PUNCTUATION = [
    *PUNCTUATION_CHARACTERS,
    "---\n",
    "...\n",
    "<<: *a\n",
    "&a ",
    "*a",
    "? ",
    "!!python/object/apply:os.system ",
    "!Ref ",
    "!!binary ",
    "!!int ",
    "!!bool ",
    "{{ ",
    " }}",
    "{% if %}",
    "null",
    "true",
    '"',
    ",,",
    "\ufeff",
    "\x00",
]


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            lines = [""]
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "insert"]))
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            line = lines[index]
            at = draw(st.integers(min_value=0, max_value=len(line)))
            if operation == "flip":
                new = draw(st.characters(codec="utf-8") | st.sampled_from(PUNCTUATION_CHARACTERS))
                lines[index] = line[:at] + new + line[at + 1 :]
            else:
                lines[index] = line[:at] + draw(st.sampled_from(PUNCTUATION)) + line[at:]
    return "".join(lines)


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, str]:
    target = draw(st.sampled_from(TARGETS))
    return target, draw(mutation(ORIGINAL[target]))


@fuzz(120)
@given(case=mutated_file())
def test_mutated_file(case: tuple[str, str]) -> None:
    target, content = case
    check_replaced(target, content)


# --- (c) deep nesting ------------------------------------------------------------------

NESTING: dict[str, Callable[[int], str]] = {
    "flow-list": lambda depth: "[" * depth + "]" * depth,
    "flow-list-open": lambda depth: "[" * depth,
    "flow-map": lambda depth: "{a: " * depth + "1" + "}" * depth,
    "block-list": lambda depth: "- " * depth + "x\n",
    "block-map": lambda depth: "".join("  " * level + "a:\n" for level in range(depth)),
    "json-object": lambda depth: '{"a": ' * depth + "1" + "}" * depth,
    "json-list": lambda depth: "[" * depth + "]" * depth,
}


def nested_content(target: str, style: str, depth: int) -> str:
    nested = NESTING[style](depth)
    if target == FIXTURE_JSONL:
        # Inside an otherwise valid conversation, where rules walk the values.
        first = json.loads(ORIGINAL[FIXTURE_JSONL].splitlines()[0])
        line = json.dumps({**first, "vars": "@NESTED@"}).replace('"@NESTED@"', nested)
        return ORIGINAL[FIXTURE_JSONL] + line.replace("\n", " ") + "\n"
    if target == PROMPT_VERSION:
        # In the front matter, and as a template expression.
        return f"---\nmodel: {nested}\n---\n{{{{ {'(' * depth}1{')' * depth} }}}}\n"
    if target == FIXTURE_YAML:
        return ORIGINAL[FIXTURE_YAML] + "---\nid: T-NEST\nvars: " + nested + "\n"
    return nested


@fuzz(20)
@given(
    target=st.sampled_from(TARGETS),
    style=st.sampled_from(sorted(NESTING)),
    depth=st.integers(min_value=1, max_value=1200) | st.sampled_from([64, 65, 66, 999, 1100]),
)
def test_deep_nesting(target: str, style: str, depth: int) -> None:
    check_replaced(target, nested_content(target, style, depth))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("style", "depth"),
    [
        # Around the loader's 64-level cap, and where Python's recursion limit bites.
        ("flow-map", 64),
        ("flow-map", 65),
        ("json-object", 65),
        ("json-list", 150),
        ("block-map", 990),
        ("json-object", 990),
        ("block-list", 5000),
    ],
)
def test_deep_nesting_at_the_limits(target: str, style: str, depth: int) -> None:
    check_replaced(target, nested_content(target, style, depth))


@pytest.mark.parametrize("target", [POLICY, FIXTURE_JSONL])
def test_unclosed_brackets_5000_deep(target: str) -> None:
    check_replaced(target, "[" * 5000)


# --- (d) huge and odd numbers ------------------------------------------------------------

ODD_NUMBERS = [
    "1e99999",
    "1e999999999",
    "-1e-999999999",
    "1.0e+99999",
    "1.5e+999999999",
    "1" + "0" * 5000,
    "9" * 4300,
    "-0",
    "-0.0",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "190:20:30",
    "1e-400",
    "0.000000000000000000000000000000001",
    "123456789012345678901234567890.123456789",
    "-1",
    "2.5",
    "true",
    "null",
    '""',
]
# The ones every kind of place is tried with; the fuzzer mixes in the rest.
HUGE_AND_SPECIAL = [
    "1e30",
    "1" + "0" * 30,
    "1000000000.5",
    "1e99999",
    "1e999999999",
    "1.5e+999999999",
    "1" + "0" * 5000,
    "-0",
    ".nan",
    ".inf",
    "NaN",
    "-Infinity",
]
_A_NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w.:-])")


@st.composite
def file_with_odd_number(draw: st.DrawFn) -> tuple[str, str]:
    target = draw(st.sampled_from(TARGETS))
    text = ORIGINAL[target]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        spans = [match.span() for match in _A_NUMBER.finditer(text)]
        if not spans:
            break
        start, end = draw(st.sampled_from(spans))
        text = text[:start] + draw(st.sampled_from(ODD_NUMBERS)) + text[end:]
    return target, text


@fuzz(60)
@given(case=file_with_odd_number())
def test_odd_numbers(case: tuple[str, str]) -> None:
    target, content = case
    check_replaced(target, content)


@pytest.mark.parametrize("number", HUGE_AND_SPECIAL)
@pytest.mark.parametrize(
    ("target", "key"),
    [
        (POLICY, "cost_per_resolution"),
        (POLICY, "version"),
        (POLICY, "monthly_tickets"),
        (FIXTURE_YAML, "input_tokens"),
        (FIXTURE_JSONL, "input_tokens"),
        (PROMPT_VERSION, "max_output_tokens"),
    ],
)
def test_each_odd_number_in_each_kind_of_place(target: str, key: str, number: str) -> None:
    check_replaced(target, _with_number(target, key, number))


@pytest.mark.parametrize("number", HUGE_AND_SPECIAL)
@pytest.mark.parametrize(
    ("target", "key"),
    [
        (POLICY, "cost_per_resolution"),
        (POLICY, "input"),  # a model's price per 1M input tokens
        (POLICY, "per_minute"),
        (POLICY, "monthly_tickets"),
        (FIXTURE_JSONL, "input_tokens"),
        (FIXTURE_JSONL, "handle_minutes"),
        (FIXTURE_YAML, "output_tokens"),
    ],
)
def test_each_odd_number_is_replayed_and_priced(target: str, key: str, number: str) -> None:
    """`lint` reads a number; `check` multiplies, sums and rounds it too. Amounts past
    Decimal's 28 digits once crashed the rounding of the report (an internal error)."""
    run_with({target: _with_number(target, key, number).encode("utf-8")}, "check")


def _with_number(target: str, key: str, number: str) -> str:
    """The file with its first `key: 123` (or `"key": 123`) holding `number` instead."""
    text, replaced = re.subn(
        rf'("?{key}"?: )-?\d+(?:\.\d+)?',
        lambda match: match.group(1) + number,
        ORIGINAL[target],
        count=1,
    )
    assert replaced == 1
    return text


# --- (e) random JSON values ------------------------------------------------------------

# Every file that has a structure, as data: one value somewhere in it is replaced by a
# random one, so that rules meet every key with every type.
STRUCTURED: dict[str, Any] = {
    POLICY: {
        **yaml.safe_load(ORIGINAL[POLICY]),
        "waivers": [
            {
                "rule": "CPR101",
                "intent": "billing_dispute",
                "reason": "new refund flow",
                "owner": "@tally/billing",
                "expires": "2099-01-31",
            }
        ],
    },
    MANIFEST: yaml.safe_load(ORIGINAL[MANIFEST]),
    PROMPT_VERSION: {"model": "gpt-4o", "max_output_tokens": 8},
    FIXTURE_JSONL: json.loads(ORIGINAL[FIXTURE_JSONL].splitlines()[0]),
    FIXTURE_YAML: next(yaml.safe_load_all(ORIGINAL[FIXTURE_YAML])),
}


def value_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of `value` and of everything inside it."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += value_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += value_paths(child, (*prefix, index))
    return found


STRUCTURED_PATHS = {target: value_paths(data) for target, data in STRUCTURED.items()}


# Keys cprlint reads, so that random mappings often look like the real thing.
KNOWN_KEYS = sorted(
    {
        key
        for target in (POLICY, FIXTURE_JSONL)
        for path in STRUCTURED_PATHS[target]
        for key in path
        if isinstance(key, str)
    }
    | {"type", "llm_call", "tool_call", "retrieval", "escalation", "message", "fallback"}
    | {"cache_write_tokens", "context_tokens", "handle_minutes", "fully_loaded"}
)
# Text that means something to the formats' own syntaxes: rich markup, terminal escapes,
# markdown, XML, workflow commands.
markup_text = st.sampled_from(
    ["[/]", "[bold]x", "[/x] [y]", "\x1b[2J", "a\rb", "a|b", "<x>&", "@team", "#1", "::error::x"]
) | st.text(alphabet=list("[]/=ab #@|<>&`*_:%\\\x1b\x07\r\n"), max_size=12)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | markup_text
    | st.sampled_from([*KNOWN_KEYS, "v2", "router", "gpt-4o-mini", "economy", "resolved", "ok"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def jsonl(values: list[Any]) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


@fuzz(50)
@given(values=st.lists(json_values, min_size=1, max_size=4))
def test_random_json_lines(values: list[Any]) -> None:
    check_replaced(FIXTURE_JSONL, jsonl(values))


@fuzz(40)
@given(values=st.lists(json_values, min_size=1, max_size=3))
def test_random_yaml_documents(values: list[Any]) -> None:
    # JSON is YAML: the same values, as a YAML stream.
    check_replaced(FIXTURE_YAML, "---\n".join(json.dumps(value) + "\n" for value in values))


def render(target: str, data: Any) -> str:
    text = json.dumps(data, default=str)
    if target == FIXTURE_JSONL:
        return text + "\n" + "".join(ORIGINAL[FIXTURE_JSONL].splitlines(keepends=True)[1:])
    if target == PROMPT_VERSION:
        template = ORIGINAL[PROMPT_VERSION].split("---\n", 2)[2]
        return f"---\n{text}\n---\n{template}"
    if target == FIXTURE_YAML:
        return text + "\n---\n" + ORIGINAL[FIXTURE_YAML].split("\n---\n", 1)[1]
    return text + "\n"


@st.composite
def file_with_a_random_value(draw: st.DrawFn) -> tuple[str, str]:
    target = draw(st.sampled_from(sorted(STRUCTURED)))
    data = json.loads(json.dumps(STRUCTURED[target], default=str))
    path = draw(st.sampled_from(STRUCTURED_PATHS[target]))
    new = draw(json_values)
    if not path:
        return target, render(target, new)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    if draw(st.booleans()) or not isinstance(holder, dict):
        holder[path[-1]] = new
    else:  # or drop the key
        del holder[path[-1]]
    return target, render(target, data)


def test_structured_sources_render_to_valid_files() -> None:
    for target, data in STRUCTURED.items():
        report = check_replaced(target, render(target, data))
        assert findings_in(report, target) == [], target


@fuzz(120)
@given(case=file_with_a_random_value())
def test_file_with_a_random_value(case: tuple[str, str]) -> None:
    target, content = case
    check_replaced(target, content)


@fuzz(40)
@given(case=file_with_a_random_value())
def test_file_with_a_random_value_is_replayed_and_reported(case: tuple[str, str]) -> None:
    # `check` adds the metrics' tables, whose rows are named by the fixtures' values.
    target, content = case
    run_with({target: content.encode("utf-8")}, "check")


@st.composite
def policy_with_a_random_value(draw: st.DrawFn) -> str:
    """The example policy, version bumped, with one value replaced by a random one: a
    pull request's policy, against the example's as the base."""
    data = json.loads(json.dumps(STRUCTURED[POLICY], default=str))
    data["metadata"]["version"] += 1
    data["approvals"] = [
        {"path": draw(st.sampled_from(["budgets", "intents", "waivers", "creep", ""])),
         "version": data["metadata"]["version"], "owner": "@tally/finance", "reason": "r"}
    ]  # fmt: skip
    paths = value_paths(data)
    path = draw(st.sampled_from(paths[1:]))
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    if draw(st.booleans()) or not isinstance(holder, dict):
        holder[path[-1]] = draw(json_values)
    else:
        del holder[path[-1]]
    return render(POLICY, data)


@fuzz(40)
@given(policy=policy_with_a_random_value())
def test_a_random_policy_change_against_the_base(policy: str) -> None:
    # The policy diff, approvals, the monthly projection and the comment, whatever the
    # pull request did to the policy: a report or a usage error, never a crash.
    run_with({POLICY: policy.encode("utf-8")}, "check", against_base=True)


@fuzz(30)
@given(names=st.fixed_dictionaries({"intent": markup_text, "queue": markup_text}))
def test_names_from_a_fixture_in_every_format(names: dict[str, str]) -> None:
    # Scope names become table rows, headings and messages in every format.
    line = {**STRUCTURED[FIXTURE_JSONL], **names}
    run_with({FIXTURE_JSONL: (json.dumps(line) + "\n").encode("utf-8")}, "check")


# --- a broken line does not hide the lines after it --------------------------------------


def test_broken_jsonl_line_does_not_stop_the_file() -> None:
    good = ORIGINAL[FIXTURE_JSONL].splitlines()[0]
    assert good.startswith('{"id": "T-0101", ')
    text = "\n".join(
        [
            good,
            '{"id": "T-0902",, "intent": "password_reset"}',
            good.replace("T-0101", "T-0901"),
            good.replace("T-0101", "T-0901"),
        ]
    )
    report = check_replaced(FIXTURE_JSONL, text + "\n")
    found = [
        (finding["rule"], finding["line"], finding.get("column"), finding.get("conversation"))
        for finding in findings_in(report, FIXTURE_JSONL)
    ]
    assert found == [
        # `{"id": "T-0902",,`: `{` 1 + `"id"` 4 + `: ` 2 + `"T-0902"` 8 + `,` 1 = 16
        # characters, so the second comma is column 17.
        ("CPR001", 2, 17, None),
        # `{"id": ` is 7 characters: the id's value starts at column 8 of line 4.
        ("CPR301", 4, 8, "T-0901"),
    ]
    assert report is not None
    yaml_conversations = ORIGINAL[FIXTURE_YAML].count("\n---\n") + 1
    assert report["counts"]["conversations"] == 3 + yaml_conversations  # 3 good lines
