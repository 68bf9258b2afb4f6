"""`cprlint import vcr` on real recorded traffic, priced by `check` as genai-prices prices it.

../shared/real-traces holds 55 VCR cassettes from the test suites of openllmetry and
opentelemetry-python-contrib (see its README): OpenAI chat and Responses calls (plain and
streamed), Anthropic calls with cache reads and writes (plain and streamed), reasoning
models, agent runs with tool calls and hand-offs, AWS Bedrock, Google Gemini, and errors.

Every call's usage is compared with what genai-prices' own usage extractors read from the
same response (`genai_prices.extract_usage`): a reference written by other people, for
the same purpose; and its model with the one the response names as having served it
(the request's kept as `requested_model` when it differs). The cassettes are read here
with `yaml.safe_load`, not with cprlint's loader, so that the reference shares no code
with the importer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import genai_prices
import pytest
import yaml
from cprlint.cli import run
from cprlint.money import NINE_PLACES

from tests.conftest import SHARED
from tests.import_helpers import calls

TRACES = SHARED / "real-traces"
CASSETTES = sorted(TRACES.rglob("*.yaml"))
# The moment cprlint prices at: the pinned catalog's date, at noon UTC (cprlint.pricing).
PRICED_AT = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)

pytestmark = pytest.mark.skipif(not CASSETTES, reason="../shared/real-traces is not there")


def cli(*args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = run(list(args))
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("real")
    output = root / "project" / "fixtures" / "imported.jsonl"
    code, stdout, stderr = cli("import", "vcr", str(TRACES), "-o", str(output), "--format", "json")
    assert code == 0, stderr
    conversations = [json.loads(line) for line in output.read_text().splitlines()]
    return {
        "root": root,
        "output": output,
        "report": json.loads(stdout),
        "conversations": {conversation["id"]: conversation for conversation in conversations},
    }


# --- the reference: genai-prices' extractors on the raw responses --------------------------


def _api(host: str, path: str) -> tuple[str, str] | None:
    """genai-prices' provider id and API flavour for a recorded URL; None: not an LLM call."""
    if "bedrock-runtime" in host:
        return ("aws", "default") if "/converse" in path else ("aws", "anthropic")
    if ":generateContent" in path:
        return "google", "default"
    if path.endswith("/v1/messages"):
        return "anthropic", "default"
    if path.endswith("/chat/completions"):
        return ("azure" if host.endswith("azure.com") else "openai"), "chat"
    if path.endswith("/responses"):
        return "openai", "responses"
    return None


def _final_body(text: str, flavour: str) -> Any:
    """A response body, or for a stream the object that holds the call's whole usage."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    events = [
        json.loads(line[5:])
        for line in text.splitlines()
        if line.startswith("data:") and line[5:].strip() != "[DONE]"
    ]
    if flavour == "chat":  # OpenAI: the last chunk, when stream_options.include_usage
        return next((event for event in events if event.get("usage")), None)
    if flavour == "responses":  # OpenAI Responses: the response.completed event
        return next(
            (event["response"] for event in events if event["type"] == "response.completed"),
            None,
        )
    # Anthropic: message_start's usage, updated by message_delta's (cumulative) counts.
    start = next(event["message"] for event in events if event["type"] == "message_start")
    usage = dict(start["usage"])
    for event in events:
        if event["type"] == "message_delta":
            usage.update(event["usage"])
    return {"model": start["model"], "usage": usage}


def _llm_interactions(cassette: Path) -> Iterator[tuple[dict[str, Any], str, tuple[str, str]]]:
    """The cassette's interactions with an LLM API: each, its URL path and its API."""
    for interaction in yaml.safe_load(cassette.read_bytes())["interactions"]:
        url = urlsplit(interaction["request"]["uri"])
        path = unquote(url.path)
        api = _api(url.hostname or "", path)
        if api is not None:
            yield interaction, path, api


def reference_usages(cassette: Path) -> list[tuple[int, int, int, int] | None]:
    """Per LLM call: (input incl. cache, cache read, cache write, output), or None."""
    usages: list[tuple[int, int, int, int] | None] = []
    for interaction, path, api in _llm_interactions(cassette):
        body = interaction["response"]["body"]["string"]
        if isinstance(body, bytes):
            body = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
        final = _final_body(body, api[1])
        usage = None
        if isinstance(final, dict) and (final.get("usage") or final.get("usageMetadata")):
            model = re.search(r"/model/(.+)/[^/]+$", path)
            final = {
                **final,
                "model": final.get("model")
                or final.get("modelVersion")
                or (model.group(1).rsplit("/", 1)[-1] if model else ""),
            }
            if api[0] == "google":
                # genai-prices 0.2.3 cannot read the `modality: 1` of Vertex's int-encoded
                # enums in the per-modality details; the totals are all it needs here.
                final["usageMetadata"] = {
                    key: value
                    for key, value in final["usageMetadata"].items()
                    if not key.endswith("Details")
                }
            extracted = genai_prices.extract_usage(
                final, provider_id=api[0], api_flavor=api[1]
            ).usage
            usage = (
                int(extracted.input_tokens),
                int(extracted.cache_read_tokens),
                int(extracted.cache_write_tokens),
                int(extracted.output_tokens),
            )
        usages.append(usage)
    return usages


