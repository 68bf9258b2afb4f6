"""Shared helpers: the repo's example project, and running the CLI like a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cprlint.cli import run

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# The official SARIF 2.1.0 schema and the JUnit XSD, kept in the repository.
VALIDATORS = Path(__file__).resolve().parent / "validators"


# Git for test repositories: a fixed identity, and none of the machine's own settings.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(root: Path, *args: str) -> str:
    """Run git in `root` (never through a shell) and return its output."""
    completed = subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return completed.stdout.strip()


@pytest.fixture(autouse=True, scope="session")
def machine_cache_home(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The run cache's signing secret and the derived data of `cprlint.user_cache` live
    in the user's cache directory: during the tests, a temporary one (inherited by the
    CLI run in subprocesses)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.delenv("CPRLINT_CACHE_DIR", raising=False)
        yield


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `cprlint ARGS...` in-process through the real entry point's error handling."""

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def starter_project(run_cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The project `cprlint init` writes, in a temporary folder a test may change."""
    root = tmp_path / "shop"
    assert run_cli("init", str(root)).exit_code == 0
    return root


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A copy of the repo's example project that a test may change."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("policies", "prompts", "fixtures"):
        shutil.copytree(REPO / name, root / name)
    return root
