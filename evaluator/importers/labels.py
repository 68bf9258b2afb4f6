"""The label mapping file (`--map FILE`): which trace attributes give which fixture fields.

```yaml
conversation: session.id              # what groups calls into one conversation
intent: support.intent                # an attribute name ...
queue: [support.queue, metadata.queue]  # ... or several, the first present wins
project: {default: acme}              # a constant
automation: {from: support.mode, values: {bot: full, handoff: partial, copilot: assisted}}
outcome: {from: ticket.status, values: {closed: resolved, transferred: escalated}}
resolved_by: ticket.resolved_by
reopened: ticket.reopened
stage: gen_ai.agent.name              # per LLM call
prompt: prompt.id                     # per LLM call
prompt_version: prompt.version        # per LLM call
```

Attribute names are span attributes (resource attributes included), OpenInference
attributes, or, for Langfuse observations and proxy logs, the record's fields as dotted
paths (`metadata.intent`). The file is read with cprlint's one YAML loader; a broken
mapping stops the run (exit 2) with its file, line and column, like a broken config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cprlint.documents import MAX_YAML_BYTES, Document, load_yaml_documents, read_text
from cprlint.errors import CprlintError
from cprlint.importers.invocation import invocation_error
from cprlint.model import AUTOMATION_MODES, OUTCOME_STATUSES

GROUPING_FIELD = "conversation"
CONVERSATION_FIELDS = (
    "intent",
    "queue",
    "project",
    "automation",
    "outcome",
    "resolved_by",
    "reopened",
)
CALL_FIELDS = ("stage", "prompt", "prompt_version")
ALL_FIELDS = (GROUPING_FIELD, *CONVERSATION_FIELDS, *CALL_FIELDS)
# The fields whose absence is a finding (CPR803): what cost per resolution is judged by.
REPORTED_FIELDS = ("intent", "queue", "project", "automation", "outcome")
# Text fields become `unknown` when unmapped; the others have a fixed set of values.
TEXT_FIELDS = ("intent", "queue", "project")
ALLOWED_VALUES: dict[str, tuple[Any, ...]] = {
    "automation": AUTOMATION_MODES,
    "outcome": OUTCOME_STATUSES,
    "resolved_by": ("ai", "human"),
    "reopened": (True, False),
}
_SPEC_KEYS = ("from", "values", "default")


@dataclass(frozen=True)
class FieldMapping:
    attributes: tuple[str, ...] = ()
    # Recorded value (as text) -> the fixture's value.
    values: Mapping[str, Any] = field(default_factory=dict)
    default: Any = None
    line: int = 1  # where the mapping file sets it, for findings


@dataclass(frozen=True)
class LabelMap:
    fields: Mapping[str, FieldMapping] = field(default_factory=dict)
    path: str | None = None

    def attributes(self, name: str) -> tuple[str, ...]:
        mapping = self.fields.get(name)
        return mapping.attributes if mapping else ()

    def read(self, attributes: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        """The raw value of each field among `names` that the attributes give."""
        found: dict[str, Any] = {}
        for name in names:
            for key in self.attributes(name):
                value = attributes.get(key)
                if value is not None and value != "":
                    found[name] = value
                    break
        return found

    def with_defaults(self, defaults: Mapping[str, tuple[str, ...]]) -> LabelMap:
        """Built-in attribute names of a format, for the fields the file does not map."""
        fields = dict(self.fields)
        for name, attributes in defaults.items():
            fields.setdefault(name, FieldMapping(attributes=attributes))
        return LabelMap(fields, self.path)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fixture_value(name: str, raw: Any, mapping: FieldMapping | None) -> tuple[Any, bool]:
    """The fixture's value for a recorded one, and whether the field allows it."""
    text = value_text(raw)
    if mapping is not None and text in mapping.values:
        return mapping.values[text], True
    if name == "reopened":
        if isinstance(raw, bool):
            return raw, True
        lowered = text.strip().lower()
        return lowered == "true", lowered in ("true", "false")
    allowed = ALLOWED_VALUES.get(name)
    if allowed is None:
        return text, bool(text.strip())
    return text, text in allowed


def load_label_map(path: Path | None) -> LabelMap:
    if path is None:
        return LabelMap()
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise invocation_error(f"--map {name}: cannot read it: {error.strerror}") from error
    text, problems = read_text(name, raw, limit=MAX_YAML_BYTES)
    if text is None:
        raise invocation_error(f"{problems[0].location}: {problems[0].message}")
    documents, problems = load_yaml_documents(name, text)
    if problems:
        raise invocation_error(f"{problems[0].location}: {problems[0].message}")
    if not documents or documents[0].data is None:
        return LabelMap(path=name)
    if len(documents) > 1:
        raise invocation_error(
            f"{documents[1].locate()}: the mapping file must be one YAML document"
        )
    return _label_map(documents[0])


def _fail(
    document: Document, message: str, *key_path: str | int, key: bool = False
) -> CprlintError:
    return invocation_error(f"{document.locate(*key_path, key=key)}: {message}")


def _names(document: Document, value: Any, *key_path: str | int) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise _fail(document, "give an attribute name or a list of names", *key_path)
    return tuple(item.strip() for item in items)


def _checked_value(document: Document, name: str, value: Any, *key_path: str | int) -> Any:
    allowed = ALLOWED_VALUES.get(name)
    if isinstance(value, dict | list) or value is None:
        raise _fail(document, f"`{name}` values must be plain values", *key_path)
    if allowed is not None and value not in allowed:
        choices = ", ".join(value_text(choice) for choice in allowed)
        raise _fail(document, f"`{value_text(value)}` is not a {name} value ({choices})", *key_path)
    return value if allowed is not None else value_text(value)


def _label_map(document: Document) -> LabelMap:
    data = document.data
    if not isinstance(data, dict):
        raise _fail(document, "the mapping file must map fixture fields to attribute names")
    fields: dict[str, FieldMapping] = {}
    for name, spec in data.items():
        if name not in ALL_FIELDS:
            known = ", ".join(ALL_FIELDS)
            raise _fail(document, f"unknown field `{name}` (known: {known})", name, key=True)
        line = document.locate(name, key=True).line
        if not isinstance(spec, dict):
            fields[name] = FieldMapping(attributes=_names(document, spec, name), line=line)
            continue
        unknown = [key for key in spec if key not in _SPEC_KEYS]
        if unknown:
            raise _fail(
                document,
                f"unknown key `{unknown[0]}` (known: {', '.join(_SPEC_KEYS)})",
                name,
                unknown[0],
                key=True,
            )
        attributes = _names(document, spec["from"], name, "from") if "from" in spec else ()
        values = spec.get("values", {})
        if not isinstance(values, dict):
            raise _fail(document, "`values` must map recorded values to fixture values", name)
        if name in (GROUPING_FIELD, *CALL_FIELDS) and (values or "default" in spec):
            raise _fail(document, f"`{name}` takes attribute names only", name)
        default = spec.get("default")
        fields[name] = FieldMapping(
            attributes=attributes,
            values={
                value_text(key): _checked_value(document, name, value, name, "values", key)
                for key, value in values.items()
            },
            default=None
            if default is None
            else _checked_value(document, name, default, name, "default"),
            line=line,
        )
        if not attributes and default is None:
            raise _fail(document, "give `from` (attribute names) or a `default`", name)
    return LabelMap(fields, document.path)
