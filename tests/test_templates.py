"""Templates come with pull requests: rendering is sandboxed and bounded, and a template
past a bound is a finding, not a hung CI job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cprlint.templates import (
    MAX_RANGE,
    MAX_RENDER_STEPS,
    TemplateRenderError,
    render,
    template_syntax_error,
)

THREE_EMPTY_LOOPS = (
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
    "{% endfor %}{% endfor %}{% endfor %}done"
)
# 2^40 calls, none of them a loop.
DOUBLING_MACRO = (
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "{{ range(1001) | length }}",
            f"range() of 1,001 items is over the limit of {MAX_RANGE:,}",
        ),
        ("{{ 'ab' * 50001 }}", "repetition too large"),
        ("{{ 2 ** 101 }}", "exponent too large"),
        ("{{ ''.__class__ }}", ""),  # the sandbox: no Python internals (renders empty)
        (THREE_EMPTY_LOOPS, f"rendering takes over {MAX_RENDER_STEPS:,} steps"),
        (DOUBLING_MACRO, f"rendering takes over {MAX_RENDER_STEPS:,} steps"),
        # Rebinding the name changes nothing: the loops call the environment's own.
        ("{% set counted_items = None %}" + THREE_EMPTY_LOOPS, "over 100,000 steps"),
        ("{% for i in range(1000) %}{{ 'x' * 1001 }}{% endfor %}", "over 1,000,000 characters"),
    ],
)
def test_a_template_past_a_bound_is_refused(source: str, reason: str) -> None:
    if not reason:
        assert render(source, {}) == ("", frozenset())
        return
    with pytest.raises(TemplateRenderError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        render(source, {})


def test_loops_nest_at_most_three_deep() -> None:
    four = "{% for a in x %}{% for b in x %}{% for c in x %}{% for d in x %}"
    four += "{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
    assert template_syntax_error(four) == (1, "for-loops nest deeper than 3 levels")


def test_ordinary_loops_render_within_the_budget() -> None:
    source = (
        "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}"
        "{% for m in history %}{{ m }};{% endfor %}"
        "{% for node in tree recursive %}{{ node.name }}{{ loop(node.kids) }}{% endfor %}"
        "{{ who }}"
    )
    # Steps: a loop's start is one (a call), each of its items one. The nested loops:
    # 1 start + 315 items + 315 starts of the inner loop + 315 x 315 items = 99,856.
    # The history: 1 + 139 items = 140. The tree: 1 start + 1 item + 2 `loop()` calls = 4.
    # 99,856 + 140 + 4 = 100,000: the whole budget.
    variables = {
        "items": list(range(315)),
        "history": [str(i) for i in range(139)],
        "tree": [{"name": "a", "kids": [{"name": "b", "kids": []}]}],
    }
    text, missing = render(source, variables)
    assert text == "".join(f"{i};" for i in range(139)) + "ab"
    assert missing == {"who"}
    # One more step is one too many.
    variables["history"] = [*variables["history"], "139"]
    with pytest.raises(TemplateRenderError, match="steps"):
        render(source, variables)


def test_a_runaway_template_is_a_finding(run_cli, starter_project: Path) -> None:
    root = starter_project
    (root / "prompts" / "answer" / "v2.md").write_text(DOUBLING_MACRO + "{{ facts }}")
    prompt = root / "prompts" / "answer" / "prompt.yaml"
    prompt.write_text(prompt.read_text().replace("released: v1", "released: v2"))
    result = run_cli("check", str(root), "--format", "json", "--no-cache")
    findings = json.loads(result.stdout)["findings"]
    (refused,) = [finding for finding in findings if finding["path"] == "prompts/answer/v2.md"]
    assert refused["message"].startswith("template cannot be rendered (SecurityError: rendering")