def _recorded(interaction: dict[str, Any], side: str) -> str:
    body = interaction[side]["body"]
    body = body.get("string") if isinstance(body, dict) else body
    if isinstance(body, bytes):
        body = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
    return body or ""


def reference_models(cassette: Path) -> list[tuple[str, str | None]]:
    """Per LLM call: (the model that served it, the one requested when it differs).

    Served: the one the response names (`model`, Gemini's `modelVersion`, a stream's
    first event that names one), or on Bedrock the model id of the URL, which the
    platform prices; else, for an error response, the one requested.
    """
    models: list[tuple[str, str | None]] = []
    for interaction, path, api in _llm_interactions(cassette):
        try:
            requested = json.loads(_recorded(interaction, "request")).get("model")
        except ValueError:
            requested = None
        text = _recorded(interaction, "response")
        try:
            bodies = [json.loads(text)]
        except ValueError:
            bodies = [
                json.loads(line[5:])
                for line in text.splitlines()
                if line.startswith("data:") and line[5:].strip() != "[DONE]"
            ]
        named = [
            body.get("model") or body.get("modelVersion") or inner.get("model")
            for body in bodies
            if isinstance(body, dict)
            for inner in (body.get("message"), body.get("response"), {})  # a stream's start
            if isinstance(inner, dict)
        ]
        served = next((name for name in named if name), None)
        platform = re.search(r"/model/(.+)/[^/]+$", path)
        if platform:
            served, requested = platform.group(1).rsplit("/", 1)[-1], None
        if api[0] == "google":
            requested = re.search(r"/models/([^/:]+):", path).group(1)  # type: ignore[union-attr]
        model = served or requested
        models.append((model, requested if served and requested != served else None))
    return models


def _as_tuple(call: dict[str, Any]) -> tuple[int, int, int, int] | None:
    usage = call.get("usage")
    if usage is None:
        return None
    return (
        usage["input_tokens"],
        usage.get("cached_input_tokens", 0),
        usage.get("cache_write_tokens", 0),
        usage["output_tokens"],
    )


# --- tests -----------------------------------------------------------------------------------


def test_every_cassette_is_a_conversation(imported: dict[str, Any]) -> None:
    assert len(CASSETTES) == 55
    assert sorted(imported["conversations"]) == sorted(path.stem for path in CASSETTES)
    summary = imported["report"]["import"]
    assert summary["conversations"] == 55
    # 124 recorded LLM calls, of which 11 carry no usage: 8 LangChain streams without
    # stream_options.include_usage, two 404s (a model that does not exist, one deprecated)
    # and Bedrock's 400 for an invalid model id.
    assert (summary["llm_calls"], summary["calls_without_usage"]) == (124, 11)
    # The same counts from genai-prices' own reading of the recorded responses.
    reference = [usage for path in CASSETTES for usage in reference_usages(path)]
    assert (len(reference), reference.count(None)) == (124, 11)
    assert {finding["rule"] for finding in imported["report"]["findings"]} == {
        "CPR802",  # the calls without usage, per file
        "CPR803",  # no labels: cassettes carry none
    }


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda path: path.stem[:60])
def test_usage_is_what_genai_prices_reads(imported: dict[str, Any], cassette: Path) -> None:
    found = calls(imported["conversations"][cassette.stem])
    assert [_as_tuple(call) for call in found] == reference_usages(cassette)


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda path: path.stem[:60])
def test_model_is_the_one_that_served(imported: dict[str, Any], cassette: Path) -> None:
    found = calls(imported["conversations"][cassette.stem])
    assert [(call["model"], call.get("requested_model")) for call in found] == (
        reference_models(cassette)
    )


def test_served_models_by_hand(imported: dict[str, Any]) -> None:
    conversations = imported["conversations"]

    def models(name: str) -> list[tuple[str, str | None]]:
        return [(call["model"], call.get("requested_model")) for call in calls(conversations[name])]

    # The request asks for `gpt-4`; every chunk of the stream says `gpt-4-0613` served.
    assert models("test_chat_completion_streaming") == [("gpt-4-0613", "gpt-4")]
    # Anthropic's alias `claude-3-5-haiku-latest`, served twice by the 2024-10-22 snapshot.
    assert (
        models("test_anthropic_image_with_history")
        == [("claude-3-5-haiku-20241022", "claude-3-5-haiku-latest")] * 2
    )
    # Azure: the request names the deployment; the responses name the models behind it.
    assert models("test_chat_content_filtering") == [
        ("gpt-35-turbo", "openllmetry-testing"),
        *[("gpt-4.1-mini-2025-04-14", "openllmetry-testing")] * 3,
    ]
    # Bedrock: the URL's model id, which the platform prices; nothing else is asked for.
    assert models("test_anthropic_cross_region") == [
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", None)
    ]


