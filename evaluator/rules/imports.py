"""Problems found by `cprlint import` while turning production traces into fixtures.

The importers find them (cprlint.importers); these are their docs. A malformed record is
reported at its file, line and column, and the import goes on with the next record.
"""

from __future__ import annotations

from cprlint.findings import Severity
from cprlint.rules.registry import Target, documented_rule

MALFORMED_RECORD = "CPR801"
CALL_WITHOUT_USAGE = "CPR802"
UNMAPPED_LABEL = "CPR803"
LABEL_VALUE = "CPR804"
UNRECOGNISED_CALL = "CPR805"
CALL_WITHOUT_MODEL = "CPR806"
NEIGHBOUR_SHAPE = "CPR807"

documented_rule(
    MALFORMED_RECORD,
    "import-malformed-record",
    Severity.ERROR,
    Target.IMPORT,
    """
    A record of the trace export is not what its format says it is: an OTLP span
    without a trace id, a token count that is not a whole number, a cassette without
    interactions, a proxy log line without a request or a response.

    Why: an export with broken records is a cost report with holes. The record is
    skipped (a call whose usage cannot be read is imported without usage) and reported
    at its file, line and column; every other record is imported. (A line that is not
    JSON at all is CPR001, an oversized one CPR003.)

    Failing:
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "chat gpt-4o",
          "attributes": [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "many"}}]}]}]}]}
    Passing:
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8e", "spanId": "01",
          "name": "chat gpt-4o", "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "812"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "12"}}]}]}]}]}
    """,
)

documented_rule(
    CALL_WITHOUT_USAGE,
    "import-call-without-usage",
    Severity.WARNING,
    Target.IMPORT,
    """
    LLM calls were recorded without token usage: a streamed response without the final
    usage chunk, a failed request, a span without `gen_ai.usage.*` attributes.

    Why: such a call is imported (it happened, and its status counts), but it costs
    nothing in `check`, so the cost per resolution is understated. For OpenAI streams,
    ask for usage with `stream_options: {include_usage: true}`.

    Failing:
        {"model": "gpt-4o-mini", "stream": true, "messages": [...]}
    Passing:
        {"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true},
         "messages": [...]}
    """,
)

documented_rule(
    UNMAPPED_LABEL,
    "import-unmapped-label",
    Severity.WARNING,
    Target.IMPORT,
    """
    A fixture field (intent, queue, project, automation or outcome) got no value from the
    traces: no attribute is mapped to it in `--map FILE`, or the mapped attributes were
    missing. Intent, queue and project become `unknown`; a conversation without an
    outcome is `open` (not resolved) and one without an automation mode has none.

    Why: cost per resolution is judged per intent and queue and needs the outcome;
    fixtures labelled `unknown` are all judged against the `default` intent. The
    message lists attribute keys the traces carry that could be mapped.

    Failing:
        cprlint import otel spans.jsonl -o fixtures/imported.jsonl
    Passing:
        # labels.yaml
        intent: support.intent
        queue: support.queue
        project: service.name
        automation: {from: support.mode, values: {bot: full, handoff: partial}}
        outcome: {from: ticket.status, values: {closed: resolved, transferred: escalated}}

        cprlint import otel spans.jsonl --map labels.yaml -o fixtures/imported.jsonl
    """,
)

documented_rule(
    LABEL_VALUE,
    "import-label-value",
    Severity.WARNING,
    Target.IMPORT,
    """
    A mapped attribute has a value the fixture field does not allow: an outcome that is
    not resolved, escalated, abandoned or open, an automation mode that is not full,
    partial or assisted, a `resolved_by` that is not ai or human.

    Why: the value is left out (the field falls back as if unmapped) rather than writing
    fixtures that fail their schema. Translate your values with `values:`.

    Failing:
        outcome: ticket.status            # ticket.status is "closed"
    Passing:
        outcome: {from: ticket.status, values: {closed: resolved}}
    """,
)

documented_rule(
    UNRECOGNISED_CALL,
    "import-unrecognised-call",
    Severity.WARNING,
    Target.IMPORT,
    """
    A recorded HTTP response carries token usage, but from an API the importer does not
    read (it reads OpenAI chat completions and responses, Anthropic messages, AWS Bedrock
    Converse and InvokeModel, and Google Gemini generateContent).

    Why: the call is not imported, so its cost is missing from the fixtures. Recordings
    of other HTTP calls without usage (telemetry, search APIs) are skipped silently.

    Failing:
        POST https://api.cohere.com/v2/chat   # {"usage": {"tokens": {...}}}
    Passing:
        POST https://api.openai.com/v1/chat/completions
    """,
)

documented_rule(
    CALL_WITHOUT_MODEL,
    "import-call-without-model",
    Severity.WARNING,
    Target.IMPORT,
    """
    LLM calls were recorded without the model that served them; they are imported with
    the model `unknown`.

    Why: a call is priced by its model; `check` reports `unknown` as a model priced
    nowhere. Record `gen_ai.request.model` (or `llm.model_name`, or Langfuse's `model`).

    Failing:
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}
    Passing:
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}}
    """,
)

documented_rule(
    NEIGHBOUR_SHAPE,
    "import-neighbouring-shape",
    Severity.WARNING,
    Target.IMPORT,
    """
    An export file was read in a shape next to the one its format names: spans as an
    OpenTelemetry SDK or a tool dumps them (a JSON list, `{"spans": [...]}`, Phoenix's
    REST spans) rather than an OTLP/JSON export request, a Langfuse trace download
    (`{"trace": ..., "observations": [...]}`) rather than observations, responses
    recorded without their requests. The finding names the shape read and how many
    records it gave, once per file.

    Why: a shape cprlint recognised by its keys could still have been misread; saying
    what was understood lets a wrong guess show before its figures are trusted. Export
    the format's own shape to have no such finding.

    Failing:
        [{"name": "chat gpt-4o", "context": {"trace_id": "0x5b8e", "span_id": "0x01"},
          "start_time": "2026-11-02T10:00:00.000000Z", "attributes": {...}}]
    Passing:
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5b8e", "spanId": "01",
          "startTimeUnixNano": "1793613600000000000", "attributes": [...]}]}]}]}
    """,
)
