"""The command line: click parses, one function per command does the work.

Every command returns an exit code; `main` is the one place that turns expected
failures into a one-line message and exit 2, and anything unexpected into a one-line
internal error with exit 3. No traceback reaches a user.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from cprlint import __version__
from cprlint.errors import CprlintError, ExitCode
from cprlint.machine import one_blas_thread
from cprlint.scorecard import DEFAULT_MEMORY_LIMIT as SCORECARD_MEMORY_LIMIT
from cprlint.scorecard import DIMENSIONS as SCORECARD_DIMENSIONS
from cprlint.scorecard import ENGINES as SCORECARD_ENGINES
from cprlint.scorecard import FORMATS as SCORECARD_FORMATS
from cprlint.scorecard import PERIODS as SCORECARD_PERIODS

if TYPE_CHECKING:
    from cprlint.report import Report

# The command line starts with click and these few constants: every command imports
# what it needs when it runs, so that `cprlint --version` and `cprlint check` load
# nothing they do not use (tests/test_startup.py lists what `import cprlint.cli` loads).

FAIL_ON_CHOICES = ("error", "warning", "never")
# Worker processes beyond this are no help on any machine, and each one costs memory.
MAX_JOBS = 256
# The trace formats of `cprlint import` (cprlint.importers.FORMATS, which a test keeps equal);
# named here so that the command line starts without loading the importers.
IMPORT_FORMATS = ("otel", "openinference", "langfuse", "openai", "anthropic", "vcr")
# The schemas `cprlint schema` prints (cprlint.schemas.SCHEMA_NAMES, which a test keeps equal).
SCHEMA_NAMES = ("policy", "fixture")


def _date(option: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CprlintError(f"{option}: `{value}` is not a date (YYYY-MM-DD)") from None


def _today(value: str | None) -> dt.date:
    return _date("--today", value) or dt.datetime.now(dt.UTC).date()


def _emit(text: str, output: Path | None, *, root: Path | None = None) -> None:
    """`text` to standard output, or to `output`: inside `root` (the project, or the
    folder a command runs in), never through a link."""
    if output is None:
        sys.stdout.write(text)
        return
    from cprlint.writing import write_file

    try:
        write_file(output, text.encode("utf-8"), root=root or Path.cwd())
    except OSError as error:
        raise CprlintError(f"{output}: cannot write: {error.strerror}") from error


def format_option(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--format",
        "formats",
        multiple=True,
        metavar="FORMAT[:FILE]",
        help="text, json, markdown, sarif, github or junit; repeat with FORMAT:FILE for several.",
    )(function)
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report to FILE.",
    )(function)


today_option = click.option(
    "--today",
    metavar="YYYY-MM-DD",
    help="Judge waiver expiry against this date (default: today, UTC).",
)
fail_on_option = click.option(
    "--fail-on", type=click.Choice(FAIL_ON_CHOICES), help="Lowest severity that fails the run."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cprlint", message="%(prog)s %(version)s")
def cli() -> None:
    """cprlint: keep the LLM cost per resolution of support automation honest at review time."""


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@format_option
@fail_on_option
@today_option
def lint(
    path: Path,
    formats: tuple[str, ...],
    output: Path | None,
    fail_on: str | None,
    today: str | None,
) -> int:
    """Static checks of policies, prompts and fixture shape (no replay)."""
    from cprlint.engine import lint_project
    from cprlint.outputs import parse_targets, write_report
    from cprlint.project import load_project, require_conversations, require_policy_and_fixtures
    from cprlint.report import exit_code_for

    targets = parse_targets(formats, output)
    project = load_project(path)
    require_policy_and_fixtures(project)
    report = lint_project(project, today=_today(today))
    require_conversations(project, report.conversations, report.findings)
    write_report(report, targets, root=path)
    return exit_code_for(report.findings, fail_on or project.config.fail_on)


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@format_option
@fail_on_option
@click.option(
    "--prompt",
    "prompt_specs",
    multiple=True,
    metavar="ID@VERSION",
    help="Replay with this prompt version instead of the released one (repeatable).",
)
@click.option(
    "--base", "base_ref", metavar="REF", help="Compare with the tree at this git ref (creep)."
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Compare with this baseline file (default: the config's, when it exists).",
)
@today_option
@click.option(
    "--jobs",
    type=click.IntRange(min=0, max=MAX_JOBS),
    default=0,
    show_default=True,
    help="Worker processes for large fixture sets; 0 is one per available core.",
)
@click.option(
    "--cache/--no-cache",
    "use_cache",
    default=True,
    help="Reuse the report of an identical earlier run (.cprlint/cache).",
)
def check(
    path: Path,
    formats: tuple[str, ...],
    output: Path | None,
    fail_on: str | None,
    prompt_specs: tuple[str, ...],
    base_ref: str | None,
    baseline_path: Path | None,
    today: str | None,
    jobs: int,
    use_cache: bool,
) -> int:
    """Replay the fixtures under this tree's prompts and policy, price them, judge budgets."""
    from cprlint import cache
    from cprlint.baseline import load_baseline
    from cprlint.check import check_project, parse_prompt_overrides
    from cprlint.config import CONFIG_FILES
    from cprlint.outputs import parse_targets, publish_to_github_actions, write_report
    from cprlint.project import (
        folder_listing,
        load_project,
        require_conversations,
        require_policy_and_fixtures,
    )
    from cprlint.report import exit_code_for
    from cprlint.trees import GitTree, path_within

    targets = parse_targets(formats, output)
    project = load_project(path)
    overrides = parse_prompt_overrides(prompt_specs, project)
    base_tree = GitTree(path, base_ref) if base_ref is not None else None
    require_policy_and_fixtures(project)
    if baseline_path is not None and not baseline_path.is_file():
        raise CprlintError(f"--baseline {baseline_path}: no such file")
    baseline_file = baseline_path or path_within(path, project.config.baseline, "baseline")
    checked_on = _today(today)
    cached: cache.CachedRun | None = None
    report: Report | None = None
    if use_cache:
        cached = cache.CachedRun(
            root=path,
            files=[*project.files_checked, *CONFIG_FILES, "pyproject.toml"],
            options={
                "command": "check",
                "prompts": overrides,
                "today": checked_on.isoformat(),
                "base": [base_ref, base_tree.commit if base_tree else None],
            },
            extra_files=[baseline_file],
            listing=lambda: folder_listing(path, project.config),
        )
        report = cached.load()
    if report is None:
        base = None
        if base_tree is not None:
            base = load_project(path, tree=base_tree, with_fixtures=False)
        baseline = load_baseline(
            baseline_file, project.config.baseline if baseline_path is None else str(baseline_path)
        )
        report = check_project(
            project,
            today=checked_on,
            prompt_overrides=overrides,
            base=base,
            base_label=base_ref or "base",
            baseline=baseline,
            jobs=jobs,
        )
        if cached is not None:
            cached.store(report)  # (unless an input changed during the run)
    require_conversations(project, report.conversations, report.findings)
    write_report(report, targets, root=path)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        publish_to_github_actions(report, targets, root=path)
    return exit_code_for(report.findings, fail_on or project.config.fail_on)


