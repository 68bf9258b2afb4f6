"""The detector finds no personal data in ids: trace, span, request, message and tool-call
ids, UUIDs, timestamps, token counts and the other numbers real exports carry.

The values are collected from the real exports and recordings under ../shared
(`collect_identifiers`) and copied into tests/data/real_identifiers.txt, one a line, so
that a clone without ../shared checks them too. Regenerate the copy with

    python -m tests.test_pii_identifiers > tests/data/real_identifiers.txt
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.pii import find_sensitive_data

from tests.conftest import SHARED

COPY = Path(__file__).parent / "data" / "real_identifiers.txt"
ROOTS = (SHARED / "real-exports", SHARED / "real-traces")
# Values longer than this (a base64 image) are cut to it in the copy.
LONGEST = 4096
# Keys whose values are ids, times or counts.
_ID_KEY = re.compile(
    r"(?i)(^id$|[._-]id$|id$|uuid|trace|span|request|time|created|date|token|count|"
    r"fingerprint|ray|nonce|hash|seed|index|_ms$|nano|usage|signature|object|etag|^cf-|^x-)"
)
# A word of free text shaped like an id: no spaces, a digit, eight characters or more.
_ID_WORD = re.compile(r"[A-Za-z0-9_\-:.+/=]{8,}")
_SPLIT_WORDS = re.compile(r"[\s\"'`,;()\[\]{}<>]+")


def collect_identifiers(roots: tuple[Path, ...] = ROOTS) -> dict[str, str]:
    """Every id-shaped value of the JSON and YAML files under `roots`, with where it was
    first seen: values under id, time and count keys, numbers, header values with a
    digit, and id-shaped words of free text and URLs. Bodies are decoded (JSON, server-sent
    events, base64 and gzip). Nothing with an `@` is taken: `user.id` may be an address."""
    found: dict[str, str] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".json", ".jsonl", ".yaml", ".yml"):
                continue
            source = path.relative_to(root.parent).as_posix()
            for key, value in _values(path):
                text = str(value)
                if "@" not in text and text.strip() and "\n" not in text:
                    found.setdefault(text[:LONGEST], f"{source} {key}")
    return found


def _values(path: Path) -> Iterator[tuple[str, Any]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".yaml", ".yml"):
        document = yaml.load(text, Loader=yaml.SafeLoader) or {}
        for interaction in document.get("interactions", []):
            for part in ("request", "response"):
                item = interaction.get(part) or {}
                for key, values in (item.get("headers") or {}).items():
                    for value in values if isinstance(values, list) else [values]:
                        if _ID_KEY.search(key) or re.search(r"\d", str(value)):
                            yield key, value
                for token in re.split(r"[/?&=]", str(item.get("uri", ""))):
                    if re.search(r"\d", token) and len(token) >= 6:
                        yield "uri", token
                yield from _walk(_body(item.get("body")), "body")
        return
    try:
        documents = [json.loads(text)]
    except ValueError:
        documents = [json.loads(line) for line in text.splitlines() if line.strip()]
    for document in documents:
        yield from _walk(document, "")


def _body(body: Any) -> Any:
    if isinstance(body, dict):
        body = body.get("string", body.get("base64_string", ""))
    if isinstance(body, str) and body.startswith("H4sI"):  # base64 of gzip
        try:
            body = base64.b64decode(body)
        except binascii.Error:
            return body
    if isinstance(body, bytes):
        for decompress in (gzip.decompress, zlib.decompress):
            try:
                body = decompress(body)
                break
            except (OSError, zlib.error):
                continue
        return body.decode("utf-8", "replace")
    return body


def _walk(node: Any, key: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for item_key, item in node.items():
            yield from _walk(item, str(item_key))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield key, node
    elif isinstance(node, str):
        text = node.strip()
        if text[:1] in ("{", "["):
            try:
                yield from _walk(json.loads(text), key)
                return
            except ValueError:
                pass
        for line in text.splitlines():
            if line.startswith("data:"):  # a server-sent event
                with contextlib.suppress(ValueError):
                    yield from _walk(json.loads(line[5:]), key)
        if _ID_KEY.search(key) and len(text) < 200:
            yield key, text
        for word in _SPLIT_WORDS.split(text):
            word = word.strip(".:")
            if _ID_WORD.fullmatch(word) and re.search(r"\d", word):
                yield f"{key} (a word)", word


def _copied() -> list[str]:
    lines = COPY.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("# ")]


def _reported(values: list[str]) -> list[tuple[str, list[str]]]:
    return [
        (value[:80], [item.kind for item in found])
        for value in values
        if (found := find_sensitive_data(value))
    ]


def test_no_personal_data_in_the_ids_of_real_exports() -> None:
    values = _copied()
    reported = _reported(values)
    print(f"\nfalse positives on ids: {len(reported)} of {len(values)}")
    assert len(values) > 4000
    assert reported == []


@pytest.mark.skipif(not ROOTS[0].is_dir(), reason="../shared/real-exports is not there")
def test_the_copy_holds_every_id_of_the_real_exports() -> None:
    collected = collect_identifiers()
    assert set(collected) <= set(_copied())


if __name__ == "__main__":
    print("# Id-shaped values of ../shared/real-exports and ../shared/real-traces (trace, span,")
    print("# request, message and tool-call ids, UUIDs, times, token counts and other numbers),")
    print("# one a line, for tests/test_pii_identifiers.py, which says how they are collected.")
    print("# The files' origins and licences: ../shared/real-exports/SOURCES.md and")
    print("# ../shared/real-traces/README.md.")
    for value in sorted(collect_identifiers()):
        print(value)
