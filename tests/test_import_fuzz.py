"""Fuzzing the importers through the whole command line.

Each example writes one export file (random bytes, a mutated valid export, or a valid
export with one value replaced by a random JSON value) and runs `cprlint import`. Whatever
the input, the run must end with a report (exit 0 or 1) or a one-line usage error (exit
2), never an internal error (exit 3) or a traceback; every finding names the file and a
line; and every conversation written passes the fixture schema.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import tempfile
from pathlib import Path

import jsonschema
from cprlint.cli import run
from cprlint.schemas import schema_text
from hypothesis import given
from hypothesis import strategies as st

from tests.import_helpers import export, jsonl, span, sse
from tests.test_fuzz import fuzz, value_paths
from tests.test_import_formats import CASSETTE

SCHEMA = jsonschema.Draft202012Validator(json.loads(schema_text("fixture")))


def _binary_cassette() -> str:
    body = gzip.compress(
        json.dumps(
            {"id": "msg_1", "type": "message", "model": "claude-3-5-haiku-20241022",
             "content": [{"type": "tool_use", "id": "t1", "name": "refund", "input": {"o": 7}}],
             "usage": {"input_tokens": 4, "cache_creation_input_tokens": 9, "output_tokens": 2}}
        ).encode()
    )  # fmt: skip
    encoded = base64.encodebytes(body).decode().replace("\n", "\n        ")
    return (
        'interactions:\n- request:\n    body: \'{"model": "claude-3-5-haiku-20241022"}\'\n'
        "    method: POST\n    uri: https://api.anthropic.com/v1/messages\n  response:\n"
        f"    body:\n      string: !!binary |\n        {encoded.rstrip()}\n"
        "    headers:\n      Content-Encoding: [gzip]\n    status: {code: 200, message: OK}\n"
        "version: 1\n"
    )


CHAT = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 10, "gen_ai.conversation.id": "c"}  # fmt: skip
TOOL = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
        "gen_ai.tool.call.arguments": '{"a": 1}'}  # fmt: skip
LLM = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "session.id": "s",
       "llm.token_count.prompt": 5, "llm.token_count.completion": 1,
       "llm.input_messages.0.message.role": "user",
       "llm.input_messages.0.message.content": "mail a@b.co"}  # fmt: skip
OBSERVATION = {"traceId": "t", "sessionId": "s", "type": "GENERATION", "model": "gpt-4o",
               "startTime": "2026-11-02T10:00:00Z", "promptName": "p", "promptVersion": 2,
               "usageDetails": {"input": 5, "input_cached_tokens": 2, "output": 1, "total": 8},
               "input": [{"role": "user", "content": "hi"}], "metadata": {"intent": "x"}}  # fmt: skip
OPENAI_CALL = {"metadata": {"session_id": "s"}, "timestamp": "2026-11-02T10:00:00Z",
               "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
                           "stream": True},
               "response": sse((None, {"id": "c", "choices": [{"delta": {"content": "yo",
                                       "tool_calls": [{"index": 0, "id": "x", "function": {
                                           "name": "f", "arguments": "{}"}}]}}]}),
                               (None, {"id": "c", "choices": [],
                                       "usage": {"prompt_tokens": 5, "completion_tokens": 1}}),
                               (None, "[DONE]"))}  # fmt: skip
ANTHROPIC_CALL = {"metadata": {"conversation_id": "s"},
                  "request": {"model": "claude-3-5-haiku-20241022", "messages": [
                      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                                    "is_error": True}]}]},
                  "response": sse(
                      ("message_start", {"type": "message_start", "message": {
                          "id": "m", "model": "claude-3-5-haiku-20241022",
                          "usage": {"input_tokens": 4, "cache_read_input_tokens": 3,
                                    "output_tokens": 1}}}),
                      ("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "tool_use", "id": "u",
                                                                 "name": "f", "input": {}}}),
                      ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "input_json_delta",
                                                         "partial_json": "{\"a\": 1}"}}),
                      ("message_delta", {"type": "message_delta", "usage": {"output_tokens": 7}}))}  # fmt: skip

SAMPLES: dict[str, list[tuple[str, str]]] = {
    "otel": [("spans.jsonl", jsonl(export(span("t", "1", 1, CHAT), span("t", "2", 2, TOOL))))],
    "openinference": [("spans.jsonl", jsonl(export(span("t", "1", 1, LLM))))],
    "langfuse": [
        ("observations.jsonl", jsonl(OBSERVATION, {**OBSERVATION, "type": "TOOL"})),
        ("page.json", json.dumps({"data": [OBSERVATION]}, indent=2)),
    ],
    "openai": [("calls.jsonl", jsonl(OPENAI_CALL))],
    "anthropic": [("calls.jsonl", jsonl(ANTHROPIC_CALL))],
    "vcr": [("cassette.yaml", CASSETTE), ("binary.yaml", _binary_cassette())],
}
CASES = [(fmt, name, text) for fmt, samples in SAMPLES.items() for name, text in samples]


def import_one(trace_format: str, name: str, content: bytes) -> None:
    """Import one file and check that the outcome is a report or a clean usage error."""
    with tempfile.TemporaryDirectory(prefix="cprlint-import-fuzz-") as directory:
        source = Path(directory) / name
        source.write_bytes(content)
        output = Path(directory) / "out.jsonl"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(["import", trace_format, str(source), "-o", str(output), "--format", "json"])
        out, err = stdout.getvalue(), stderr.getvalue()
        assert code in (0, 1, 2), f"exit {code}: {err}"
        assert "Traceback" not in err + out, err
        if code == 2:
            assert err.startswith("cprlint: "), err
            assert err.count("\n") == 1, err
            return
        report = json.loads(out)
        for finding in report["findings"]:
            assert finding["rule"].startswith("CPR"), finding
            assert finding["message"], finding
            assert finding["path"] == str(source), finding
            assert finding["line"] >= 1, finding
            assert finding.get("column", 1) >= 1, finding
        for line in output.read_text().splitlines():
            conversation = json.loads(line)
            errors = [error.message for error in SCHEMA.iter_errors(conversation)]
            assert errors == [], (errors, conversation)


@fuzz(60)
@given(case=st.sampled_from(CASES), content=st.binary(max_size=600))
def test_random_bytes(case: tuple[str, str, str], content: bytes) -> None:
    trace_format, name, _ = case
    import_one(trace_format, name, content)


PUNCTUATION = [*'{}[]:,"\\\n ', "null", "true", "1e999", "-1", '"\\ud800"', "!!binary ", "\ufeff"]


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        operation = draw(st.sampled_from(["delete", "insert", "truncate", "duplicate"]))
        if operation == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=8)) :]
        elif operation == "insert":
            insert = draw(st.sampled_from(PUNCTUATION) | st.text(max_size=3))
            text = text[:at] + insert + text[at:]
        elif operation == "truncate":
            text = text[:at]
        else:
            text = text[:at] + text[max(0, at - 40) : at] + text[at:]
    return text


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, str]:
    trace_format, name, text = draw(st.sampled_from(CASES))
    return trace_format, name, draw(mutation(text))


@fuzz(120)
@given(case=mutated())
def test_mutated_exports(case: tuple[str, str, str]) -> None:
    trace_format, name, text = case
    import_one(trace_format, name, text.encode("utf-8", "surrogatepass"))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def reshaped(draw: st.DrawFn) -> tuple[str, str, str]:
    """A valid JSON export with one value, anywhere in it, replaced by a random one."""
    trace_format, name, text = draw(st.sampled_from([case for case in CASES if case[0] != "vcr"]))
    lines = text.splitlines()
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1)) if name.endswith("l") else 0
    data = json.loads(lines[index]) if name.endswith("l") else json.loads(text)
    path = draw(st.sampled_from(value_paths(data)))
    replacement = draw(JSON_VALUES)
    if not path:
        data = replacement
    else:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = replacement
    if name.endswith("l"):
        lines[index] = json.dumps(data)
        return trace_format, name, "\n".join(lines) + "\n"
    return trace_format, name, json.dumps(data, indent=2)


@fuzz(120)
@given(case=reshaped())
def test_reshaped_exports(case: tuple[str, str, str]) -> None:
    trace_format, name, text = case
    import_one(trace_format, name, text.encode("utf-8", "surrogatepass"))


def test_the_samples_import_cleanly() -> None:
    for trace_format, name, text in CASES:
        import_one(trace_format, name, text.encode())


def test_deep_nesting_and_a_huge_line(tmp_path: Path) -> None:
    deep = '{"resourceSpans": ' + "[" * 5000 + "]" * 5000 + "}\n"
    import_one("otel", "deep.jsonl", deep.encode())
    import_one("langfuse", "deep.jsonl", ('{"a": ' * 3000 + "1" + "}" * 3000 + "\n").encode())
    # A line over the 4 MiB cap is skipped unread (CPR003), the next line still imported.
    huge = b'{"traceId": "' + b"x" * (4 * 1024 * 1024 + 10) + b'"}\n'
    good = json.dumps(OBSERVATION).encode() + b"\n"
    import_one("langfuse", "huge.jsonl", huge + good)


def test_text_that_is_not_unicode() -> None:
    # A YAML escape can make a lone surrogate, which no UTF-8 file can hold: escaped.
    cassette = (
        "interactions:\n- request:\n    method: POST\n"
        '    uri: "https://bedrock-runtime.us-east-1.amazonaws.com/model/m\\ud800/converse"\n'
        "  response:\n    status: {code: 200}\n"
        """    body: {string: '{"usage": {"inputTokens": 3, "outputTokens": 1}}'}\n"""
    )
    import_one("vcr", "cassette.yaml", cassette.encode())
