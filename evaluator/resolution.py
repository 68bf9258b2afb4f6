"""Whether a conversation counts as a resolution, under a policy's rule.

A rule's clauses are tried in a fixed order; the first that voids the resolution decides
it, and each run reports how many conversations each clause decided (`CLAUSES`). A clause
that needs a time the conversation lacks (no `at` on a message it must place) does not
guess: the conversation is judged by the rest of the rule, and counted apart (`untimed`).

The clauses, in order:

1. `status`: `outcome.status` is one of `statuses`.
2. `resolved_by`: who resolved it is one of `resolved_by`; under a rule that counts only
   some resolvers, an outcome that does not say who resolved it does not count.
3. `reopened`: with `exclude_reopened`, a reopened conversation (`outcome.reopened`, or
   an `outcome.reopened_at`) does not count; with `reopened_within`, only one reopened
   within that long after its resolution (the last AI answer, else the last event).
4. `agent_message` (`void_when.agent_message`): a human agent's message voids it.
5. `csat` (`void_when.csat_below: N`): a CSAT score under N voids it.
6. `greeting_only` (`void_when.greeting_only`): an AI whose only answer replied to a
   greeting ("hi", "hello") resolved nothing.
7. `unconfirmed` (`confirmed_only`): only resolutions the customer confirmed count.
8. `assumed_after`: an unconfirmed resolution is assumed only if the customer did not
   write again within that long after the last AI answer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cprlint.model import Conversation, Message, Outcome, ResolutionRule

COUNTED = "counted"
CLAUSES = (
    "status",
    "resolved_by",
    "unattributed",  # (of `resolved_by`: the outcome does not say who resolved it)
    "reopened",
    "agent_message",
    "csat",
    "greeting_only",
    "unconfirmed",
    "assumed_after",
    COUNTED,
)
# The clauses that need times (what `untimed` names), and the key of the rule each is
# judged by.
TIMED_CLAUSES = {"reopened": "reopened_within", "assumed_after": "assumed_after"}


@dataclass(frozen=True)
class Judgement:
    resolved: bool
    clause: str  # the clause that decided: the first that voided it, or COUNTED
    untimed: tuple[str, ...] = ()  # clauses that could not be judged for want of a time


def rule_json(rule: ResolutionRule) -> dict[str, Any]:
    """The rule as a report states it: every clause's setting, the preset's expanded."""
    return {
        "preset": rule.preset,
        "statuses": list(rule.statuses),
        "resolved_by": list(rule.resolved_by),
        "exclude_reopened": rule.exclude_reopened,
        "reopened_within": duration_text(rule.reopened_within),
        "confirmed_only": rule.confirmed_only,
        "assumed_after": duration_text(rule.assumed_after),
        "void_when": {
            "agent_message": rule.void_on_agent_message,
            "csat_below": rule.csat_below,
            "greeting_only": rule.void_greeting_only,
        },
    }


def duration_text(duration: dt.timedelta | None) -> str | None:
    """As a policy writes a duration: whole weeks in days (`7d`), else hours and minutes
    (`24h`, `72h`, `1h30m`), the way the vendors state their windows."""
    if duration is None:
        return None
    minutes = int(duration.total_seconds() // 60)
    if minutes and minutes % (7 * 24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") or "0m"


def instant(text: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time (`2026-11-02T09:15:00Z`, an offset, or none: UTC), or None."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# Greetings, in the languages of support teams' customers; a message is a greeting when,
# lower-cased and stripped of punctuation and emoji, it is one of these, or one of these
# and a name ("hi anna").
_GREETINGS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "hiya",
        "yo",
        "hallo",
        "hola",
        "bonjour",
        "salut",
        "ciao",
        "olá",
        "ola",
        "moin",
        "servus",
        "hej",
        "hei",
        "namaste",
        "greetings",
        "howdy",
    ]
) | {
    "hi there",
    "hello there",
    "hey there",
    "good morning",
    "good afternoon",
    "good evening",
    "guten tag",
    "buenos días",
    "buenos dias",
    "bom dia",
    "buongiorno",
}
_WORDS = re.compile(r"[^\w\s]", re.UNICODE)


def is_greeting(text: str) -> bool:
    words = _WORDS.sub(" ", unicodedata.normalize("NFKC", text).lower()).split()
    if not words or len(words) > 3:
        return False
    phrase = " ".join(words)
    return (
        phrase in _GREETINGS
        or " ".join(words[:2]) in _GREETINGS
        or (words[0] in _GREETINGS and len(words) <= 2)
    )


def judge_resolution(conversation: Conversation, rule: ResolutionRule) -> Judgement:
    """Whether the conversation counts as a resolution under `rule`, and which clause
    decided it."""
    outcome = conversation.outcome
    if outcome.status not in rule.statuses:
        return Judgement(False, "status")
    if outcome.resolved_by is None:
        if not rule.counts_unattributed:
            return Judgement(False, "unattributed")
    elif outcome.resolved_by not in rule.resolved_by:
        return Judgement(False, "resolved_by")
    untimed: list[str] = []
    messages = [event for event in conversation.events if type(event) is Message]
    reopened = _reopened(conversation, outcome, rule, messages)
    if reopened is None:
        untimed.append("reopened")
    elif reopened:
        return Judgement(False, "reopened")
    if rule.void_on_agent_message and any(message.role == "agent" for message in messages):
        return Judgement(False, "agent_message", tuple(untimed))
    if rule.csat_below is not None and outcome.csat is not None and outcome.csat < rule.csat_below:
        return Judgement(False, "csat", tuple(untimed))
    if rule.void_greeting_only and _answers_only_a_greeting(messages):
        return Judgement(False, "greeting_only", tuple(untimed))
    if outcome.confirmed is True:
        return Judgement(True, COUNTED, tuple(untimed))
    if rule.confirmed_only:
        return Judgement(False, "unconfirmed", tuple(untimed))
    if rule.assumed_after is not None:
        came_back = _wrote_again_within(messages, rule.assumed_after)
        if came_back is None:
            untimed.append("assumed_after")
        elif came_back:
            return Judgement(False, "assumed_after", tuple(untimed))
    return Judgement(True, COUNTED, tuple(untimed))


def _reopened(
    conversation: Conversation, outcome: Outcome, rule: ResolutionRule, messages: list[Message]
) -> bool | None:
    """Whether a reopening takes the resolution back; None when the window cannot be
    judged for want of a time."""
    if not rule.exclude_reopened or not (outcome.reopened or outcome.reopened_at):
        return False
    if rule.reopened_within is None:
        return True
    reopened_at = instant(outcome.reopened_at)
    resolved_at = _resolution_moment(conversation, messages)
    if reopened_at is None or resolved_at is None:
        return None
    return reopened_at - resolved_at <= rule.reopened_within


def _resolution_moment(conversation: Conversation, messages: list[Message]) -> dt.datetime | None:
    """When the conversation was resolved: the last AI answer, else its last event with a
    time, else when it started."""
    for message in reversed(messages):
        if message.role == "assistant":
            return instant(message.at)
    times = (instant(event.at) for event in reversed(conversation.events))
    return next((moment for moment in times if moment is not None), None) or instant(
        conversation.started_at
    )


def _answers_only_a_greeting(messages: Iterable[Message]) -> bool:
    """The AI answered once, and what it answered was a greeting."""
    last_user: Message | None = None
    answered: list[Message | None] = []
    for message in messages:
        if message.role == "user":
            last_user = message
        elif message.role == "assistant":
            answered.append(last_user)
    return len(answered) == 1 and answered[0] is not None and is_greeting(answered[0].text)


def _wrote_again_within(messages: list[Message], window: dt.timedelta) -> bool | None:
    """Whether the customer wrote within `window` after the last AI answer; None when
    the answer or a later message of theirs has no time. No AI answer: nothing to
    assume, and nothing voids it here."""
    last_answer = next(
        (
            index
            for index in range(len(messages) - 1, -1, -1)
            if messages[index].role == "assistant"
        ),
        None,
    )
    if last_answer is None:
        return False
    later = [message for message in messages[last_answer + 1 :] if message.role == "user"]
    if not later:
        return False
    answered_at = instant(messages[last_answer].at)
    moments = [instant(message.at) for message in later]
    if answered_at is None or None in moments:
        return None
    return any(moment is not None and moment - answered_at <= window for moment in moments)
