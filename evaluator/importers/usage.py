"""Token usage as providers report it, normalised to the fixture convention (SPEC §2.3).

The fixture convention is OpenAI's: `input_tokens` counts every prompt token, cached and
cache-written ones included; `cached_input_tokens` and `cache_write_tokens` say which part
was read from or written to the cache; `output_tokens` includes reasoning tokens.

- OpenAI chat: `prompt_tokens` already includes `prompt_tokens_details.cached_tokens`, and
  `completion_tokens` includes `completion_tokens_details.reasoning_tokens`.
- OpenAI Responses: the same with `input_tokens`, `input_tokens_details.cached_tokens`,
  `output_tokens`, `output_tokens_details.reasoning_tokens`.
- Anthropic: `input_tokens` is only the uncached part; `cache_read_input_tokens` and
  `cache_creation_input_tokens` are reported apart and added; of the cache writes,
  `cache_creation.ephemeral_1h_input_tokens` went to a 1-hour cache
  (`cache_write_1h_tokens`, priced at its own rate).
- AWS Bedrock Converse: `inputTokens` likewise excludes `cacheReadInputTokens` and
  `cacheWriteInputTokens`.
- Google Gemini: `promptTokenCount` includes `cachedContentTokenCount`, and
  `toolUsePromptTokenCount` is added; `candidatesTokenCount` excludes
  `thoughtsTokenCount`, which is added.
- Trace attributes (OpenTelemetry, OpenInference) and Langfuse usage details say less
  about what includes what; `usage_from_parts` and `langfuse_usage` decide it from the
  reported total when there is one (see there).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cprlint.importers.records import as_dict, shown
from cprlint.model import Usage

# Beyond any real call; a count above it is a broken record, not a big prompt.
MAX_TOKENS = 10**12


class UsageError(ValueError):
    """A usage object whose counts cannot be read; the message says which."""


def token_count(value: Any, name: str) -> int | None:
    """A token count: None when absent, UsageError when not a whole number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise UsageError(f"`{name}` is not a token count ({value!r})")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdecimal() or len(text) > 13:
            raise UsageError(f"`{name}` is not a token count ({value[:40]!r})")
        value = int(text)
    if isinstance(value, float):
        value = Decimal(repr(value)) if value == value else Decimal(-1)
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise UsageError(f"`{name}` is not a whole number of tokens ({str(value)[:40]})")
        if abs(value) > MAX_TOKENS:  # compared as written: `1e4300` is no int to print
            raise UsageError(f"`{name}` is not a token count ({str(value)[:40]})")
        value = int(value)
    if not isinstance(value, int) or value < 0 or value > MAX_TOKENS:
        raise UsageError(f"`{name}` is not a token count ({shown(value)})")
    return value


def _count(usage: Mapping[str, Any], *path: str) -> int:
    value: Any = usage
    for step in path:
        value = as_dict(value).get(step)
    return token_count(value, ".".join(path)) or 0


def _required(usage: Mapping[str, Any], name: str) -> int:
    count = token_count(usage.get(name), name)
    if count is None:
        raise UsageError(f"usage has no `{name}`")
    return count


def checked(usage: Usage) -> Usage:
    if usage.cached_input_tokens + usage.cache_write_tokens > usage.input_tokens:
        raise UsageError(
            f"cached ({usage.cached_input_tokens}) and cache-written "
            f"({usage.cache_write_tokens}) tokens exceed the input tokens ({usage.input_tokens})"
        )
    if usage.cache_write_1h_tokens > usage.cache_write_tokens:
        raise UsageError(
            f"tokens written to the 1-hour cache ({usage.cache_write_1h_tokens}) exceed "
            f"the cache-written tokens ({usage.cache_write_tokens})"
        )
    return usage


def openai_chat_usage(usage: Mapping[str, Any]) -> Usage:
    """Chat completions (and embeddings, which have no completion tokens)."""
    return checked(
        Usage(
            input_tokens=_required(usage, "prompt_tokens"),
            output_tokens=_count(usage, "completion_tokens"),
            cached_input_tokens=_count(usage, "prompt_tokens_details", "cached_tokens"),
            cache_write_tokens=_count(usage, "prompt_tokens_details", "cache_write_tokens"),
        )
    )


def openai_responses_usage(usage: Mapping[str, Any]) -> Usage:
    return checked(
        Usage(
            input_tokens=_required(usage, "input_tokens"),
            output_tokens=_required(usage, "output_tokens"),
            cached_input_tokens=_count(usage, "input_tokens_details", "cached_tokens"),
            cache_write_tokens=_count(usage, "input_tokens_details", "cache_write_tokens"),
        )
    )


def _cache_apart_usage(
    usage: Mapping[str, Any],
    input_key: str,
    output_key: str,
    read_key: str,
    write_key: str,
    written_for_an_hour: int = 0,
) -> Usage:
    """Usage whose input count leaves out cache reads and writes: added back, as cprlint
    counts them in the input."""
    cache_read = _count(usage, read_key)
    cache_write = _count(usage, write_key)
    return checked(
        Usage(
            input_tokens=_required(usage, input_key) + cache_read + cache_write,
            output_tokens=_required(usage, output_key),
            cached_input_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=written_for_an_hour,
        )
    )


