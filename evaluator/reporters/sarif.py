"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Carries what GitHub requires beyond the schema: every rule with id, short and full
description and help; every result with ruleId, level, message and one location with a
repository-relative URI and a start line.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from cprlint.findings import Finding
from cprlint.report import Report
from cprlint.reporters.base import Items, RenderOptions, json_pieces
from cprlint.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/cprlint/cprlint"


def _rule_descriptor(code: str) -> dict[str, Any]:
    rule = RULES[code]
    explanation = rule.explanation or rule.summary
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": explanation.split("\n\n")[0].replace("\n", " ")},
        "help": {
            "text": f"{rule.summary}\n\n{explanation}",
            "markdown": f"**{rule.code} {rule.name}**: {rule.summary}\n\n```\n{explanation}\n```",
        },
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"tags": ["cprlint", rule.target.value]},
    }


# `json.dumps(..., sort_keys=True)`, made once: `json.dumps` with an option makes an
# encoder on every call, a third of the time of a result.
_IDENTITY_JSON = json.JSONEncoder(sort_keys=True).encode


def _fingerprint(finding: Finding) -> str:
    # Stable across line moves: what is wrong and what it is about, not where it sits.
    identity = _IDENTITY_JSON(
        [finding.rule, finding.path, finding.message, finding.scope.to_dict()]
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


@lru_cache(maxsize=4096)
def _uri(path: str) -> str:
    """A URI reference: spaces, "%" and non-ASCII are percent-encoded. (Findings are in
    a few files: each is quoted once.)"""
    return quote(path, safe="/")


def _result(finding: Finding, rule_index: int, options: RenderOptions) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(finding.line, 1)}
    if finding.column is not None:
        region["startColumn"] = max(finding.column, 1)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": _uri(options.repo_path(finding.path)),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {"cprlintFinding/v1": _fingerprint(finding)},
    }
    scope = finding.scope.to_dict()
    if scope:
        result["properties"] = scope
    if finding.waived_by is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"waived by {finding.waived_by}",
            }
        ]
    return result


# GitHub code scanning rejects a run of more results than this (and shows the first 5,000
# by severity). A policy that moves a flow to another tier makes a finding of nearly
# every call: more than this at 10,000 conversations.
MAX_RESULTS = 25_000


def sarif_log(report: Report, options: RenderOptions) -> dict[str, Any]:
    codes = sorted(RULES)
    index = {code: position for position, code in enumerate(codes)}
    findings = _within_the_limit(report.findings)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "cprlint",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(code) for code in codes],
            }
        },
        "automationDetails": {"id": f"cprlint/{report.command}/"},
        "columnKind": "unicodeCodePoints",
        "results": Items(_result(finding, index[finding.rule], options) for finding in findings),
    }
    left_out = len(report.findings) - len(findings)
    if left_out:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {
                            "text": f"{left_out:,} of {len(report.findings):,} findings are "
                            f"left out: code scanning takes at most {MAX_RESULTS:,} results "
                            "a run, so errors are kept first, then warnings, then waived "
                            "findings; `--format json` reports them all."
                        },
                    }
                ],
            }
        ]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _within_the_limit(findings: Sequence[Finding]) -> Sequence[Finding]:
    """At most MAX_RESULTS findings, the first by `Finding.rank`, in the report's order."""
    if len(findings) <= MAX_RESULTS:
        return findings
    # How many of each rank there are says where the cut falls: all of the ranks before
    # it, and of its rank the first in the report's order (a stable sort by rank's).
    of_rank = Counter(finding.rank for finding in findings)
    room, kept_of_rank = MAX_RESULTS, dict[tuple[bool, int], int]()
    for rank in sorted(of_rank):
        kept_of_rank[rank] = min(of_rank[rank], room)
        room -= kept_of_rank[rank]
    kept: list[Finding] = []
    for finding in findings:
        if kept_of_rank[finding.rank]:
            kept_of_rank[finding.rank] -= 1
            kept.append(finding)
    return kept


def pieces(report: Report, options: RenderOptions) -> Iterator[str]:
    yield from json_pieces(sarif_log(report, options))
    yield "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(pieces(report, options))
