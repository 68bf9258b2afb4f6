"""Small cprlint projects written to a directory, and hypothesis strategies for their fixtures.

The two policies price every model they route to in `pricing.models` and turn the
bundled catalog off (`catalog: none`), so no number depends on the catalog. Two prompts,
`answer` and `router`, have two versions each; which one is released, and the front
matter of each version, are the caller's choice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ECONOMY, STANDARD, PREMIUM = "gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"
MODELS = (ECONOMY, STANDARD, PREMIUM)
INTENTS = ("order_status", "billing", "other")  # `other` falls to the `default` intent
QUEUES = ("orders", "billing")
AUTOMATION = ("full", "partial", "assisted")
TOOLS = ("lookup_order", "refund", "send_email")
PROMPT_IDS = ("answer", "router")
VERSIONS = ("v1", "v2")
UNRESOLVED_STATUSES = ("escalated", "abandoned", "open")
MESSAGES = (
    "Where is my order?",
    "I was charged twice for order 1182, please refund one of the charges",
    "wrong size, can I swap it? ünïcödé 🙂",
    "",
)

# Per 1M tokens (and per query, per tool call, per minute): few enough decimals that
# every cost is exact in Decimal; `write_project(price_factor=...)` scales all of them.
MODEL_PRICES: Mapping[str, Mapping[str, Decimal]] = {
    ECONOMY: {
        "input": Decimal("0.15"),
        "cached_input": Decimal("0.075"),
        "cache_write": Decimal("0.1875"),
        "output": Decimal("0.60"),
    },
    STANDARD: {
        "input": Decimal("0.40"),
        "cached_input": Decimal("0.10"),
        "output": Decimal("1.60"),
    },
    PREMIUM: {"input": Decimal("2.50"), "cached_input": Decimal("1.25"), "output": Decimal("10")},
}
RETRIEVAL_PER_QUERY = Decimal("0.0004")
TOOL_PRICES: Mapping[str, Decimal] = {
    "lookup_order": Decimal("0.001"),
    "default": Decimal("0.0002"),
}
HUMAN_PER_MINUTE = Decimal("0.90")

POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata:
  name: {name}
  version: 1{project}
currency: USD
pricing:
  catalog: none
  models:
{models}
  retrieval: {{per_query: {retrieval}}}
  tools: {{{tools}}}
  human: {{per_minute: {human}}}
tiers:
  economy: [{economy}]
  standard: [{standard}]
  premium: [{premium}]
risk:
  low: [economy, standard]
  medium: [standard, premium]
  high: [premium]
routing:
  stages: {{classify: economy}}
intents:
  order_status: {{risk: low, tier: economy, budget: 0.01}}
  billing: {{risk: high, tier: premium}}
  default: {{risk: medium, tier: standard}}
retries:
  max_per_stage: {{classify: 0, generate: 1}}
  max_fallbacks: 1
  max_identical_tool_calls: 1
budgets:
  cost_per_resolution: 0.05
  max_input_tokens: 15000
  max_context_tokens: 3000
resolution:
  statuses: [resolved]
  exclude_reopened: true
traffic:
  monthly_tickets: 10000
  mix: {{order_status: 0.6, billing: 0.4}}
"""

TEMPLATES: Mapping[tuple[str, str], str] = {
    ("answer", "v1"): "You answer for Shop. Help {{ customer_name }} with their order.\n",
    ("answer", "v2"): (
        "You are Shop's support assistant. The customer is {{ customer_name }} on the\n"
        "{{ plan }} plan. Answer in two short paragraphs and never promise a refund date.\n"
    ),
    ("router", "v1"): "Classify: {{ message }}\n",
    ("router", "v2"): (
        "Route this support ticket to one intent (order_status, billing, other) and answer\n"
        "with the intent name only.\n\nMessage: {{ message }}\n"
    ),
}


