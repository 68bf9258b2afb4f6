"""Exit 3 never comes from input: every command, with every option given odd, hostile or
broken values, and the files only options name (settings, pyproject.toml, the baseline,
label maps, name lists, logs, traces) filled with anything, ends as a report (exit 0 or
1) or as one line on stderr with exit 2. Never exit 3, never a traceback, never a
second line of stderr.

The project files themselves are fuzzed by tests/test_fuzz.py; here it is the
invocation. `CPRLINT_FUZZ_SCALE=20 pytest tests/test_cli_property.py` hunts longer.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
from cprlint.cli import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git

SCALE = float(os.environ.get("CPRLINT_FUZZ_SCALE", "1"))

# Values an attacker, a typo or a broken script passes where a value is expected.
ODD_TEXT = [
    "",
    " ",
    "-",
    "--",
    "x",
    "lots",
    "-1",
    "0",
    "1e309",
    "9" * 5000,
    "HEAD\nrm -rf /",
    "main\r\x1b[2J",
    "\x1b]0;pwned\x07",
    "\u202egnp.exe",
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    "/dev/full",
    "/nonexistent/dir/file",
    "a" * 300,
    "x" * 4097,
    "%s%n",
    "{0}",
    "[a].jsonl",
    "*",
    "@",
    "a@",
    "@b",
    "answer@v1",
    "answer@v99",
    "router@v1",
    "\0",
]
odd = st.sampled_from(ODD_TEXT) | st.text(max_size=12)
dates = st.sampled_from(["2026-11-23", "2026-02-30", "99999-01-01", "0000-00-00"]) | odd
formats = st.sampled_from(
    ["text", "json", "markdown", "sarif", "github", "junit", "json:out.json", "html", "json:"]
) | odd.map(lambda text: f"json:{text}")

OPTIONS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "check": {
        "--format": formats,
        "--output": odd,
        "--fail-on": st.sampled_from(["error", "warning", "never"]) | odd,
        "--prompt": odd,
        "--base": st.sampled_from(["main", "HEAD", "HEAD~99"]) | odd,
        "--baseline": st.sampled_from(["baseline.json"]) | odd,
        "--today": dates,
        "--jobs": st.sampled_from(["0", "1", "2", "257", "99999999999"]) | odd,
    },
    "lint": {"--format": formats, "--fail-on": odd, "--today": dates},
    "gate": {"--base": st.sampled_from(["main"]) | odd, "--format": formats, "--today": dates},
    "diff": {
        "--base": st.sampled_from(["main"]) | odd,
        "--format": st.sampled_from(["text", "json", "markdown"]) | odd,
        "--output": odd,
        "--today": dates,
    },
    "baseline": {"--output": odd, "--today": dates},
    "rules": {"--format": st.sampled_from(["text", "json", "markdown"]) | odd},
    "explain": {"--format": st.sampled_from(["text", "json"]) | odd},
    "schema": {"--format": st.sampled_from(["json"]) | odd},
    "import": {
        "--output": st.sampled_from(["imported.jsonl"]) | odd,
        "--map": st.sampled_from(["labels.yaml"]) | odd,
        "--names": st.sampled_from(["names.txt"]) | odd,
        "--format": formats,
        "--fail-on": odd,
    },
    "scorecard": {
        "--by": st.sampled_from(["intent", "queue"]) | odd,
        "--period": st.sampled_from(["week", "month"]) | odd,
        "--since": dates,
        "--until": dates,
        "--memory-limit": st.sampled_from(["512MB", "2GB", "80%"]) | odd,
        "--format": st.sampled_from(["text", "json", "csv", "markdown", "html"]) | odd,
        "--output": odd,
        "--policy": st.sampled_from(["policies"]) | odd,
    },
    "convert": {"--output": st.sampled_from(["events.parquet"]) | odd},
}
FLAGS = {
    "check": ["--no-cache", "--cache"],
    "import": ["--no-redact", "--redact"],
    "init": ["--force"],
    "scorecard": ["--no-progress"],
}
POSITIONAL: dict[str, st.SearchStrategy[list[str]]] = {
    "check": st.lists(st.sampled_from(["."]) | odd, max_size=1),
    "lint": st.lists(st.sampled_from(["."]) | odd, max_size=1),
    "gate": st.tuples(st.sampled_from(["answer@v2", "answer@v1"]) | odd).map(list),
    "diff": st.just([]),
    "baseline": st.just([]),
    "rules": st.just([]),
    "explain": st.tuples(st.sampled_from(["CPR121", "cpr101"]) | odd).map(list),
    "schema": st.tuples(st.sampled_from(["policy", "fixture"]) | odd).map(list),
    "init": st.tuples(st.sampled_from(["new-project"]) | odd).map(list),
    "import": st.tuples(
        st.sampled_from(["otel", "openinference", "langfuse", "openai", "anthropic", "vcr"]) | odd,
        st.sampled_from(["trace.jsonl", "fixtures", "nowhere.json"]) | odd,
    ).map(list),
    "scorecard": st.tuples(st.sampled_from(["log.jsonl", "fixtures"]) | odd).map(list),
    "convert": st.tuples(st.sampled_from(["log.jsonl"]) | odd).map(list),
}

# The files options name, with contents that are anything from right to nonsense.
OPTION_FILES = ("cprlint.yaml", "pyproject.toml", "baseline.json", "labels.yaml", "names.txt", "trace.jsonl", "log.jsonl")  # fmt: skip
file_contents = st.sampled_from(
    [
        "",
        "{}",
        "[]",
        "null",
        "fixtures: nowhere\n",
        "fail_on: maybe\n",
        "rules: {CPR999: off}\n",
        "policies: [" + "a" * 300 + "]\n",
        "[tool.cprlint]\nfixtures = 'nowhere'\n",
        "a = " + "[" * 2000 + "]" * 2000 + "\n",
        "a = " + "9" * 5000 + "\n",
        '{"version": 1, "summary": {"resolved": "x"}}',
        '{"version": 1, "summary": {"conversations": 1, "resolved": 1, "ai_cost": NaN}}',
        '{"version": 1, "summary": [], "prompts": [], "prices": {"m": 1}}',
        "intent: [support.intent\n",
        "\x00\xff",
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "1'
        + "0" * 30
        + '"}]}]}]}\n',
    ]
) | st.text(max_size=200)


@st.composite
def invocations(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    command = draw(st.sampled_from(sorted(POSITIONAL)))
    argv = [command, *draw(POSITIONAL[command])]
    options = OPTIONS.get(command, {})
    chosen = (
        draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True)) if options else []
    )
    for option in chosen:
        argv += [option, draw(options[option])]
    for flag in draw(st.lists(st.sampled_from(FLAGS.get(command, ["--help"])), max_size=1)):
        argv.append(flag)
    files = draw(st.dictionaries(st.sampled_from(OPTION_FILES), file_contents, max_size=2))
    return argv, files


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter project, committed as `main`, with a released answer@v2 on top."""
    root = tmp_path_factory.mktemp("cli-property") / "shop"
    with contextlib.redirect_stdout(io.StringIO()):
        assert run(["init", str(root)]) == 0
    for arguments in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-qm", "x")):
        git(root, *arguments)
    answer = root / "prompts" / "answer"
    (answer / "v2.md").write_text((answer / "v1.md").read_text() + "Thank them.\n")
    (root / "log.jsonl").write_text((root / "fixtures" / "conversations.jsonl").read_text())
    return root


