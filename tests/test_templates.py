"""Templates come with pull requests: rendering is sandboxed and bounded, and a template
past a bound is a finding, not a hung CI job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cprlint import budgets
from cprlint.templates import (
    MAX_INTEGER_BITS,
    MAX_MADE_CHARS,
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


# --- single calls that would run away: refused before Python makes the result ----------

FIVE_THOUSAND_DIGITS = "1" * 5000


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # The cases an attacker's review found running for minutes or out of memory:
        ("{{ ((9**100)**100)**100 }}", f"a power of over {MAX_INTEGER_BITS:,} bits"),
        ("{{ lipsum(n=100000000) }}", "lipsum() of over 10,000 words"),
        ("{{ 'a'|center(10**9) }}", "a width of 1,000,000,000 is over the limit"),
        ("{{ 'x'|indent(10**9) }}", "a value of 1,000,000,001 characters or items"),
        ("{{ '%1000000000d'|format(1) }}", "a format width is over the limit"),
        ("{{ '%1000000000d' % 1 }}", "a format width is over the limit"),
        ("{{ '{:>1000000000}'.format(1) }}", "a format width is over the limit"),
        # 'ab' * 1000 is 2,000 characters; replacing '' puts it 2,001 times: 4,004,000.
        (
            "{% set s = 'ab' * 1000 %}{{ s.replace('', s) }}",
            "a value of 4,004,000 characters or items",
        ),
        # 11 characters, 12 places for '': 11 + 12 x 99,999 = 1,199,999.
        ("{{ 'abcdefghijk'|replace('', 'x' * 99999) }}", "a value of 1,199,999 characters"),
        ("{{ '{:>{}}'.format(1, 10**9) }}", "a format width is over the limit"),
        ("{{ '%*d' % (10**9, 1) }}", "a format width is over the limit"),
        ("{{ [1]|batch(10**9, 0)|list }}", "1,000,000,000 items a batch or slice"),
        ("{{ [1]|slice(10**9, 0)|list }}", "1,000,000,000 items a batch or slice"),
        ("{{ 'a'.ljust(10**9) }}", "a width of 1,000,000,000 is over the limit"),
        ("{{ 'a'.zfill(10**9) }}", "a width of 1,000,000,000 is over the limit"),
        ("{{ ('\t' * 1000).expandtabs(10**6) }}", "a value of 1,000,000,000 characters"),
        # 2**5000 * 2**5000 has over 10,000 bits.
        ("{{ (2 ** 100) ** 50 * (2 ** 100) ** 50 }}", "a product of over 10,000 bits"),
        # Doubling with `+` and `~` in a loop: each step is cheap, the value is not.
        (
            "{% set n = namespace(s='x' * 1000) %}{% for i in range(20) %}"
            "{% set n.s = n.s + n.s %}{% endfor %}",
            "a value of 1,024,000 characters or items",
        ),
        (
            "{% set n = namespace(s='x' * 1000) %}{% for i in range(20) %}"
            "{% set n.s = n.s ~ n.s %}{% endfor %}",
            "a value of 1,024,000 characters or items",
        ),
        # Made and thrown away: 11 values of 999,999 characters, 10,999,989 in all.
        (
            "{% for i in range(100) %}{% set x = 'a'.ljust(999999) %}{% endfor %}",
            f"rendering makes over {MAX_MADE_CHARS:,} characters",
        ),
        # Whatever else a template does wrong is a render error, never a crash.
        ("{{ 'abc'|truncate(-1) }}", "AssertionError"),
        ("{% if x is oddish %}{% endif %}", "No test named 'oddish'"),
    ],
)
def test_a_call_that_would_run_away_is_refused_first(source: str, reason: str) -> None:
    with pytest.raises(TemplateRenderError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        render(source, {"x": "12"})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ x|titel }}", "No filter named 'titel'."),
        (f"{{{{ {FIVE_THOUSAND_DIGITS} }}}}", "template cannot be read: Exceeds the limit"),
    ],
)
def test_what_cannot_compile_is_a_syntax_finding(source: str, message: str) -> None:
    # `lint` reports these (CPR202) as `check` does: an unknown filter is found by
    # compiling, not by parsing, and a 5,000-digit integer by Python's reading of it.
    found = template_syntax_error(source)
    assert found is not None
    assert found[1].startswith(message)


def test_each_rendering_is_charged_to_the_run() -> None:
    # A loop of 10 items printing each: `range(10)` is a call, the loop's start another,
    # then 10 items: 12 steps; its output, 10 characters, is 0 units of a thousand.
    budgets.start_run()
    budget = budgets.current()
    budget.start_replay(fixture_bytes=0)
    assert render("{% for i in range(10) %}{{ i % 10 }}{% endfor %}", {}) == (
        "0123456789",
        frozenset(),
    )
    assert budget.render_units_used == 12
    # Plain text and variables are not charged: they cost what their output does.
    render("Hello {{ name }}", {"name": "Dana"})
    assert budget.render_units_used == 12


def test_once_the_run_s_budget_is_spent_renderings_fail_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(budgets, "RUN_RENDER_UNITS", 100)
    budgets.start_run()
    budgets.current().start_replay(fixture_bytes=0)
    loop = "{% for i in range(98) %}{% endfor %}"  # 100 steps: the budget, not over it
    render(loop, {})
    assert not budgets.current().rendering_spent
    render("{% for i in range(1) %}{% endfor %}", {})  # 3 more: 103 > 100
    assert budgets.current().rendering_spent
    with pytest.raises(TemplateRenderError, match="the run's budget for template rendering"):
        render(loop, {})
    assert budgets.current().render_units_used == 103  # (the refused one cost nothing)
