"""Where reports go: `--format NAME[:FILE]` (repeatable) and `--output FILE`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cprlint.errors import CprlintError
from cprlint.report import Report
from cprlint.reporters import IN_PIECES, REPORTERS, RenderOptions
from cprlint.writing import open_for_writing


@dataclass(frozen=True)
class OutputTarget:
    format: str
    path: Path | None  # None: standard output


def parse_targets(formats: tuple[str, ...], output: Path | None) -> list[OutputTarget]:
    """`text`, `sarif:out.sarif`, ...; `--output` applies to a format given without a file."""
    targets: list[OutputTarget] = []
    for spec in formats or ("text",):
        name, _, file_name = spec.partition(":")
        if name not in REPORTERS:
            raise CprlintError(f"unknown format `{name}` (choose from {', '.join(REPORTERS)})")
        path = Path(file_name) if file_name else output
        targets.append(OutputTarget(name, path))
    to_stdout = [target for target in targets if target.path is None]
    if len(to_stdout) > 1:
        raise CprlintError(
            "only one format can go to standard output; give the others a file (FORMAT:FILE)"
        )
    return targets


def repo_prefix(root: Path) -> str:
    """The project root's path inside its git repository, with a trailing slash."""
    resolved = root.resolve()
    for parent in (resolved, *resolved.parents):
        if (parent / ".git").exists():
            relative = resolved.relative_to(parent).as_posix()
            return "" if relative == "." else relative + "/"
    return ""


def stdout_wants_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def write_report(report: Report, targets: list[OutputTarget], *, root: Path) -> None:
    prefix = repo_prefix(root)
    for target in targets:
        options = RenderOptions(
            color=target.path is None and stdout_wants_color(), repo_prefix=prefix
        )
        in_pieces = IN_PIECES.get(target.format)
        pieces = (
            in_pieces(report, options)
            if in_pieces
            else iter((REPORTERS[target.format](report, options),))
        )
        # Text that is not valid Unicode (a YAML "\udfff") is escaped, never a crash.
        encoded = (piece.encode("utf-8", "backslashreplace") for piece in pieces)
        if target.path is None:
            buffer = getattr(sys.stdout, "buffer", None)
            sys.stdout.flush()  # text written before must come out first
            for chunk in encoded:
                if buffer is None:  # a text-only stdout (contextlib.redirect_stdout, notebooks)
                    sys.stdout.write(chunk.decode("utf-8"))
                else:
                    buffer.write(chunk)
            sys.stdout.flush()
            continue
        try:
            # Inside the project, never through a link the pull request put there.
            with open_for_writing(target.path, root=root) as stream:
                stream.writelines(encoded)
        except OSError as error:
            raise CprlintError(
                f"{target.path}: cannot write the report: {error.strerror}"
            ) from error


MACHINE_FORMATS = frozenset({"json", "sarif", "junit"})


def publish_to_github_actions(report: Report, targets: list[OutputTarget], *, root: Path) -> None:
    """Under GitHub Actions: the markdown report in the job summary, and annotations.

    Annotations go to standard output, unless a machine-readable format is being written
    there; then to standard error, which the runner reads for workflow commands too.
    """
    options = RenderOptions(repo_prefix=repo_prefix(root))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as summary:
                summary.write(REPORTERS["markdown"](report, options) + "\n")
        except OSError as error:
            raise CprlintError(
                f"GITHUB_STEP_SUMMARY {summary_path}: cannot write: {error.strerror}"
            ) from error
    if any(target.format == "github" for target in targets):
        return  # asked for explicitly: already written
    stdout_formats = {target.format for target in targets if target.path is None}
    stream = sys.stderr if stdout_formats & MACHINE_FORMATS else sys.stdout
    stream.write(REPORTERS["github"](report, options))
    stream.flush()
