"""Token deltas between prompt versions: the fast way equals rendering and counting whole.

`TokenDeltas` counts only the windows around variables that differ between two
templates; `TokenDeltas(plain=True)` renders both with Jinja and counts both texts.
Hypothesis writes templates of literal text and printed variables, and variables of
every JSON type (some missing, some named like Jinja globals), and the two must agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from cprlint.deltas import TokenDeltas, count_plan
from cprlint.templates import MAX_RENDERED_CHARS, Printed, TemplateRenderError, printed_parts
from cprlint.tokens import SUPPORTED_ENCODINGS, TokenCounter, encoding
from hypothesis import given, settings
from hypothesis import strategies as st

NAMES = ["customer_name", "plan", "facts", "range", "missing"]
LITERALS = [
    "You are a support assistant. ",
    "The customer is ",
    " on the ",
    " plan.",
    "\n",
    "\n\nFacts:\n",
    "Answer in plain words",
    ", briefly",
    " ",
    "",
    "(",
    ")",
    "/",
]
part = st.one_of(
    st.sampled_from(LITERALS).map(lambda text: text),
    st.sampled_from(NAMES).map(lambda name: "{{ " + name + " }}"),
)
template = st.lists(part, max_size=12).map("".join)
value = st.one_of(
    st.sampled_from(["Dana", "Ana María", "gold", "", " ", "\n", "x\ny", "12 34", "/"]),
    st.text(max_size=12),
    st.integers(-5, 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.none(),
    st.booleans(),
    st.lists(st.sampled_from(["a", "b c"]), max_size=2),
)
variables = st.dictionaries(st.sampled_from(NAMES[:3]), value)


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
@settings(max_examples=400, deadline=None)
@given(recorded=template, candidate=template, values=variables)
def test_the_fast_delta_is_the_plain_delta(
    name: str, recorded: str, candidate: str, values: dict[str, Any]
) -> None:
    fast = TokenDeltas(TokenCounter()).delta(recorded, candidate, values, name)
    plain = TokenDeltas(TokenCounter(), plain=True).delta(recorded, candidate, values, name)
    assert fast == plain


def test_a_version_that_edits_away_from_its_variables_needs_no_tokenizing() -> None:
    recorded = "You are a support assistant. The customer is {{ customer_name }}.\n"
    candidate = "You are a kind support assistant. The customer is {{ customer_name }}.\n"
    counted: list[str] = []

    class Recording(TokenCounter):
        def count(self, text: str, encoding_name: str) -> int:
            counted.append(text)
            return super().count(text, encoding_name)

    deltas = TokenDeltas(Recording())
    # " kind" is one more word, one more token: "You| are| a| kind| support| ...".
    assert deltas.delta(recorded, candidate, {"customer_name": "Dana"}, "o200k_base") == (
        1,
        (frozenset(), frozenset()),
    )
    counted.clear()
    assert deltas.delta(recorded, candidate, {"customer_name": "Ana María"}, "o200k_base")[0] == 1
    assert counted == []  # the window " is {{ customer_name }}.\n" is in both: it cancels


def test_the_plan_cuts_literals_at_boundaries_only() -> None:
    parts = printed_parts("Hi {{ name }}, welcome.\nYour plan is {{ plan }}.")
    assert parts == ("Hi ", Printed("name"), ", welcome.\nYour plan is ", Printed("plan"), ".")
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return len(encoding("o200k_base").encode_ordinary(text))

    plan = count_plan(parts, count)
    # A window runs from the last cut before a variable to the first cut after it. "Hi "
    # is cut before its trailing space (a space after a non-space); ", welcome..." after
    # its comma (the space before "welcome"); "...plan is " before its trailing space;
    # "." has no cut inside, so the last window runs to the end.
    assert plan.windows == ((" ", Printed("name"), ","), (" ", Printed("plan"), "."))
    # The fixed runs between the cuts, each counted once for the template.
    assert counted == ["Hi", " welcome.\n", "Your", " plan", " is"]
    # "Hi" 1 + " welcome" "." "\n" ... each run's own count, summed.
    assert plan.static_tokens == sum(
        count(text) for text in ["Hi", " welcome.\n", "Your", " plan", " is"]
    )


def test_missing_variables_are_reported_like_jinja_does() -> None:
    deltas = TokenDeltas(TokenCounter())
    _, missing = deltas.delta("Hi.", "Hi {{ name }}, {{ plan }}", {"plan": "gold"}, "o200k_base")
    assert missing == ({"name"}, set())


@pytest.mark.parametrize("plain", [False, True])
def test_a_variable_the_recorded_version_misses_is_reported_too(plain: bool) -> None:
    # The recorded version prints `tier`, which the conversation lacks: its rendering
    # is shorter than what production sent, and the change is miscounted as much.
    deltas = TokenDeltas(TokenCounter(), plain=plain)
    _, missing = deltas.delta("Hi {{ tier }}.", "Hi {{ plan }}!", {"plan": "gold"}, "o200k_base")
    assert missing == (set(), {"tier"})


def test_a_jinja_global_or_a_huge_rendering_goes_to_jinja() -> None:
    deltas = TokenDeltas(TokenCounter())
    plain = TokenDeltas(TokenCounter(), plain=True)
    # `range` unknown prints Jinja's global function: left to Jinja, the same either way.
    assert deltas.delta("a", "a {{ range }}", {}, "o200k_base") == plain.delta(
        "a", "a {{ range }}", {}, "o200k_base"
    )
    huge = {"facts": "x " * (MAX_RENDERED_CHARS // 2 + 1)}
    with pytest.raises(TemplateRenderError, match="over"):
        deltas.delta("{{ facts }}", "{{ facts }} {{ facts }}", huge, "o200k_base")


def test_templates_with_logic_are_rendered_by_jinja() -> None:
    assert printed_parts("{% if plan %}Plan: {{ plan }}{% endif %}") is None
    assert printed_parts("{{ plan | upper }}") is None
    assert printed_parts("{{ amount }} {{ 'EUR' }}") == (Printed("amount"), " EUR")
    deltas = TokenDeltas(TokenCounter())
    plain = TokenDeltas(TokenCounter(), plain=True)
    args = ("Plan.", "{% if plan %}Plan: {{ plan }}{% endif %}", {"plan": Decimal("9.99")})
    assert deltas.delta(*args, "cl100k_base") == plain.delta(*args, "cl100k_base")
