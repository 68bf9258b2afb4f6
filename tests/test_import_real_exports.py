"""`cprlint import` on what real tools export: every file of tests/real_exports, call by call.

The files are byte copies of exports written by real tools (tests/real_exports/SOURCES.md
says where each comes from, its shape and its licence). Every expected number below was
read off the file by hand, and the comment beside it says where it comes from, in the
fixture convention: input tokens include cached and cache-written ones (Anthropic and
Bedrock report those apart, and they are added), output tokens include reasoning ones.
`model` is the model that served the call (the response's), `requested_model` the one
the request asked for when it differs. `started_at` is the earliest time the file gives
for the conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.import_helpers import calls

EXPORTS = Path(__file__).parent / "real_exports"


@dataclass(frozen=True)
class Call:
    model: str
    input: int | None  # None: the call has no usage
    output: int = 0
    cached: int = 0
    written: int = 0
    written_1h: int = 0
    requested: str | None = None
    status: str = "ok"


@dataclass(frozen=True)
class Conversation:
    id: str
    started_at: str | None
    calls: tuple[Call, ...]


@dataclass(frozen=True)
class Export:
    format: str
    path: str
    conversations: tuple[Conversation, ...]
    # The rules of its findings: CPR803 (labels unmapped) always, as nothing is mapped.
    rules: frozenset[str] = frozenset({"CPR803"})


SPANS = frozenset({"CPR803", "CPR807"})  # read from a list of spans, not OTLP, says CPR807
MINI = "gpt-4o-mini-2024-07-18"
MISTRAL = "mistral/mistral-small-latest"
FABLE = "claude-fable-5"

EXPORTS_TABLE = [
    # --- otel ------------------------------------------------------------------------------
    Export("otel", "otel/genai-interlingua__openllmetry__in.json", (
        # One OTLP request: an `openai.chat` span, and its workflow span, which starts first,
        # at startTimeUnixNano 1788789263812452000. input_tokens 412 + output_tokens 27 =
        # 439 = total_tokens: the 256 read from the cache are inside the 412, the 8
        # reasoning tokens inside the 27. The request asked for gpt-4o-mini.
        Conversation("77d66be22a4ffc8149309684b3a319f7", "2026-09-07T13:54:23.812452Z", (
            Call(MINI, 412, 27, cached=256, requested="gpt-4o-mini"),
        )),
    )),
    Export("otel", "otel/any-agent__OPENAI_trace.json", (
        # any-agent's `{"spans": [...]}`: trace_id 100927429609276267646756448943279827607
        # is 0x4bedea77...; the invoke_agent span starts first (1758026593209236000 ns).
        # Three `call_llm` spans, 269/16, 359/14, 392/46; no response model is recorded.
        Conversation("4bedea77bb33b9c5f280371eae21ea97", "2025-09-16T12:43:13.209236Z", (
            Call(MISTRAL, 269, 16),
            Call(MISTRAL, 359, 14),
            Call(MISTRAL, 392, 46),
        )),
    ), SPANS),
    Export("otel", "otel/openinference-vercel__v6-all-spans.json", (
        # The JS SDK's spans, each of its own trace; the doGenerate/doStream/doEmbed spans
        # are the calls, started at [seconds, nanoseconds]; their parents (ai.generateText
        # ...) only sum them. gen_ai.request.model gpt-4o-mini, response model the snapshot.
        Conversation("045d21a7f69972edf509fe0ff911f3f5", "2026-02-03T15:20:06.016000Z", (
            # ai.embed.doEmbed: ai.model.id text-embedding-3-small, ai.usage.tokens 10.
            Call("text-embedding-3-small", 10, 0),
        )),
        # [1770132000, 598000000]: ai.streamText.doStream, 15 in, 112 out.
        Conversation("478d4dcc697ecfabc5e7a3d6e4216291", "2026-02-03T15:20:00.598000Z", (
            Call(MINI, 15, 112, requested="gpt-4o-mini"),
        )),
        # [1770131997, 66000000]: ai.generateObject.doGenerate, 63 in, 156 out.
        Conversation("8f60802815d6e97da2dbc4708a8e5c7b", "2026-02-03T15:19:57.066000Z", (
            Call(MINI, 63, 156, requested="gpt-4o-mini"),
        )),
        # [1770131992, 242000000]: ai.generateText.doGenerate, 14 in, 20 out.
        Conversation("b3e700af9eab81e19f72f964d62a35af", "2026-02-03T15:19:52.242000Z", (
            Call(MINI, 14, 20, requested="gpt-4o-mini"),
        )),
        # [1770131994, 23000000]: the second doGenerate, 50 in, 9 out.
        Conversation("edff2fc5854be6170e8cccccec0c82cf", "2026-02-03T15:19:54.023000Z", (
            Call(MINI, 50, 9, requested="gpt-4o-mini"),
        )),
    ), SPANS),
    # --- openinference ------------------------------------------------------------------------
    Export("openinference", "openinference/phoenix__pxi_turn_trace.json", (
        # Phoenix's REST spans, one session; the AGENT span starts at 00:00:00. Nine LLM
        # spans: llm.token_count.prompt counts the cache (first: 2 uncached + 31,559 read
        # + 760 written = 32,321; 32,321 + 119 = 32,440, the total).
        Conversation("fixture-session", "2026-07-09T00:00:00Z", (
            Call(FABLE, 32321, 119, cached=31559, written=760),
            Call(FABLE, 33286, 168, cached=32319, written=965),
            Call(FABLE, 33789, 402, cached=33284, written=503),
            Call(FABLE, 34248, 212, cached=33787, written=459),
            Call(FABLE, 34504, 102, cached=34246, written=256),
            Call(FABLE, 34743, 406, cached=34502, written=239),
            Call(FABLE, 35446, 104, cached=34741, written=703),
            Call(FABLE, 35602, 196, cached=35444, written=156),
            Call(FABLE, 36283, 186, cached=35600, written=681),
        )),
    ), SPANS),
    # --- langfuse (trace downloads: `{"trace": ..., "observations": [...]}`) -------------------
    Export("langfuse", "langfuse/langfuse-seeder__agno-2025-06-11.json", (
        # The trace's sessionId names the conversation; its timestamp (and its first SPAN)
        # is 14:01:32.598. Four GENERATIONs, in start order: 32.600 542/235, 32.606 163/20,
        # 34.290 1,568/423, 34.296 663/225; input + output = total for each.
        Conversation("35cc6c90-b657-4819-b66c-c931c03ad569", "2025-06-11T14:01:32.598000Z", (
            Call("gpt-4o-mini", 542, 235),
            Call("gpt-4o-mini", 163, 20),
            Call("gpt-4o-mini", 1568, 423),
            Call("gpt-4o-mini", 663, 225),
        )),
    ), frozenset({"CPR803", "CPR807"})),
    Export("langfuse", "langfuse/langfuse-seeder__google-gemini-2025-08-01.json", (
        # input 6, output 2,055, completion_details.reasoning 1,104, total 2,061 = 6 +
        # 2,055: the reasoning is inside the output, not added to it.
        Conversation("9f2f0fe0228fd81a9fe75882934b384a", "2025-08-01T13:22:00.147000Z", (
            Call("gemini-2.5-flash", 6, 2055),
        )),
    ), frozenset({"CPR803", "CPR807"})),
    Export("langfuse", "langfuse/langfuse-seeder__pydantic-ai-tools-2025-12-04.json", (
        # The earliest observation starts at 14:51:22.049 (the trace says 22.053).
        # GENERATIONs in start order: 22.053 265/73, 24.423 417/53, 26.133 502/14,
        # 27.422 131/69.
        Conversation("7a38edd8123db47ad8dcb8aa4c5e3926", "2025-12-04T14:51:22.049000Z", (
            Call(MINI, 265, 73),
            Call(MINI, 417, 53),
            Call(MINI, 502, 14),
            Call(MINI, 131, 69),
        )),
    ), frozenset({"CPR803", "CPR807"})),
    Export("langfuse", "langfuse/langfuse-worker__crewai-2025-07-11.trace.json", (
        # input 190 + output 164 = 354 = total; cache_read 0. The observations are listed
        # twice (beside the trace and in it), and read once. The root SPAN starts 13.600.
        Conversation("a287bb31e317433610d8827617471140", "2025-07-11T07:45:13.600000Z", (
            Call("gpt-4o-mini", 190, 164),
        )),
    ), frozenset({"CPR803", "CPR807"})),
    # --- openai (Datadog's recording proxy: one `{request, response}` a file) -----------------
    Export("openai", "openai/dd-trace-js__openai_chat_completions_post_16f0ce2c.json", (
        # Streamed with include_usage: the last chunk's prompt 67, completion 14; every
        # chunk says created 1754324365 and model gpt-4o-mini-2024-07-18.
        Conversation("chatcmpl-C0sCDb9fubTG31CqQJ21TeWalKEi0", "2025-08-04T16:19:25Z", (
            Call(MINI, 67, 14, requested="gpt-4o-mini"),
        )),
    )),
    Export("openai", "openai/dd-trace-js__openai_chat_completions_post_a1e12a43.json", (
        # HTTP 404: no usage, no response model; the Date header, 13:57:55 GMT.
        Conversation(
            "dd-trace-js__openai_chat_completions_post_a1e12a43.json:1",
            "2025-08-07T13:57:55Z",
            (Call("gpt-3.5-turbo-instruct", None, status="error"),),
        ),
    ), frozenset({"CPR802", "CPR803"})),
    Export("openai", "openai/dd-trace-js__openai_responses_post_c835aafd.json", (
        # A stored prompt, no model in the request; input 11,041, output 2,751 (1,216
        # reasoning inside); created_at 1764081193, before the Date header (14:33:40).
        Conversation("resp_0defb38754369abf016925be280e08819c9b45d3b0659adde9",
                     "2025-11-25T14:33:13Z", (Call("o4-mini-2025-04-16", 11041, 2751),)),
    )),
    Export("openai", "openai/dd-trace-py__openai_responses_post_aaef3e68.json", (
        # Streamed; response.completed: input 20, output 166 (128 reasoning inside);
        # created_at 1752678414.
        Conversation("resp_6877c00e3380819d83a86eb2b2b4fe17014f759afd995257",
                     "2025-07-16T15:06:54Z",
                     (Call("o4-mini-2025-04-16", 20, 166, requested="o4-mini"),)),
    )),
    # --- anthropic --------------------------------------------------------------------------
    Export("anthropic", "anthropic/dd-trace-js__anthropic_v1_messages_beta_true_post_7a2e5960.json", (
        # Streamed: message_start input 11 (no cache), the last message_delta output 32;
        # the Date header 09:20:44 GMT.
        Conversation("msg_015wqyvM5QFg4MA1yEkouCXW", "2025-11-28T09:20:44Z", (
            Call("claude-3-7-sonnet-20250219", 11, 32),
        )),
    )),
    Export("anthropic", "anthropic/dd-trace-js__anthropic_v1_messages_post_579a9dd3.json", (
        # input 592 (no cache), output 127; Date Mon, 27 Apr 2026 16:41:30 GMT.
        Conversation("msg_012TA7W4rMApicPsUipgxkZW", "2026-04-27T16:41:30Z", (
            Call("claude-haiku-4-5-20251001", 592, 127),
        )),
    )),
    Export("anthropic", "anthropic/openinference-js__thinking-non-streaming.json", (
        # A response alone (`{status, headers, body}`): input 52, output 221, of which 65
        # thinking tokens; no time anywhere in it.
        Conversation("msg_01Anxf2S9gcewexr8M23HfZW", None, (Call("claude-sonnet-4-6", 52, 221),)),
    ), frozenset({"CPR803", "CPR807"})),
    # --- vcr --------------------------------------------------------------------------------
    Export("vcr", "vcr/dd-trace-py__bedrock_cassettes__bedrock_converse_stream_prompt_caching.yaml", (
        # ConverseStream, binary event-stream bodies; each `metadata` event's usage:
        # first inputTokens 11 + cacheWriteInputTokens 1,028 = 1,039 (11 + 1,028 + 236 out
        # = 1,275, the total); then 12 + cacheReadInputTokens 1,028 = 1,040, 250 out
        # (1,290). The first request's X-Amz-Date, 20250627T144815Z, is the earliest time.
        Conversation(
            "dd-trace-py__bedrock_cassettes__bedrock_converse_stream_prompt_caching",
            "2025-06-27T14:48:15Z",
            (
                Call("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 1039, 236, written=1028),
                Call("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 1040, 250, cached=1028),
            ),
        ),
    )),
    Export("vcr", "vcr/dd-trace-py__cassettes__anthropic_completion_cache_write_1h_ttl.yaml", (
        # input 17 + cache_creation 2,056 = 2,073, all 2,056 ephemeral_1h; output 100;
        # Date Tue, 10 Mar 2026 22:26:50 GMT.
        Conversation("dd-trace-py__cassettes__anthropic_completion_cache_write_1h_ttl",
                     "2026-03-10T22:26:50Z",
                     (Call("claude-sonnet-4-20250514", 2073, 100, written=2056, written_1h=2056),)),
    )),
    Export("vcr", "vcr/dd-trace-py__openai_v1__chat_completion_prompt_caching_5_6_cache_write.yaml", (
        # prompt_tokens 1,220 already count prompt_tokens_details.cache_write_tokens 1,217;
        # completion 100 (all reasoning); created 1783709648 (18:54:08) before the Date
        # header (18:54:12).
        Conversation("dd-trace-py__openai_v1__chat_completion_prompt_caching_5_6_cache_write",
                     "2026-07-10T18:54:08Z", (Call("gpt-5.6-sol", 1220, 100, written=1217),)),
    )),
    Export("vcr", "vcr/pydantic-ai__test_anthropic__test_anthropic_cache_real_api.yaml", (
        # parsed_body: first 3 + cache_read 1,111 = 1,114, 406 out; then 3 + 1,111 read +
        # 418 written (ephemeral_5m) = 1,532, 33 out. No Date header, no created.
        Conversation("pydantic-ai__test_anthropic__test_anthropic_cache_real_api", None, (
            Call("claude-sonnet-4-5-20250929", 1114, 406, cached=1111,
                 requested="claude-sonnet-4-5"),
            Call("claude-sonnet-4-5-20250929", 1532, 33, cached=1111, written=418,
                 requested="claude-sonnet-4-5"),
        )),
    )),
    Export("vcr", "vcr/pydantic-ai__test_openai__test_openai_model_thinking_part.yaml", (
        # Responses: input 13, output 1,915 (1,600 reasoning inside), created_at
        # 1757542917; chat: prompt 577, completion 2,320 (1,792 reasoning inside).
        Conversation("pydantic-ai__test_openai__test_openai_model_thinking_part",
                     "2025-09-10T22:21:57Z", (
            Call("o3-mini-2025-01-31", 13, 1915, requested="o3-mini"),
            Call("o3-mini-2025-01-31", 577, 2320, requested="o3-mini"),
        )),
    )),
]  # fmt: skip


def _as_call(event: dict[str, Any]) -> Call:
    usage = event.get("usage")
    return Call(
        model=event["model"],
        input=None if usage is None else usage["input_tokens"],
        output=0 if usage is None else usage["output_tokens"],
        cached=0 if usage is None else usage.get("cached_input_tokens", 0),
        written=0 if usage is None else usage.get("cache_write_tokens", 0),
        written_1h=0 if usage is None else usage.get("cache_write_1h_tokens", 0),
        requested=event.get("requested_model"),
        status=event["status"],
    )


def test_every_file_is_in_the_table() -> None:
    files = sorted(str(path.relative_to(EXPORTS)) for path in EXPORTS.rglob("*.*"))
    assert files == sorted(["SOURCES.md", *(export.path for export in EXPORTS_TABLE)])


@pytest.mark.parametrize("export", EXPORTS_TABLE, ids=lambda export: Path(export.path).stem[:50])
def test_a_real_export_imports_exactly(export: Export, tmp_path: Path, run_cli: Any) -> None:
    output = tmp_path / "out.jsonl"
    source = EXPORTS / export.path
    result = run_cli(
        "import", export.format, str(source), "-o", str(output), "--format", "json"
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert {finding["rule"] for finding in report["findings"]} == export.rules
    found = [json.loads(line) for line in output.read_text().splitlines()]
    assert [
        Conversation(c["id"], c.get("started_at"), tuple(_as_call(e) for e in calls(c)))
        for c in found
    ] == list(export.conversations)


def test_the_scorecard_dates_imported_tickets_by_started_at(tmp_path: Path, run_cli: Any) -> None:
    imported = tmp_path / "imported.jsonl"
    result = run_cli("import", "langfuse", str(EXPORTS / "langfuse"), "-o", str(imported))
    assert result.exit_code == 0, result.stdout
    card = tmp_path / "card.json"
    result = run_cli(
        "scorecard", str(imported), "--period", "month", "--format", "json", "-o", str(card)
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(card.read_text())["rows"]
    # One ticket a month, in the month its trace started (see the table above), with its
    # calls, priced by the catalog (no policy here: project `unknown`):
    # - 2025-06, agno: gpt-4o-mini at $0.15 in, $0.60 out per 1M; 542 + 163 + 1,568 + 663
    #   = 2,936 in, 235 + 20 + 423 + 225 = 903 out: 440.4 + 541.8 = 982.2 -> $0.0009822;
    # - 2025-07, crewai: 190 x 0.15 + 164 x 0.60 = 28.5 + 98.4 = 126.9 -> $0.0001269;
    # - 2025-08, gemini-2.5-flash at $0.30 in, $2.50 out: 6 x 0.30 + 2,055 x 2.50 = 1.8 +
    #   5,137.5 = 5,139.3 -> $0.0051393;
    # - 2025-12, pydantic-ai: the gpt-4o-mini snapshot, priced as gpt-4o-mini; 265 + 417 +
    #   502 + 131 = 1,315 in, 73 + 53 + 14 + 69 = 209 out: 197.25 + 125.4 = 322.65
    #   -> $0.00032265.
    assert [
        (row["period"], row["tickets"], row["llm_calls"], Decimal(str(row["ai_cost"])))
        for row in rows
    ] == [
        ("2025-06-01", 1, 4, Decimal("0.0009822")),
        ("2025-07-01", 1, 1, Decimal("0.0001269")),
        ("2025-08-01", 1, 1, Decimal("0.0051393")),
        ("2025-12-01", 1, 4, Decimal("0.00032265")),
    ]
