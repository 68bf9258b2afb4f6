"""Hostile input to `cprlint import`: crafted exports and cassettes, through the real CLI.

Each case is something an attacker (or a broken exporter) can write: a time far past the
year 9999, a stream index that is an object, a gzip of zeros reused through a thousand
YAML aliases. Whatever it is, the import ends with a report (exit 0 or 1) that has a
finding at the file and line, never an internal error (exit 3), and stderr holds at most
one line. Records are spilled to disk after each one (a buffer of 1), so that a value
the grouping cannot write as JSON fails here, not only in an export of 20,000 records.
Tables of cases first; then a property: each format's valid export with extreme values
(huge, negative, fractional, text, objects, lists, null) where it has times, stream
indices and token counts.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.cli import run
from cprlint.importers import run as import_run
from cprlint.importers import vcr
from cprlint.importers.grouping import Grouper
from hypothesis import given
from hypothesis import strategies as st

from tests.import_helpers import LABELLED, attribute, export
from tests.test_fuzz import fuzz
from tests.test_import_shapes import chunk, frame


@contextlib.contextmanager
def spilling_every_record() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(import_run, "Grouper", lambda **_: Grouper(buffer_size=1))
        yield


def dumps(value: Any) -> str:
    """JSON text in which a Decimal is the number it holds (`1E+4300`), as no float can be."""
    numbers: list[str] = []

    def placeholder(number: Any) -> str:
        numbers.append(str(number))
        return f"@number{len(numbers) - 1}@"

    text = json.dumps(value, default=placeholder)
    for index, number in enumerate(numbers):
        text = text.replace(f'"@number{index}@"', number)
    return text


def sse(*events: tuple[str | None, Any]) -> str:
    """An event stream: `event:` lines where named, `data:` JSON (or text such as [DONE])."""
    blocks = []
    for name, data in events:
        text = data if isinstance(data, str) else dumps(data)
        blocks.append((f"event: {name}\n" if name else "") + f"data: {text}\n")
    return "\n".join(blocks) + "\n"


def lines(*values: Any) -> str:
    return "".join(dumps(value) + "\n" for value in values)


# --- valid exports with the values an attacker picks -------------------------------------


def otel_span(start: Any, **usage: Any) -> str:
    """A chat span: `usage` as raw `intValue`s (OTLP writes int64 as text)."""
    attributes = [attribute("gen_ai.operation.name", "chat"),
                  attribute("gen_ai.request.model", "gpt-4o")]  # fmt: skip
    attributes += [{"key": f"gen_ai.usage.{key}", "value": {"intValue": value}}
                   for key, value in usage.items()]  # fmt: skip
    return lines(export({"traceId": "t", "spanId": "1", "name": "chat",
                         "startTimeUnixNano": start, "attributes": attributes}))  # fmt: skip


def openinference_span(start: Any, prompt: Any = "5", total: Any = "6") -> str:
    attributes = [attribute("openinference.span.kind", "LLM"),
                  attribute("llm.model_name", "gpt-4o"),
                  {"key": "llm.token_count.prompt", "value": {"intValue": prompt}},
                  {"key": "llm.token_count.completion", "value": {"intValue": "1"}},
                  {"key": "llm.token_count.total", "value": {"intValue": total}}]  # fmt: skip
    return lines(export({"traceId": "t", "spanId": "1", "name": "llm",
                         "startTimeUnixNano": start, "attributes": attributes}))  # fmt: skip


def observation(start: Any, usage: Any = None) -> str:
    return lines({"traceId": "t", "type": "GENERATION", "model": "gpt-4o", "startTime": start,
                  "usageDetails": usage or {"input": 5, "output": 1, "total": 6}})  # fmt: skip


CHAT_RESPONSE = {"id": "chatcmpl-1", "model": "gpt-4o", "choices": [],
                 "usage": {"prompt_tokens": 5, "completion_tokens": 1}}  # fmt: skip


def openai_call(*, timestamp: Any = None, created: Any = None, response: Any = None) -> str:
    record: dict[str, Any] = {"request": {"model": "gpt-4o", "messages": []},
                              "response": response or {**CHAT_RESPONSE, "created": created}}  # fmt: skip
    if timestamp is not None:
        record["timestamp"] = timestamp
    return lines(record)


def openai_stream(index: Any, *, name: Any = "refund", call_id: Any = "call_1") -> str:
    return openai_call(response=sse(
        (None, {"id": "c", "choices": [{"delta": {"tool_calls": [
            {"index": index, "id": call_id, "function": {"name": name, "arguments": "{}"}}]}}]}),
        (None, {"id": "c", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}),
        (None, "[DONE]"),
    ))  # fmt: skip


def anthropic_stream(
    index: Any, *, block: Any = None, delta_index: Any = None, usage: Any = None
) -> str:
    """A streamed Messages response: one block started at `index`, one delta to it."""
    delta_index = index if delta_index is None else delta_index
    block = block or {"type": "text", "text": ""}
    usage = usage or {"input_tokens": 4, "output_tokens": 1}
    return lines({"request": {"model": "claude-3-5-haiku-20241022", "messages": []},
                  "response": sse(
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "model": "claude-3-5-haiku-20241022", "usage": usage}}),
        ("content_block_start", {"type": "content_block_start", "index": index,
                                 "content_block": block}),
        ("content_block_delta", {"type": "content_block_delta", "index": delta_index,
                                 "delta": {"type": "text_delta", "text": "Done."}}),
        ("message_delta", {"type": "message_delta", "usage": {"output_tokens": 7}}),
    )})  # fmt: skip


def anthropic_message(content: Any) -> str:
    return lines({"request": {"model": "claude-3-5-haiku-20241022", "messages": []},
                  "response": {"model": "claude-3-5-haiku-20241022", "content": content,
                               "usage": {"input_tokens": 4, "output_tokens": 1}}})  # fmt: skip


def cassette(*interactions: Mapping[str, Any]) -> str:
    return yaml.safe_dump({"interactions": list(interactions), "version": 1}, sort_keys=False)


def recorded(uri: str, response_body: Any, *, headers: Any = None, status: Any = 200) -> Any:
    return {"request": {"method": "POST", "uri": uri, "body": '{"model": "gpt-4o"}'},
            "response": {"status": {"code": status}, "headers": headers or {},
                         "body": response_body}}  # fmt: skip


BEDROCK = "https://bedrock-runtime.us-east-1.amazonaws.com/model"


def unknown_header_type() -> bytes:
    """An event-stream message, its checksums right, whose one header has the type 42."""
    headers = b"\x05:abcd\x2a"
    prelude = struct.pack(">II", 12 + len(headers) + 4, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    return prelude + headers + struct.pack(">I", zlib.crc32(prelude + headers))


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    format: str
    content: str
    # (rule, line, words of the message) of every finding the input gives; labels are
    # mapped, so nothing else is reported.
    expect: tuple[tuple[str, int, str], ...] = ()
    file: str = "export.jsonl"
    # What the import must still have written: (LLM calls, tool calls named so).
    calls: int = 1
    tools: tuple[str, ...] = ()


NOT_A_TIME = "is not a time between the years 1 and 9999"
WITHOUT_USAGE = ("CPR802", 1, "an LLM call without token usage")
SKIPPED_INDEX = "not a whole number from 0 to 10,000; it is skipped"

CASES = [
    # 10**30 ns is 10**21 s, 3.2 * 10**13 years after 1970: far past 9999.
    Case("otel start of 10**30 ns, a number", "otel", otel_span(10**30, input_tokens="3",
         output_tokens="1"), (("CPR801", 1, f"`startTimeUnixNano` (1{'0' * 30}) {NOT_A_TIME}"),)),
    # 10**23 ns is 10**14 s, 3.2 million years after 1970: past 9999 (it was "year 3170843
    # is out of range", exit 3, once the conversation's start was printed).
    Case("otel start of 10**23 ns, as text", "otel", otel_span(str(10**23), input_tokens="3",
         output_tokens="1"), (("CPR801", 1, NOT_A_TIME),)),
    Case("otel start that is negative", "otel", otel_span(-5, input_tokens="3",
         output_tokens="1"), (("CPR801", 1, "(-5) is not a time in nanoseconds"),)),
    Case("otel start that is an object", "otel", otel_span({"a": 1}, input_tokens="3",
         output_tokens="1"), (("CPR801", 1, '({"a":1}) is not a time in nanoseconds'),)),
    # "--5" passed `lstrip("-").isdecimal()` and then failed int(): exit 3.
    Case("otel count `--5`", "otel", otel_span("1", input_tokens="--5", output_tokens="1"),
         (("CPR801", 1, "`gen_ai.usage.input_tokens` is not a token count ('--5')"),
          WITHOUT_USAGE)),
    # 31 digits: longer than any uint64, read as past 9999 without making an int of it.
    Case("openinference start of 31 digits", "openinference", openinference_span(
         "1" + "0" * 30), (("CPR801", 1, NOT_A_TIME),)),
    # int(Decimal("1e4300")) has 4,301 digits, one more than Python prints: exit 3.
    Case("openinference total of 1e4300", "openinference", openinference_span(
         "1", total=Decimal("1e4300")), (("CPR801", 1, "`llm.token_count.total` is not"),
                                         WITHOUT_USAGE)),
    # 10**20 s since 1970 is 3.2 * 10**12 years on.
    Case("openai `created` of 10**20", "openai", openai_call(created=10**20),
         (("CPR801", 1, f"`response.created` (1{'0' * 20}) {NOT_A_TIME}"),)),
    # Epoch numbers from 10**11 up are milliseconds: 10**20 ms is 10**17 s, past 9999.
    Case("openai timestamp of 10**20 ms", "openai", openai_call(timestamp=10**20),
         (("CPR801", 1, f"`timestamp` (1{'0' * 20}) {NOT_A_TIME}"),)),
    # 1e300 s is a Decimal read from the JSON, 10**300 s past 1970.
    Case("openai timestamp of 1e300 s", "openai", openai_call(timestamp=Decimal("1e300")),
         (("CPR801", 1, f"`timestamp` (1E+300) {NOT_A_TIME}"),)),
    Case("openai timestamp in the year 99999", "openai", openai_call(
         timestamp="+99999-01-01T00:00:00Z"), (("CPR801", 1, "is not an ISO 8601 time"),)),
    # 9999-12-31T23:59:59-12:00 is 10000-01-01T11:59:59Z: "year 10000 is out of range".
    Case("openai timestamp that UTC takes past 9999", "openai", openai_call(
         timestamp="9999-12-31T23:59:59-12:00"), (("CPR801", 1, NOT_A_TIME),)),
    # 0001-01-01T00:00:00+14:00 is 0000-12-31T10:00:00Z: "year 0 is out of range".
    Case("langfuse start that UTC takes before year 1", "langfuse", observation(
         "0001-01-01T00:00:00+14:00"), (("CPR801", 1, f"`startTime` (0001-01-01T00:00:00+14:00) "
                                         f"{NOT_A_TIME}"),)),
    Case("langfuse start in the year 99999", "langfuse", observation("99999-01-01T00:00:00Z"),
         (("CPR801", 1, "`startTime` (99999-01-01T00:00:00Z) is not an ISO 8601 time"),)),
    Case("langfuse count of 1e4300", "langfuse", observation(
         "2026-11-02T10:00:00Z", {"input": Decimal("1e4300"), "output": 1}),
         (("CPR801", 1, "`usageDetails.input` is not a token count (1E+4300)"),
          WITHOUT_USAGE)),
    # An object or a list as the index was "unhashable type", exit 3; a float, a text, a
    # huge number and true are no positions either. Both events carry it: two findings.
    *(Case(f"anthropic stream index {label}", "anthropic", anthropic_stream(index),
           (("CPR801", 1, f"a `content_block_start` event has the index {shown} {SKIPPED_INDEX}"),
            ("CPR801", 1, f"a `content_block_delta` event has the index {shown} "
                          f"{SKIPPED_INDEX}")))
      for label, index, shown in [
          ("an object", {"a": 1}, '{"a":1},'), ("a list", [0], "[0],"),
          ("a text", "0", "0,"), ("a float", Decimal("1.5"), "1.5,"),
          ("a huge int", 10**30, f"1{'0' * 30},"), ("true", True, "true,"),
          ("past 10,000", 10_001, "10001,"), ("negative", -1, "-1,")]),
    # A text block whose recorded text is a number: the delta was added to it, exit 3.
    Case("anthropic block text that is a number", "anthropic", anthropic_stream(
         0, block={"type": "text", "text": 5})),
    # A tool id that is a number (a Decimal) could not be spilled to disk as JSON.
    Case("anthropic tool id 1.5", "anthropic", anthropic_message(
         [{"type": "tool_use", "id": Decimal("1.5"), "name": "refund", "input": {}}]),
         tools=("refund",)),
    Case("openai stream tool index an object", "openai", openai_stream({"a": 1}),
         (("CPR801", 1, f'a streamed tool call has the index {{"a":1}}, {SKIPPED_INDEX}'),)),
    Case("openai stream tool name and id numbers", "openai", openai_stream(
         0, name=7, call_id=Decimal("2.5")), tools=("7",)),
    Case("vcr body that is not base64", "vcr", cassette(recorded(
         "https://api.openai.com/v1/chat/completions", {"base64_string": "not base64!"})),
         (("CPR801", 2, "a `!!binary` body is not base64; the interaction is skipped"),),
         file="cassette.yaml", calls=0),
    Case("vcr anthropic stream index a list", "vcr", cassette(recorded(
         "https://api.anthropic.com/v1/messages", {"string": json.loads(
             anthropic_stream([1]))["response"]})),
         (("CPR801", 2, "`content_block_start` event has the index [1]"),
          ("CPR801", 2, "`content_block_delta` event has the index [1]")), file="cassette.yaml"),
    # AWS event streams: lengths that run past the body, a header of an unknown type, a
    # chunk that is no base64, an index that is an object; a response body parsed as a text.
    Case("vcr event stream cut short", "vcr", cassette(recorded(
         f"{BEDROCK}/m-1/converse-stream", {"string": frame("metadata", {})[:-5]})),
         (("CPR801", 2, "the message at byte 0 is cut short; the interaction is skipped"),),
         file="cassette.yaml", calls=0),
    Case("vcr event stream header of type 42", "vcr", cassette(recorded(
         f"{BEDROCK}/m-1/converse-stream", {"string": unknown_header_type()})),
         (("CPR801", 2, "has the unknown type 42"),), file="cassette.yaml", calls=0),
    Case("vcr invoke stream chunk that is not base64", "vcr", cassette(recorded(
         f"{BEDROCK}/m-1/invoke-with-response-stream", {"string": frame("chunk", {
             "bytes": "%%%"}) + chunk({"amazon-bedrock-invocationMetrics": {
                 "inputTokenCount": 3, "outputTokenCount": 1}})})),
         (("CPR801", 2, "a streamed chunk is not base64 of JSON; it is skipped"),),
         file="cassette.yaml"),
    Case("vcr converse stream index an object", "vcr", cassette(recorded(
         f"{BEDROCK}/m-1/converse-stream", {"string": frame("contentBlockDelta", {
             "contentBlockIndex": {"a": 1}, "delta": {"text": "x"}}) + frame(
             "metadata", {"usage": {"inputTokens": 3, "outputTokens": 1}})})),
         (("CPR801", 2, "a `contentBlockDelta` event has the index"),), file="cassette.yaml"),
    Case("vcr parsed body that is a number", "vcr", cassette({**recorded(
         "https://api.openai.com/v1/chat/completions", None), "response": {
             "status": {"code": 200}, "parsed_body": 7}}),
         (("CPR801", 2, "the response holds no token usage cprlint can read"),
          ("CPR802", 2, "an LLM call without token usage")), file="cassette.yaml"),
    # JS SDK times: seconds past 9999, nanoseconds past a second, a list of three.
    *(Case(f"otel JS start time {label}", "otel", lines([{"spanContext": {"traceId": "t"},
           "startTime": start, "attributes": {"gen_ai.operation.name": "chat",
           "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1,
           "gen_ai.usage.output_tokens": 1}}]), (("CPR801", 1, words),
           ("CPR807", 1, "read as a JSON array of spans")))
      for label, start, words in [
          ("of 10**30 s", [10**30, 0], NOT_A_TIME),
          ("with 10**9 ns", [1, 10**9], "is not a time in nanoseconds"),
          ("of three numbers", [1, 2, 3], "is not a time in nanoseconds")]),
    # A trace download whose observations are no list, and a trace with no id: nothing.
    Case("langfuse trace download with observations a text", "langfuse", lines(
         {"trace": {"id": "t", "timestamp": "2026-11-02T10:00:00Z"}, "observations": "x"}),
         (("CPR807", 1, "1 trace"),), calls=0),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_a_finding(case: Case, tmp_path: Path, run_cli: Any) -> None:
    source = tmp_path / case.file
    source.write_text(case.content)
    (tmp_path / "map.yaml").write_text(LABELLED)
    output = tmp_path / "out.jsonl"
    with spilling_every_record():
        result = run_cli("import", case.format, str(source), "-o", str(output),
                         "--format", "json", "--map", str(tmp_path / "map.yaml"))  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    assert result.stderr.count("\n") <= 1, result.stderr
    unmatched = [
        (finding["rule"], finding["line"], finding["message"])
        for finding in json.loads(result.stdout)["findings"]
    ]
    for rule, line, words in case.expect:
        match = next((f for f in unmatched if f[:2] == (rule, line) and words in f[2]), None)
        assert match is not None, (rule, line, words, unmatched)
        unmatched.remove(match)
    assert unmatched == []
    events = [event for line in output.read_text().splitlines()
              for event in json.loads(line)["events"]]  # fmt: skip
    assert sum(event["type"] == "llm_call" for event in events) == case.calls
    assert tuple(event["name"] for event in events if event["type"] == "tool_call") == case.tools


# A mistake in the call itself (a path, the mapping file) stops the run: exit 2, and one
# line on stderr even when a name or a value in it holds a line break (shown `\x0a`).
INVOCATIONS = [
    ("a mapping key with a line break", {"map.yaml": '"intent\\nqueue": x'},
     ["--map", "map.yaml"], "map.yaml:1:1: unknown field `intent\\x0aqueue`"),
    ("a mapping value with a line break", {"map.yaml": 'outcome: {default: "open\\nnow"}'},
     ["--map", "map.yaml"], "map.yaml:1:20: `open\\x0anow` is not a outcome value"),
    ("a source that does not exist, named with a line break", {}, ["no\nsuch.jsonl"],
     "no\\x0asuch.jsonl: no such file or directory"),
    ("a names file that is not UTF-8", {"names.txt": b"\xff\n"}, ["--names", "names.txt"],
     "names.txt:1:1: not UTF-8 text (byte 0)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "arguments", "words"),
    [case[1:] for case in INVOCATIONS],
    ids=[case[0] for case in INVOCATIONS],
)
def test_a_bad_invocation_is_one_line(
    files: dict[str, str | bytes], arguments: list[str], words: str, tmp_path: Path, run_cli: Any
) -> None:
    for name, content in files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    source = tmp_path / "observations.jsonl"
    source.write_text(observation("2026-11-02T10:00:00Z"))
    given = [str(tmp_path / argument) if "." in argument else argument for argument in arguments]
    if given[0].startswith("--"):
        given.insert(0, str(source))
    result = run_cli("import", "langfuse", *given, "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr, result.stderr


# --- compressed bodies: budgets of decompressed bytes ------------------------------------------


class CountingZlib:
    """`zlib` as the vcr reader uses it, counting the bytes it decompresses."""

    MAX_WBITS = zlib.MAX_WBITS
    error = zlib.error

    def __init__(self) -> None:
        self.decompressed = 0

    def decompressobj(self, wbits: int) -> Any:
        inflater = zlib.decompressobj(wbits)
        counter = self

        class Counting:
            def decompress(self, data: bytes, max_length: int = 0) -> bytes:
                result = inflater.decompress(data, max_length)
                counter.decompressed += len(result)
                return result

        return Counting()


def response_of(size: int) -> bytes:
    """A chat completion with usage, padded with zeros to exactly `size` bytes."""
    text = json.dumps({**CHAT_RESPONSE, "pad": ""})
    return text.replace('"pad": ""', '"pad": "' + "0" * (size - len(text)) + '"').encode()


def aliased_cassette(body: bytes, uses: int) -> str:
    """A cassette of `uses` calls: the first records `body` gzipped, once, under an anchor;
    every other one reuses it through a YAML alias (one line each, a body of no bytes).
    The requests have no body, so that only the response counts."""
    encoded = base64.b64encode(gzip.compress(body)).decode()
    request = "{method: POST, uri: 'https://api.openai.com/v1/chat/completions', body: null}"
    text = (
        f"interactions:\n- request: {request}\n  response:\n"
        "    headers: {Content-Encoding: [gzip]}\n    status: {code: 200}\n"
        f"    body: &body {{base64_string: {encoded}}}\n"
    )
    again = (
        f"- request: {request}\n"
        "  response: {headers: {Content-Encoding: [gzip]}, status: {code: 200}, body: *body}\n"
    )
    return text + again * (uses - 1)


@dataclass(frozen=True)
class BudgetCase:
    name: str
    # Cassette files, in the order read: (decompressed body size, uses of it).
    cassettes: tuple[tuple[int, int], ...]
    # Calls imported, bytes zlib gave, findings (listed; more are counted in one).
    calls: int
    decompressed: int
    findings: tuple[tuple[str, int, str], ...]
    # Budgets: one body, one cassette, one import (None: the real ones).
    budgets: tuple[int, int, int] | None = (1_000, 2_500, 3_500)


PAST_BODY = "the body inflates to more than {:,} bytes, the limit for one body"
PAST_CASSETTE = "the bodies of this cassette come to more than 2,500 bytes decompressed"
PAST_RUN = "the bodies of this import's cassettes come to more than 3,500 bytes decompressed"

BUDGET_CASES = [
    # The attack: a response padded with zeros to one byte past the real 32 MiB cap (33 KB
    # gzipped, 44 KB in base64), used by 1,000 interactions. zlib stops at 33,554,432 + 1
    # bytes, once; the 999 aliases reuse the finding: 1,000 findings, 100 listed.
    BudgetCase("a gzip bomb through 1,000 aliases", ((32 * 1024 * 1024 + 1, 1_000),),
               calls=0, decompressed=32 * 1024 * 1024 + 1, budgets=None,
               findings=(("CPR801", 2, PAST_BODY.format(32 * 1024 * 1024)),
                         ("CPR801", 7, PAST_BODY.format(32 * 1024 * 1024)))),
    # 800 bytes, decompressed once; its uses count 800, 1,600, 2,400 bytes, and the 4th
    # would make 3,200 > 2,500: 3 calls, 997 findings (the first at line 11).
    BudgetCase("a body within budgets through 1,000 aliases", ((800, 1_000),),
               calls=3, decompressed=800,
               findings=(("CPR801", 11, PAST_CASSETTE), ("CPR801", 13, PAST_CASSETTE))),
    # 1,200 bytes > 1,000: zlib stops at 1,001, and no alias decompresses it again.
    BudgetCase("a body past its own limit", ((1_200, 3),), calls=0, decompressed=1_001,
               findings=(("CPR801", 2, PAST_BODY.format(1_000)),
                         ("CPR801", 7, PAST_BODY.format(1_000)))),
    # The first two cassettes count 800 bytes twice each (decompressed, then used again):
    # 3,200 of the import's 3,500. The third may inflate 300: zlib stops at 301, and both
    # its calls are skipped.
    BudgetCase("three cassettes past the import's limit", ((800, 2),) * 3, calls=4,
               decompressed=800 + 800 + 301,
               findings=(("CPR801", 2, PAST_RUN), ("CPR801", 7, PAST_RUN))),
]  # fmt: skip


@pytest.mark.parametrize("case", BUDGET_CASES, ids=[case.name for case in BUDGET_CASES])
def test_compressed_bodies_stay_within_their_budgets(
    case: BudgetCase, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingZlib()
    monkeypatch.setattr(vcr, "zlib", counting)
    if case.budgets is not None:
        for name, budget in zip(
            ("MAX_BODY_BYTES", "MAX_CASSETTE_INFLATED_BYTES", "MAX_RUN_INFLATED_BYTES"),
            case.budgets,
            strict=True,
        ):
            monkeypatch.setattr(vcr, name, budget)
    sources = []
    for number, (size, uses) in enumerate(case.cassettes):
        body = response_of(size)
        sources.append(tmp_path / f"cassette{number}.yaml")
        sources[-1].write_text(aliased_cassette(body, uses))
    (tmp_path / "map.yaml").write_text(LABELLED)
    output = tmp_path / "out.jsonl"
    result = run_cli("import", "vcr", *map(str, sources), "-o", str(output), "--format", "json",
                     "--map", str(tmp_path / "map.yaml"))  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    assert counting.decompressed == case.decompressed
    findings = json.loads(result.stdout)["findings"]
    left_out = [f["message"] for f in findings if "more problems" in f["message"]]
    listed = [
        (f["rule"], f["line"], f["message"]) for f in findings if f["message"] not in left_out
    ]
    for (rule, line, message), (expected_rule, expected_line, words) in zip(
        listed, case.findings, strict=False
    ):
        assert (rule, line) == (expected_rule, expected_line), listed[:3]
        assert words in message, message
        assert message.endswith("; the interaction is skipped"), message
    skipped = sum(uses for _, uses in case.cassettes) - case.calls
    assert len(listed) == min(skipped, 100)
    assert left_out == ([f"{skipped - 100:,} more problems in this file are not listed"]
                        if skipped > 100 else [])  # fmt: skip
    written = [json.loads(line) for line in output.read_text().splitlines()]
    assert case.calls == sum(
        event["type"] == "llm_call" for conversation in written for event in conversation["events"]
    )


# --- extreme values anywhere a time, an index or a count is read -------------------------------

EXTREMES = st.one_of(
    st.sampled_from([10**30, 10**20, 2**64, 2**63, -1, -(10**30), 0, True, None, "", "--5",
                     "1e999", "NaN", "99999-01-01", "+99999-01-01T00:00:00Z",
                     "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", {}, [],
                     {"a": [1]}, [{}], Decimal("1e4300"), Decimal("-1e-4300"),
                     Decimal("1.5e300"), Decimal("0.5")]),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


def _vcr_sample(values: Mapping[str, Any]) -> str:
    anthropic = json.loads(
        anthropic_stream(
            values["index"],
            usage={"input_tokens": values["input"], "output_tokens": values["output"]},
        )
    )["response"]
    chat = dumps(
        {
            **CHAT_RESPONSE,
            "created": values["created"],
            "usage": {"prompt_tokens": values["input"], "completion_tokens": values["output"]},
        }
    )
    status = values["status"]
    return cassette(
        recorded("https://api.anthropic.com/v1/messages", {"string": anthropic}),
        recorded("https://api.openai.com/v1/chat/completions", gzip.compress(chat.encode()),
                 headers={"Content-Encoding": ["gzip"]},
                 status=str(status) if isinstance(status, Decimal) else status),
    )  # fmt: skip


# Format -> (file name, the export given its values, the valid values).
Sample = tuple[str, Callable[[Mapping[str, Any]], str], dict[str, Any]]
SAMPLES: dict[str, Sample] = {
    "otel": ("spans.jsonl", lambda v: otel_span(
        v["start"], input_tokens=v["input"], output_tokens=v["output"],
        **{"cache_read.input_tokens": v["cached"]}),
        {"start": "1793613600000000000", "input": "30", "output": "9", "cached": "10"}),
    "openinference": ("spans.jsonl", lambda v: openinference_span(
        v["start"], prompt=v["prompt"], total=v["total"]),
        {"start": "1793613600000000000", "prompt": "5", "total": "6"}),
    "langfuse": ("observations.jsonl", lambda v: observation(
        v["start"], {"input": v["input"], "output": v["output"], "total": v["total"]}),
        {"start": "2026-11-02T10:00:00Z", "input": 5, "output": 1, "total": 6}),
    "openai": ("calls.jsonl", lambda v: openai_call(timestamp=v["timestamp"],
        created=v["created"]) + openai_stream(v["index"]),
        {"timestamp": "2026-11-02T10:00:00Z", "created": 1793613600, "index": 0}),
    "anthropic": ("calls.jsonl", lambda v: anthropic_stream(
        v["index"], delta_index=v["delta_index"],
        usage={"input_tokens": v["input"], "cache_read_input_tokens": v["cached"],
               "output_tokens": v["output"]}),
        {"index": 0, "delta_index": 0, "input": 4, "cached": 3, "output": 1}),
    "vcr": ("cassette.yaml", _vcr_sample,
            {"index": 0, "input": 5, "output": 1, "created": 1793613600, "status": 200}),
}  # fmt: skip


def test_the_samples_are_valid(tmp_path: Path, run_cli: Any) -> None:
    for trace_format, (name, build, valid) in SAMPLES.items():
        source = tmp_path / trace_format / name
        source.parent.mkdir()
        source.write_text(build(valid))
        (tmp_path / "map.yaml").write_text(LABELLED)
        result = run_cli("import", trace_format, str(source), "-o", str(tmp_path / "out.jsonl"),
                         "--format", "json", "--map", str(tmp_path / "map.yaml"))  # fmt: skip
        assert result.exit_code == 0, (trace_format, result.stdout)


def import_one(trace_format: str, name: str, content: str) -> tuple[int, str]:
    """Import one file through the CLI entry point: (exit code, stderr)."""
    with tempfile.TemporaryDirectory(prefix="cprlint-hostile-") as directory:
        source = Path(directory) / name
        source.write_text(content, encoding="utf-8", errors="surrogatepass")
        stdout, stderr = io.StringIO(), io.StringIO()
        with (
            spilling_every_record(),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            code = run(["import", trace_format, str(source), "-o",
                        str(Path(directory) / "out.jsonl"), "--format", "json"])  # fmt: skip
        return code, stderr.getvalue()


# Each example runs the CLI once (about 10 ms): 40 a format keep this file near 5 s;
# `CPRLINT_FUZZ_SCALE=25 pytest tests/test_import_hostile.py` hunts longer (2 minutes).
@pytest.mark.parametrize("trace_format", sorted(SAMPLES))
@fuzz(40)
@given(data=st.data())
def test_extreme_values_never_crash(trace_format: str, data: st.DataObject) -> None:
    """A valid export of each format, with some of its times, indices and counts replaced
    by extreme values: a report or a clean finding, never exit 3 or a second stderr line."""
    name, build, valid = SAMPLES[trace_format]
    changed = data.draw(st.sets(st.sampled_from(sorted(valid)), min_size=1), label="changed")
    values = {
        slot: data.draw(EXTREMES, label=slot) if slot in changed else value
        for slot, value in valid.items()
    }
    code, stderr = import_one(trace_format, name, build(values))
    assert code in (0, 1), stderr
    assert stderr.count("\n") <= 1, stderr
