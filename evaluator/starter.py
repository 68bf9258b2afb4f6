"""`cprlint init`: a small working project to start from.

The files live in the package (`cprlint/data/starter`): a policy whose every key carries
a one-line comment, two prompts, a dozen fixture conversations and the GitHub workflow.
Together they pass `cprlint check` as written. Existing files are never overwritten
unless asked to.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from cprlint.errors import CprlintError
from cprlint.writing import write_file


def starter_files() -> dict[str, bytes]:
    """Relative path -> contents of every starter file."""
    root = resources.files("cprlint.data").joinpath("starter")
    found: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda item: item.name):
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, f"{name}/")
            elif child.name != "__init__.py" and not child.name.endswith(".pyc"):
                found[name] = child.read_bytes()

    walk(root, "")
    return found


def init_project(target: Path, *, force: bool) -> list[str]:
    """Write the starter project into `target`; returns the paths written."""
    if target.exists() and not target.is_dir():
        raise CprlintError(f"{target}: not a directory")
    files = starter_files()
    existing = sorted(name for name in files if os.path.lexists(target / name))
    if existing and not force:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise CprlintError(f"{target}: would overwrite {shown}; use --force to replace them")
    for name, contents in files.items():
        path = target / name
        try:
            # A link there (a dangling one too) is refused, never written through.
            write_file(path, contents, root=target)
        except OSError as error:
            raise CprlintError(f"{path}: cannot write it: {error.strerror}") from error
    return sorted(files)