@cli.command()
@click.argument("candidate", metavar="ID@VERSION")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--base",
    "base_ref",
    metavar="REF",
    help="Compare with the version released at this git ref (needed once the candidate "
    "is itself the released one).",
)
@format_option
@today_option
def gate(
    candidate: str,
    path: Path,
    base_ref: str | None,
    formats: tuple[str, ...],
    output: Path | None,
    today: str | None,
) -> int:
    """May this prompt version be released? Replays it in place of the released one."""
    from cprlint.gate import gate_prompt
    from cprlint.outputs import parse_targets, write_report
    from cprlint.project import load_project, require_conversations, require_policy_and_fixtures
    from cprlint.trees import GitTree

    targets = parse_targets(formats, output)
    project = load_project(path)
    require_policy_and_fixtures(project)
    base = None
    if base_ref is not None:
        base = load_project(path, tree=GitTree(path, base_ref), with_fixtures=False)
    report, passed = gate_prompt(
        project, candidate, today=_today(today), base=base, base_label=base_ref or "base"
    )
    require_conversations(project, report.conversations, report.findings)
    write_report(report, targets, root=path)
    return ExitCode.OK if passed else ExitCode.FINDINGS


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--base", "base_ref", required=True, metavar="REF", help="The git ref to compare with."
)
@click.option(
    "--format", "output_format", type=click.Choice(("text", "markdown", "json")), default="text"
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@today_option
def diff(
    path: Path, base_ref: str, output_format: str, output: Path | None, today: str | None
) -> int:
    """What changed in the policies, in meaning: loosened, tightened, and what it costs."""
    from cprlint.diff import diff_projects, render_markdown, render_text
    from cprlint.project import load_project, require_policy_and_fixtures
    from cprlint.trees import GitTree

    head = load_project(path)
    base = load_project(path, tree=GitTree(path, base_ref), with_fixtures=False)
    require_policy_and_fixtures(head)
    result = diff_projects(head, base, base_label=base_ref, today=_today(today))
    if output_format == "json":
        text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_markdown(result) if output_format == "markdown" else render_text(result)
    _emit(text, output, root=path)
    return ExitCode.FINDINGS if result.failed else ExitCode.OK


@cli.command("baseline")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Where to write it."
)
@today_option
def write_baseline_command(path: Path, output: Path | None, today: str | None) -> int:
    """Write the baseline file from the current tree (figures, prompts, prices)."""
    from cprlint.baseline import write_baseline
    from cprlint.check import check_project
    from cprlint.project import load_project, require_conversations, require_policy_and_fixtures
    from cprlint.trees import path_within

    project = load_project(path)
    require_policy_and_fixtures(project)
    report = check_project(project, today=_today(today))
    require_conversations(project, report.conversations, report.findings)
    assert report.metrics is not None
    target = output or path_within(path, project.config.baseline, "baseline", writing=True)
    write_baseline(target, report.metrics, root=path)
    sys.stdout.write(f"cprlint: wrote {target} ({report.conversations} conversations)\n")
    return ExitCode.OK


