"""Prompt templates: Jinja2 in a sandbox, because templates arrive in pull requests.

One environment for all of cprlint. It is sandboxed (no attribute access to Python
internals), autoescape-free (prompts are text, not HTML), and bounded: `range` yields at
most 1,000 items, string and list repetition and powers are capped, for-loops nest at
most three deep, and a rendering stops at 1,000,000 characters or at 100,000 steps (a
call, the start of a for-loop included, or an item of a for-loop). The steps are what
the other bounds miss: three nested loops that print nothing would still run a billion
times, and a macro that calls itself twice grows as 2^n. An unknown variable renders
empty (and attribute access on it too); which ones were missing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RANGE = 1_000
MAX_LOOP_NESTING = 3
MAX_RENDERED_CHARS = 1_000_000
MAX_REPEAT_ITEMS = 100_000
MAX_RENDER_STEPS = 100_000


class _Rendering:
    """What one rendering has used up: its steps, and the unknown variables it printed."""

    __slots__ = ("missing", "steps_left")

    def __init__(self) -> None:
        self.missing: set[str] = set()
        self.steps_left = MAX_RENDER_STEPS

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise SecurityError(
                f"rendering takes over {MAX_RENDER_STEPS:,} steps (loop items and calls)"
            )


_rendering: ContextVar[_Rendering] = ContextVar("rendering")


class _ReportingUndefined(ChainableUndefined):
    """Renders as empty text, and notes the name of the variable that was missing."""

    def __str__(self) -> str:
        rendering = _rendering.get(None)
        if rendering is not None and self._undefined_name is not None:
            rendering.missing.add(self._undefined_name)
        return ""


class TemplateRenderError(Exception):
    """A template that parses but cannot be rendered with these variables."""


def _capped_range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise SecurityError(f"range() of {len(items):,} items is over the limit of {MAX_RANGE:,}")
    return items


class _PromptEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                sized = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if sized and len(sequence) * times > MAX_REPEAT_ITEMS:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # (Jinja's own signature: a template may pass keyword arguments named `self`.)
        rendering = _rendering.get(None)
        if rendering is not None:
            rendering.step()
        return super().call(__context, __obj, *args, **kwargs)

    def counted_items(self, items: Any) -> Iterator[Any]:
        """A for-loop's items, each a step of the rendering (see `_counting_loops`)."""
        rendering = _rendering.get(None)
        for item in items:
            if rendering is not None:
                rendering.step()
            yield item


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = _PromptEnvironment(
        autoescape=False, keep_trailing_newline=True, undefined=_ReportingUndefined
    )
    env.globals["range"] = _capped_range
    return env


def _loop_nesting(node: nodes.Node, depth: int = 0) -> int:
    deepest = depth
    for child in node.iter_child_nodes():
        child_depth = depth + 1 if isinstance(child, nodes.For) else depth
        deepest = max(deepest, _loop_nesting(child, child_depth))
    return deepest


@cache
def template_syntax_error(source: str) -> tuple[int, str] | None:
    """(1-based line within the template, message) when `source` does not parse."""
    try:
        tree = environment().parse(source)
    except TemplateSyntaxError as error:
        return error.lineno or 1, error.message or "invalid template"
    except RecursionError:
        # Jinja's parser recurses per bracket: `{{ ((((...` a few hundred deep exhausts it.
        return 1, "expressions nest too deeply to parse"
    if _loop_nesting(tree) > MAX_LOOP_NESTING:
        return 1, f"for-loops nest deeper than {MAX_LOOP_NESTING} levels"
    return None


@dataclass(frozen=True)
class Printed:
    """A variable printed as it is: `{{ name }}`, no filter, no attribute."""

    name: str


@cache
def printed_parts(source: str) -> tuple[str | Printed, ...] | None:
    """The template as literal text and printed variables, when that is all it is.

    Such a template renders as the literal parts joined with `str()` of each variable
    (Jinja prints a value with `str`, and nothing else runs), which lets a caller work on
    the parts without rendering. None for anything else: conditions, loops, filters,
    expressions; those are rendered by Jinja.
    """
    if template_syntax_error(source) is not None:
        return None
    parts: list[str | Printed] = []
    for node in environment().parse(source).body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                literal: str = child.data
            elif isinstance(child, nodes.Const) and isinstance(child.value, str):
                literal = child.value
            elif isinstance(child, nodes.Name) and child.ctx == "load":
                parts.append(Printed(child.name))
                continue
            else:
                return None
            if parts and isinstance(parts[-1], str):
                parts[-1] += literal
            elif literal:
                parts.append(literal)
    return tuple(parts)


def is_global(name: str) -> bool:
    """Whether an unknown variable `name` would print one of Jinja's globals (`range`, ...)."""
    return name in environment().globals


@cache
def _compile(source: str) -> Template:
    """Templates compiled once per distinct text (a version's text, not per call)."""
    return environment().from_string(_counting_loops(environment().parse(source)))


def _counting_loops(tree: nodes.Template) -> nodes.Template:
    """Every for-loop iterates `environment.counted_items(...)` of what it names: an
    attribute of the environment, which no template can rebind."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(
            nodes.EnvironmentAttribute("counted_items"), [loop.iter], [], None, None
        )
    return tree


def render(source: str, variables: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """The rendered text, and the names of unknown variables that rendered as empty text.

    A variable only tested (`{% if invoice_total %}`) is optional by design and is not
    reported; one printed while unknown is.
    """
    if template_syntax_error(source) is not None:
        raise TemplateRenderError("template does not parse")
    template = _compile(source)
    try:
        rendering = _Rendering()
        token = _rendering.set(rendering)
        try:
            text = "".join(_chunks(template.generate(dict(variables))))
        finally:
            _rendering.reset(token)
        return text, frozenset(rendering.missing)
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError) as error:
        raise TemplateRenderError(f"{type(error).__name__}: {error}") from error


def _chunks(chunks: Iterator[str]) -> Iterator[str]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise TemplateRenderError(f"rendering is over {MAX_RENDERED_CHARS:,} characters")
        yield chunk