def anthropic_usage(usage: Mapping[str, Any]) -> Usage:
    """Anthropic's usage; `cache_creation` splits the cache writes by how long the cache
    lives, and the 1-hour ones (`ephemeral_1h_input_tokens`) cost more."""
    return _cache_apart_usage(
        usage,
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        _count(usage, "cache_creation", "ephemeral_1h_input_tokens"),
    )


def bedrock_usage(usage: Mapping[str, Any]) -> Usage:
    return _cache_apart_usage(
        usage, "inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"
    )


def bedrock_metrics_usage(metrics: Mapping[str, Any]) -> Usage:
    """The `amazon-bedrock-invocationMetrics` that end an InvokeModel stream, whatever the
    model: counts as Bedrock's token-count headers give them, cache reads and writes apart."""
    return _cache_apart_usage(
        metrics,
        "inputTokenCount",
        "outputTokenCount",
        "cacheReadInputTokenCount",
        "cacheWriteInputTokenCount",
    )


def gemini_usage(usage: Mapping[str, Any]) -> Usage:
    return checked(
        Usage(
            input_tokens=_count(usage, "promptTokenCount")
            + _count(usage, "toolUsePromptTokenCount"),
            output_tokens=_count(usage, "candidatesTokenCount")
            + _count(usage, "thoughtsTokenCount"),
            cached_input_tokens=_count(usage, "cachedContentTokenCount"),
        )
    )


def usage_from_parts(
    *,
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read: int = 0,
    cache_write: int = 0,
    reasoning: int = 0,
    total: int | None = None,
) -> Usage | None:
    """Usage from trace attributes, whose conventions vary by instrumentation.

    The OpenTelemetry GenAI conventions and OpenInference count cached tokens inside the
    input and reasoning tokens inside the output, as the fixture does; some
    instrumentations of Anthropic report the uncached input only, and some of Gemini the
    output without the thoughts. When the span reports a total, the reading whose sum
    equals it wins; without one, a part larger than its whole shows it was reported apart
    (cached 1,163 of an input of 4: Anthropic's convention); otherwise the standard
    reading holds.
    """
    if input_tokens is None and output_tokens is None:
        return None
    reported_input, reported_output = input_tokens or 0, output_tokens or 0
    readings: list[tuple[int, int]] = []
    for input_apart in (False, True):
        for reasoning_apart in (False, True):
            readings.append(
                (
                    reported_input + (cache_read + cache_write if input_apart else 0),
                    reported_output + (reasoning if reasoning_apart else 0),
                )
            )
    chosen = None
    if total is not None:
        chosen = next((reading for reading in readings if sum(reading) == total), None)
    if chosen is None:
        chosen = (
            reported_input
            + (cache_read + cache_write if reported_input < cache_read + cache_write else 0),
            reported_output + (reasoning if reported_output < reasoning else 0),
        )
    return checked(
        Usage(
            input_tokens=chosen[0],
            output_tokens=chosen[1],
            cached_input_tokens=cache_read,
            cache_write_tokens=cache_write,
        )
    )


def langfuse_usage(details: Mapping[str, Any]) -> Usage | None:
    """Langfuse `usageDetails`: usage types with their counts, and usually a `total`.

    Langfuse prices each usage type apart, so its SDKs report disjoint parts (`input` is
    then the uncached input, `input_cached_tokens` the cached part) whose sum is `total`.
    Keys are sorted into input and output by name: `output*`, `completion*` and
    `*reasoning*` are output, everything else input; `*cache_read*` and `*cached*` are
    cache reads, `*cache_creation*` and `*cache_write*` cache writes. When `input` and
    `output` alone already make the total, the other keys are breakdowns and not added.
    """
    counts: dict[str, int] = {}
    for key, value in details.items():
        count = token_count(value, f"usageDetails.{key}")
        if count is not None:
            counts[str(key)] = count
    total = counts.pop("total", None)
    if not counts:
        return None
    input_parts: dict[str, int] = {}
    output_parts: dict[str, int] = {}
    for key, count in counts.items():
        lowered = key.lower()
        is_output = lowered.startswith(("output", "completion")) or "reasoning" in lowered
        (output_parts if is_output else input_parts)[key] = count
    cache_read = sum(
        count for key, count in input_parts.items() if "cache_read" in key or "cached" in key
    )
    cache_write = sum(
        count
        for key, count in input_parts.items()
        if "cache_creation" in key or "cache_write" in key
    )
    base_input = input_parts.get("input", input_parts.get("prompt_tokens"))
    base_output = output_parts.get("output", output_parts.get("completion_tokens"))
    if (
        total is not None
        and base_input is not None
        and base_output is not None
        and base_input + base_output == total
        and sum(input_parts.values()) + sum(output_parts.values()) != total
    ):
        return checked(Usage(base_input, base_output, cache_read, cache_write))
    return checked(
        Usage(sum(input_parts.values()), sum(output_parts.values()), cache_read, cache_write)
    )