@cli.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(path: Path, force: bool) -> int:
    """Write a small working project (policy, prompts, fixtures, workflow) to start from."""
    from cprlint.starter import init_project

    written = init_project(path, force=force)
    for name in written:
        sys.stdout.write(f"wrote {path / name}\n")
    sys.stdout.write(f"cprlint: try `cprlint check {path}`\n")
    return ExitCode.OK


@cli.command("import")
@click.argument("trace_format", metavar="FORMAT", type=click.Choice(IMPORT_FORMATS))
@click.argument(
    "sources", metavar="SRC...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the fixture conversations (JSON Lines) to FILE.",
)
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file naming the attributes that give intent, queue, project, automation, outcome.",
)
@click.option(
    "--names",
    "names_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of names to redact, one a line.",
)
@click.option(
    "--redact/--no-redact",
    default=True,
    help="Replace personal data by placeholders (default); --no-redact keeps it.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FORMAT[:FILE]",
    help="How to report findings: text, json, markdown, sarif, github or junit.",
)
@fail_on_option
def import_command(
    trace_format: str,
    sources: tuple[Path, ...],
    output: Path,
    map_file: Path | None,
    names_file: Path | None,
    redact: bool,
    formats: tuple[str, ...],
    fail_on: str | None,
) -> int:
    """Turn production traces into fixture conversations, with personal data redacted.

    FORMAT is otel, openinference, langfuse, openai, anthropic or vcr; SRC are files or
    directories.
    """
    from cprlint.importers.labels import load_label_map
    from cprlint.importers.report import import_report, read_names
    from cprlint.importers.run import ImportRequest, import_traces
    from cprlint.outputs import parse_targets, write_report
    from cprlint.report import exit_code_for

    targets = parse_targets(formats, None)
    if not redact and names_file is not None:
        raise CprlintError("--names lists names to redact; it cannot go with --no-redact")
    request = ImportRequest(
        format=trace_format,
        sources=sources,
        output=output,
        label_map=load_label_map(map_file),
        redact=redact,
        names=read_names(names_file) if names_file else (),
    )
    result = import_traces(request)
    report = import_report(request, result)
    write_report(report, targets, root=Path("."))
    return exit_code_for(report.findings, fail_on or "error")


