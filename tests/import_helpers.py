"""Small builders of trace exports for the import tests: OTLP spans, logged calls, files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Every label mapped to a constant, so that a test sees only the findings it is about.
LABELLED = """\
intent: {default: order_status}
queue: {default: orders}
project: {default: acme}
automation: {default: full}
outcome: {default: resolved}
"""


def attribute(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, dict):
        values = [attribute(inner, item) for inner, item in value.items()]
        return {"key": key, "value": {"kvlistValue": {"values": values}}}
    return {"key": key, "value": {"stringValue": value}}


def span(
    trace: str,
    span_id: str,
    start: int,
    attributes: dict[str, Any],
    *,
    name: str = "span",
    error: str | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "traceId": trace,
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 1000),
        "attributes": [attribute(key, value) for key, value in attributes.items()],
    }
    if error is not None:
        result["status"] = {"code": 2, "message": error}
    return result


def export(*spans: dict[str, Any], service: str = "support-bot") -> dict[str, Any]:
    """One ExportTraceServiceRequest, as the collector's file exporter writes a line."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attribute("service.name", service)]},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": list(spans)}],
            }
        ]
    }


def jsonl(*values: Any) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def sse(*events: tuple[str | None, Any]) -> str:
    """An event stream: `event:` lines where named, `data:` JSON (or text such as [DONE])."""
    blocks = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        blocks.append((f"event: {name}\n" if name else "") + f"data: {text}\n")
    return "\n".join(blocks) + "\n"


Importer = Callable[..., tuple[Any, list[dict[str, Any]], dict[str, Any]]]


def make_importer(root: Path, run_cli: Any) -> Importer:
    """`importer(FORMAT, {name: text}, *extra_args)`: (cli result, conversations, report)."""

    def importer(
        trace_format: str, files: dict[str, str | bytes], *extra: str, labelled: bool = False
    ) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        sources = []
        for name, content in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            if not name.startswith("map") and not name.startswith("names"):
                sources.append(str(target))
        arguments = list(extra)
        if labelled:
            (root / "labelled.yaml").write_text(LABELLED)
            arguments += ["--map", str(root / "labelled.yaml")]
        output = root / "out.jsonl"
        result = run_cli(
            "import", trace_format, *sources, "-o", str(output), "--format", "json", *arguments
        )
        conversations: list[dict[str, Any]] = []
        report: dict[str, Any] = {}
        if result.exit_code in (0, 1):
            conversations = [json.loads(line) for line in output.read_text().splitlines()]
            report = json.loads(result.stdout)
        return result, conversations, report

    return importer


def untimed(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation's events without their `at` (test_event_times checks those)."""
    return [{k: v for k, v in event.items() if k != "at"} for event in conversation["events"]]


def calls(conversation: dict[str, Any], kind: str = "llm_call") -> list[dict[str, Any]]:
    """The events of one kind, without their `at`."""
    return [event for event in untimed(conversation) if event["type"] == kind]


def findings(report: dict[str, Any], root: Path) -> list[str]:
    """`CODE file:line[:column]` per finding, paths relative to `root`."""
    listed = []
    for finding in report["findings"]:
        path = Path(finding["path"])
        name = path.relative_to(root) if path.is_absolute() else path
        place = f"{name}:{finding['line']}"
        if "column" in finding:
            place += f":{finding['column']}"
        listed.append(f"{finding['rule']} {place}")
    return sorted(listed)