def test_usage_normalised_by_hand(imported: dict[str, Any]) -> None:
    conversations = imported["conversations"]

    def usages(name: str) -> list[tuple[int, int, int, int] | None]:
        return [_as_tuple(call) for call in calls(conversations[name])]

    # Anthropic reports cache reads and writes apart from input_tokens; the fixture counts
    # them in: first call input 4 + cache_creation 1,163 = 1,167, of which 1,163 written;
    # second call 4 + cache_read 1,163 = 1,167, of which 1,163 read.
    assert usages("test_anthropic_prompt_caching_legacy") == [
        (1167, 0, 1163, 187),
        (1167, 1163, 0, 202),
    ]
    # The same, streamed: message_start has input 4 and cache_creation 1,165 (output 1),
    # the final message_delta output 201: 4 + 1,165 = 1,169 in, 201 out.
    assert usages("test_anthropic_prompt_caching_stream_legacy")[0] == (1169, 0, 1165, 201)
    # Through Bedrock InvokeModel, Anthropic's body: 4 + 18,131 written = 18,135.
    assert usages("test_prompt_cache") == [(18135, 0, 18131, 50), (18135, 18131, 0, 50)]
    # OpenAI's prompt_tokens already include cached_tokens: 1,149 in, 1,024 of them cached.
    assert usages("test_openai_prompt_caching")[1] == (1149, 1024, 0, 353)
    # A reasoning model: completion_tokens 228 already include 192 reasoning tokens.
    assert usages("test_chat_reasoning")[0] == (11, 0, 0, 228)
    # Gemini's candidatesTokenCount (433) leaves out thoughtsTokenCount (1,477):
    # 433 + 1,477 = 1,910 out; with 8 in, that is the reported total of 1,918.
    assert usages("test_non_streaming[logcontent-gemini-2.5-flash-vertexaiapi-sync-default]") == [
        (8, 0, 0, 1910)
    ]
    # A streamed chat completion with include_usage: the last chunk's 12 in, 5 out.
    assert usages("test_chat_completion_streaming") == [(12, 0, 0, 5)]
    # Responses API, streamed: the response.completed event's usage, per call. The
    # cassette's three such events say input_tokens 75, 119, 157 and output_tokens 16,
    # 38, 30, with no cached input.
    assert usages("test_music_composer_handoff_hierarchy") == [
        (75, 0, 0, 16),
        (119, 0, 0, 38),
        (157, 0, 0, 30),
    ]


def test_failed_calls_keep_their_status(imported: dict[str, Any]) -> None:
    conversations = imported["conversations"]
    (missing,) = calls(conversations["test_chat_completion_404"])
    assert missing == {
        "type": "llm_call",
        "model": "this-model-does-not-exist",
        "attempt": 1,
        "status": "error",
        "error": "model_not_found",
    }
    (invalid,) = calls(conversations["test_converse_with_invalid_model"])
    assert (invalid["model"], invalid["status"]) == ("does-not-exist", "error")
    # The cassette's seven chat completions answered 200, 200, 404, then 200 four times.
    statuses = [call["status"] for call in calls(conversations["test_agents_and_tools"])]
    assert statuses == ["ok", "ok", "error", "ok", "ok", "ok", "ok"]


def test_tool_calls_and_hand_offs(imported: dict[str, Any]) -> None:
    conversations = imported["conversations"]

    def tools(name: str) -> list[tuple[str, Any]]:
        return [
            (event["name"], event.get("args"))
            for event in conversations[name]["events"]
            if event["type"] == "tool_call"
        ]

    assert tools("test_agent_with_function_tool_spans") == [("get_weather", {"city": "London"})]
    # A streamed Anthropic tool call: the input assembled from input_json_delta chunks.
    assert tools("test_anthropic_tools_streaming_legacy") == [
        ("get_weather", {"location": "San Francisco, CA", "unit": "celsius"}),
        ("get_time", {"timezone": "America/Los_Angeles"}),
    ]
    # OpenAI Agents hand-offs are function calls the model makes (transfer_to_<agent>).
    handoffs = tools("test_agent_with_handoff_spans")
    assert [name for name, _ in handoffs] == ["transfer_to_agenta"]
    assert tools("test_agent_with_web_search_tool_spans")[0][0] == "web_search"


