"""`vcr`: HTTP recordings in the VCR cassette format (vcrpy, pytest-recording, VCR.rb).

A cassette is one conversation (one test's agent run), named after its file. Each
recorded call to a known LLM API becomes an `llm_call` with the tool calls the model
asked for; other requests (telemetry, search APIs) are skipped, and reported (CPR805)
only when their response seems to carry token usage. Known APIs, by URL: OpenAI and
Azure OpenAI (`/chat/completions`, `/responses`, `/embeddings`), Anthropic (`/v1/messages`,
and Claude on Vertex AI), AWS Bedrock (`/model/ID/converse`, `/model/ID/invoke`; the model
is the ID in the URL, an inference-profile ARN reduced to its profile ID), and Google
Gemini (`:generateContent`, `:streamGenerateContent`).

Cassettes are YAML (read with cprlint's one YAML loader, so within its 2 MiB cap) or JSON.
A body is recorded as text (`body: {string: ...}`), as base64 (vcrpy's `!!binary`, or
`base64_string`), or already parsed (`parsed_body`, as pydantic-ai's serializer writes
JSON bodies). Compressed bodies are decompressed only as far as budgets of decompressed
bytes per body, per cassette and per import allow (zlib stops there); a body is decoded
once per cassette however many YAML aliases reach it, and counts again each time one
does. A body past a budget is a finding, and its interaction is skipped. A binary body
in the AWS event-stream framing (Bedrock's streams) is decoded into its events
(cprlint.importers.eventstream).

A call is dated by the earliest time its recording gives: the response's `Date` header,
the request's `Date` or `X-Amz-Date`, the `created` or `created_at` the API put in the
body; the cassette's conversation starts at the earliest of its calls. Interactions keep
the order they were recorded in.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from cprlint.documents import (
    MAX_YAML_BYTES,
    UNSAFE,
    Document,
    load_yaml_documents,
    read_text,
)
from cprlint.findings import Location, Problem
from cprlint.importers.context import ImportContext, Locator
from cprlint.importers.eventstream import EventStreamError, events_json, looks_like_event_stream
from cprlint.importers.providers import (
    ParsedCall,
    as_stream,
    http_status,
    looks_like_usage,
    parse_anthropic,
    parse_bedrock_converse,
    parse_bedrock_invoke,
    parse_body,
    parse_gemini,
    parse_openai,
    response_time,
)
from cprlint.importers.records import (
    Record,
    as_dict,
    as_text,
    earliest,
    flatten,
    header_to_nanoseconds,
    recorded_headers,
)
from cprlint.importers.sources import iter_json_items
from cprlint.rules.imports import UNRECOGNISED_CALL

# Budgets of decompressed bytes (a body used again through a YAML alias counts again). A
# gzip of zeros inflates a thousandfold and an alias repeats a body at no cost in the
# file: an 89 KB cassette once took 35 minutes. A recorded LLM response is kilobytes, a
# large embeddings batch tens of megabytes; a suite of thousands of cassettes, a few
# hundred. Past a budget a body is a finding, not read: parsing hostile JSON runs at
# about 5 MB a second, so the import's budget keeps a crafted run under a minute.
MAX_BODY_BYTES = 32 * 1024 * 1024  # one body
MAX_CASSETTE_INFLATED_BYTES = 64 * 1024 * 1024  # all the bodies of one cassette file
MAX_RUN_INFLATED_BYTES = 256 * 1024 * 1024  # all the cassettes of one import
# The loader refuses tags beyond the YAML core schema; `!!binary` is the one vcrpy writes
# for bytes bodies, and only ever decoded here, as base64 text.
_BINARY_TAG_MESSAGE = "tag 'tag:yaml.org,2002:binary' is not allowed"
_BEDROCK_PATH = re.compile(
    r"^/model/(?P<model>.+)/(?P<action>converse|converse-stream|invoke|invoke-with-response-stream)$"
)
_GOOGLE_MODEL = re.compile(r"/models/(?P<model>[^/:]+):(?P<action>\w+)")
_OPENAI_PATHS = ("/chat/completions", "/responses", "/completions", "/embeddings")

Locate = Callable[..., Location]


class BodyError(ValueError):
    """A recorded body that cannot be read; the message says why."""


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    raw = stream.read(MAX_YAML_BYTES + 1)
    bodies = _Bodies(context)
    if path.endswith(".json"):
        for item in iter_json_items(path, io.BytesIO(raw)):
            if isinstance(item, Problem):
                context.add(item)
            else:
                yield from _cassette(path, item.data, item.locate, set(), bodies, context)
        return
    text, problems = read_text(path, raw)
    if text is None:
        for problem in problems:
            context.add(problem)
        return
    documents, problems = load_yaml_documents(path, text)
    binary: set[Location] = set()
    for problem in problems:
        if problem.code == UNSAFE and problem.message.startswith(_BINARY_TAG_MESSAGE):
            binary.add(problem.location)
        else:
            context.add(problem)
    for document in documents:
        locate = _yaml_locate(document)
        yield from _cassette(path, document.data, locate, binary, bodies, context)


def _yaml_locate(document: Document) -> Locate:
    return lambda *key_path: document.locate(*key_path)


def _cassette(
    path: str,
    data: Any,
    locate: Locate,
    binary: set[Location],
    bodies: _Bodies,
    context: ImportContext,
) -> Iterator[Record]:
    interactions = as_dict(data).get("interactions", as_dict(data).get("http_interactions"))
    if not isinstance(interactions, list):
        context.malformed("not a VCR cassette: no `interactions` list", locate())
        return
    cassette = _Cassette(
        locate=locate,
        binary=binary,
        bodies=bodies,
        unit=f"{context.file_number:08d}",
        name=context.unique_name(PurePath(path).stem),
    )
    for index, interaction in enumerate(interactions):
        key_path = (
            "interactions" if "interactions" in as_dict(data) else "http_interactions",
            index,
        )
        where = locate(*key_path)
        locator = Locator(where.path, where.line, where.column)
        if not isinstance(interaction, dict):
            context.malformed("an interaction must be a mapping", where)
            continue
        try:
            record = _interaction(cassette, interaction, key_path, context, locator)
        except BodyError as error:
            context.malformed(f"{error}; the interaction is skipped", where)
            continue
        if record is not None:
            yield record


def _recorded_body(
    body: Any, key_path: tuple[str | int, ...], cassette: _Cassette
) -> tuple[Any, bool]:
    """A body as the cassette holds it, and whether that is base64 (`base64_string`, or a
    string the loader found tagged `!!binary`)."""
    locate, binary = cassette.locate, cassette.binary
    if isinstance(body, dict):
        if "base64_string" in body:
            return body["base64_string"], True
        value = body.get("string")
        return value, isinstance(value, str) and locate(*key_path, "body", "string") in binary
    return body, isinstance(body, str) and locate(*key_path, "body") in binary


@dataclass(frozen=True)
class _Read:
    """A body read before: its text and its size in bytes once decoded; or, instead, why
    it cannot be read."""

    text: str = ""
    size: int = 0
    reason: str | None = None


class _Bodies:
    """The bodies of one cassette file, each read once, within budgets of inflated bytes.

    A YAML alias hands one body to any number of interactions at no cost in the file (the
    loader gives the same string for every alias of one anchor). The body is decoded and
    decompressed the first time; a later use is a lookup, but its size counts again,
    because every use is parsed into a call and written out: 1,000 uses of a 32 MB body
    are 32 GB of work however cheap the lookup. Decompressed bytes count as zlib gives
    them, against this cassette's budget and, through the context, the import's. Texts
    are kept, not their parsed values, which can take twenty times the memory.
    """

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self.inflated = 0  # bytes decompressed, or used again, in this cassette
        # (recorded text, is base64, content encoding) -> what reading it gave.
        self._read: dict[tuple[str, bool, str], _Read] = {}

    def parsed(self, value: Any, *, is_base64: bool, encoding: str) -> Any:
        """The body's value (parsed JSON, else its text; None for none); BodyError when it
        cannot be read, or when using it again would go past a budget."""
        if not isinstance(value, str):
            if is_base64:
                raise BodyError("a base64 body is not text")
            return None
        key = (value, is_base64, encoding)
        found = self._read.get(key)
        if found is None:
            found = self._first_read(value, is_base64=is_base64, encoding=encoding)
            self._read[key] = found
        elif found.reason is None:
            self._spend_again(found.size)
        if found.reason is not None:
            raise BodyError(found.reason)
        return parse_body(found.text)

    def _first_read(self, value: str, *, is_base64: bool, encoding: str) -> _Read:
        if not is_base64:
            # Recorded as text: already decompressed when it was recorded, and as long as
            # the file holds, so only a use again counts.
            return _Read(value, len(value.encode("utf-8", "surrogatepass")))
        try:
            data = _base64(value)
            if encoding in ("gzip", "x-gzip") or data[:2] == b"\x1f\x8b":
                data = self._inflate(data, zlib.MAX_WBITS | 16)
            elif encoding == "deflate":
                data = self._inflate(data, zlib.MAX_WBITS)
            elif encoding not in ("", "identity"):
                raise BodyError(
                    f"the body is compressed with `{encoding}`, which cprlint cannot read"
                )
            if looks_like_event_stream(data):
                try:
                    text = events_json(data)
                except EventStreamError as error:
                    raise BodyError(f"the AWS event stream cannot be read: {error}") from error
                # Its JSON can be longer than its bytes: a use again costs the longer.
                return _Read(text, max(len(data), len(text)))
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BodyError(f"the body is not UTF-8 text (byte {error.start})") from error
        except BodyError as error:
            return _Read(reason=str(error))
        return _Read(text, len(data))

    def _allowance(self) -> tuple[int, str]:
        """The bytes the next body may come to, and which limit that is, for a finding."""
        cassette_left = MAX_CASSETTE_INFLATED_BYTES - self.inflated
        run_left = MAX_RUN_INFLATED_BYTES - self.context.inflated_bytes
        return min(
            (
                MAX_BODY_BYTES,
                f"the body inflates to more than {MAX_BODY_BYTES:,} bytes, the limit for one body",
            ),
            (
                max(0, cassette_left),
                "the bodies of this cassette come to more than "
                f"{MAX_CASSETTE_INFLATED_BYTES:,} bytes decompressed (a body used again "
                "through a YAML alias counts again), the limit for one cassette",
            ),
            (
                max(0, run_left),
                "the bodies of this import's cassettes come to more than "
                f"{MAX_RUN_INFLATED_BYTES:,} bytes decompressed, the limit for one import "
                "(import fewer cassettes at a time)",
            ),
            key=lambda limit: limit[0],
        )

    def _spend(self, size: int) -> None:
        self.inflated += size
        self.context.inflated_bytes += size

    def _spend_again(self, size: int) -> None:
        allowed, past_the_limit = self._allowance()
        if size > allowed:
            raise BodyError(past_the_limit)
        self._spend(size)

    def _inflate(self, data: bytes, window: int) -> bytes:
        allowed, past_the_limit = self._allowance()
        inflater = zlib.decompressobj(window)
        try:
            # zlib stops one byte past what is allowed, which is enough to know it is too
            # much (and max_length is never 0, which would mean no limit).
            result = inflater.decompress(data, allowed + 1)
        except zlib.error as error:
            raise BodyError(f"the compressed body cannot be read: {error}") from error
        self._spend(len(result))
        if len(result) > allowed:
            raise BodyError(past_the_limit)
        return result


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BodyError("a `!!binary` body is not base64") from error


@dataclass(frozen=True)
class _Cassette:
    locate: Locate
    # Positions of the values the loader found tagged `!!binary`.
    binary: set[Location]
    bodies: _Bodies
    unit: str
    name: str

    def body(
        self, side: dict[str, Any], key_path: tuple[str | int, ...], headers: dict[str, str]
    ) -> Any:
        """The parsed body of a recorded request or response (`side`, with its `headers`)."""
        if "parsed_body" in side and "body" not in side:
            # Parsed when it was recorded: the YAML loader's bounds were its bounds.
            return side["parsed_body"]
        value, is_base64 = _recorded_body(side.get("body"), key_path, self)
        encoding = headers.get("content-encoding", "").lower()
        return self.bodies.parsed(value, is_base64=is_base64, encoding=encoding)

    def headers(self, side: dict[str, Any], key_path: tuple[str | int, ...]) -> dict[str, str]:
        """A request's or response's headers, names in lower case, each its first value;
        a value botocore recorded as bytes (`!!binary`) decoded."""
        headers: dict[str, str] = {}
        for header in recorded_headers(side.get("headers")):
            text = header.text
            if text is None:
                continue
            if self.binary:
                where = (*key_path, "headers", header.key, *((0,) if header.listed else ()))
                if self.locate(*where) in self.binary:
                    text = _binary_text(text)
            if text is not None:
                headers[header.name] = text
        return headers


def _binary_text(value: str) -> str | None:
    """A header value recorded as base64 bytes, as text; None when it is not."""
    try:
        return _base64(value).decode("utf-8")
    except (BodyError, UnicodeDecodeError):
        return None


def _interaction(
    cassette: _Cassette,
    interaction: dict[str, Any],
    key_path: tuple[str | int, ...],
    context: ImportContext,
    locator: Locator,
) -> Record | None:
    request = as_dict(interaction.get("request"))
    response = as_dict(interaction.get("response"))
    uri = as_text(request.get("uri")) or ""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    host, url_path = (parts.hostname or "").lower(), unquote(parts.path)
    request_path, response_path = (*key_path, "request"), (*key_path, "response")
    request_headers = cassette.headers(request, request_path)
    response_headers = cassette.headers(response, response_path)
    request_body = cassette.body(request, request_path, request_headers)
    # A stream's events, read once for every parser.
    response_body = as_stream(cassette.body(response, response_path, response_headers))
    status = http_status(as_dict(response.get("status")).get("code", response.get("status")))
    call = _parse(host, url_path, request_body, response_body, status, response_headers)
    if call is None:
        if looks_like_usage(response_body):
            method = as_text(request.get("method")) or "POST"
            context.problem(
                UNRECOGNISED_CALL,
                f"{method} {parts.scheme}://{host}{parts.path}: the "
                "response carries token usage, but cprlint does not read this API; the call "
                "is not imported",
                locator(),
            )
        return None
    request_dict = as_dict(request_body)
    attributes = flatten(as_dict(request_dict.get("metadata")), "metadata")
    if as_text(request_dict.get("user")):
        attributes["user"] = request_dict["user"]
    created = context.read_time(
        locator, "the call is dated without it", response_time, response_body
    )
    started = earliest(
        created,
        header_to_nanoseconds(response_headers.get("date")),
        header_to_nanoseconds(request_headers.get("date")),
        header_to_nanoseconds(request_headers.get("x-amz-date")),
    )
    return context.call_record(
        call,
        unit=cassette.unit,
        conversation=None,
        time=0,
        started=started,
        locate=locator,
        attributes=attributes,
        name=cassette.name,
    )


def _parse(
    host: str,
    path: str,
    request: Any,
    response: Any,
    status: int | None,
    headers: dict[str, str],
) -> ParsedCall | None:
    bedrock = _BEDROCK_PATH.match(path) if "bedrock-runtime" in host else None
    if bedrock is not None:
        model = bedrock.group("model")
        if model.startswith("arn:"):
            model = model.rsplit("/", 1)[-1]  # an inference profile: its id names the model
        if bedrock.group("action").startswith("converse"):
            return parse_bedrock_converse(request, response, status, model=model)
        return parse_bedrock_invoke(request, response, status, model=model, headers=headers)
    google = _GOOGLE_MODEL.search(path)
    if google is not None:
        action = google.group("action")
        if action in ("generateContent", "streamGenerateContent"):
            return parse_gemini(request, response, status, model=google.group("model"))
        if action in ("rawPredict", "streamRawPredict") and "/publishers/anthropic/" in path:
            return parse_anthropic(request, response, status, model=google.group("model"))
        return None
    if path.endswith("/v1/messages") or (path.endswith("/messages") and "anthropic" in host):
        return parse_anthropic(request, response, status)
    if path.endswith(_OPENAI_PATHS):
        return parse_openai(request, response, status)
    return None