@cli.command()
@click.argument("logs", metavar="LOGS...", nargs=-1, required=True)
@click.option(
    "--policy",
    "policy_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Policy file or folder (repeatable); default: the project's in this directory.",
)
@click.option("--by", "dimension", type=click.Choice(SCORECARD_DIMENSIONS), default="project")
@click.option("--period", type=click.Choice(SCORECARD_PERIODS), default="week")
@click.option("--since", metavar="YYYY-MM-DD", help="First day (UTC) of tickets to count.")
@click.option("--until", metavar="YYYY-MM-DD", help="Last day (UTC) of tickets to count.")
@click.option(
    "--engine",
    type=click.Choice(SCORECARD_ENGINES),
    default="duckdb",
    help="duckdb (embedded, default) or spark (needs cprlint[spark]).",
)
@click.option(
    "--memory-limit",
    default=SCORECARD_MEMORY_LIMIT,
    show_default=True,
    help="DuckDB's memory limit (2GB, 512MB, 1.5GiB, 80%); beyond it, work spills to disk.",
)
@click.option(
    "--spark-master",
    metavar="URL",
    help="Spark's master with --engine spark (default: local[*], all cores here).",
)
@click.option("--format", "output_format", type=click.Choice(SCORECARD_FORMATS), default="text")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress (default: on a terminal, outside CI).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Stop at the first malformed log line (default: leave it out, count and name it).",
)
@click.option(
    "--log-scale",
    is_flag=True,
    help="html: the cost per resolution chart on a logarithmic axis (default: linear).",
)
def scorecard(
    logs: tuple[str, ...],
    policy_paths: tuple[Path, ...],
    dimension: str,
    period: str,
    since: str | None,
    until: str | None,
    engine: str,
    memory_limit: str,
    spark_master: str | None,
    output_format: str,
    output: Path | None,
    progress: bool | None,
    strict: bool,
    log_scale: bool,
) -> int:
    """Cost per ticket, cost per resolution, auto-resolution and escalation per group and
    period, over request logs (JSON Lines, gzipped or not, or Parquet), against the
    policy's budgets and quality limits.
    """
    from cprlint.scorecard.progress import wanted
    from cprlint.scorecard.render import render
    from cprlint.scorecard.run import ScorecardRequest
    from cprlint.scorecard.run import scorecard as build

    # (Its errors quote file names and values from the logs: `_fail` shows each one
    # line, escaped.)
    request = ScorecardRequest(
        logs=logs,
        policies=policy_paths,
        dimension=dimension,
        period=period,
        since=_date("--since", since),
        until=_date("--until", until),
        engine=engine,
        memory_limit=memory_limit,
        spark_master=spark_master,
        progress=wanted(progress),
        strict=strict,
    )
    _emit(render(build(request), output_format, log_scale=log_scale), output)
    return ExitCode.OK


@cli.command()
@click.argument("logs", metavar="LOGS...", nargs=-1, required=True)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Parquet file to write.",
)
def convert(logs: tuple[str, ...], output: Path) -> int:
    """Write JSON Lines conversation logs as Parquet, one row per event (the scorecard's
    layout; texts and arguments are left out)."""
    from cprlint.reporters.base import shown
    from cprlint.scorecard.run import convert as write
    from cprlint.scorecard.words import counted

    rows = write(logs, output)
    sys.stderr.write(f"cprlint: wrote {counted(rows, 'event row')} to {shown(str(output))}\n")
    return ExitCode.OK


