"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Carries what GitHub requires beyond the schema: every rule with id, short and full
description and help; every result with ruleId, level, message and one location with a
repository-relative URI and a start line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
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


def sarif_log(report: Report, options: RenderOptions) -> dict[str, Any]:
    codes = sorted(RULES)
    index = {code: position for position, code in enumerate(codes)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
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
                "results": Items(
                    _result(finding, index[finding.rule], options) for finding in report.findings
                ),
            }
        ],
    }


def pieces(report: Report, options: RenderOptions) -> Iterator[str]:
    yield from json_pieces(sarif_log(report, options))
    yield "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(pieces(report, options))
