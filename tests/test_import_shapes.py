"""`cprlint import` on the shapes real tools write, beside each format's own: span lists,
Langfuse traces, responses alone, pydantic-ai's parsed bodies, AWS event streams; and what
every call carries: the model that served it, 1-hour cache writes, the conversation's
start, and an error rather than a silent $0.

Exports are written here by hand after each tool's own serialiser; every expected number
is worked out in the comment above it.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.import_helpers import Importer, calls, export, jsonl, make_importer, span


@pytest.fixture
def importer(tmp_path: Path, run_cli: Any) -> Importer:
    return make_importer(tmp_path, run_cli)


def rules(report: dict[str, Any]) -> list[str]:
    return sorted(finding["rule"] for finding in report["findings"])


def messages(report: dict[str, Any], rule: str) -> list[str]:
    return [finding["message"] for finding in report["findings"] if finding["rule"] == rule]


def usages(conversation: dict[str, Any]) -> list[dict[str, int] | None]:
    return [call.get("usage") for call in calls(conversation)]


# --- span lists (otel, openinference) ---------------------------------------------------------

PYTHON_SDK_SPANS = [
    # The OpenTelemetry Python SDK's `ReadableSpan.to_json()`: ids in hex with `0x`, ISO
    # times, attributes an object, status by name.
    {"name": "invoke_agent support", "context": {"trace_id": "0x5B8EFFF7", "span_id": "0x01"},
     "kind": "SpanKind.INTERNAL", "parent_id": None, "start_time": "2026-11-02T10:00:00.000000Z",
     "status": {"status_code": "UNSET"},
     "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o",
                    # An agent's usage sums its calls': not a call of its own.
                    "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 12},
     "resource": {"attributes": {"service.name": "support-bot"}, "schema_url": ""}},
    {"name": "chat gpt-4o", "context": {"trace_id": "0x5b8efff7", "span_id": "0x02"},
     "parent_id": "0x01", "start_time": "2026-11-02T10:00:01.500000Z",
     "status": {"status_code": "ERROR", "description": "rate limited"},
     "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}},
    {"name": "generate gpt-4o", "context": {"trace_id": "0x5b8efff7", "span_id": "0x03"},
     "parent_id": "0x01", "start_time": "2026-11-02T10:00:02.000000Z",
     "status": {"status_code": "OK"},
     # An operation name outside the conventions' list, with a model and usage: a call.
     "attributes": {"gen_ai.operation.name": "call_llm", "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10}},
    {"name": "GET /orders", "context": {"trace_id": "0x5b8efff7", "span_id": "0x04"},
     "start_time": "2026-11-02T10:00:03.000000Z",
     # No model: an HTTP span is no call, whatever numbers it carries.
     "attributes": {"http.method": "GET", "gen_ai.usage.input_tokens": 7}},
]  # fmt: skip


def test_python_sdk_spans(importer: Importer, tmp_path: Path) -> None:
    result, conversations, report = importer(
        "otel", {"spans.json": json.dumps(PYTHON_SDK_SPANS, indent=2)}, labelled=True
    )
    assert result.exit_code == 0, result.stdout
    (conversation,) = conversations
    # `0x5B8EFFF7` and `0x5b8efff7` are one trace, written as OTLP writes ids.
    assert conversation["id"] == "5b8efff7"
    # The agent span starts first: the ticket opened then.
    assert conversation["started_at"] == "2026-11-02T10:00:00Z"
    assert [(c["model"], c.get("requested_model"), c["status"], c.get("usage")) for c in calls(
        conversation)] == [
        ("gpt-4o", None, "error", None),
        ("gpt-4o-2024-08-06", "gpt-4o", "ok", {"input_tokens": 100, "output_tokens": 10}),
    ]  # fmt: skip
    assert calls(conversation)[0]["error"] == "rate limited"
    (shape,) = messages(report, "CPR807")
    assert shape == (
        "read as a JSON array of spans, not an OTLP/JSON export request (`resourceSpans`): "
        "4 OpenTelemetry Python SDK spans"
    )


def test_any_agent_integer_ids_and_nanoseconds(importer: Importer) -> None:
    trace = {"spans": [
        {"name": "call_llm", "context": {"trace_id": 255, "span_id": 1},
         "start_time": 1_793_613_600_000_000_000, "status": {"status_code": "ok"},
         "attributes": {"gen_ai.operation.name": "call_llm", "gen_ai.request.model": "m-1",
                        "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2}},
    ], "final_output": "done"}  # fmt: skip
    result, conversations, report = importer("otel", {"t.json": json.dumps(trace)}, labelled=True)
    assert result.exit_code == 0
    (conversation,) = conversations
    # 255 is 0xff, padded as a 64-bit id; 1,793,613,600 s after the epoch is 2026-11-02 10:00.
    assert (conversation["id"], conversation["started_at"]) == (
        "00000000000000ff",
        "2026-11-02T10:00:00Z",
    )
    assert usages(conversation) == [{"input_tokens": 5, "output_tokens": 2}]
    assert messages(report, "CPR807")[0].startswith("read as an object's `spans` list")


def test_js_sdk_spans_and_vercel_embeddings(importer: Importer) -> None:
    spans = [
        # The JS SDK's `[seconds, nanoseconds]`; the AI SDK's outer span sums its child's.
        {"name": "ai.embed", "spanContext": {"traceId": "aa", "spanId": "1"},
         "startTime": [1793613600, 0], "status": {"code": 0},
         "attributes": {"ai.operationId": "ai.embed", "ai.model.id": "text-embedding-3-small",
                        "ai.usage.tokens": 10}},
        {"name": "ai.embed.doEmbed", "spanContext": {"traceId": "aa", "spanId": "2"},
         "startTime": [1793613600, 500000000], "status": {"code": 2, "message": "boom"},
         "attributes": {"ai.operationId": "ai.embed.doEmbed",
                        "ai.model.id": "text-embedding-3-small", "ai.usage.tokens": 10}},
    ]  # fmt: skip
    result, conversations, report = importer("otel", {"s.json": json.dumps(spans)}, labelled=True)
    assert result.exit_code == 0
    (conversation,) = conversations
    assert conversation["started_at"] == "2026-11-02T10:00:00Z"
    # Only the provider call counts: 10 tokens in, none out; status code 2 is an error.
    assert [(c["model"], c["status"], c.get("usage")) for c in calls(conversation)] == [
        ("text-embedding-3-small", "error", {"input_tokens": 10, "output_tokens": 0})
    ]
    assert messages(report, "CPR807")[0].endswith(": 2 OpenTelemetry JS SDK spans")


def test_console_exporter_documents_one_after_another(importer: Importer, tmp_path: Path) -> None:
    # The Python SDK's ConsoleSpanExporter writes `span.to_json()` (indent 4) a span, one
    # document after another: neither one document nor JSON Lines.
    text = "".join(json.dumps(raw, indent=4) + "\n" for raw in PYTHON_SDK_SPANS)
    result, conversations, report = importer("otel", {"console.txt": text}, labelled=True)
    assert result.exit_code == 0
    (conversation,) = conversations
    assert [c.get("usage") for c in calls(conversation)] == [
        None,
        {"input_tokens": 100, "output_tokens": 10},
    ]
    assert messages(report, "CPR807") == [
        "read as single spans (a span a document or a line), not an OTLP/JSON export request "
        "(`resourceSpans`): 4 OpenTelemetry Python SDK spans"
    ]
    # A broken one is a syntax error where parsing stopped, in the file's lines: at the
    # second comma of the third document's `"name": ...,,`. The documents cannot be told
    # apart past it, so none is read.
    broken = text.replace('"name": "generate gpt-4o",', '"name": "generate gpt-4o",,')
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if ",," in row)
    column = broken.splitlines()[line - 1].index(",,") + 2
    result, conversations, report = importer("otel", {"console.txt": broken}, labelled=True)
    assert (result.exit_code, conversations) == (1, [])
    assert [(f["rule"], f["line"], f["column"]) for f in report["findings"]] == [
        ("CPR001", line, column)
    ]


def test_js_sdk_private_fields(importer: Importer, tmp_path: Path) -> None:
    # What JSON.stringify gives for the JS SDK 2's spans (InMemorySpanExporter): the
    # context and the resource's attributes in private fields.
    spans = [{"_spanContext": {"traceId": "ffecc4fa", "spanId": "bb80", "traceFlags": 1},
              "kind": 0, "name": "chat", "startTime": [1793613600, 75000000],
              "status": {"code": 0},
              "resource": {"_rawAttributes": [["service.name", "support-bot"]],
                           "_asyncAttributesPending": False},
              "attributes": {"gen_ai.operation.name": "chat",
                             "gen_ai.request.model": "gpt-4o-mini",
                             "gen_ai.usage.input_tokens": 14,
                             "gen_ai.usage.output_tokens": 20}}]  # fmt: skip
    result, conversations, _ = importer(
        "otel",
        {"map.yaml": "queue: service.name\n", "s.json": json.dumps(spans, indent=2)},
        "--map",
        str(tmp_path / "map.yaml"),
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert (conversation["queue"], conversation["started_at"]) == (
        "support-bot",
        "2026-11-02T10:00:00.075000Z",
    )


def test_phoenix_rest_page_with_span_kinds(importer: Importer) -> None:
    page = {"data": [
        {"context": {"trace_id": "t1", "span_id": "s1"}, "name": "agent", "span_kind": "AGENT",
         "start_time": "2026-11-02T10:00:00+00:00", "status_code": "OK",
         "attributes": {"session.id": "S-1", "llm.model_name": "m-1",
                        "llm.token_count.prompt": 40, "llm.token_count.completion": 4}},
        {"context": {"trace_id": "t1", "span_id": "s2"}, "name": "llm", "span_kind": "LLM",
         "start_time": "2026-11-02T10:00:01+00:00", "status_code": "OK",
         "attributes": {"session.id": "S-1", "llm.model_name": "m-1-0601",
                        "llm.invocation_parameters": '{"model": "m-1", "temperature": 0}',
                        "llm.token_count.prompt": 40, "llm.token_count.completion": 4}},
        {"context": {"trace_id": "t1", "span_id": "s3"}, "name": "lookup", "span_kind": "TOOL",
         "start_time": "2026-11-02T10:00:02+00:00", "status_code": "ERROR",
         "attributes": {"session.id": "S-1", "tool.name": "lookup"}},
    ], "next_cursor": None}  # fmt: skip
    result, conversations, _ = importer(
        "openinference", {"p.json": json.dumps(page)}, labelled=True
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert (conversation["id"], conversation["started_at"]) == ("S-1", "2026-11-02T10:00:00Z")
    # The AGENT span's counts are its child's, not a call; `llm.invocation_parameters`
    # says which model was asked for.
    assert [(e["type"], e.get("model"), e.get("requested_model"), e["status"])
            for e in conversation["events"]] == [
        ("llm_call", "m-1-0601", "m-1", "ok"),
        ("tool_call", None, None, "error"),
    ]  # fmt: skip


def test_otlp_requests_as_an_array_and_spans_a_line(importer: Importer) -> None:
    call = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1}  # fmt: skip
    requests = [export(span("t1", "1", 1, call)), export(span("t2", "1", 2, call))]
    lone = {"name": "chat", "context": {"trace_id": "0x07", "span_id": "0x01"},
            "start_time": "2026-11-02T10:00:00Z", "attributes": call}  # fmt: skip
    result, conversations, report = importer(
        "otel",
        {"requests.json": json.dumps(requests, indent=1), "spans.jsonl": jsonl(lone, lone)},
        labelled=True,
    )
    assert result.exit_code == 0
    assert [c["id"] for c in conversations] == ["07", "t1", "t2"]
    assert sorted(messages(report, "CPR807")) == [
        "read as a JSON array of OTLP/JSON export requests, not an OTLP/JSON export request "
        "(`resourceSpans`): 2 OTLP spans",
        "read as single spans (a span a document or a line), not an OTLP/JSON export request "
        "(`resourceSpans`): 2 OpenTelemetry Python SDK spans",
    ]


def test_a_trace_of_spans_that_are_no_calls_is_no_conversation(importer: Importer) -> None:
    http = span("t1", "1", 1, {"http.method": "GET"})
    result, conversations, report = importer("otel", {"s.jsonl": jsonl(export(http))})
    assert (result.exit_code, conversations, report["findings"]) == (0, [], [])


def test_a_span_time_that_cannot_be_read(importer: Importer) -> None:
    spans = [{"name": "chat", "context": {"trace_id": "0x07"}, "start_time": [1, 2, 3],
              "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                             "gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": 1}},
             {"name": "no ids", "attributes": {}}]  # fmt: skip
    result, conversations, report = importer("otel", {"s.json": json.dumps(spans)}, labelled=True)
    assert result.exit_code == 1
    assert "started_at" not in conversations[0]
    assert messages(report, "CPR801") == [
        "`start_time` ([1,2,3]) is not a time in nanoseconds; the span is imported without a time",
        "the span has no `traceId`",
    ]


# --- langfuse --------------------------------------------------------------------------------


def generation(**fields: Any) -> dict[str, Any]:
    return {"id": "g", "traceId": "tr-1", "type": "GENERATION", "model": "gpt-4o-mini",
            "startTime": "2026-11-02T10:00:05.000Z", "usageDetails": {"input": 10, "output": 2},
            **fields}  # fmt: skip


def test_langfuse_trace_download(importer: Importer, tmp_path: Path) -> None:
    observations = [
        generation(id="g1"),
        {"id": "s1", "traceId": "tr-1", "type": "SPAN", "startTime": "2026-11-02T10:00:01.000Z",
         "usageDetails": {}},
        # An AGENT's usage sums its calls'; a SPAN with a model and usage is a call.
        generation(id="a1", type="AGENT", usageDetails={"input": 30, "output": 6}),
        generation(id="s2", type="SPAN", startTime="2026-11-02T10:00:09.000Z",
                   usageDetails={"input": 20, "output": 4}),
    ]  # fmt: skip
    download = {
        "trace": {"id": "tr-1", "timestamp": "2026-11-02T10:00:00.000Z", "sessionId": "S-9",
                  "metadata": json.dumps({"intent": "refund"}),
                  # The same observations nested in the trace: read once.
                  "observations": observations},
        "observations": observations,
    }  # fmt: skip
    result, conversations, report = importer(
        "langfuse",
        {"map.yaml": "intent: metadata.intent\n", "trace.json": json.dumps(download, indent=2)},
        "--map",
        str(tmp_path / "map.yaml"),
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    # The trace's sessionId and metadata (JSON text) reach its observations; its
    # timestamp is the earliest time.
    assert (conversation["id"], conversation["intent"]) == ("S-9", "refund")
    assert conversation["started_at"] == "2026-11-02T10:00:00Z"
    assert usages(conversation) == [
        {"input_tokens": 10, "output_tokens": 2},
        {"input_tokens": 20, "output_tokens": 4},
    ]
    assert messages(report, "CPR807") == [
        "read as a Langfuse trace with its observations (`{trace, observations}`), not "
        "observations (JSON Lines, a JSON array or an API page): 1 trace, 4 observations"
    ]
    # The finding is at the trace, line 2 of the pretty-printed file.
    (shape,) = [f for f in report["findings"] if f["rule"] == "CPR807"]
    assert shape["line"] == 2


def test_langfuse_lists_pages_and_traces_with_nested_observations(importer: Importer) -> None:
    page = {"data": [generation(traceId="p1"), generation(traceId="p2")], "meta": {"page": 1}}
    bare = [generation(traceId="b1")]
    # A trace as the API gives it, with its observations inside.
    nested = {"id": "n1", "timestamp": "2026-11-02T09:59:00Z", "observations": [
        generation(traceId="n1")]}  # fmt: skip
    result, conversations, report = importer(
        "langfuse",
        {"page.json": json.dumps(page), "bare.json": json.dumps(bare),
         "nested.jsonl": jsonl(nested)},
        labelled=True,
    )  # fmt: skip
    assert result.exit_code == 0
    assert [(c["id"], c["started_at"]) for c in conversations] == [
        ("b1", "2026-11-02T10:00:05Z"),
        ("n1", "2026-11-02T09:59:00Z"),
        ("p1", "2026-11-02T10:00:05Z"),
        ("p2", "2026-11-02T10:00:05Z"),
    ]
    assert rules(report) == ["CPR807"]  # the nested trace only


# --- proxy logs ----------------------------------------------------------------------------------


def test_a_response_alone_and_datadog_statuses(importer: Importer) -> None:
    alone = {
        "status": 200,
        "headers": {"date": "Mon, 02 Nov 2026 10:00:00 GMT"},
        "body": json.dumps(
            {
                "id": "msg_1",
                "type": "message",
                "model": "claude-x-1",
                "content": [{"type": "text", "text": "Hi"}],
                "usage": {
                    "input_tokens": 4,
                    "output_tokens": 2,
                    "cache_creation_input_tokens": 6,
                    "cache_creation": {
                        "ephemeral_1h_input_tokens": 6,
                        "ephemeral_5m_input_tokens": 0,
                    },
                },
            }
        ),
    }
    failed = {"request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages",
                          "body": json.dumps({"model": "claude-x-1", "messages": []})},
              "response": {"status": {"code": 529, "message": "Overloaded"}, "headers": {},
                           "body": ""}}  # fmt: skip
    result, conversations, report = importer(
        "anthropic", {"calls.jsonl": jsonl(alone, failed)}, labelled=True
    )
    assert result.exit_code == 0
    first, second = conversations
    # The Date header dates the call; 4 + 6 written, all six to the 1-hour cache.
    assert first["started_at"] == "2026-11-02T10:00:00Z"
    assert usages(first) == [{"input_tokens": 10, "output_tokens": 2, "cache_write_tokens": 6,
                              "cache_write_1h_tokens": 6}]  # fmt: skip
    # Datadog's `{"code": 529}` is the status.
    assert [(c["status"], c.get("error")) for c in calls(second)] == [("error", "HTTP 529")]
    assert messages(report, "CPR807") == [
        "read as responses recorded without their requests (`{status, headers, body}`), not "
        "request/response pairs (`{request, response}`): 1 call"
    ]


def test_no_silent_zero(importer: Importer) -> None:
    asked = {"model": "gpt-4o-mini", "stream": True, "stream_options": {"include_usage": True}}
    cut_short = {
        "request": asked,
        "response": 'data: {"id": "c1", "model": "gpt-4o-mini", "choices": []}\n\n',
    }
    not_asked = {
        "request": {"model": "gpt-4o-mini", "stream": True},
        "response": 'data: {"id": "c2", "model": "gpt-4o-mini", "choices": []}\n\n',
    }
    unnamed = {
        "request": {},
        "response": {"id": "c3", "object": "chat.completion", "choices": [],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
    }  # fmt: skip
    result, conversations, report = importer(
        "openai", {"calls.jsonl": jsonl(cut_short, not_asked, unnamed)}, labelled=True
    )
    # A successful response whose usage or model cannot be read is an error; a stream
    # that was not asked for usage has none to read, which is a warning (CPR802).
    assert result.exit_code == 1
    assert len(conversations) == 3
    assert messages(report, "CPR801") == [
        "the response holds no token usage cprlint can read; the call is imported without "
        "usage, and costs nothing in `check`",
        "neither the request nor the response names a model cprlint can read; the call is "
        "imported with the model `unknown`",
    ]
    assert [f["line"] for f in report["findings"] if f["rule"] == "CPR801"] == [1, 3]


# --- vcr: parsed bodies, event streams, times --------------------------------------------------


PARSED_BODY_CASSETTE = """\
interactions:
- request:
    headers: {content-type: [application/json]}
    method: POST
    parsed_body:
      model: claude-sonnet-4-5
      messages: [{role: user, content: Hi}]
    uri: https://api.anthropic.com/v1/messages?beta=true
  response:
    headers: {content-type: [application/json]}
    parsed_body:
      id: msg_1
      model: claude-sonnet-4-5-20250929
      type: message
      content: [{type: text, text: Hello}]
      usage: {input_tokens: 3, cache_read_input_tokens: 100, output_tokens: 7}
    status: {code: 200, message: OK}
