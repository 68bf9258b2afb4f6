"""`cprlint import` per format, on small exports written by hand after each format's docs.

Every expected token count is worked out in the comment above it from the numbers the
export reports, following the fixture convention (SPEC §2.3): input counts cached and
cache-written tokens, output counts reasoning tokens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cprlint.cli import IMPORT_FORMATS
from cprlint.importers import FORMATS

from tests.import_helpers import (
    Importer,
    calls,
    export,
    findings,
    jsonl,
    make_importer,
    span,
    sse,
    untimed,
)


@pytest.fixture
def importer(tmp_path: Path, run_cli: Any) -> Importer:
    return make_importer(tmp_path, run_cli)


def test_the_command_line_names_every_format() -> None:
    assert tuple(FORMATS) == IMPORT_FORMATS


# --- otel ------------------------------------------------------------------------------------

CHAT = {"gen_ai.operation.name": "chat"}


def test_otel_usage_conventions(importer: Importer) -> None:
    spans = [
        # Semantic conventions: input_tokens counts the 1,000 cached ones: 1,200 in.
        span("t1", "a", 1, {**CHAT, "gen_ai.request.model": "gpt-4o",
                            "gen_ai.usage.input_tokens": 1200,
                            "gen_ai.usage.cache_read.input_tokens": 1000,
                            "gen_ai.usage.output_tokens": 50}),
        # Anthropic as some instrumentations report it: 4 uncached, 1,163 read apart;
        # 4 < 1,163 shows they are apart: 4 + 1,163 = 1,167 in.
        span("t2", "b", 2, {**CHAT, "gen_ai.request.model": "claude-3-5-sonnet-20240620",
                            "gen_ai.usage.input_tokens": 4,
                            "gen_ai.usage.cache_read.input_tokens": 1163,
                            "gen_ai.usage.output_tokens": 202}),
        # A total decides: 100 + 40 written + 20 out = 160 = total, so the 40 were apart:
        # 140 in (the standard reading, 100 + 20 = 120, misses the total).
        span("t3", "c", 3, {**CHAT, "gen_ai.request.model": "claude-3-5-haiku-20241022",
                            "gen_ai.usage.input_tokens": 100,
                            "gen_ai.usage.cache_write.input_tokens": 40,
                            "gen_ai.usage.output_tokens": 20,
                            "gen_ai.usage.total_tokens": 160}),
        # Gemini thoughts apart: 8 + 433 + 1,477 = 1,918 = total, so 433 + 1,477 = 1,910 out.
        span("t4", "d", 4, {**CHAT, "gen_ai.request.model": "gemini-2.5-flash",
                            "gen_ai.usage.input_tokens": 8,
                            "gen_ai.usage.output_tokens": 433,
                            "gen_ai.usage.reasoning.output_tokens": 1477,
                            "gen_ai.usage.total_tokens": 1918}),
        # Reasoning inside the output (OpenAI): 228 out of which 192 reasoning: 228 out.
        # The older attribute names: prompt_tokens and completion_tokens.
        span("t5", "e", 5, {"gen_ai.operation.name": "text_completion",
                            "gen_ai.request.model": "gpt-5-nano",
                            "gen_ai.usage.prompt_tokens": 11,
                            "gen_ai.usage.completion_tokens": 228,
                            "gen_ai.usage.reasoning.output_tokens": 192}),
        # cache_creation.input_tokens and cache_write.input_tokens name the same tokens:
        # 1,163 written once, not twice: 4 + 1,163 = 1,167 in.
        span("t6", "f", 6, {**CHAT, "gen_ai.request.model": "claude-3-5-sonnet-20240620",
                            "gen_ai.usage.input_tokens": 4,
                            "gen_ai.usage.cache_creation.input_tokens": 1163,
                            "gen_ai.usage.cache_write.input_tokens": 1163,
                            "gen_ai.usage.output_tokens": 187}),
    ]  # fmt: skip
    result, conversations, _ = importer("otel", {"spans.jsonl": jsonl(export(*spans))})
    assert result.exit_code == 0, result.stdout
    usages = {c["id"]: calls(c)[0]["usage"] for c in conversations}
    assert usages == {
        "t1": {"input_tokens": 1200, "cached_input_tokens": 1000, "output_tokens": 50},
        "t2": {"input_tokens": 1167, "cached_input_tokens": 1163, "output_tokens": 202},
        "t3": {"input_tokens": 140, "cache_write_tokens": 40, "output_tokens": 20},
        "t4": {"input_tokens": 8, "output_tokens": 1910},
        "t5": {"input_tokens": 11, "output_tokens": 228},
        "t6": {"input_tokens": 1167, "cache_write_tokens": 1163, "output_tokens": 187},
    }


def test_otel_groups_by_conversation_id_else_by_trace(importer: Importer) -> None:
    model = {**CHAT, "gen_ai.request.model": "gpt-4o-mini",
             "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 1}  # fmt: skip
    first = export(
        # Only the agent span names the conversation; its whole trace belongs to it.
        span("trace-a", "1", 100, {"gen_ai.operation.name": "invoke_agent",
                                   "gen_ai.conversation.id": "T-1001"}),
        span("trace-a", "2", 110, model),
    )  # fmt: skip
    second = export(
        # A later trace of the same conversation, in another batch.
        span("trace-b", "3", 200, {**model, "gen_ai.conversation.id": "T-1001"}),
        # A trace that names no conversation is one.
        span("trace-c", "4", 300, model),
        span("trace-a", "5", 120, {"gen_ai.operation.name": "execute_tool",
                                   "gen_ai.tool.name": "lookup_invoice",
                                   "gen_ai.tool.call.arguments": '{"invoice": "INV-1"}'},
             error="timeout"),
    )  # fmt: skip
    result, conversations, _ = importer("otel", {"spans.jsonl": jsonl(first, second)})
    assert result.exit_code == 0
    assert [c["id"] for c in conversations] == ["T-1001", "trace-c"]
    events = untimed(conversations[0])
    # In start-time order across batches: the call at 110, the tool at 120, the call at 200.
    assert [event["type"] for event in events] == ["llm_call", "tool_call", "llm_call"]
    assert events[1] == {
        "type": "tool_call",
        "name": "lookup_invoice",
        "args": {"invoice": "INV-1"},
        "status": "error",
    }


def test_tool_arguments_that_are_not_json_are_kept_as_text(importer: Importer) -> None:
    # `NaN` is no JSON number: the arguments stay the string they were, and the fixture
    # line stays JSON that cprlint (and every other reader) accepts.
    tool = span("t", "1", 1, {"gen_ai.operation.name": "execute_tool",
                              "gen_ai.tool.name": "lookup_invoice",
                              "gen_ai.tool.call.arguments": '{"amount": NaN}'})  # fmt: skip
    result, conversations, _ = importer("otel", {"s.jsonl": jsonl(export(tool))})
    assert result.exit_code == 0
    assert conversations[0]["events"][0]["args"] == '{"amount": NaN}'


def test_tool_argument_numbers_are_written_as_recorded(importer: Importer) -> None:
    # `1.0` and `1` are two recordings (the identical-call cap tells them apart); a
    # number past a float's range stays its text rather than becoming `Infinity`.
    arguments = '{"amount": 1.0, "count": 1, "rate": 0.25, "huge": 1e400}'
    tool = span("t", "1", 1, {"gen_ai.operation.name": "execute_tool",
                              "gen_ai.tool.name": "refund",
                              "gen_ai.tool.call.arguments": arguments})  # fmt: skip
    result, conversations, _ = importer("otel", {"s.jsonl": jsonl(export(tool))})
    assert result.exit_code == 0
    recorded = conversations[0]["events"][0]["args"]
    assert recorded == {"amount": 1.0, "count": 1, "rate": 0.25, "huge": "1E+400"}
    assert [type(recorded[key]) for key in ("amount", "count")] == [float, int]


def test_otel_failed_call_and_messages(importer: Importer) -> None:
    failed = span("t", "1", 1, {**CHAT, "gen_ai.request.model": "gpt-4o",
                                "error.type": "rate_limit_exceeded",
                                "gen_ai.input.messages": json.dumps(
                                    [{"role": "user", "parts": [{"type": "text",
                                                                 "content": "Where is my card?"}]}]
                                )})  # fmt: skip
    retried = span("t", "2", 2, {**CHAT, "gen_ai.request.model": "gpt-4o",
                                 "gen_ai.usage.input_tokens": 30,
                                 "gen_ai.usage.output_tokens": 9,
                                 "gen_ai.prompt.0.role": "user",
                                 "gen_ai.prompt.0.content": "Where is my card?",
                                 "gen_ai.completion.0.content": "It was sent on Monday."})  # fmt: skip
    result, conversations, report = importer("otel", {"s.jsonl": jsonl(export(failed, retried))})
    assert result.exit_code == 0
    assert untimed(conversations[0]) == [
        {"type": "message", "role": "user", "text": "Where is my card?"},
        {"type": "llm_call", "model": "gpt-4o", "attempt": 1, "status": "error",
         "error": "rate_limit_exceeded"},
        # The same question sent again is not repeated.
        {"type": "llm_call", "model": "gpt-4o", "attempt": 1, "status": "ok",
         "usage": {"input_tokens": 30, "output_tokens": 9}},
        {"type": "message", "role": "assistant", "text": "It was sent on Monday."},
    ]  # fmt: skip
    assert "CPR802" in {finding["rule"] for finding in report["findings"]}


def test_otel_labels_from_a_mapping_file(importer: Importer, tmp_path: Path) -> None:
    mapping = """\