# Output caps and a model pin, for the properties that hold whatever the prompts say.
CAPS_AND_PIN: Mapping[tuple[str, str], Mapping[str, Any]] = {
    ("router", "v2"): {"max_output_tokens": 8},
    ("answer", "v2"): {"model": PREMIUM, "max_output_tokens": 400},
}


# (file, name, project it governs, its price level): conversations of project `shop-eu`
# are priced by the second policy, all others by the first (SPEC §3.1).
POLICIES = (
    ("shop.yaml", "shop-support", None, Decimal(1)),
    ("shop-eu.yaml", "shop-eu-support", "shop-eu", Decimal("1.2")),
)
PROJECTS = ("shop", "shop-eu", None)


def policy_text(
    *, name: str, project: str | None, price_level: Decimal = Decimal(1), price_factor: int = 1
) -> str:
    def price(amount: Decimal) -> str:
        return str(amount * price_level * price_factor)

    models = "\n".join(
        f"    {model}: {{"
        + ", ".join(f"{kind}: {price(amount)}" for kind, amount in prices.items())
        + "}"
        for model, prices in MODEL_PRICES.items()
    )
    return POLICY.format(
        name=name,
        project="" if project is None else f"\n  project: {project}",
        models=models,
        retrieval=price(RETRIEVAL_PER_QUERY),
        tools=", ".join(f"{tool}: {price(amount)}" for tool, amount in TOOL_PRICES.items()),
        human=price(HUMAN_PER_MINUTE),
        economy=ECONOMY,
        standard=STANDARD,
        premium=PREMIUM,
    )


def write_project(
    root: Path,
    conversations: Iterable[Mapping[str, Any]],
    *,
    released: Mapping[str, str] | None = None,
    price_factor: int = 1,
    front_matter: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> Path:
    """Write policies, prompts and `fixtures/recorded.jsonl` under `root`; return the fixture."""
    released = {"answer": "v2", "router": "v2", **(released or {})}
    (root / "policies").mkdir(parents=True, exist_ok=True)
    for file_name, name, project, price_level in POLICIES:
        (root / "policies" / file_name).write_text(
            policy_text(
                name=name, project=project, price_level=price_level, price_factor=price_factor
            )
        )
    for (prompt_id, version), template in TEMPLATES.items():
        folder = root / "prompts" / prompt_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prompt.yaml").write_text(
            f"id: {prompt_id}\nreleased: {released[prompt_id]}\nowners: ['@shop/support']\n"
        )
        settings = (front_matter or {}).get((prompt_id, version))
        header = "".join(f"{key}: {value}\n" for key, value in (settings or {}).items())
        (folder / f"{version}.md").write_text(
            f"---\n{header}---\n{template}" if header else template
        )
    return write_fixture(root / "fixtures" / "recorded.jsonl", conversations)


def write_fixture(path: Path, conversations: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(conversation) + "\n" for conversation in conversations))
    return path


# --- strategies -----------------------------------------------------------------------


@st.composite
def usages(draw: st.DrawFn, *, min_input_tokens: int = 0) -> dict[str, int]:
    input_tokens = draw(st.integers(min_input_tokens, 20_000))
    cached = draw(st.integers(0, input_tokens))
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": draw(st.integers(0, 2_000)),
        "cached_input_tokens": cached,
    }
    if draw(st.booleans()):
        usage["cache_write_tokens"] = draw(st.integers(0, input_tokens - cached))
    return usage


@st.composite
def llm_calls(
    draw: st.DrawFn,
    *,
    recorded_versions: Mapping[str, tuple[str, ...]],
    usage_optional: bool = True,
    min_input_tokens: int = 0,
) -> dict[str, Any]:
    prompt = draw(st.sampled_from((*PROMPT_IDS, None)))
    call: dict[str, Any] = {
        "type": "llm_call",
        "stage": draw(st.sampled_from(("classify", "generate", "summarize"))),
        "model": draw(st.sampled_from(MODELS)),
        "attempt": draw(st.integers(1, 3)),
        "status": draw(st.sampled_from(("ok", "error"))),
    }
    if prompt is not None:
        call["prompt"] = prompt
        call["prompt_version"] = draw(st.sampled_from(recorded_versions[prompt]))
        if prompt == "router":
            call["vars"] = {"message": draw(st.sampled_from(MESSAGES))}
    if draw(st.integers(0, 9)) == 0:
        call["fallback"] = True
    if not usage_optional or draw(st.integers(0, 9)) > 0:
        call["usage"] = draw(usages(min_input_tokens=min_input_tokens))
    return call