version: 1
"""


def test_vcr_parsed_bodies(importer: Importer) -> None:
    result, conversations, report = importer(
        "vcr", {"test_cache.yaml": PARSED_BODY_CASSETTE}, labelled=True
    )
    assert (result.exit_code, report["findings"]) == (0, [])
    (conversation,) = conversations
    # 3 + 100 read = 103 in; the alias asked for, the snapshot that served.
    assert calls(conversation) == [
        {"type": "llm_call", "model": "claude-sonnet-4-5-20250929",
         "requested_model": "claude-sonnet-4-5", "attempt": 1, "status": "ok",
         "usage": {"input_tokens": 103, "cached_input_tokens": 100, "output_tokens": 7}},
    ]  # fmt: skip
    assert conversation["events"][-1] == {"type": "message", "role": "assistant", "text": "Hello"}


def frame(event: str, payload: Any, *, message_type: str = "event") -> bytes:
    """One AWS event-stream message, built after the framing's specification: prelude
    (total length, headers length, CRC-32 of those 8 bytes), headers (name length, name,
    type 7 = string, value length, value), payload, CRC-32 of all before it."""
    name = ":exception-type" if message_type == "exception" else ":event-type"
    headers = b""
    for key, value in ((name, event), (":message-type", message_type)):
        headers += bytes([len(key)]) + key.encode() + b"\x07"
        headers += struct.pack(">H", len(value)) + value.encode()
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def chunk(payload: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream chunk: the model's own event, base64 in `bytes`."""
    return frame("chunk", {"bytes": base64.b64encode(json.dumps(payload).encode()).decode()})