@settings(
    max_examples=max(1, round(60 * SCALE)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=invocations())
def test_no_input_ends_in_exit_3(
    case: tuple[list[str], dict[str, str]], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv, files = case
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(project)
    written = []
    for name, content in files.items():
        (project / name).write_text(content, errors="surrogateescape")
        written.append(project / name)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(argv)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
        for leftover in ("new-project", "out.json", "imported.jsonl", "events.parquet"):
            target = project / leftover
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
    err = stderr.getvalue()
    shown = repr(argv)[:400]
    assert code in (0, 1, 2), f"exit {code} for {shown}: {err[:400]}"
    assert "Traceback" not in err + stdout.getvalue()
    if "--help" not in argv:
        assert err.count("\n") <= 1, f"{shown} wrote {err.count(chr(10))} lines: {err[:400]}"
    if code == 2:
        assert err.startswith("cprlint: "), err


# The cases an attacker's review found ending in exit 3 (or in more than one line),
# each as the file it wrote or the argument it passed, and what now comes instead.
FOUND: list[tuple[str, dict[str, str], list[str], int, str]] = [
    (
        "a 0x integer of 5,000 digits in a policy",
        {"policies/big.yaml": "apiVersion: cprlint/v1\nkind: Policy\nmetadata: {name: b, version: 0x" + "f" * 5000 + "}\n"},
        ["lint", "--format", "json"],
        1,
        "cannot be read",
    ),
    (
        "a 0b integer of 20,000 digits in a fixture",
        {"fixtures/big.yaml": "id: b\nintent: x\noutcome: {status: open}\nevents: []\nvars: {n: 0b" + "1" * 20000 + "}\n"},
        ["lint", "--format", "json"],
        1,
        "cannot be read",
    ),
    (
        "pyproject.toml nested 2,000 deep",
        {"pyproject.toml": "a = " + "[" * 2000 + "]" * 2000 + "\n"},
        ["lint"],
        2,
        "cprlint: error: pyproject.toml: cannot read it: nesting is too deep\n",
    ),
    (
        "an integer of 5,000 digits in pyproject.toml",
        {"pyproject.toml": "a = " + "9" * 5000 + "\n"},
        ["lint"],
        2,
        "cprlint: error: pyproject.toml: cannot read it: Exceeds the limit (4300 digits)",
    ),
    (
        "a path segment of 300 characters in cprlint.yaml",
        {"cprlint.yaml": "fixtures: [" + "a" * 300 + "]\n"},
        ["lint"],
        2,
        "cprlint: error: cprlint.yaml: `fixtures` is not a path this machine can open",
    ),
    (
        "a baseline with a word for a count",
        {".cprlint/baseline.json": '{"version": 1, "summary": {"conversations": 1, "resolved": "x", "ai_cost": 0}}'},
        ["check", "--no-cache"],
        2,
        "cprlint: error: .cprlint/baseline.json: not a cprlint baseline of version 1 "
        "(Expected `int`, got `str` - at `$.summary.resolved`)",
    ),
    (
        "a baseline whose prompts are a list",
        {".cprlint/baseline.json": '{"version": 1, "summary": {"conversations": 1, "resolved": 1, "ai_cost": 0}, "prompts": []}'},
        ["check", "--no-cache"],
        2,
        "Expected `object`, got `array` - at `$.prompts`",
    ),
    (
        "a line break in --base",
        {},
        ["check", "--base", "HEAD\nrm -rf /"],
        2,
        "cprlint: error: --base `HEAD\\x0arm -rf /` is not a valid git ref\n",
    ),
    (
        "an escape sequence in --prompt",
        {},
        ["check", "--prompt", "\x1b]0;pwned\x07@v1"],
        2,
        "there is no prompt `\\x1b]0;pwned\\x07`",
    ),
    ("more worker processes than any machine has", {}, ["check", "--jobs", "1000000000"], 2, "--jobs"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "argv", "code", "expected"),
    [case[1:] for case in FOUND],
    ids=[case[0] for case in FOUND],
)
def test_each_case_an_attacker_found(
    starter_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    argv: list[str],
    code: int,
    expected: str,
) -> None:
    for name, content in files.items():
        (starter_project / name).parent.mkdir(parents=True, exist_ok=True)
        (starter_project / name).write_text(content)
    monkeypatch.chdir(starter_project)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        exit_code = run(argv)
    err = stderr.getvalue()
    assert (exit_code, err.count("\n") <= 1) == (code, True), err
    assert expected in (err if code == 2 else stdout.getvalue())