intent: support.intent
queue: [support.queue, service.name]
project: {default: acme}
automation: {from: support.mode, values: {bot: full, handoff: partial}}
outcome: {from: ticket.status, values: {closed: resolved, transferred: escalated}}
resolved_by: ticket.resolved_by
reopened: ticket.reopened
stage: gen_ai.agent.name
"""
    root = span("t", "1", 1, {"gen_ai.operation.name": "invoke_agent",
                              "support.intent": "card_arrival", "support.mode": "bot",
                              "ticket.status": "closed", "ticket.resolved_by": "ai",
                              "ticket.reopened": False})  # fmt: skip
    call = span("t", "2", 2, {**CHAT, "gen_ai.request.model": "gpt-4o-mini",
                              "gen_ai.agent.name": "classifier",
                              "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 1})  # fmt: skip
    result, conversations, report = importer(
        "otel",
        {"map.yaml": mapping, "s.jsonl": jsonl(export(root, call, service="cards"))},
        "--map",
        str(tmp_path / "map.yaml"),
    )
    assert result.exit_code == 0
    assert report["findings"] == []
    (conversation,) = conversations
    assert {key: conversation[key] for key in ("intent", "queue", "project", "automation")} == {
        "intent": "card_arrival",
        "queue": "cards",  # support.queue is absent: the next name in the list
        "project": "acme",
        "automation": "full",
    }
    assert conversation["outcome"] == {"status": "resolved", "resolved_by": "ai", "reopened": False}
    assert calls(conversation)[0]["stage"] == "classifier"


def test_unmapped_labels_are_one_finding_per_field(importer: Importer, tmp_path: Path) -> None:
    spans = [
        span(f"t{n}", "1", n, {**CHAT, "gen_ai.request.model": "gpt-4o-mini",
                               "support.queue": "cards", "user.tier": "gold",
                               "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 1})
        for n in range(3)
    ]  # fmt: skip
    result, conversations, report = importer("otel", {"s.jsonl": jsonl(export(*spans))})
    assert result.exit_code == 0  # warnings only
    assert {(c["intent"], c["queue"], c["project"]) for c in conversations} == {
        ("unknown", "unknown", "unknown")
    }
    assert all(c["outcome"] == {"status": "open"} and "automation" not in c for c in conversations)
    unmapped = [f for f in report["findings"] if f["rule"] == "CPR803"]
    assert sorted(f["message"].split("`")[1] for f in unmapped) == [
        "automation",
        "intent",
        "outcome",
        "project",
        "queue",
    ]
    intent = next(f for f in unmapped if f["message"].startswith("`intent`"))
    assert intent["message"] == (
        "`intent` is not mapped: the 3 conversations get `unknown`; attributes the traces "
        "carry that could give it: service.name, support.queue, user.tier (map one with "
        "`intent: KEY` in a --map file)"
    )
    assert (intent["path"], intent["line"]) == (str(tmp_path / "s.jsonl"), 1)


def test_a_value_the_field_does_not_allow(importer: Importer, tmp_path: Path) -> None:
    root = span("t", "1", 1, {"ticket.status": "closed"})
    call = span("t", "2", 2, {**CHAT, "gen_ai.request.model": "gpt-4o-mini"})
    result, conversations, report = importer(
        "otel",
        {"map.yaml": "outcome: ticket.status\n", "s.jsonl": jsonl(export(root, call))},
        "--map",
        str(tmp_path / "map.yaml"),
    )
    assert result.exit_code == 0
    assert conversations[0]["outcome"] == {"status": "open"}
    (refused,) = [f for f in report["findings"] if f["rule"] == "CPR804"]
    assert refused["message"] == (
        "`outcome`: the recorded value `closed` is not one of resolved, escalated, abandoned, "
        "open (1 conversation); translate it with `values:` in the mapping file"
    )
    assert (refused["path"], refused["line"]) == (str(tmp_path / "map.yaml"), 1)


def test_malformed_records_are_findings_and_the_import_goes_on(
    importer: Importer, tmp_path: Path
) -> None:
    good = export(span("t1", "1", 1, {**CHAT, "gen_ai.request.model": "gpt-4o",
                                      "gen_ai.usage.input_tokens": 3,
                                      "gen_ai.usage.output_tokens": 2}))  # fmt: skip
    no_trace = export(span("t2", "2", 2, CHAT))
    del no_trace["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    broken_count = export(span("t3", "3", 3, {**CHAT, "gen_ai.request.model": "gpt-4o",
                                              "gen_ai.usage.input_tokens": "many",
                                              "gen_ai.usage.output_tokens": 2}))  # fmt: skip
    broken_count["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][2]["value"] = {
        "intValue": "many"
    }
    lines = [
        json.dumps(good),
        '{"resourceSpans": [',  # line 2: not JSON
        json.dumps(no_trace),  # line 3
        json.dumps({"traces": []}),  # line 4: JSON, but no export
        json.dumps(broken_count),  # line 5
        "",
    ]
    result, conversations, report = importer("otel", {"s.jsonl": "\n".join(lines)}, labelled=True)
    assert result.exit_code == 1  # malformed records are errors
    # A span is located at the brace that opens it in its line.
    no_trace_column = lines[2].index('{"spanId"') + 1
    broken_column = lines[4].index('{"traceId": "t3"') + 1
    assert findings(report, tmp_path) == [
        "CPR001 s.jsonl:2:20",  # after the 19 characters of `{"resourceSpans": [`
        f"CPR801 s.jsonl:3:{no_trace_column}",
        "CPR801 s.jsonl:4:1",
        f"CPR801 s.jsonl:5:{broken_column}",
        f"CPR802 s.jsonl:5:{broken_column}",
    ]
    messages = {f["line"]: f["message"] for f in report["findings"] if f["rule"] == "CPR801"}
    assert messages[3] == "the span has no `traceId`"
    assert messages[4] == (
        "not a trace export: no `resourceSpans` list (OTLP/JSON), and no list of spans "
        "(a JSON array, `spans` or `data`)"
    )
    assert messages[5] == (
        "usage cannot be read: `gen_ai.usage.input_tokens` is not a token count ('many'); "
        "the call is imported without usage"
    )
    # The good span and the span with a broken count (without usage) are both imported.
    assert [c["id"] for c in conversations] == ["t1", "t3"]
    assert "usage" not in calls(conversations[1])[0]


def test_a_pretty_printed_document(importer: Importer, tmp_path: Path) -> None:
    document = export(span("t", "1", 1, {**CHAT, "gen_ai.request.model": "gpt-4o",
                                         "gen_ai.usage.input_tokens": 3,
                                         "gen_ai.usage.output_tokens": 2}))  # fmt: skip
    text = json.dumps(document, indent=2)
    result, conversations, _ = importer("otel", {"doc.json": text}, labelled=True)
    assert result.exit_code == 0
    assert calls(conversations[0])[0]["usage"] == {"input_tokens": 3, "output_tokens": 2}
    # A broken pretty-printed document is one finding where parsing stopped.
    broken = text.replace('"traceId": "t"', '"traceId": "t",,')
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if ",," in row)
    result, _, report = importer("otel", {"doc.json": broken}, labelled=True)
    assert result.exit_code == 1
    (finding,) = report["findings"]
    assert (finding["rule"], finding["line"]) == ("CPR001", line)


def test_a_document_over_the_cap_is_one_finding(importer: Importer, tmp_path: Path) -> None:
    spans = [span(f"t{n}", "1", n, {**CHAT, "gen_ai.request.model": "gpt-4o"}) for n in range(9000)]
    text = json.dumps(export(*spans), indent=2)
    assert len(text) > 4 * 1024 * 1024
    result, conversations, report = importer("otel", {"big.json": text}, labelled=True)
    assert result.exit_code == 1
    assert conversations == []
    assert findings(report, tmp_path) == ["CPR003 big.json:1:1"]
    # The same spans as JSON Lines, a request a line, are read at any size.
    lines = jsonl(*(export(*spans[n : n + 1000]) for n in range(0, 9000, 1000)))
    result, conversations, report = importer("otel", {"big.jsonl": lines}, labelled=True)
    assert len(conversations) == 9000


# --- openinference -----------------------------------------------------------------------------


def test_openinference(importer: Importer, tmp_path: Path) -> None:
    llm = span("t", "1", 1, {"openinference.span.kind": "LLM",
                             "llm.model_name": "claude-3-5-haiku-20241022",
                             "session.id": "S-7",
                             "metadata": json.dumps({"intent": "refund"}),
                             # OpenInference counts the cache details inside the prompt:
                             # 1,200 in, 1,000 of them read from the cache.
                             "llm.token_count.prompt": 1200,
                             "llm.token_count.prompt_details.cache_read": 1000,
                             "llm.token_count.completion": 80,
                             "llm.token_count.total": 1280,
                             "llm.input_messages.0.message.role": "system",
                             "llm.input_messages.0.message.content": "Be brief.",
                             "llm.input_messages.1.message.role": "user",
                             "llm.input_messages.1.message.content": "Refund order 7?",
                             "llm.output_messages.0.message.role": "assistant",
                             "llm.output_messages.0.message.content": "Done."})  # fmt: skip
    tool = span("t", "2", 2, {"openinference.span.kind": "TOOL", "tool.name": "refund",
                              "input.value": '{"order": 7}'}, error="declined")  # fmt: skip
    retriever = span("t", "3", 3, {"openinference.span.kind": "RETRIEVER",
                                   "input.value": "refund policy"})  # fmt: skip
    result, conversations, _ = importer(
        "openinference",
        {"map.yaml": "intent: metadata.intent\n", "s.jsonl": jsonl(export(llm, tool, retriever))},
        "--map",
        str(tmp_path / "map.yaml"),
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert (conversation["id"], conversation["intent"]) == ("S-7", "refund")
    assert untimed(conversation) == [
        {"type": "message", "role": "user", "text": "Refund order 7?"},
        {"type": "llm_call", "model": "claude-3-5-haiku-20241022", "attempt": 1, "status": "ok",
         "usage": {"input_tokens": 1200, "cached_input_tokens": 1000, "output_tokens": 80}},
        {"type": "message", "role": "assistant", "text": "Done."},
        {"type": "tool_call", "name": "refund", "args": {"order": 7}, "status": "error"},
        {"type": "retrieval", "query": "refund policy"},
    ]  # fmt: skip


# --- langfuse ----------------------------------------------------------------------------------


def observation(**fields: Any) -> dict[str, Any]:
    return {"id": "o", "traceId": "tr-1", "type": "GENERATION", "model": "gpt-4o-mini",
            "startTime": "2026-11-02T10:00:00.000Z", **fields}  # fmt: skip


def test_langfuse_usage_details(importer: Importer) -> None:
    observations = [
        # Langfuse SDKs report disjoint parts: 125 uncached + 1,024 cached = 1,149 in;
        # 125 + 1,024 + 353 = 1,502, the total.
        observation(traceId="a", usageDetails={"input": 125, "input_cached_tokens": 1024,
                                               "output": 353, "total": 1502}),
        # The same call with `input` already counting the cache: 1,149 + 353 = 1,502 is
        # the total without the 1,024, so they are a breakdown: 1,149 in.
        observation(traceId="b", usageDetails={"input": 1149, "input_cached_tokens": 1024,
                                               "output": 353, "total": 1502}),
        # Anthropic through Langfuse, no total: 4 + 1,163 read + 10 written = 1,177 in.
        observation(traceId="c", model="claude-3-5-sonnet-20240620",
                    usageDetails={"input": 4, "cache_read_input_tokens": 1163,
                                  "cache_creation_input_tokens": 10, "output": 202}),
        # Reasoning apart: 36 + 192 = 228 out; 11 + 36 + 192 = 239, the total.
        observation(traceId="d", model="gpt-5-nano",
                    usageDetails={"input": 11, "output": 36, "output_reasoning_tokens": 192,
                                  "total": 239}),
        # The older `usage` object.
        observation(traceId="e", usage={"input": 7, "output": 3, "total": 10, "unit": "TOKENS"}),
    ]  # fmt: skip
    result, conversations, _ = importer(
        "langfuse", {"obs.jsonl": jsonl(*observations)}, labelled=True
    )
    assert result.exit_code == 0
    assert {c["id"]: calls(c)[0]["usage"] for c in conversations} == {
        "a": {"input_tokens": 1149, "cached_input_tokens": 1024, "output_tokens": 353},
        "b": {"input_tokens": 1149, "cached_input_tokens": 1024, "output_tokens": 353},
        "c": {"input_tokens": 1177, "cached_input_tokens": 1163, "cache_write_tokens": 10,
              "output_tokens": 202},
        "d": {"input_tokens": 11, "output_tokens": 228},
        "e": {"input_tokens": 7, "output_tokens": 3},
    }  # fmt: skip


def test_langfuse_sessions_prompts_tools_and_an_api_page(importer: Importer) -> None:
    page = {
        "data": [
            observation(traceId="x", sessionId="S-1", promptName="billing_answer",
                        promptVersion=3, usageDetails={"input": 10, "output": 2},
                        input=[{"role": "user", "content": "Why two charges?"}],
                        output={"role": "assistant", "content": "One is a hold."}),
            observation(traceId="x", sessionId="S-1", type="TOOL", name="lookup_invoice",
                        startTime="2026-11-02T10:00:01Z", input={"invoice": "INV-1"}),
            observation(traceId="y", sessionId="S-1", level="ERROR", statusMessage="overloaded",
                        startTime="2026-11-02T10:05:00Z"),
        ],
        "meta": {"page": 1, "totalItems": 3},
    }  # fmt: skip
    result, conversations, _ = importer(
        "langfuse", {"page.json": json.dumps(page, indent=1)}, labelled=True
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert conversation["id"] == "S-1"
    assert conversation["started_at"] == "2026-11-02T10:00:00Z"
    assert untimed(conversation) == [
        {"type": "message", "role": "user", "text": "Why two charges?"},
        {"type": "llm_call", "model": "gpt-4o-mini", "attempt": 1, "status": "ok",
         "prompt": "billing_answer", "prompt_version": "3",
         "usage": {"input_tokens": 10, "output_tokens": 2}},
        {"type": "message", "role": "assistant", "text": "One is a hold."},
        {"type": "tool_call", "name": "lookup_invoice", "args": {"invoice": "INV-1"},
         "status": "ok"},
        {"type": "llm_call", "model": "gpt-4o-mini", "attempt": 1, "status": "error",
         "error": "overloaded"},
    ]  # fmt: skip


# --- openai and anthropic proxy logs -------------------------------------------------------------


def chat_request(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def test_openai_chat_streams_and_responses(importer: Importer, tmp_path: Path) -> None:
    plain = {"request": chat_request("Hi"),
             "response": {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
                          "choices": [{"message": {"role": "assistant", "content": "Hello"}}],
                          "usage": {"prompt_tokens": 1149, "completion_tokens": 353,
                                    "prompt_tokens_details": {"cached_tokens": 1024}}}}  # fmt: skip
    streamed = {"request": chat_request("Card?", stream=True, stream_options={"include_usage": True}),
                "response": sse(
                    (None, {"id": "chatcmpl-2", "object": "chat.completion.chunk",
                            "model": "gpt-4o-mini", "choices": [{"delta": {"content": "Sent"}}]}),
                    (None, {"id": "chatcmpl-2", "object": "chat.completion.chunk",
                            "model": "gpt-4o-mini", "choices": [{"delta": {"content": " today."}}]}),
                    (None, {"id": "chatcmpl-2", "object": "chat.completion.chunk",
                            "model": "gpt-4o-mini", "choices": [],
                            "usage": {"prompt_tokens": 12, "completion_tokens": 5}}),
                    (None, "[DONE]"))}  # fmt: skip
    no_usage = {"request": chat_request("Again?", stream=True),
                "response": sse((None, {"id": "chatcmpl-3", "object": "chat.completion.chunk",
                                        "choices": [{"delta": {"content": "Yes"}}]}),
                                (None, "[DONE]"))}  # fmt: skip
    # Responses API: input_tokens 11; output_tokens 228 include the 192 reasoning tokens.
    responses = {"request": {"model": "gpt-5-nano", "input": "Think."},
                 "response": {"id": "resp_1", "object": "response", "model": "gpt-5-nano",
                              "status": "completed",
                              "output": [{"type": "reasoning"},
                                         {"type": "message", "content": [
                                             {"type": "output_text", "text": "Thought."}]}],
                              "usage": {"input_tokens": 11, "output_tokens": 228,
                                        "input_tokens_details": {"cached_tokens": 0},
                                        "output_tokens_details": {"reasoning_tokens": 192}}}}  # fmt: skip
    result, conversations, report = importer(
        "openai", {"log.jsonl": jsonl(plain, streamed, no_usage, responses)}, labelled=True
    )
    assert result.exit_code == 0
    # No conversation id in the log: each call is its own conversation, named by the
    # response's id (a stream's from its chunks), in the order of the log.
    assert [c["id"] for c in conversations] == ["chatcmpl-1", "chatcmpl-2", "chatcmpl-3", "resp_1"]
    by_id = {c["id"]: c for c in conversations}
    assert calls(by_id["chatcmpl-1"])[0]["usage"] == {
        "input_tokens": 1149, "cached_input_tokens": 1024, "output_tokens": 353
    }  # fmt: skip
    streamed_conversation = by_id["chatcmpl-2"]
    assert calls(streamed_conversation)[0]["usage"] == {"input_tokens": 12, "output_tokens": 5}
    assert streamed_conversation["events"][-1] == {
        "type": "message", "role": "assistant", "text": "Sent today."
    }  # fmt: skip
    assert calls(by_id["resp_1"])[0]["usage"] == {"input_tokens": 11, "output_tokens": 228}
    assert findings(report, tmp_path) == ["CPR802 log.jsonl:3:1"]


def test_openai_sessions_tools_and_retries(importer: Importer) -> None:
    metadata = {"session_id": "T-9"}
    ask = chat_request("Where is INV-1?", tools=[{"type": "function"}])
    tool_call = {"id": "call_1", "type": "function",
                 "function": {"name": "lookup_invoice", "arguments": '{"invoice": "INV-1"}'}}  # fmt: skip
    log = [
        # A server error, then the same request again: its retry (attempt 2).
        {"metadata": metadata, "timestamp": "2026-11-02T10:00:00Z", "status": 500,
         "request": ask, "response": {"error": {"type": "server_error"}}},
        {"metadata": metadata, "timestamp": "2026-11-02T10:00:02Z",
         "request": {"url": "https://api.openai.com/v1/chat/completions",
                     "body": json.dumps(ask)},
         "response": {"status": 200, "body": {
             "id": "chatcmpl-9", "object": "chat.completion", "model": "gpt-4o-mini",
             "choices": [{"message": {"role": "assistant", "tool_calls": [tool_call]}}],
             "usage": {"prompt_tokens": 40, "completion_tokens": 12}}}},
    ]  # fmt: skip
    result, conversations, _ = importer("openai", {"log.jsonl": jsonl(*log)}, labelled=True)
    assert result.exit_code == 0
    (conversation,) = conversations
    assert conversation["id"] == "T-9"
    assert [(e["type"], e.get("attempt"), e.get("status")) for e in conversation["events"]] == [
        ("message", None, None),
        ("llm_call", 1, "error"),
        ("llm_call", 2, "ok"),
        ("tool_call", None, "ok"),
    ]
    assert calls(conversation)[0]["error"] == "server_error"
    assert calls(conversation, "tool_call")[0]["args"] == {"invoice": "INV-1"}


def test_anthropic_caching_streams_and_failed_tools(importer: Importer) -> None:
    metadata = {"conversation_id": "C-1"}
    first = {"metadata": metadata, "timestamp": "2026-11-02T10:00:00Z",
             "request": {"model": "claude-3-5-sonnet-20240620",
                         "messages": [{"role": "user", "content": "Refund order 7"}]},
             "response": {"id": "msg_1", "type": "message", "model": "claude-3-5-sonnet-20240620",
                          "content": [{"type": "tool_use", "id": "toolu_1", "name": "refund",
                                       "input": {"order": 7}}],
                          # 4 + 1,163 written = 1,167 in.
                          "usage": {"input_tokens": 4, "cache_creation_input_tokens": 1163,
                                    "cache_read_input_tokens": 0, "output_tokens": 187}}}  # fmt: skip
    # The next request reports the tool failed; its answer streams. message_start has
    # input 4 and 1,163 read; message_delta's cumulative output is 201: 1,167 in, 201 out.
    second = {"metadata": metadata, "timestamp": "2026-11-02T10:00:05Z",
              "request": {"model": "claude-3-5-sonnet-20240620", "stream": True,
                          "messages": [{"role": "user", "content": "Refund order 7"},
                                       {"role": "assistant", "content": [{"type": "tool_use",
                                        "id": "toolu_1", "name": "refund", "input": {"order": 7}}]},
                                       {"role": "user", "content": [{"type": "tool_result",
                                        "tool_use_id": "toolu_1", "is_error": True,
                                        "content": "declined"}]}]},
              "response": sse(
                  ("message_start", {"type": "message_start", "message": {
                      "id": "msg_2", "model": "claude-3-5-sonnet-20240620",
                      "usage": {"input_tokens": 4, "cache_read_input_tokens": 1163,
                                "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
                  ("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}}),
                  ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": "Sorry."}}),
                  ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                     "usage": {"output_tokens": 201}}),
                  ("message_stop", {"type": "message_stop"}))}  # fmt: skip
    result, conversations, _ = importer(
        "anthropic", {"log.jsonl": jsonl(first, second)}, labelled=True
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert [call["usage"] for call in calls(conversation)] == [
        {"input_tokens": 1167, "cache_write_tokens": 1163, "output_tokens": 187},
        {"input_tokens": 1167, "cached_input_tokens": 1163, "output_tokens": 201},
    ]
    assert calls(conversation, "tool_call") == [
        {"type": "tool_call", "name": "refund", "args": {"order": 7}, "status": "error"}
    ]
    assert untimed(conversation)[-1] == {"type": "message", "role": "assistant", "text": "Sorry."}


# --- vcr -----------------------------------------------------------------------------------------

CASSETTE = """\
interactions:
- request:
    body: '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}'
    headers: {content-type: [application/json]}
    method: POST
    uri: https://api.openai.com/v1/chat/completions
  response:
    body:
      string: '{"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"message": {"role": "assistant", "content": "Hello"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2}}'
    headers: {content-type: [application/json]}
    status: {code: 200, message: OK}
