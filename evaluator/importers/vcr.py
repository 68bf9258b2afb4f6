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
Compressed bodies (vcrpy stores them as `!!binary`, base64) are decompressed, within
`MAX_BODY_BYTES`.
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
from cprlint.importers.providers import (
    ParsedCall,
    http_status,
    looks_like_usage,
    parse_anthropic,
    parse_bedrock_converse,
    parse_bedrock_invoke,
    parse_body,
    parse_gemini,
    parse_openai,
)
from cprlint.importers.records import Record, as_dict, as_list, as_text, flatten
from cprlint.importers.sources import iter_json_items
from cprlint.rules.imports import UNRECOGNISED_CALL

# A decompressed body larger than this is refused (a zip bomb in a cassette).
MAX_BODY_BYTES = 32 * 1024 * 1024
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
    if path.endswith(".json"):
        for item in iter_json_items(path, io.BytesIO(raw)):
            if isinstance(item, Problem):
                context.add(item)
            else:
                yield from _cassette(path, item.data, item.locate, set(), context)
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
        yield from _cassette(path, document.data, _yaml_locate(document), binary, context)


def _yaml_locate(document: Document) -> Locate:
    return lambda *key_path: document.locate(*key_path)


def _cassette(
    path: str, data: Any, locate: Locate, binary: set[Location], context: ImportContext
) -> Iterator[Record]:
    interactions = as_dict(data).get("interactions", as_dict(data).get("http_interactions"))
    if not isinstance(interactions, list):
        context.malformed("not a VCR cassette: no `interactions` list", locate())
        return
    cassette = _Cassette(
        locate=locate,
        binary=binary,
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
            context.malformed(str(error), where)
            continue
        if record is not None:
            yield record


def _headers(value: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, item in as_dict(value).items():
        first = as_list(item)[0] if isinstance(item, list) and item else item
        text = as_text(first)
        if text is not None:
            headers[str(key).lower()] = text
    return headers


def _body_text(
    body: Any, headers: dict[str, str], key_path: tuple[str | int, ...], cassette: _Cassette
) -> str | None:
    locate, binary = cassette.locate, cassette.binary
    if isinstance(body, dict):
        if "base64_string" in body:
            value: Any = _base64(body["base64_string"])
        else:
            value = body.get("string")
            if isinstance(value, str) and locate(*key_path, "body", "string") in binary:
                value = _base64(value)
    else:
        value = body
        if isinstance(value, str) and locate(*key_path, "body") in binary:
            value = _base64(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    data: bytes = value
    encoding = headers.get("content-encoding", "").lower()
    if encoding in ("gzip", "x-gzip") or data[:2] == b"\x1f\x8b":
        data = _inflate(data, zlib.MAX_WBITS | 16)
    elif encoding == "deflate":
        data = _inflate(data, zlib.MAX_WBITS)
    elif encoding not in ("", "identity"):
        raise BodyError(f"the body is compressed with `{encoding}`, which cprlint cannot read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyError(f"the body is not UTF-8 text (byte {error.start})") from error


def _base64(text: Any) -> bytes:
    try:
        return base64.b64decode("".join(str(text).split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BodyError("a `!!binary` body is not base64") from error


def _inflate(data: bytes, window: int) -> bytes:
    inflater = zlib.decompressobj(window)
    try:
        result = inflater.decompress(data, MAX_BODY_BYTES)
    except zlib.error as error:
        raise BodyError(f"the compressed body cannot be read: {error}") from error
    if inflater.unconsumed_tail:
        raise BodyError(f"the body inflates to more than {MAX_BODY_BYTES:,} bytes")
    return result


@dataclass(frozen=True)
class _Cassette:
    locate: Locate
    # Positions of the values the loader found tagged `!!binary`.
    binary: set[Location]
    unit: str
    name: str


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
    request_headers = _headers(request.get("headers"))
    response_headers = _headers(response.get("headers"))
    request_body = parse_body(
        _body_text(request.get("body"), request_headers, (*key_path, "request"), cassette)
    )
    response_text = _body_text(
        response.get("body"), response_headers, (*key_path, "response"), cassette
    )
    response_body = parse_body(response_text)
    status = http_status(as_dict(response.get("status")).get("code", response.get("status")))
    call = _parse(host, url_path, request_body, response_body, status, response_headers)
    if call is None:
        if looks_like_usage(response_body):
            context.problem(
                UNRECOGNISED_CALL,
                f"{request.get('method', 'POST')} {parts.scheme}://{host}{parts.path}: the "
                "response carries token usage, but cprlint does not read this API; the call "
                "is not imported",
                locator(),
            )
        return None
    request_dict = as_dict(request_body)
    attributes = flatten(as_dict(request_dict.get("metadata")), "metadata")
    if as_text(request_dict.get("user")):
        attributes["user"] = request_dict["user"]
    return context.call_record(
        call,
        unit=cassette.unit,
        conversation=None,
        time=0,
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
        azure = host.endswith(".openai.azure.com")
        return parse_openai(request, response, status, served_model=azure)
    return None
