"""The policies a scorecard holds its groups to: named with --policy, else the project's.

A scorecard is read by finance and support operations; numbers against a half-read
policy would mislead them, so a policy with a problem stops the run, naming the place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cprlint.documents import load_yaml_documents, read_text
from cprlint.errors import CprlintError
from cprlint.findings import Problem
from cprlint.model import Policy
from cprlint.project import YAML_SUFFIXES, is_project_file, load_project, policies_in


def _refuse(problems: Sequence[Problem]) -> None:
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CprlintError(f"policy: {first.location}: {first.message}{more}")


def _policy_files(path: Path) -> list[Path]:
    """The YAML files of a folder, as `check` finds them."""
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if is_project_file(p, YAML_SUFFIXES) and p.is_file()
        )
    if path.is_file():
        return [path]
    raise CprlintError(f"--policy {path}: no such file or directory")


def load_policies(paths: Sequence[Path], project_root: Path = Path(".")) -> list[Policy]:
    """The policies in `paths` (files or folders); without any, those of the project at
    `project_root` (none when there is no project there)."""
    if not paths:
        if not project_root.is_dir():
            return []
        project = load_project(project_root, with_fixtures=False)
        folders = tuple(project.config.policies)
        _refuse([p for p in project.problems if p.location.path.startswith(folders)])
        return project.policies
    policies: list[Policy] = []
    for path in paths:
        for file in _policy_files(path):
            text, problems = read_text(str(file), file.read_bytes())
            _refuse(problems)
            documents, problems = load_yaml_documents(str(file), text or "")
            _refuse(problems)
            found, problems = policies_in(documents)
            _refuse(problems)
            policies.extend(found)
    if not policies:
        raise CprlintError(f"--policy {', '.join(map(str, paths))}: no policy found")
    return policies