def stream_cassette(*interactions: tuple[str, bytes]) -> str:
    """A vcrpy cassette of Bedrock streams, their bodies `!!binary` as vcrpy writes bytes."""
    bedrock = "https://bedrock-runtime.us-east-1.amazonaws.com/model"
    lines = ["interactions:"]
    request = json.dumps({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    for action, body in interactions:
        encoded = base64.encodebytes(body).decode().replace("\n", "\n        ")
        lines += [
            "- request:",
            f"    body: '{request}'",
            "    headers:",
            "      X-Amz-Date:",
            "      - !!binary |",
            f"        {base64.b64encode(b'20261102T100000Z').decode()}",
            "    method: POST",
            f"    uri: {bedrock}/{action}",
            "  response:",
            "    body:",
            "      string: !!binary |",
            f"        {encoded.rstrip()}",
            "    headers:",
            "      Content-Type: [application/vnd.amazon.eventstream]",
            "      Date: ['Mon, 02 Nov 2026 10:00:03 GMT']",
            "    status: {code: 200, message: OK}",
        ]
    return "\n".join([*lines, "version: 1", ""])


def test_bedrock_event_streams(importer: Importer) -> None:
    converse = b"".join([
        frame("messageStart", {"role": "assistant"}),
        frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me "}}),
        frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "look."}}),
        frame("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
            "toolUseId": "t1", "name": "lookup"}}}),
        frame("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {
            "input": '{"order": '}}}),
        frame("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {
            "input": "7}"}}}),
        frame("messageStop", {"stopReason": "tool_use"}),
        # 5 uncached + 40 read + 10 written = 55 in.
        frame("metadata", {"usage": {"inputTokens": 5, "cacheReadInputTokens": 40,
                                     "cacheWriteInputTokens": 10, "outputTokens": 9},
                           "metrics": {"latencyMs": 300}}),
    ])  # fmt: skip
    anthropic = b"".join([
        chunk({"type": "message_start", "message": {"model": "claude-x-1", "usage": {
            "input_tokens": 10, "cache_creation_input_tokens": 5,
            "cache_creation": {"ephemeral_1h_input_tokens": 5}, "output_tokens": 1}}}),
        chunk({"type": "content_block_start", "index": 0,
               "content_block": {"type": "text", "text": ""}}),
        chunk({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "Hello"}}),
        chunk({"type": "message_delta", "usage": {"output_tokens": 7}}),
        chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 10, "outputTokenCount": 7}}),
    ])  # fmt: skip
    llama = b"".join([
        chunk({"generation": "Hel"}),
        chunk({"generation": "lo", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 52, "outputTokenCount": 30}}),
    ])  # fmt: skip
    throttled = frame("messageStart", {"role": "assistant"}) + frame(
        "throttlingException", {"message": "Too many requests"}, message_type="exception"
    )
    cassette = stream_cassette(
        ("us.anthropic.claude-x-1-v1%3A0/converse-stream", converse),
        ("anthropic.claude-x-1-v1%3A0/invoke-with-response-stream", anthropic),
        ("meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream", llama),
        ("amazon.nova-lite-v1%3A0/converse-stream", throttled),
    )
    result, conversations, report = importer("vcr", {"streams.yaml": cassette}, labelled=True)
    assert result.exit_code == 0, report["findings"]
    (conversation,) = conversations
    # X-Amz-Date (10:00:00) is earlier than the Date header (10:00:03).
    assert conversation["started_at"] == "2026-11-02T10:00:00Z"
    assert [(c["model"], c["status"], c.get("usage")) for c in calls(conversation)] == [
        ("us.anthropic.claude-x-1-v1:0", "ok", {"input_tokens": 55, "cached_input_tokens": 40,
                                                "cache_write_tokens": 10, "output_tokens": 9}),
        # Anthropic's own events: 10 + 5 written (to the 1-hour cache) = 15 in, 7 out.
        ("anthropic.claude-x-1-v1:0", "ok", {"input_tokens": 15, "cache_write_tokens": 5,
                                             "cache_write_1h_tokens": 5, "output_tokens": 7}),
        # Llama's: Bedrock's invocation metrics, 52 in, 30 out.
        ("meta.llama3-8b-instruct-v1:0", "ok", {"input_tokens": 52, "output_tokens": 30}),
        ("amazon.nova-lite-v1:0", "error", None),
    ]  # fmt: skip
    texts = [e["text"] for e in conversation["events"] if e.get("role") == "assistant"]
    assert texts == ["Let me look.", "Hello", "Hello"]
    tools = calls(conversation, "tool_call")
    assert tools == [{"type": "tool_call", "name": "lookup", "args": {"order": 7}, "status": "ok"}]
    assert calls(conversation)[-1]["error"] == "Too many requests"


