"""Every output format, rendered from hand-built reports and checked against its contract.

SARIF and JUnit are validated with the official schemas in /work/shared/validators (offline);
GitHub annotations are compared with lines worked out by hand from @actions/core's rules.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cprlint.findings import Finding, FindingRecord, Location, Scope, Severity
from cprlint.outputs import OutputTarget, write_report
from cprlint.report import Report
from cprlint.reporters import IN_PIECES, REPORTERS, RenderOptions, base, sarif
from cprlint.reporters.base import Items, indented_json
from cprlint.rules import RULES
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import VALIDATORS

POLICY = "policies/support.yaml"
FIXTURE = "fixtures/conversations.jsonl"
PROMPT = "prompts/triage/v2.md"
UNTOUCHED = "prompts/greeting/v1.md"

ERROR_BUDGET = Finding(
    "CPR105",
    Severity.ERROR,
    "budget for intent 'refund' is -1.00 USD: must be > 0",
    Location(POLICY, 12, 7),
    Scope(intent="refund"),
)
ERROR_PII = Finding(
    "CPR307",
    Severity.ERROR,
    "personal data in turn 3: <script>alert('x')</script> & more",
    Location(FIXTURE, 41, 15),
    Scope(conversation="conv-7"),
)
# No column: the location is a whole line.
WARNING_USAGE = Finding(
    "CPR305",
    Severity.WARNING,
    "llm call without usage: 100% of calls, cost: unknown | see docs",
    Location(FIXTURE, 88),
    Scope(conversation="conv-9"),
)
WARNING_LAYOUT = Finding(
    "CPR203",
    Severity.WARNING,
    "layout: line one\r\nline two — résumé ✓",
    Location(PROMPT, 1, 1),
    Scope(prompt="triage"),
)
WAIVED = Finding(
    "CPR110",
    Severity.ERROR,
    "policies overlap on queue 'billing'",
    Location(POLICY, 30, 3),
    Scope(queue="billing"),
    waived_by="policies/support.yaml:55",
)
ALL_FINDINGS = (ERROR_BUDGET, ERROR_PII, WARNING_USAGE, WARNING_LAYOUT, WAIVED)


def make_report(*findings: Finding, files: tuple[str, ...] = (), conversations: int = 0) -> Report:
    return Report(
        command="check",
        findings=tuple(sorted(findings)),
        files_checked=files,
        conversations=conversations,
    )


def full_report() -> Report:
    # 2 active errors, 2 warnings, 1 waived error; 4 files (one without findings), 12 conversations.
    return make_report(*ALL_FINDINGS, files=(FIXTURE, POLICY, PROMPT, UNTOUCHED), conversations=12)


EMPTY = make_report()


def numbered(count: int, severity: Severity, *, waived: bool = False) -> list[Finding]:
    return [
        Finding(
            "CPR101" if severity is Severity.ERROR else "CPR305",
            severity,
            f"{severity.value} number {number}",
            Location(POLICY, number + 1),
            waived_by=f"{POLICY}:999" if waived else None,
        )
        for number in range(count)
    ]


# --- sarif -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    schema = json.loads((VALIDATORS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

    def refuse(uri: str) -> Resource[Any]:
        raise AssertionError(f"the SARIF schema must resolve offline, not fetch {uri}")

    # The schema's only references are its own "#/definitions/..."; anything else would
    # be fetched by the default registry, so this one refuses.
    registry: Registry[Any] = Registry(retrieve=refuse).with_resource(
        schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)
    )
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def render_sarif(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(REPORTERS["sarif"](report, options or RenderOptions()))
    return result


@pytest.mark.parametrize("report", [full_report(), EMPTY], ids=["findings", "empty"])
@pytest.mark.parametrize("prefix", ["", "sub/dir/"])
def test_sarif_validates_against_the_schema(
    sarif_validator: Draft4Validator, report: Report, prefix: str
) -> None:
    log = render_sarif(report, RenderOptions(repo_prefix=prefix))
    errors = [error.message for error in sarif_validator.iter_errors(log)]
    assert errors == []


def test_sarif_meets_githubs_requirements() -> None:
    log = render_sarif(full_report())
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cprlint"
    for rule in driver["rules"]:
        assert rule["id"]
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip(), (rule["id"], key)
    results = run["results"]
    assert len(results) == len(ALL_FINDINGS)
    by_rule = {finding.rule: finding for finding in ALL_FINDINGS}
    for result in results:
        finding = by_rule[result["ruleId"]]
        assert result["level"] == finding.severity.value
        assert result["message"]["text"] == finding.message
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/")
        assert not uri.startswith("file:")
        assert uri == finding.path
        assert physical["region"]["startLine"] == finding.line >= 1
        if finding.column is None:
            assert "startColumn" not in physical["region"]
        else:
            assert physical["region"]["startColumn"] == finding.column


def test_sarif_keeps_within_code_scannings_limit(
    sarif_validator: Draft4Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    log = render_sarif(full_report())
    assert [error.message for error in sarif_validator.iter_errors(log)] == []
    (run,) = log["runs"]
    # In the report's order: CPR307 (fixtures, line 41), CPR305 (fixtures, 88), CPR105
    # (policies, 12), CPR110 (policies, 30, waived), CPR203 (prompts). Kept: the two
    # active errors (CPR307, CPR105), then the first warning (CPR305), in that order;
    # left out: the other warning (CPR203) and the waived error (CPR110).
    assert [result["ruleId"] for result in run["results"]] == ["CPR307", "CPR305", "CPR105"]
    (invocation,) = run["invocations"]
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("2 of 5 findings are left out")
    # Within the limit, nothing is left out and nothing is said.
    monkeypatch.setattr(sarif, "MAX_RESULTS", 5)
    (run,) = render_sarif(full_report())["runs"]
    assert len(run["results"]) == 5
    assert "invocations" not in run


def test_sarif_rule_index_points_at_the_rule_with_the_same_id() -> None:
    (run,) = render_sarif(full_report())["runs"]
    rules = run["tool"]["driver"]["rules"]
    # Every rule of the registry is described, each once.
    assert sorted(rule["id"] for rule in rules) == sorted(RULES)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_repo_prefix_is_prepended_to_uris() -> None:
    (run,) = render_sarif(full_report(), RenderOptions(repo_prefix="sub/dir/"))["runs"]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    # Results follow the report's (sorted) order: fixtures < policies < prompts.
    assert uris == [
        "sub/dir/fixtures/conversations.jsonl",
        "sub/dir/fixtures/conversations.jsonl",
        "sub/dir/policies/support.yaml",
        "sub/dir/policies/support.yaml",
        "sub/dir/prompts/triage/v2.md",
    ]


def test_sarif_uri_is_percent_encoded() -> None:
    # A URI reference may not hold a space or raw non-ASCII: " " -> %20, "é" (UTF-8 C3 A9)
    # -> %C3%A9, and a literal "%" -> %25; the "/" separators stay.
    finding = Finding(
        "CPR203", Severity.ERROR, "bad layout", Location("prompts/my prompts/réponse 100%.md", 2)
    )
    (run,) = render_sarif(make_report(finding), RenderOptions(repo_prefix="sub dir/"))["runs"]
    (result,) = run["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "sub%20dir/prompts/my%20prompts/r%C3%A9ponse%20100%25.md"


def test_sarif_waived_finding_is_suppressed() -> None:
    (run,) = render_sarif(full_report())["runs"]
    suppressed = {r["ruleId"]: r.get("suppressions") for r in run["results"]}
    assert suppressed.pop("CPR110") == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "waived by policies/support.yaml:55",
        }
    ]
    assert all(value is None for value in suppressed.values())


# --- junit -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(VALIDATORS / "jenkins-junit.xsd")))


def parse_junit(report: Report, schema: etree.XMLSchema) -> etree._Element:
    output = REPORTERS["junit"](report, RenderOptions())
    root = etree.fromstring(output.encode("utf-8"))
    schema.assertValid(root)
    return root


def test_junit_failures_are_the_active_errors(junit_schema: etree.XMLSchema) -> None:
    root = parse_junit(full_report(), junit_schema)
    cases = root.findall("testsuite/testcase")
    # One case per checked file, the untouched one included.
    assert sorted(case.get("name") for case in cases) == sorted(
        [FIXTURE, POLICY, PROMPT, UNTOUCHED]
    )
    failures = {
        case.get("name"): [(f.get("type"), f.get("message")) for f in case.findall("failure")]
        for case in cases
    }
    # CPR305, CPR203 (warnings) and CPR110 (waived error) are not failures.
    assert failures == {
        FIXTURE: [("CPR307", ERROR_PII.message)],
        POLICY: [("CPR105", ERROR_BUDGET.message)],
        PROMPT: [],
        UNTOUCHED: [],
    }
    # Warnings and waived findings are still listed, as output of their file's case.
    outputs = "\n".join(element.text or "" for element in root.iter("system-out"))
    assert "CPR305" in outputs
    assert "CPR203" in outputs
    assert "waived by policies/support.yaml:55" in outputs
    # 4 cases; 2 of them (fixtures, policy) failed.
    for element in (root, root.find("testsuite")):
        assert element.get("tests") == "4"
        assert element.get("failures") == "2"


def test_junit_counts_failed_cases_not_failure_elements(junit_schema: etree.XMLSchema) -> None:
    # Three errors in one file: one test case, which failed once, with three <failure>s.
    report = make_report(*numbered(3, Severity.ERROR), files=(POLICY,))
    root = parse_junit(report, junit_schema)
    (case,) = root.findall("testsuite/testcase")
    assert len(case.findall("failure")) == 3
    assert root.get("tests") == "1"
    assert root.get("failures") == "1"


def test_junit_empty_report_is_valid(junit_schema: etree.XMLSchema) -> None:
    root = parse_junit(EMPTY, junit_schema)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.findall("testcase") == []
    assert (suite.get("tests"), suite.get("failures")) == ("0", "0")


def test_junit_survives_markup_and_control_characters(junit_schema: etree.XMLSchema) -> None:
    # NUL, backspace, ESC and U+FFFE are not allowed anywhere in XML 1.0; <, & and > must be
    # escaped; tab, CR and LF are allowed.
    message = "a < b & c > d\x00\x08\x1b[31m\ufffe\tend\r\nnext line"
    finding = Finding("CPR001", Severity.ERROR, message, Location("policies/x\x01.yaml", 1, 1))
    root = parse_junit(make_report(finding), junit_schema)
    (failure,) = root.iter("failure")
    assert failure.get("type") == "CPR001"
    parsed = failure.get("message")
    assert parsed is not None
    assert parsed.startswith("a < b & c > d")
    assert parsed.endswith("end\r\nnext line")
    assert not re.search("[\x00\x08\x1b\ufffe]", parsed)


# --- github ------------------------------------------------------------------------------


def test_github_annotation_line_by_hand() -> None:
    output = REPORTERS["github"](make_report(WARNING_USAGE), RenderOptions())
    # No column, so no col=; the message escapes only "%" (its ":" and "," stay as they are).
    assert output.splitlines()[0] == (
        "::warning file=fixtures/conversations.jsonl,line=88,title=CPR305 warning"
        "::llm call without usage: 100%25 of calls, cost: unknown | see docs"
    )


def test_github_escapes_message_and_properties() -> None:
    finding = Finding(
        "CPR101",
        Severity.ERROR,
        "tier 'x': not allowed\r\nby risk 50%, see policy",
        Location("policies/team:a,b%.yaml", 4, 2),
    )
    output = REPORTERS["github"](make_report(finding), RenderOptions(repo_prefix="sub/dir/"))
    # file: ":" -> %3A, "," -> %2C, "%" -> %25; message: "%" -> %25, CR -> %0D, LF -> %0A.
    assert output.splitlines()[0] == (
        "::error file=sub/dir/policies/team%3Aa%2Cb%25.yaml,line=4,col=2,title=CPR101 error"
        "::tier 'x': not allowed%0D%0Aby risk 50%25, see policy"
    )


def test_github_shows_ten_errors_ten_warnings_and_says_how_many_more() -> None:
    report = make_report(
        *numbered(12, Severity.ERROR),
        *numbered(13, Severity.WARNING),
        *numbered(2, Severity.ERROR, waived=True),
    )
    lines = REPORTERS["github"](report, RenderOptions()).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    # Not shown: 12 - 10 errors + 13 - 10 warnings = 5; the 2 waived are not annotations.
    (note,) = [line for line in lines if "not shown" in line]
    assert "5 more findings" in note
    assert lines[-1] == "cprlint check: 12 errors, 13 warnings, 2 waived"


def test_github_does_not_annotate_waived_findings() -> None:
    lines = REPORTERS["github"](full_report(), RenderOptions()).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    # 2 errors + 2 warnings; the waived CPR110 is left out.
    assert len(annotations) == 4
    assert not any("CPR110" in line for line in annotations)
    assert not any("not shown" in line for line in lines)


# --- markdown ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        (ALL_FINDINGS, "❌ **cprlint check failed**: 2 errors, 2 warnings"),
        # The waived error does not fail the run.
        ((WARNING_USAGE, WAIVED), "⚠️ **cprlint check passed with 1 warning**"),
        ((WAIVED,), "✅ **cprlint check passed**"),
        ((), "✅ **cprlint check passed**"),
    ],
    ids=["failing", "warnings-only", "clean-with-waiver", "clean"],
)
def test_markdown_verdict(findings: tuple[Finding, ...], expected: str) -> None:
    output = REPORTERS["markdown"](make_report(*findings), RenderOptions())
    assert output.splitlines()[0] == expected


def table_rows(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index("|---|---|---|---|") + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_markdown_table_survives_pipes_newlines_and_html() -> None:
    output = REPORTERS["markdown"](full_report(), RenderOptions())
    rows = table_rows(output)
    # One row per finding, the waived one included, each still exactly 4 cells
    # (5 unescaped pipes), although messages hold "|", "\r\n" and "<script>".
    assert len(rows) == 5
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    assert "<script>" not in output
    assert "&lt;script&gt;" in output
    assert any("line one  line two" in row for row in rows)


def test_markdown_caps_the_table_at_fifty_rows() -> None:
    report = make_report(*numbered(53, Severity.WARNING))
    output = REPORTERS["markdown"](report, RenderOptions())
    # 53 findings: 50 rows, then 53 - 50 = 3 more.
    assert len(table_rows(output)) == 50
    assert "…and 3 more" in output


# --- json --------------------------------------------------------------------------------


def test_json_report_shape() -> None:
    data = json.loads(REPORTERS["json"](full_report(), RenderOptions()))
    assert set(data) == {"version", "tool", "findings", "counts"}
    assert data["version"] == 1
    assert data["tool"]["name"] == "cprlint"
    by_rule = {finding["rule"]: finding for finding in data["findings"]}
    assert by_rule["CPR105"] == {
        "rule": "CPR105",
        "severity": "error",
        "message": "budget for intent 'refund' is -1.00 USD: must be > 0",
        "path": POLICY,
        "line": 12,
        "column": 7,
        "intent": "refund",
    }
    # No column known: no "column" key.
    assert by_rule["CPR305"] == {
        "rule": "CPR305",
        "severity": "warning",
        "message": WARNING_USAGE.message,
        "path": FIXTURE,
        "line": 88,
        "conversation": "conv-9",
    }
    assert by_rule["CPR203"]["message"] == "layout: line one\r\nline two — résumé ✓"
    assert by_rule["CPR110"]["queue"] == "billing"
    assert by_rule["CPR110"]["waived_by"] == "policies/support.yaml:55"
    # Active: CPR105 and CPR307 errors, CPR305 and CPR203 warnings; CPR110 waived.
    assert data["counts"] == {
        "errors": 2,
        "warnings": 2,
        "waived": 1,
        "files": 4,
        "conversations": 12,
    }


def test_json_finding_with_every_field_keeps_the_order_of_spec_5() -> None:
    every_field = Finding(
        "CPR506",
        Severity.WARNING,
        "drift",
        Location(FIXTURE, 3, 9),
        Scope(intent="refund", queue="billing", conversation="conv-1", prompt="triage"),
        waived_by="policies/support.yaml:60",
    )
    (finding,) = json.loads(REPORTERS["json"](make_report(every_field), RenderOptions()))[
        "findings"
    ]
    assert list(finding.items()) == [
        ("rule", "CPR506"),
        ("severity", "warning"),
        ("message", "drift"),
        ("path", FIXTURE),
        ("line", 3),
        ("column", 9),
        ("intent", "refund"),
        ("queue", "billing"),
        ("conversation", "conv-1"),
        ("prompt", "triage"),
        ("waived_by", "policies/support.yaml:60"),
    ]


def test_json_output_is_deterministic() -> None:
    first = REPORTERS["json"](full_report(), RenderOptions()).encode("utf-8")
    second = REPORTERS["json"](full_report(), RenderOptions()).encode("utf-8")
    assert first == second


# --- text --------------------------------------------------------------------------------


def test_text_groups_findings_by_file() -> None:
    lines = REPORTERS["text"](full_report(), RenderOptions(color=False)).splitlines()
    # Each file with findings is named once, on a line of its own; the untouched one is not.
    for path in (FIXTURE, POLICY, PROMPT):
        assert lines.count(path) == 1
    assert UNTOUCHED not in "\n".join(lines)
    # place padded to 8, severity (or "waived") padded to 8, then rule, two spaces, message.
    pii = "  41:15   error   CPR307  personal data in turn 3: <script>alert('x')</script> & more"
    usage = (
        "  88      warning CPR305  llm call without usage: 100% of calls, cost: unknown | see docs"
    )
    budget = "  12:7    error   CPR105  budget for intent 'refund' is -1.00 USD: must be > 0"
    waived = (
        "  30:3    waived  CPR110  policies overlap on queue 'billing'"
        "  (waived by policies/support.yaml:55)"
    )
    fixture_at, policy_at, prompt_at = (lines.index(p) for p in (FIXTURE, POLICY, PROMPT))
    assert fixture_at < lines.index(pii) < lines.index(usage) < policy_at
    assert policy_at < lines.index(budget) < lines.index(waived) < prompt_at
    assert lines[-1] == "✗ 2 errors, 2 warnings (4 files, 12 conversations checked); 1 waived"


def test_text_summary_when_clean() -> None:
    output = REPORTERS["text"](EMPTY, RenderOptions())
    assert output == "✓ no findings (0 files, 0 conversations checked)\n"


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def test_text_without_color_has_no_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The options decide, not the environment a CI runner happens to set.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    output = REPORTERS["text"](full_report(), RenderOptions(color=False))
    assert "\x1b" not in output


def test_text_with_color_has_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    output = REPORTERS["text"](full_report(), RenderOptions(color=True))
    assert ANSI_ESCAPE.search(output)
    # Styles only wrap the text: without them it is the plain rendering.
    plain = REPORTERS["text"](full_report(), RenderOptions(color=False))
    assert ANSI_ESCAPE.sub("", output) == plain


def test_text_shows_control_characters_instead_of_sending_them() -> None:
    # From a fixture: an OSC that retitles the terminal, a CSI that clears it (also as the
    # one-character C1 form), a carriage return that would overwrite the line, a newline.
    hostile = Finding(
        "CPR506",
        Severity.ERROR,
        "intent `x\x1b]0;pwned\x07` served by `gpt-4o\x1b[2J\x9b2J`\rhidden\nforged",
        Location("fixtures/\x1bbad.jsonl", 3, 9),
        Scope(intent="x"),
    )
    report = make_report(hostile)
    for color in (False, True):
        output = REPORTERS["text"](report, RenderOptions(color=color))
        plain = ANSI_ESCAPE.sub("", output)  # (the styles' own escapes, in colour)
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", plain)
        assert "fixtures/\\x1bbad.jsonl" in plain
        assert (
            "  3:9     error   CPR506  intent `x\\x1b]0;pwned\\x07` served by "
            "`gpt-4o\\x1b[2J\\x9b2J`\\x0dhidden\\x0aforged"
        ) in plain.splitlines()


def test_text_shows_names_from_fixtures_as_written_not_as_markup(
    example_project: Path, run_cli: Any
) -> None:
    # Scope names reach rich's tables: "[/oops]" read as markup was an error, not a name.
    line = json.dumps(
        {
            "id": "T-MARKUP",
            "intent": "[/oops]",
            "queue": "[bold red]q\x1b[2J",
            "outcome": {"status": "resolved", "resolved_by": "ai"},
            "events": [
                {
                    "type": "llm_call",
                    "model": "gpt-4o-mini",
                    "usage": {"input_tokens": 5, "output_tokens": 1},
                }
            ],
        }
    )
    (example_project / "fixtures" / "markup.jsonl").write_text(line + "\n", encoding="utf-8")
    result = run_cli("check", str(example_project), "--format", "text", "--no-cache")
    assert result.exit_code in (0, 1), result.stderr
    rows = [row.split() for row in result.stdout.splitlines()]
    assert ["[/oops]", "1"] in [row[:2] for row in rows]
    assert ["[bold", "red]q\\x1b[2J", "1"] in [row[:3] for row in rows]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.just("a lone \udfff"),  # (which msgspec refuses: the fallback)
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_indented_json_is_the_standard_librarys(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


optional_text = st.none() | st.text() | st.just("a lone \udfff")
finding_records = st.builds(
    FindingRecord,
    rule=st.text(),
    severity=st.sampled_from(["error", "warning"]),
    message=st.text() | st.just("a lone \udfff"),
    path=st.text(),
    line=st.integers(min_value=1, max_value=2**40),
    column=st.none() | st.integers(min_value=1, max_value=2**20),
    intent=optional_text,
    queue=optional_text,
    conversation=optional_text,
    prompt=optional_text,
    waived_by=optional_text,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(), json_values, max_size=3),
    st.lists(finding_records, max_size=7),
    st.integers(min_value=1, max_value=3),
)
def test_items_are_written_in_pieces_as_the_standard_library_writes_them(
    document: dict[str, Any], records: list[FindingRecord], per_piece: int
) -> None:
    # Findings leave out what does not apply to them (SPEC §5): a record without column
    # or scope is five keys long.
    as_dicts = [
        {key: value for key, value in msgspec.structs.asdict(record).items() if value is not None}
        for record in records
    ]
    # At the top, and deeper, as SARIF's results are (runs[0].results); a few per piece.
    expected = json.dumps(
        document | {"findings": as_dicts, "runs": [{"results": as_dicts, "n": 1}]},
        indent=2,
        ensure_ascii=False,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "ITEMS_PER_PIECE", per_piece)
        written = indented_json(
            document
            | {"findings": Items(iter(records)), "runs": [{"results": Items(records), "n": 1}]}
        )
    assert written == expected


@pytest.mark.parametrize("name", sorted(IN_PIECES))
def test_formats_written_in_pieces_are_written_as_rendered(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "ITEMS_PER_PIECE", 2)  # five findings: three pieces
    lone = Finding("CPR302", Severity.ERROR, "bad\udfffintent", Location(FIXTURE, 9))
    report = make_report(*ALL_FINDINGS, lone, files=(FIXTURE, POLICY), conversations=3)
    write_report(report, [OutputTarget(name, tmp_path / "out")], root=tmp_path)
    rendered = REPORTERS[name](report, RenderOptions())
    assert (tmp_path / "out").read_bytes() == rendered.encode("utf-8", "backslashreplace")
    # (Written by the standard library, which keeps it; escaped as it is written. XML
    # cannot hold it at all: JUnit replaces it.)
    kept = "bad\ufffdintent".encode() if name == "junit" else b"bad\\udfffintent"
    assert kept in (tmp_path / "out").read_bytes()


# --- registry ----------------------------------------------------------------------------


def test_registry_has_the_formats_of_the_spec() -> None:
    assert set(REPORTERS) == {"text", "json", "markdown", "sarif", "github", "junit"}


@pytest.mark.parametrize("name", sorted(REPORTERS))
@pytest.mark.parametrize("report", [EMPTY, full_report()], ids=["empty", "findings"])
@pytest.mark.parametrize("options", [RenderOptions(), RenderOptions(color=True, repo_prefix="a/")])
def test_every_reporter_renders(name: str, report: Report, options: RenderOptions) -> None:
    output = REPORTERS[name](report, options)
    assert isinstance(output, str)
    assert output.endswith("\n")
