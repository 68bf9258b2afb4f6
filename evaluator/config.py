"""The project's cprlint settings: `cprlint.yaml`, or `[tool.cprlint]` in pyproject.toml.

A config that cannot be read means the run cannot be done as the team asked, so its
problems are `CprlintError`s (exit 2), not findings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from cprlint.documents import load_yaml_documents, read_text
from cprlint.errors import CprlintError
from cprlint.trees import SourceTree

CONFIG_FILES = ("cprlint.yaml", "cprlint.yml")
LEVELS = ("error", "warning", "off")
FAIL_ON = ("error", "warning", "never")
# Longer paths are no path a project has (Linux's own limit is 4,096).
MAX_PATH_CHARS = 1_024
_KEYS = ("policies", "prompts", "fixtures", "baseline", "rules", "fail_on")


@dataclass(frozen=True)
class Config:
    policies: tuple[str, ...] = ("policies",)
    prompts: str = "prompts"
    fixtures: tuple[str, ...] = ("fixtures",)
    baseline: str = ".cprlint/baseline.json"
    # Per rule code: "error", "warning" or "off".
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    fail_on: str = "error"
    source: str | None = None


def load_config(tree: SourceTree) -> Config:
    for name in CONFIG_FILES:
        if tree.is_file(name):
            return _config_from_yaml(tree, name)
    if tree.is_file("pyproject.toml"):
        try:
            data = tomllib.loads(tree.read_bytes("pyproject.toml").decode("utf-8"))
        # (Deep nesting ends in RecursionError; an integer of 5,000 digits in ValueError.)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError, ValueError) as error:
            raise CprlintError(f"pyproject.toml: cannot read it: {error}") from error
        except RecursionError as error:
            raise CprlintError("pyproject.toml: cannot read it: nesting is too deep") from error
        section = data.get("tool", {}).get("cprlint")
        if section is not None:
            return _config_from_mapping(section, "pyproject.toml [tool.cprlint]")
    return Config()


def _config_from_yaml(tree: SourceTree, name: str) -> Config:
    try:
        raw = tree.read_bytes(name)
    except OSError as error:
        raise CprlintError(f"{name}: cannot read it: {error.strerror}") from error
    text, problems = read_text(name, raw)
    documents, yaml_problems = load_yaml_documents(name, text) if text is not None else ([], [])
    problems += yaml_problems
    if problems:
        first = problems[0]
        raise CprlintError(f"{first.location}: {first.message}")
    data = documents[0].data if documents else {}
    return _config_from_mapping({} if data is None else data, name)


def _paths(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_relative(value, key, source),)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(_relative(item, key, source) for item in value)
    raise CprlintError(f"{source}: `{key}` must be a path or a list of paths")


def _relative(path: str, key: str, source: str) -> str:
    """A path the config names, which must stay inside the project: the config comes
    with the pull request, and what cprlint reads ends up in the report it posts."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if PurePosixPath(path).is_absolute() or ".." in parts:
        raise CprlintError(
            f"{source}: `{key}` must be a path inside the project, relative to it; not {path!r}"
        )
    if "\0" in path or len(path) > MAX_PATH_CHARS or any(len(part) > 255 for part in parts):
        raise CprlintError(
            f"{source}: `{key}` is not a path this machine can open (a name over 255 "
            f"characters, a path over {MAX_PATH_CHARS:,}, or a NUL)"
        )
    return path


def _config_from_mapping(data: Any, source: str) -> Config:
    if not isinstance(data, dict):
        raise CprlintError(f"{source}: the config must be a mapping of settings")
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise CprlintError(f"{source}: unknown setting `{unknown[0]}` (known: {', '.join(_KEYS)})")
    config = Config(source=source)
    values: dict[str, Any] = {}
    if "policies" in data:
        values["policies"] = _paths(data["policies"], "policies", source)
    if "fixtures" in data:
        values["fixtures"] = _paths(data["fixtures"], "fixtures", source)
    for key in ("prompts", "baseline"):
        if key in data:
            if not isinstance(data[key], str):
                raise CprlintError(f"{source}: `{key}` must be a path")
            values[key] = _relative(data[key], key, source)
    if "fail_on" in data:
        if data["fail_on"] not in FAIL_ON:
            raise CprlintError(f"{source}: `fail_on` must be one of {', '.join(FAIL_ON)}")
        values["fail_on"] = data["fail_on"]
    if "rules" in data:
        values["rule_levels"] = _rule_levels(data["rules"], source)
    return Config(**{**config.__dict__, **values})


def _rule_levels(rules: Any, source: str) -> dict[str, str]:
    if not isinstance(rules, dict):
        raise CprlintError(f"{source}: `rules` must map rule codes to a level")
    levels: dict[str, str] = {}
    for code, setting in rules.items():
        level = setting.get("level") if isinstance(setting, dict) else setting
        if level not in LEVELS:
            raise CprlintError(
                f"{source}: rule {code}: level must be one of {', '.join(LEVELS)}, not {level!r}"
            )
        levels[str(code).upper()] = str(level)
    return levels