def test_a_broken_event_stream_is_a_finding(importer: Importer, tmp_path: Path) -> None:
    good = frame("metadata", {"usage": {"inputTokens": 1, "outputTokens": 1}})
    broken = good[:-1] + bytes([good[-1] ^ 1])  # the message checksum no longer holds
    cassette = stream_cassette(("m-1/converse-stream", broken))
    result, conversations, report = importer("vcr", {"broken.yaml": cassette}, labelled=True)
    assert (result.exit_code, conversations) == (1, [])
    assert messages(report, "CPR801") == [
        "the AWS event stream cannot be read: the checksum of the message at byte 0 fails; "
        "the interaction is skipped"
    ]


def test_vcr_times_keep_the_recorded_order(importer: Importer) -> None:
    def interaction(created: int, date: str, text: str) -> dict[str, Any]:
        body = {"id": f"c{created}", "object": "chat.completion", "created": created,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1}}  # fmt: skip
        return {
            "request": {"method": "POST", "uri": "https://api.openai.com/v1/chat/completions",
                        "body": json.dumps({"model": "gpt-4o-mini", "messages": []})},
            "response": {"status": {"code": 200}, "headers": {"Date": [date]},
                         "body": {"string": json.dumps(body)}},
        }  # fmt: skip

    # The second call's clock says it came first; the cassette's order stands, and the
    # conversation starts at the earliest time: created 1793613590 (2026-11-02 09:59:50).
    cassette = {"interactions": [
        interaction(1793613600, "Mon, 02 Nov 2026 10:00:01 GMT", "first"),
        interaction(1793613590, "Mon, 02 Nov 2026 10:00:02 GMT", "second"),
    ]}  # fmt: skip
    result, conversations, _ = importer("vcr", {"c.json": json.dumps(cassette)}, labelled=True)
    assert result.exit_code == 0
    (conversation,) = conversations
    assert conversation["started_at"] == "2026-11-02T09:59:50Z"
    texts = [e["text"] for e in conversation["events"] if e.get("role") == "assistant"]
    assert texts == ["first", "second"]


def test_gemini_served_model(importer: Importer) -> None:
    google = "https://generativelanguage.googleapis.com/v1beta/models/gemini-flash-latest"
    response = {"modelVersion": "gemini-2.5-flash-preview-09-2025",
                "createTime": "2026-11-02T10:00:00.250Z",
                "candidates": [{"content": {"parts": [{"text": "Hi"}]}}],
                "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1}}  # fmt: skip
    cassette = {"interactions": [{
        "request": {"method": "POST", "uri": f"{google}:generateContent", "body": "{}"},
        "response": {"status": {"code": 200}, "body": {"string": json.dumps(response)}},
    }]}  # fmt: skip
    result, conversations, _ = importer("vcr", {"g.json": json.dumps(cassette)}, labelled=True)
    assert result.exit_code == 0
    (call,) = calls(conversations[0])
    assert (call["model"], call["requested_model"]) == (
        "gemini-2.5-flash-preview-09-2025",
        "gemini-flash-latest",
    )
    assert conversations[0]["started_at"] == "2026-11-02T10:00:00.250000Z"