def test_models_bedrock_ids_and_azure_deployments(imported: dict[str, Any]) -> None:
    conversations = imported["conversations"]
    model = calls(conversations["test_anthropic_cross_region"])[0]["model"]
    # The URL names an inference-profile ARN; its last part is the model id.
    assert model == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    # Azure's request names a deployment ("openllmetry-testing"); the response the model.
    azure = [call["model"] for call in calls(conversations["test_chat_content_filtering"])]
    assert azure == ["gpt-35-turbo", *["gpt-4.1-mini-2025-04-14"] * 3]


def test_same_input_same_bytes(imported: dict[str, Any], tmp_path: Path) -> None:
    again = tmp_path / "again.jsonl"
    code, _, stderr = cli("import", "vcr", str(TRACES), "-o", str(again))
    assert code == 0, stderr
    assert again.read_bytes() == imported["output"].read_bytes()


POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {{name: imported, version: 1}}
tiers:
  recorded: {models}
risk:
  low: [recorded]
intents:
  default: {{risk: low, tier: recorded}}
"""


def _genai_price(usage: dict[str, int], model: str) -> Decimal | None:
    reported = genai_prices.Usage(
        input_tokens=usage["input_tokens"],
        cache_read_tokens=usage.get("cached_input_tokens", 0),
        cache_write_tokens=usage.get("cache_write_tokens", 0),
        output_tokens=usage["output_tokens"],
    )
    for provider in (None, "aws"):  # Bedrock model ids are priced under the aws provider
        try:
            calculation = genai_prices.calc_price(
                reported, model, provider_id=provider, genai_request_timestamp=PRICED_AT
            )
        except LookupError:
            continue
        return Decimal(calculation.total_price)
    return None


def test_genai_prices_by_hand() -> None:
    # claude-3-5-sonnet per 1M tokens: input $3, cache read $0.30, cache write $3.75,
    # output $15. First caching call: 4 uncached x 3 + 1,163 written x 3.75 + 187 x 15
    # = 12 + 4,361.25 + 2,805 = 7,178.25 per 1M = $0.00717825.
    first = {"input_tokens": 1167, "cache_write_tokens": 1163, "output_tokens": 187}
    assert _genai_price(first, "claude-3-5-sonnet-20240620") == Decimal("0.00717825")
    # Second: 4 x 3 + 1,163 read x 0.30 + 202 x 15 = 12 + 348.9 + 3,030 = $0.0033909.
    second = {"input_tokens": 1167, "cached_input_tokens": 1163, "output_tokens": 202}
    assert _genai_price(second, "claude-3-5-sonnet-20240620") == Decimal("0.0033909")
    # gpt-4o-mini: input $0.15, cached $0.075, output $0.60. (1,149 - 1,024) x 0.15
    # + 1,024 x 0.075 + 353 x 0.60 = 18.75 + 76.8 + 211.8 = 307.35 -> $0.00030735.
    cached = {"input_tokens": 1149, "cached_input_tokens": 1024, "output_tokens": 353}
    assert _genai_price(cached, "gpt-4o-mini") == Decimal("0.00030735")


def test_check_prices_imported_calls_as_genai_prices_does(imported: dict[str, Any]) -> None:
    project = imported["output"].parent.parent
    every_call = [call for c in imported["conversations"].values() for call in calls(c)]
    models = sorted({call["model"] for call in every_call})
    # One tier of all recorded models, so that no call is re-routed to another model.
    policy = project / "policies" / "imported.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(POLICY.format(models=json.dumps(models)))
    report_path = project / "report.json"
    code, _, stderr = cli(
        "check", str(project), "--no-cache", "--format", "json", "--output", str(report_path)
    )
    assert code == 1, stderr  # the two models that do not exist are priced nowhere (CPR507)
    report = json.loads(report_path.read_text())
    expected: dict[str, Decimal] = defaultdict(Decimal)
    unpriced = set()
    for call in every_call:
        if "usage" not in call:
            continue
        price = _genai_price(call["usage"], call["model"])
        if price is None:
            unpriced.add(call["model"])
            continue
        expected[call["model"]] += price
    assert unpriced == set()
    for model, total in expected.items():
        reported = Decimal(str(report["models"][model]["cost"]))
        assert reported == total.quantize(NINE_PLACES, rounding=ROUND_HALF_EVEN), model
    not_priced = {
        finding["message"].split("`")[1]
        for finding in report["findings"]
        if finding["rule"] == "CPR507"
    }
    assert not_priced == {"this-model-does-not-exist", "does-not-exist"}
    overall = sum(expected.values(), Decimal(0))
    assert Decimal(str(report["summary"]["ai_cost"])) == overall.quantize(
        NINE_PLACES, rounding=ROUND_HALF_EVEN
    )