@cli.command("rules")
@click.option(
    "--format", "output_format", type=click.Choice(("text", "json", "markdown")), default="text"
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def list_rules(output_format: str, output: Path | None) -> int:
    """List every rule: code, default severity, name and summary."""
    from cprlint.rules import RULES
    from cprlint.rules.registry import describe

    rules = [RULES[code] for code in sorted(RULES)]
    if output_format == "json":
        text = json.dumps([describe(rule) for rule in rules], indent=2) + "\n"
    elif output_format == "markdown":
        rows = ["| Code | Name | Severity | What |", "|---|---|---|---|"]
        rows += [f"| {r.code} | {r.name} | {r.severity.value} | {r.summary} |" for r in rules]
        text = "\n".join(rows) + "\n"
    else:
        width = max(len(r.name) for r in rules)
        text = "".join(
            f"{r.code}  {r.severity.value:<8} {r.name:<{width}} {r.summary}\n" for r in rules
        )
    _emit(text, output)
    return ExitCode.OK


@cli.command()
@click.argument("code")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def explain(code: str, output_format: str, output: Path | None) -> int:
    """Show what a rule checks, why, and a failing and a passing example."""
    from cprlint.rules import RULES
    from cprlint.rules.registry import describe

    rule = RULES.get(code.upper())
    if rule is None:
        raise CprlintError(f"unknown rule `{code}` (see `cprlint rules`)")
    if output_format == "json":
        text = json.dumps({**describe(rule), "doc": rule.doc}, indent=2) + "\n"
    else:
        text = f"{rule.code} {rule.name} ({rule.severity.value} by default)\n\n{rule.doc}\n"
    _emit(text, output)
    return ExitCode.OK


@cli.command()
@click.argument("name", type=click.Choice(SCHEMA_NAMES))
@click.option("--format", "output_format", type=click.Choice(("json",)), default="json")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def schema(name: str, output_format: str, output: Path | None) -> int:
    """Print the JSON Schema of a policy or a fixture conversation, for editors."""
    from cprlint.schemas import schema_text

    _emit(schema_text(name), output)
    return ExitCode.OK


def _fail(message: str, code: ExitCode) -> int:
    """One line on stderr, whatever the message holds: a ref, a path or an exception's
    text can carry a line break or an escape sequence from the user's input."""
    from cprlint.reporters.base import shown

    sys.stderr.write(f"cprlint: {shown(message)}\n")
    return int(code)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code; never raises, never prints a traceback."""
    from cprlint import budgets

    budgets.start_run()
    if argv is not None and any("\0" in argument for argument in argv):
        # (A command line cannot hold one; a caller in Python can.)
        return _fail("error: an argument holds a NUL character", ExitCode.USAGE)
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="cprlint",
            standalone_mode=False,
        )
    except CprlintError as error:
        return _fail(f"error: {error}", ExitCode.USAGE)
    except click.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError" and error.ctx is not None:
            click.echo(error.ctx.get_help(), err=True)  # `cprlint` alone: the help, as usage
            return ExitCode.USAGE
        command = f"{error.ctx.info_name}: " if error.ctx and error.ctx.parent else ""
        message = " ".join(error.format_message().split())
        return _fail(f"error: {command}{message} (see --help)", ExitCode.USAGE)
    except click.ClickException as error:
        return _fail(f"error: {error.format_message()}".replace("\n", " "), ExitCode.USAGE)
    except click.exceptions.Abort:
        return _fail("aborted", ExitCode.USAGE)
    except BrokenPipeError:
        return ExitCode.OK
    except OSError as error:  # a path given that this machine cannot use: a name too long
        where = f"{str(error.filename)[:200]}: " if error.filename else ""
        return _fail(f"error: {where}{error.strerror or error}", ExitCode.USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.USAGE)
    except Exception as error:
        return _fail(
            f"internal error: {type(error).__name__}: {error} (this is a bug in cprlint; please report it)",
            ExitCode.INTERNAL,
        )
    if isinstance(result, int):
        return result
    return ExitCode.OK


def main() -> None:
    one_blas_thread()
    code = run()
    # Flush here so that a closed pipe (`cprlint rules | head`) ends quietly, not with a
    # traceback at interpreter exit: point stdout at devnull, as the Python docs advise.
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
