"""Importers: production traces -> fixture conversations (`cprlint import`).

One module per source format; each reads one file and yields `Record`s (fixture events
with what is needed to group them). The common core groups records into conversations in
bounded memory (`grouping`), assembles and writes them (`conversations`), with labels
from a mapping file (`labels`) and personal data redacted (`cprlint.pii.Redactor`).
`FORMATS` maps a format name to its reader, like the reporters' registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from cprlint.importers import langfuse, openinference, otel, proxy, vcr
from cprlint.importers.context import ImportContext
from cprlint.importers.records import Record

Reader = Callable[[str, IO[bytes], ImportContext], Iterator[Record]]

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class TraceFormat:
    name: str
    read: Reader
    summary: str
    # File name endings read when a directory is given.
    suffixes: tuple[str, ...] = JSON_SUFFIXES
    # Attribute names the format itself gives fields (a mapping file overrides them).
    label_defaults: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


FORMATS: dict[str, TraceFormat] = {
    "otel": TraceFormat(
        "otel",
        otel.read,
        "OpenTelemetry GenAI spans: OTLP JSON, or the span lists SDKs write",
        label_defaults={"conversation": otel.CONVERSATION_ATTRIBUTES},
    ),
    "openinference": TraceFormat(
        "openinference",
        openinference.read,
        "OpenInference spans: OTLP JSON, SDK span lists, Phoenix REST spans",
        label_defaults={"conversation": openinference.CONVERSATION_ATTRIBUTES},
    ),
    "langfuse": TraceFormat(
        "langfuse",
        langfuse.read,
        "Langfuse observation exports and trace downloads",
        label_defaults={
            "conversation": langfuse.CONVERSATION_ATTRIBUTES,
            **langfuse.CALL_ATTRIBUTES,
        },
    ),
    "openai": TraceFormat(
        "openai",
        proxy.read_openai,
        "OpenAI request/response logs (or responses alone)",
        label_defaults={"conversation": proxy.CONVERSATION_ATTRIBUTES},
    ),
    "anthropic": TraceFormat(
        "anthropic",
        proxy.read_anthropic,
        "Anthropic request/response logs (or responses alone)",
        label_defaults={"conversation": proxy.CONVERSATION_ATTRIBUTES},
    ),
    "vcr": TraceFormat(
        "vcr", vcr.read, "VCR cassettes (vcrpy, pytest-recording)", (".yaml", ".yml", ".json")
    ),
}

__all__ = ["FORMATS", "JSON_SUFFIXES", "Reader", "TraceFormat"]
