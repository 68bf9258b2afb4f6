"""Static rules on fixture conversations: shape, references, usage, personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cprlint.findings import Location, Problem, Scope, Severity
from cprlint.model import EVENT_TYPES, Conversation
from cprlint.pii import PLACEHOLDER_LABELS, decompose, find_sensitive_data
from cprlint.rules.context import RuleContext
from cprlint.rules.registry import Target, documented_rule, rule

# Keys whose values are names cprlint itself reads, never free text from a customer.
_STRUCTURAL_KEYS = frozenset(
    {
        "id",
        "type",
        "role",
        "stage",
        "model",
        "prompt",
        "prompt_version",
        "status",
        "intent",
        "queue",
        "project",
        "automation",
        "resolved_by",
        "name",
        "started_at",
    }
)


def _scope(conversation: Conversation, **extra: str | None) -> Scope:
    return Scope(
        conversation=conversation.id,
        intent=conversation.intent,
        queue=conversation.queue,
        **extra,
    )


@rule("CPR301", "duplicate-conversation-id", Severity.ERROR, Target.FIXTURE)
def duplicate_conversation_id(
    conversation: Conversation, context: RuleContext
) -> Iterator[Problem]:
    """
    Two fixture conversations have the same `id`.

    Why: reports, waivers and the base comparison pair conversations by id; a duplicate
    counts one ticket twice and makes the comparison pair the wrong calls.

    Failing:
        {"id": "T-1001", "intent": "order_status", ...}
        {"id": "T-1001", "intent": "billing_dispute", ...}
    Passing:
        {"id": "T-1001", "intent": "order_status", ...}
        {"id": "T-1002", "intent": "billing_dispute", ...}
    """
    # Only the id's hash and the line are kept: the problems are worded once the whole
    # stream is read (`duplicate_ids`), when it is known where each id was first seen.
    document = conversation.document
    context.conversation_ids.add(conversation.id, document.path, document.start_line)
    return iter(())


def duplicate_ids(context: RuleContext) -> Iterator[Problem]:
    """CPR301's problems, once every conversation has been seen: the conversations whose
    ids hash alike are read again, and an id seen before is a problem where it is again."""
    candidates = context.conversation_ids.candidates()
    found = context.project.conversations_at(line for lines in candidates for line in lines)
    for lines in candidates:
        first_seen: dict[str, Location] = {}
        for line in lines:
            conversation = found.get(line)
            if conversation is None:
                continue
            first = first_seen.setdefault(conversation.id, line)
            if first != line:
                yield Problem(
                    f"conversation id `{conversation.id}` is used again (first at {first})",
                    conversation.locate("id"),
                    _scope(conversation),
                    code="CPR301",
                )


@rule("CPR302", "unknown-intent", Severity.ERROR, Target.FIXTURE)
def unknown_intent(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    A conversation's intent is neither listed by its policy nor covered by a `default`
    intent, or no policy governs the conversation at all.

    Why: such a ticket has no tier, no risk level and no budget; it is priced with the
    catalog only and escapes every check that matters.

    Failing:
        # policy lists password_reset only, with no default
        {"id": "T-1", "intent": "card_lost", ...}
    Passing:
        # policy lists password_reset and default
        {"id": "T-1", "intent": "card_lost", ...}
    """
    policy = context.project.policy_for(conversation.project)
    if policy is None:
        if context.project.policies:
            yield Problem(
                f"no policy governs project `{conversation.project}`; add one with "
                "`metadata.project` set, or one without a project",
                conversation.locate("project"),
                _scope(conversation),
            )
        return
    if policy.intent(conversation.intent) is None:
        yield Problem(
            f"intent `{conversation.intent}` is not in policy `{policy.name}`, which has no "
            "`default` intent",
            conversation.locate("intent"),
            _scope(conversation),
        )


