"""`cprlint import`: read the sources, group records into conversations, write them.

Sources are read one record at a time; records are grouped by their unit (trace,
session, cassette) and, when units name a conversation, regrouped by it, both in bounded
memory (cprlint.importers.grouping); conversations are written to a temporary file
beside the output, which replaces the output only when the import is done.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cprlint.documents import UNREADABLE
from cprlint.findings import Finding, Location, Problem
from cprlint.importers import FORMATS
from cprlint.importers.context import ImportContext
from cprlint.importers.conversations import ConversationWriter, ImportStats
from cprlint.importers.grouping import DEFAULT_BUFFER, Grouper
from cprlint.importers.invocation import invocation_error
from cprlint.importers.labels import ALLOWED_VALUES, REPORTED_FIELDS, LabelMap, value_text
from cprlint.importers.records import Record
from cprlint.pii import Redactor
from cprlint.rules import RULES
from cprlint.rules.imports import LABEL_VALUE, UNMAPPED_LABEL
from cprlint.writing import make_folders

# Attribute keys that are never labels, left out of the suggestions of what to map.
_TECHNICAL_PREFIXES = (
    "gen_ai.usage.",
    "gen_ai.request.",
    "gen_ai.response.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "gen_ai.input.",
    "gen_ai.output.",
    "gen_ai.tool.",
    "gen_ai.operation.",
    "llm.",
    "embedding.",
    # The Vercel AI SDK's (its `ai.telemetry.metadata.*` are the user's own).
    "ai.response.",
    "ai.request.",
    "ai.usage.",
    "ai.model.",
    "ai.settings.",
    "ai.prompt",
    "ai.embedding",
    "ai.value",
    "ai.schema",
    "ai.operationId",
    "input.",
    "output.",
    "tool.",
    "telemetry.",
    "otel.",
    "http.",
    "net.",
    "server.",
    "url.",
    "process.",
    "host.",
    "os.",
    "error.",
    "exception.",
)
_TECHNICAL_KEYS = frozenset(
    {
        "id",
        "traceId",
        "parentObservationId",
        "startTime",
        "endTime",
        "completionStartTime",
        "createdAt",
        "updatedAt",
        "model",
        "type",
        "level",
        "statusMessage",
        "latency",
        "timeToFirstToken",
        "openinference.span.kind",
        "metadata",  # JSON text: its fields are offered as `metadata.<key>`
        # Langfuse's own bookkeeping of a trace or an observation.
        "projectId",
        "environment",
        "bookmarked",
        "public",
        "timestamp",
        "internalModel",
        "internalModelId",
        "providedModelName",
        "promptId",
        "inputCost",
        "outputCost",
        "totalCost",
        "inputUsage",
        "outputUsage",
        "totalUsage",
        "usagePricingTierId",
        "usagePricingTierName",
        "traceloop.entity.input",
        "traceloop.entity.output",
    }
)
_SHOWN_KEYS = 12


@dataclass(frozen=True)
class ImportRequest:
    format: str
    sources: tuple[Path, ...]
    output: Path
    label_map: LabelMap = field(default_factory=LabelMap)
    redact: bool = True
    names: tuple[str, ...] = ()
    buffer_size: int = DEFAULT_BUFFER


@dataclass(frozen=True)
class ImportResult:
    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    stats: ImportStats
    # Kind of personal data -> replacements (None: not redacted, --no-redact).
    redacted: dict[str, int] | None
    distinct: dict[str, int] | None


def source_files(sources: tuple[Path, ...], suffixes: tuple[str, ...]) -> list[Path]:
    """The files to read, in the order given; a directory gives its files, sorted."""
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            found = sorted(
                path
                for path in source.rglob("*")
                if path.is_file() and path.name.endswith(suffixes)
            )
            if not found:
                raise invocation_error(
                    f"{source}: no {', '.join(suffixes)} files in this directory"
                )
            files.extend(found)
        elif source.is_file():
            files.append(source)
        else:
            raise invocation_error(f"{source}: no such file or directory")
    return files


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _replacing(output: Path) -> Iterator[IO[str]]:
    """A file beside `output` that replaces it when the block ends without an error."""
    try:
        # In the folder the import runs in, never into a folder that is a link (the
        # output replaces a link there, if one is, rather than write through it).
        make_folders(output.parent, root=Path.cwd())
        descriptor, name = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".tmp", dir=output.parent
        )
    except OSError as error:
        raise invocation_error(f"{output}: cannot write: {error.strerror}") from error
    try:
        # Text that is not valid Unicode (a YAML "\udfff") is escaped, never a crash.
        with os.fdopen(
            descriptor, "w", encoding="utf-8", errors="backslashreplace", newline="\n"
        ) as stream:
            yield stream
        os.chmod(name, 0o666 & ~_umask())  # a temporary file is private; the output is not
        os.replace(name, output)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise invocation_error(f"{output}: cannot write: {error.strerror}") from error
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def import_traces(request: ImportRequest) -> ImportResult:
    trace_format = FORMATS[request.format]
    files = source_files(request.sources, trace_format.suffixes)
    resolved_output = request.output.resolve()
    if any(path.resolve() == resolved_output for path in files):
        raise invocation_error(f"-o {request.output}: the output would overwrite an input")
    label_map = request.label_map.with_defaults(trace_format.label_defaults)
    redactor = Redactor(request.names) if request.redact else None
    context = ImportContext(label_map=label_map, redactor=redactor)
    units = Grouper(buffer_size=request.buffer_size)
    conversations = Grouper(buffer_size=request.buffer_size)
    try:
        regroup = False
        for number, path in enumerate(files):
            context.file_number = number
            try:
                with path.open("rb") as stream:
                    for record in trace_format.read(str(path), stream, context):
                        units.add(record.unit, record.time, record.seq, record.to_json())
                        regroup = regroup or record.conversation not in (None, record.unit)
            except OSError as error:
                context.problem(UNREADABLE, f"cannot read: {error.strerror}", Location(str(path)))
        with _replacing(request.output) as output:
            writer = ConversationWriter(output, label_map=label_map, redactor=redactor)
            for unit, payloads in units.groups():
                records = [Record.from_json(payload) for payload in payloads]
                if not regroup:
                    writer.write(unit, records)
                    continue
                key = next((record.conversation for record in records if record.conversation), unit)
                for record in records:
                    conversations.add(key, record.time, record.seq, record.to_json())
            if regroup:
                for key, payloads in conversations.groups():
                    writer.write(key, [Record.from_json(payload) for payload in payloads])
    finally:
        units.close()
        conversations.close()
    names = tuple(str(path) for path in files)
    problems = [*context.all_problems(), *_label_problems(writer.stats, label_map, names, context)]
    findings = tuple(
        sorted(
            Finding(
                problem.code or "",
                RULES[problem.code or ""].severity,
                problem.message,
                problem.location,
                problem.scope,
            )
            for problem in problems
        )
    )
    return ImportResult(
        findings=findings,
        files=names,
        stats=writer.stats,
        redacted=dict(redactor.replaced) if redactor else None,
        distinct=dict(redactor.distinct) if redactor else None,
    )


def _candidates(seen: set[str], label_map: LabelMap) -> list[str]:
    mapped = {key for mapping in label_map.fields.values() for key in mapping.attributes}
    return sorted(
        key
        for key in seen
        if key not in mapped
        and key not in _TECHNICAL_KEYS
        and not key.startswith(_TECHNICAL_PREFIXES)
        and not key.endswith(("_tokens", "Tokens"))
    )


# What an unlabelled conversation gets, for one and for several.
_CONSEQUENCE = {
    "automation": (
        "has no automation mode (`check` counts it as full)",
        "have no automation mode (`check` counts them as full)",
    ),
    "outcome": ("is `open`, not resolved", "are `open`, so none counts as resolved"),
}
_UNKNOWN = ("gets `unknown`", "get `unknown`")


def _conversations(count: int) -> str:
    return "1 conversation" if count == 1 else f"{count:,} conversations"


def _label_problems(
    stats: ImportStats, label_map: LabelMap, files: tuple[str, ...], context: ImportContext
) -> Iterator[Problem]:
    """One finding per field without values (CPR803), and per value not allowed (CPR804).

    A field the mapping file maps is reported at its line there; an unmapped one at the
    first record, in input order, of a conversation left without it.
    """
    total = stats.conversations
    if total == 0:
        return
    first_file = Location(files[0]) if files else Location("")

    def where(name: str) -> Location:
        mapping = label_map.fields.get(name)
        if label_map.path is not None and mapping is not None:
            return Location(label_map.path, mapping.line)
        first = stats.first_unlabelled.get(name)
        if first is not None:
            return first[1]
        return Location(label_map.path) if label_map.path is not None else first_file

    candidates = _candidates(context.seen_keys, label_map)
    if candidates:
        shown = ", ".join(candidates[:_SHOWN_KEYS])
        if len(candidates) > _SHOWN_KEYS:
            shown += f" and {len(candidates) - _SHOWN_KEYS} more"
        suggestion = f"attributes the traces carry that could give it: {shown}"
    else:
        suggestion = "the traces carry no other attribute that could give it"
    for name in REPORTED_FIELDS:
        missing = stats.unlabelled[name]
        if not missing:
            continue
        singular, plural = _CONSEQUENCE.get(name, _UNKNOWN)
        consequence = singular if missing == 1 else plural
        mapping = label_map.fields.get(name)
        if mapping is None:
            message = (
                f"`{name}` is not mapped: {'the ' if total > 1 else ''}{_conversations(total)} "
                f"{consequence}; {suggestion} (map one with `{name}: KEY` in a --map file)"
            )
        else:
            names = ", ".join(f"`{key}`" for key in mapping.attributes) or "its default"
            message = (
                f"`{name}`: {missing:,} of {_conversations(total)} got no value from {names} "
                f"and {consequence}; {suggestion}"
            )
        yield Problem(message, where(name), code=UNMAPPED_LABEL)
    for (name, value), count in sorted(stats.refused_values.items()):
        allowed = ", ".join(value_text(choice) for choice in ALLOWED_VALUES.get(name, ()))
        yield Problem(
            f"`{name}`: the recorded value `{value[:60]}` is not one of {allowed} "
            f"({_conversations(count)}); translate it with `values:` in the mapping file",
            where(name),
            code=LABEL_VALUE,
        )