- request:
    body: '{"query": "refunds"}'
    method: POST
    uri: https://api.example-search.com/v1/search
  response:
    body: {string: '{"results": [], "usage": {"input_tokens": 3}}'}
    headers: {}
    status: {code: 200, message: OK}
- request:
    body: null
    method: POST
    uri: https://telemetry.example.com/v1/traces
  response:
    body: {string: ''}
    headers: {}
    status: {code: 204, message: No Content}
version: 1
"""


def test_vcr_cassettes(importer: Importer, tmp_path: Path) -> None:
    result, conversations, report = importer(
        "vcr",
        {"cassettes/test_hello.yaml": CASSETTE, "other/test_hello.yaml": CASSETTE},
        labelled=True,
    )
    assert result.exit_code == 0
    # One conversation per cassette, named after it; the same name twice gets a suffix.
    assert [c["id"] for c in conversations] == ["test_hello", "test_hello~2"]
    assert conversations[0]["events"] == [
        {"type": "message", "role": "user", "text": "Hi"},
        # The model that served the call, and the one asked for.
        {"type": "llm_call", "model": "gpt-4o-mini-2024-07-18", "requested_model": "gpt-4o-mini",
         "attempt": 1, "status": "ok", "usage": {"input_tokens": 9, "output_tokens": 2}},
        {"type": "message", "role": "assistant", "text": "Hello"},
    ]  # fmt: skip
    # The search API's response carries usage cprlint cannot read; the telemetry call
    # carries none and is skipped without a word.
    assert findings(report, tmp_path) == [
        "CPR805 cassettes/test_hello.yaml:14:3",
        "CPR805 other/test_hello.yaml:14:3",
    ]


def _interaction(uri: str, request: dict[str, Any], response: str | dict[str, Any],
                 headers: dict[str, list[str]] | None = None) -> dict[str, Any]:  # fmt: skip
    body = response if isinstance(response, str) else json.dumps(response)
    return {
        "request": {"method": "POST", "uri": uri, "body": json.dumps(request), "headers": {}},
        "response": {"status": {"code": 200}, "headers": headers or {}, "body": {"string": body}},
    }


def test_vcr_json_cassettes_gemini_streams_and_bedrock_invoke(importer: Importer) -> None:
    google = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
    bedrock = "https://bedrock-runtime.us-east-1.amazonaws.com/model"
    chunk = {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}],
             "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2}}  # fmt: skip
    last = {"candidates": [{"content": {"parts": [{"text": "lo"}]}}],
            "usageMetadata": {"promptTokenCount": 10, "cachedContentTokenCount": 4,
                              "candidatesTokenCount": 5, "thoughtsTokenCount": 20}}  # fmt: skip
    cassette = {"interactions": [
        _interaction(f"{google}:streamGenerateContent?alt=sse",
                     {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
                     sse((None, chunk), (None, last))),
        # Meta Llama through InvokeModel: its own body's counts.
        _interaction(f"{bedrock}/meta.llama3-2-1b-instruct-v1%3A0/invoke", {"prompt": "Hi"},
                     {"generation": "Hello", "prompt_token_count": 52,
                      "generation_token_count": 30}),
        # A body without counts: Bedrock's token-count headers.
        _interaction(f"{bedrock}/amazon.titan-text-express-v1/invoke", {"inputText": "Hi"},
                     {"results": [{"outputText": "Hello"}]},
                     {"X-Amzn-Bedrock-Input-Token-Count": ["28"],
                      "X-Amzn-Bedrock-Output-Token-Count": ["26"]}),
    ], "version": 1}  # fmt: skip
    result, conversations, _ = importer(
        "vcr", {"run.json": json.dumps(cassette, indent=2)}, labelled=True
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    assert [(c["model"], c["usage"]) for c in calls(conversation)] == [
        # The last chunk's cumulative counts: 10 in (4 cached); 5 + 20 thoughts = 25 out.
        ("gemini-2.5-flash", {"input_tokens": 10, "cached_input_tokens": 4, "output_tokens": 25}),
        ("meta.llama3-2-1b-instruct-v1:0", {"input_tokens": 52, "output_tokens": 30}),
        ("amazon.titan-text-express-v1", {"input_tokens": 28, "output_tokens": 26}),
    ]
    assert conversation["events"][2] == {"type": "message", "role": "assistant", "text": "Hello"}


def test_vcr_not_a_cassette(importer: Importer, tmp_path: Path) -> None:
    result, conversations, report = importer(
        "vcr", {"a.yaml": "just: text\n", "b.yaml": "interactions: [\n"}, labelled=True
    )
    assert result.exit_code == 1
    assert conversations == []
    assert findings(report, tmp_path) == ["CPR001 b.yaml:2:1", "CPR801 a.yaml:1:1"]


# --- redaction -------------------------------------------------------------------------------------


def test_personal_data_is_redacted_with_stable_placeholders(
    importer: Importer, tmp_path: Path
) -> None:
    first = ("I'm Dana Whitfield, dana@example.com, call +44 20 7946 0958. "
             "Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32.")  # fmt: skip
    second = "Dana again: DANA@example.com. Not a card: 4111 1111 1111 1112."
    log = [
        {"metadata": {"session_id": "dana@example.com"}, "timestamp": f"2026-11-02T10:0{n}:00Z",
         "request": chat_request(text),
         "response": {"id": f"c{n}", "object": "chat.completion", "model": "gpt-4o-mini",
                      "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}}
        for n, text in enumerate((first, second))
    ]  # fmt: skip
    names = "# customers\nDana Whitfield\nDana\n"
    result, conversations, report = importer(
        "openai",
        {"names.txt": names, "log.jsonl": jsonl(*log)},
        "--names",
        str(tmp_path / "names.txt"),
        labelled=True,
    )
    assert result.exit_code == 0
    (conversation,) = conversations
    texts = [e["text"] for e in conversation["events"] if e["type"] == "message"]
    assert texts == [
        "I'm <NAME_1>, <EMAIL_1>, call <PHONE_1>. Card <CARD_1>, IBAN <IBAN_1>.",
        # The same address in other case is the same placeholder; a number failing Luhn
        # is no card.
        "<NAME_2> again: <EMAIL_1>. Not a card: 4111 1111 1111 1112.",
    ]
    assert conversation["id"] == "<EMAIL_1>"
    # Replaced: the address three times (twice in text, once as the id), one of the others.
    assert report["import"]["redaction"] == {
        "email": {"replaced": 3, "distinct": 1},
        "phone": {"replaced": 1, "distinct": 1},
        "card": {"replaced": 1, "distinct": 1},
        "iban": {"replaced": 1, "distinct": 1},
        "name": {"replaced": 2, "distinct": 2},
    }
    assert report["verdict"].endswith(
        "redacted 3 e-mail addresses, 1 phone number, 1 payment card number, 1 IBAN, 2 names"
    )
    # Asked for, personal data stays, and the summary says so.
    result, conversations, report = importer(
        "openai", {"log.jsonl": jsonl(*log)}, "--no-redact", labelled=True
    )
    assert conversations[0]["id"] == "dana@example.com"
    assert report["verdict"].endswith("personal data NOT redacted (--no-redact)")
    assert report["import"]["redaction"] is None


# --- the command line ---------------------------------------------------------------------------------


def test_bad_invocations_are_one_line_and_exit_2(run_cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "s.jsonl"
    source.write_text(jsonl(export()))
    (tmp_path / "bad_field.yaml").write_text("intnet: support.intent\n")
    (tmp_path / "bad_yaml.yaml").write_text("intent: [a\n")
    (tmp_path / "bad_value.yaml").write_text("outcome: {from: s, values: {closed: done}}\n")
    out = str(tmp_path / "out.jsonl")
    cases = {
        ("import", "otel", str(tmp_path / "missing.jsonl"), "-o", out): "missing.jsonl: no such",
        ("import", "zipkin", str(source), "-o", out): "'zipkin' is not one of",
        ("import", "otel", str(source)): "Missing option '--output'",
        ("import", "otel", "-o", out): "Missing argument 'SRC...'",
        ("import", "otel", str(source), "-o", str(source)): "would overwrite an input",
        ("import", "otel", str(source), "-o", out, "--map", str(tmp_path / "bad_field.yaml")):
            "bad_field.yaml:1:1: unknown field `intnet`",
        ("import", "otel", str(source), "-o", out, "--map", str(tmp_path / "bad_yaml.yaml")):
            "bad_yaml.yaml:2:1: YAML syntax error",
        ("import", "otel", str(source), "-o", out, "--map", str(tmp_path / "bad_value.yaml")):
            "bad_value.yaml:1:37: `done` is not a outcome value",
        ("import", "otel", str(source), "-o", out, "--no-redact", "--names", str(source)):
            "--names lists names to redact",
        ("import", "otel", str(source), "-o", out, "--format", "xml"): "unknown format `xml`",
    }  # fmt: skip
    for args, expected in cases.items():
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.startswith("cprlint: error: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert expected in result.stderr, (expected, result.stderr)
    assert not (tmp_path / "out.jsonl").exists()


def test_text_report_and_directories(run_cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    call = {**CHAT, "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2}  # fmt: skip
    (folder / "b.jsonl").write_text(jsonl(export(span("t2", "1", 2, call))))
    (folder / "a.jsonl").write_text(jsonl(export(span("t1", "1", 1, call))))
    (folder / "notes.txt").write_text("not read")
    result = run_cli("import", "otel", str(folder), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"imported 2 conversations (2 LLM calls, 0 tool calls) from 2 files into "
        f"{tmp_path / 'out.jsonl'}; redacted 0 e-mail addresses, 0 phone numbers, "
        "0 payment card numbers, 0 IBANs, 0 names"
    )
    assert lines[-1] == lines[0]
    assert "✗ 0 errors, 5 warnings (2 files, 2 conversations checked)" in lines
    # Written beside the output first, then moved in place, with the usual permissions.
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o666 & ~umask


def test_imported_fixtures_pass_lint(run_cli: Any, tmp_path: Path) -> None:
    """What import writes is a valid fixture file: `lint` finds nothing in it."""
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    (project / "policies" / "p.yaml").write_text(
        "apiVersion: cprlint/v1\nkind: Policy\nmetadata: {name: t, version: 1}\n"
        "tiers: {economy: [gpt-4o-mini]}\nrisk: {low: [economy]}\n"
        "intents: {default: {risk: low, tier: economy}}\n"
    )
    call = {**CHAT, "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "mail me: a@b.co"}]}])}  # fmt: skip
    source = tmp_path / "s.jsonl"
    source.write_text(jsonl(export(span("t", "1", 1, call))))
    output = project / "fixtures" / "imported.jsonl"
    assert run_cli("import", "otel", str(source), "-o", str(output)).exit_code == 0
    result = run_cli("lint", str(project), "--format", "json")
    assert json.loads(result.stdout)["findings"] == [], result.stdout


def test_event_times(importer: Importer) -> None:
    # Two calls of one conversation, a day apart: 2026-11-02 09:00:00 UTC is
    # 1,793,610,000 s after the epoch; the second call 26 hours later. Each event is placed
    # at its span's start; the question the second request sends again keeps its first
    # time; the answer of each call has its call's time.
    nine = 1_793_610_000 * 10**9
    ask = {**CHAT, "gen_ai.request.model": "gpt-4o-mini",
           "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 5,
           "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Where is my card?",
           "gen_ai.completion.0.content": "It was sent on Monday."}  # fmt: skip
    again = {**ask, "gen_ai.prompt.1.role": "assistant",
             "gen_ai.prompt.1.content": "It was sent on Monday.",
             "gen_ai.prompt.2.role": "user", "gen_ai.prompt.2.content": "Still not here.",
             "gen_ai.completion.0.content": "I have ordered a new one."}  # fmt: skip
    first = span("t", "1", nine, ask)
    second = span("t", "2", nine + 26 * 3600 * 10**9, again)
    result, conversations, _ = importer("otel", {"s.jsonl": jsonl(export(first, second))})
    assert result.exit_code == 0
    (conversation,) = conversations
    assert conversation["started_at"] == "2026-11-02T09:00:00Z"
    timed = [(e["type"], e.get("role"), e["at"]) for e in conversation["events"]]
    assert timed == [
        ("message", "user", "2026-11-02T09:00:00Z"),
        ("llm_call", None, "2026-11-02T09:00:00Z"),
        ("message", "assistant", "2026-11-02T09:00:00Z"),
        ("message", "user", "2026-11-03T11:00:00Z"),
        ("llm_call", None, "2026-11-03T11:00:00Z"),
        ("message", "assistant", "2026-11-03T11:00:00Z"),
    ]