@rule("CPR303", "unknown-event-type", Severity.ERROR, Target.FIXTURE)
def unknown_event_type(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    An event has a `type` cprlint does not know.

    Why: cost comes from `llm_call`, `retrieval` and `tool_call` events; an event typed
    `llm-call` or `tool` is silently not priced. Known types: message, llm_call,
    retrieval, tool_call, escalation.

    Failing:
        {"type": "llm-call", "model": "gpt-4o", "usage": {...}}
    Passing:
        {"type": "llm_call", "model": "gpt-4o", "usage": {...}}
    """
    for event in conversation.unknown_events:
        yield Problem(
            f"event type `{event.type}` is not one of {', '.join(EVENT_TYPES)}",
            conversation.locate("events", event.index, "type"),
            _scope(conversation),
        )


documented_rule(
    "CPR304",
    "bad-token-count",
    Severity.ERROR,
    Target.FIXTURE,
    """
    A token count is negative or not a whole number.

    Why: token counts come from provider usage objects and are whole, non-negative
    numbers; anything else is a broken export and would price to nonsense. Checked by
    the fixture schema for `input_tokens`, `output_tokens`, `cached_input_tokens`,
    `cache_write_tokens` and `context_tokens`.

    Failing:
        "usage": {"input_tokens": -12, "output_tokens": 3.5}
    Passing:
        "usage": {"input_tokens": 812, "output_tokens": 12}
    """,
)


@rule("CPR305", "llm-call-without-usage", Severity.WARNING, Target.FIXTURE)
def llm_call_without_usage(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    An `llm_call` has no `usage` object.

    Why: a call without usage costs nothing in replay, so the conversation looks cheaper
    than it was. Some streamed responses really arrive without usage; record it when the
    provider offers it (`stream_options: {include_usage: true}` for OpenAI).

    Failing:
        {"type": "llm_call", "model": "gpt-4o", "status": "ok"}
    Passing:
        {"type": "llm_call", "model": "gpt-4o", "status": "ok",
         "usage": {"input_tokens": 812, "output_tokens": 40}}
    """
    for event in conversation.llm_calls:
        if event.usage is None:
            yield Problem(
                "llm_call has no `usage`; it will be priced at 0",
                conversation.locate("events", event.index),
                _scope(conversation, prompt=event.prompt),
            )


@rule("CPR306", "cached-above-input", Severity.ERROR, Target.FIXTURE)
def cached_above_input(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    Cached and cache-written tokens add up to more than `input_tokens`.

    Why: in fixtures `input_tokens` counts all prompt tokens, cached ones included
    (OpenAI's convention). Anthropic reports cache reads and writes apart from
    `input_tokens`; an export that copies its numbers unchanged makes the uncached part
    negative. Add the cache tokens into `input_tokens`.

    Failing:
        "usage": {"input_tokens": 20, "cached_input_tokens": 1800, "output_tokens": 90}
    Passing:
        "usage": {"input_tokens": 1820, "cached_input_tokens": 1800, "output_tokens": 90}
    """
    for event in conversation.llm_calls:
        if event.usage is None:
            continue
        usage = event.usage
        if usage.cached_input_tokens + usage.cache_write_tokens <= usage.input_tokens:
            continue  # the common case: decided before the recorded counts are looked at
        # The recorded value, not the model's (which reads a broken count as 0).
        raw_usage = conversation.document.data["events"][event.index].get("usage", {})
        if not all(_is_count(raw_usage.get(key, 0)) for key in _USAGE_KEYS):
            continue  # a broken count is reported as such (CPR304), not compared
        yield Problem(
            f"cached ({usage.cached_input_tokens}) and cache-written "
            f"({usage.cache_write_tokens}) tokens exceed input_tokens "
            f"({usage.input_tokens}); input_tokens must include them",
            conversation.locate("events", event.index, "usage", "cached_input_tokens"),
            _scope(conversation, prompt=event.prompt),
        )


_USAGE_KEYS = ("input_tokens", "cached_input_tokens", "cache_write_tokens")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _strings(
    value: Any, key_path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """Every string of a fixture conversation, keys too: its path, the string, and
    whether it is a key (whose value is at that path)."""
    if isinstance(value, str):
        yield key_path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key not in _STRUCTURAL_KEYS:
                yield (*key_path, key), key, True
            if key not in _STRUCTURAL_KEYS or not isinstance(item, str):
                yield from _strings(item, (*key_path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*key_path, index))


# What every finding of `find_sensitive_data` without names needs somewhere in the line:
# an e-mail address one of the ways to write its `@` (`@`, `%40`, `(at)`, `[at]`, `<at>`,
# or ` at ` with its dots spelt out, ` dot ` or `(dot)`); an IBAN, a card or a phone
# number nine digits with nothing but separators between neighbours. The detector reads
# text folded (compatibility forms, dropped invisible characters and accents, case): a
# line with other than ASCII is folded alike first (`decompose`, in C).
_NINE_DIGITS = re.compile(r"\d(?:[\W_]*\d){8}")
# For the cheap first look at a line's UTF-8 bytes (the skeleton): every ASCII digit, and
# every byte of a non-ASCII character (which may be a digit of another script), becomes
# `0`, letters lower case, and what may separate digits is deleted (a backslash too, for
# `\/`), so that nine digits `_NINE_DIGITS` matches are nine `0`s in a row.
_SKELETON = bytes.maketrans(
    b"0123456789" + bytes(range(0x80, 0x100)) + b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    b"0" * (10 + 0x80) + b"abcdefghijklmnopqrstuvwxyz",
)
_SEPARATORS = b" .()+-/_\\"
_NINE_ZEROS = b"0" * 9
# (A pattern: the regex engine finds a literal sooner than `in` does.)
_DOT = re.compile(b"dot")


def might_hold_personal_data(raw_json: str) -> bool:
    """False when no string of this JSON text can hold personal data: most fixture lines,
    decided in C instead of by a walk over every string. A `\\u` escape may hide anything,
    so a line with one is always walked.

    `_NINE_DIGITS` costs some 70 µs on a typical line (the regex engine tries every
    digit), so the skeleton goes first: lines without nine `0`s in a row (nearly all) are
    decided by that substring search alone. The other tests look for a character rare in
    fixture lines (`%`, a closing bracket) before they look further, but for `dot`, which
    costs some 1.5 µs a line.
    """
    if "@" in raw_json or ("\\" in raw_json and "\\u" in raw_json):
        return True  # (`"\\u" in` alone is slow: `u` is frequent, a backslash is not)
    if not raw_json.isascii():
        raw_json = decompose(raw_json)
        if "@" in raw_json:
            return True  # a fullwidth or small commercial at
    skeleton = raw_json.encode("utf-8", "surrogatepass").translate(_SKELETON, _SEPARATORS)
    if _NINE_ZEROS in skeleton and _NINE_DIGITS.search(raw_json) is not None:
        return True
    if "%" in raw_json and b"%00" in skeleton:
        return True  # %40
    if _DOT.search(skeleton) is not None:
        return True  # dana at example dot com, (dot)
    if ")" in raw_json and _at_before_bracket(raw_json):
        return True  # (at): brackets are deleted from the skeleton, so read the text
    return _at_before(skeleton, ord("]")) or _at_before(skeleton, ord(">"))  # [at], <at>


def _at_before(skeleton: bytes, closer: int) -> bool:
    """Whether `at` stands before a `closer` in a skeleton (spaces deleted): `[ at ]`."""
    position = skeleton.find(closer)
    while position >= 0:
        if skeleton.endswith(b"at", 0, position):
            return True
        position = skeleton.find(closer, position + 1)
    return False


def _at_before_bracket(text: str) -> bool:
    """Whether `at` stands before a `)` in `text`: `( at )`."""
    position = text.find(")")
    while position >= 0:
        if text[max(0, position - 4) : position].replace(" ", "").lower().endswith("at"):
            return True
        position = text.find(")", position + 1)
    return False


@rule("CPR307", "personal-data", Severity.ERROR, Target.FIXTURE)
def personal_data(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    Fixture text contains personal data: an e-mail address, a phone number or a payment
    card number (one that passes the Luhn check).

    Why: fixtures are committed to the repository and read by everyone with access to
    it. Replace personal data with placeholders (`cprlint import` does it for you); the
    token count barely changes. IBANs (mod-97-checked) are found too, and keys as well as
    values; addresses written `(at)`, `%40` or in fullwidth letters, and numbers split by
    dots, slashes or no-break spaces, count. Ids (hex, base64, UUIDs) never do. The
    problem says where in the string the value is, never the value.

    Failing:
        {"type": "message", "role": "user", "text": "I'm dana@example.com, card 4111 1111 1111 1111"}
    Passing:
        {"type": "message", "role": "user", "text": "I'm <EMAIL_1>, card <CARD_1>"}
    """
    raw_json = conversation.document.raw_json
    if raw_json is not None and not might_hold_personal_data(raw_json):
        return
    for key_path, text, is_key in _strings(conversation.document.data, ()):
        for found in find_sensitive_data(text):
            yield Problem(
                f"{found.kind} in fixture {'key' if is_key else 'text'} (characters "
                f"{found.start + 1} to {found.end}); replace it with a placeholder such as "
                f"<{PLACEHOLDER_LABELS[found.kind]}_1>",
                conversation.locate(*key_path),
                _scope(conversation),
            )


@rule("CPR308", "unknown-prompt-version", Severity.ERROR, Target.FIXTURE)
def unknown_prompt_version(conversation: Conversation, context: RuleContext) -> Iterator[Problem]:
    """
    An `llm_call` names a prompt, or a prompt version, that the project does not have.

    Why: replay re-counts a call's tokens by rendering the recorded version and the
    version under review; without the recorded version's file the difference cannot be
    computed, and the call's cost under the new prompt is unknown. Versions that
    fixtures reference must be kept.

    Failing:
        {"type": "llm_call", "prompt": "billing_answer", "prompt_version": "v9", ...}
    Passing:
        {"type": "llm_call", "prompt": "billing_answer", "prompt_version": "v3", ...}
    """
    prompts = context.project.prompts
    if not prompts:
        return
    for event in conversation.llm_calls:
        if event.prompt is None:
            continue
        prompt = prompts.get(event.prompt)
        if prompt is None:
            yield Problem(
                f"prompt `{event.prompt}` does not exist under {context.project.config.prompts}/",
                conversation.locate("events", event.index, "prompt"),
                _scope(conversation, prompt=event.prompt),
            )
        elif event.prompt_version is not None and event.prompt_version not in prompt.versions:
            yield Problem(
                f"prompt `{event.prompt}` has no version `{event.prompt_version}`",
                conversation.locate("events", event.index, "prompt_version"),
                _scope(conversation, prompt=event.prompt),
            )