def other_events() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda text: {"type": "message", "role": "user", "text": text},
            st.sampled_from(MESSAGES),
        ),
        st.builds(
            lambda tokens: {"type": "retrieval", "stage": "retrieve", "context_tokens": tokens},
            st.integers(0, 4_000),
        ),
        st.builds(
            lambda name, order: {"type": "tool_call", "name": name, "args": {"order": order}},
            st.sampled_from(TOOLS),
            st.integers(1, 3),
        ),
        st.builds(
            lambda halves: {
                "type": "escalation",
                "reason": "customer asked",
                "handle_minutes": halves / 2,
            },
            st.integers(0, 60),
        ),
    )


@st.composite
def outcomes(draw: st.DrawFn, *, unresolved: bool = False) -> dict[str, Any]:
    if unresolved:
        # Unresolved under the policy: a status that does not count, or a reopened ticket.
        status = draw(st.sampled_from((*UNRESOLVED_STATUSES, "resolved")))
        reopened = True if status == "resolved" else draw(st.booleans())
    else:
        status = draw(st.sampled_from(("resolved", "resolved", "resolved", *UNRESOLVED_STATUSES)))
        reopened = draw(st.integers(0, 4)) == 0
    outcome: dict[str, Any] = {"status": status, "reopened": reopened}
    resolved_by = draw(st.sampled_from(("ai", "human", None)))
    if resolved_by is not None:
        outcome["resolved_by"] = resolved_by
    return outcome


@st.composite
def conversations(
    draw: st.DrawFn,
    *,
    conversation_id: str,
    recorded_versions: Mapping[str, tuple[str, ...]] | None = None,
    unresolved: bool = False,
    min_llm_calls: int = 0,
    usage_optional: bool = True,
    min_input_tokens: int = 0,
) -> dict[str, Any]:
    versions = recorded_versions or dict.fromkeys(PROMPT_IDS, VERSIONS)
    calls = draw(
        st.lists(
            llm_calls(
                recorded_versions=versions,
                usage_optional=usage_optional,
                min_input_tokens=min_input_tokens,
            ),
            min_size=min_llm_calls,
            max_size=4,
        )
    )
    others = draw(st.lists(other_events(), max_size=4))
    events = draw(st.permutations(calls + others))
    conversation: dict[str, Any] = {
        "id": conversation_id,
        "intent": draw(st.sampled_from(INTENTS)),
        "queue": draw(st.sampled_from(QUEUES)),
        "automation": draw(st.sampled_from(AUTOMATION)),
        "vars": {"customer_name": draw(st.sampled_from(("Dana", "Lee", "Zoë Ångström")))},
        "outcome": draw(outcomes(unresolved=unresolved)),
        "events": events,
    }
    if draw(st.booleans()):
        conversation["vars"]["plan"] = draw(st.sampled_from(("Pro", "Basic")))
    project = draw(st.sampled_from(PROJECTS))
    if project is not None:
        conversation["project"] = project
    return conversation


def conversation_lists(
    *,
    min_size: int = 1,
    max_size: int = 8,
    recorded_versions: Mapping[str, tuple[str, ...]] | None = None,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of conversations with ids T-1, T-2, ... (unique, as real exports have)."""
    return st.integers(min_size, max_size).flatmap(
        lambda size: st.tuples(
            *(
                conversations(conversation_id=f"T-{number}", recorded_versions=recorded_versions)
                for number in range(1, size + 1)
            )
        ).map(list)
    )
