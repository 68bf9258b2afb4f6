"""Prompt templates: Jinja2 in a sandbox, because templates arrive in pull requests.

One environment for all of cprlint. It is sandboxed (no attribute access to Python
internals), autoescape-free (prompts are text, not HTML), and bounded, inside the
sandbox, so that no single Python call a template makes can run away:

- `range` yields at most 1,000 items; for-loops nest at most three deep;
- a rendering stops at 100,000 steps (a call, the start of a for-loop included, or an
  item of a for-loop): three nested loops that print nothing would still run a billion
  times, and a macro that calls itself twice grows as 2^n;
- a rendering prints at most 1,000,000 characters, makes no string or list longer than
  that, and makes at most 10,000,000 characters in all (the strings it builds and throws
  away count: a loop of `'a'.ljust(999999)` prints nothing);
- integers stay under 10,000 bits (`9**100` to the 100th, three times, is refused before
  Python computes it);
- what can grow before its result exists is checked against those limits first: string
  and list repetition, `+` and `~`, padding (`center`, `indent`, `ljust`, `rjust`,
  `zfill`, `expandtabs`), widths in `format` and `%`, `replace`, `batch`, `slice` and
  `lipsum`;
- every rendering is charged to the run's budget (`cprlint.budgets`).

A template that passes one of these is a finding (CPR206), and its calls keep their
recorded tokens. An unknown variable renders empty (and attribute access on it too);
which ones were missing is reported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from cprlint import budgets
from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

MAX_RANGE = 1_000
MAX_LOOP_NESTING = 3
MAX_RENDERED_CHARS = 1_000_000
MAX_VALUE_CHARS = 1_000_000
MAX_MADE_CHARS = 10_000_000
MAX_REPEAT_ITEMS = 100_000
MAX_RENDER_STEPS = 100_000
MAX_INTEGER_BITS = 10_000
MAX_LIPSUM_WORDS = 10_000


class _Rendering:
    """What one rendering has used up: its steps, the characters it made, and the unknown
    variables it printed."""

    __slots__ = ("made", "missing", "steps_left")

    def __init__(self) -> None:
        self.missing: set[str] = set()
        self.steps_left = MAX_RENDER_STEPS
        self.made = 0

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise SecurityError(
                f"rendering takes over {MAX_RENDER_STEPS:,} steps (loop items and calls)"
            )

    def make(self, size: int) -> None:
        """A string or list of `size` is made (or about to be)."""
        if size > MAX_VALUE_CHARS:
            raise SecurityError(f"a value of {size:,} characters or items is over the limit")
        self.made += size
        if self.made > MAX_MADE_CHARS:
            raise SecurityError(f"rendering makes over {MAX_MADE_CHARS:,} characters")

    @property
    def units(self) -> int:
        """What the rendering costs the run (`budgets`)."""
        return MAX_RENDER_STEPS - self.steps_left + self.made // budgets.CHARACTERS_PER_UNIT


_rendering: ContextVar[_Rendering] = ContextVar("rendering")


def _make(size: int) -> None:
    rendering = _rendering.get(None)
    if rendering is not None:
        rendering.make(size)
    elif size > MAX_VALUE_CHARS:
        raise SecurityError(f"a value of {size:,} characters or items is over the limit")


def _made(value: Any) -> Any:
    """`value`, counted when it is a string or a list (a result already made)."""
    if isinstance(value, str | list | tuple):
        _make(len(value))
    return value


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


# --- what can grow before it exists ------------------------------------------------------

# A width or precision in a %-format (`%1000000000d`, or `%*d`, given as an argument).
_PERCENT_WIDTHS = re.compile(r"%[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


def _check_widths(template: Any) -> None:
    """The widths and precisions of a %-format template."""
    if not isinstance(template, str):
        return
    for match in _PERCENT_WIDTHS.finditer(template):
        for width in match.groups():
            if width == "*":
                raise SecurityError("a format width is over the limit")
            if width:
                _check_width_text(width)


def _check_width_text(width: str) -> None:
    """A width written in digits (of any length: it is not read whole when long)."""
    if len(width) > 7 or int(width) > MAX_VALUE_CHARS:
        raise SecurityError("a format width is over the limit")


def _check_width(width: Any) -> None:
    if isinstance(width, int) and width > MAX_VALUE_CHARS:
        raise SecurityError(f"a width of {width:,} is over the limit")


def _check_replace(text: Any, old: Any, new: Any, count: Any = None) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    found = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _make(len(text) + found * max(len(new) - len(old), 0))


def _check_int(value: Any) -> None:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value.bit_length() > MAX_INTEGER_BITS
    ):
        raise SecurityError(f"an integer of over {MAX_INTEGER_BITS:,} bits")


# Keywords Jinja adds to a call inside a loop or block, for itself.
_JINJA_KEYWORDS = frozenset({"_loop_vars", "_block_vars"})

# Checks before a method of `str` runs: (the string, its arguments, keywords) -> None.
_STR_METHOD_CHECKS: dict[str, Callable[..., None]] = {
    "ljust": lambda text, width=0, *rest: _check_width(width),
    "rjust": lambda text, width=0, *rest: _check_width(width),
    "center": lambda text, width=0, *rest: _check_width(width),
    "zfill": lambda text, width=0: _check_width(width),
    "expandtabs": lambda text, tabsize=8: _make(
        len(text) * max(tabsize, 1) if isinstance(tabsize, int) else 0
    ),
    "replace": _check_replace,
}


def _check_spec(format_spec: str) -> None:
    """A format spec as `str.format` applies it, nested fields filled in (`{:>{w}}`)."""
    for width in re.findall(r"\d+", format_spec):
        _check_width_text(width)


class _SpecChecked:
    """A sandboxed formatter (`str.format` in a template) that checks each field's spec
    before it is applied."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_spec(format_spec)
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _BoundedFormatter(_SpecChecked, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_SpecChecked, SandboxedEscapeFormatter):
    pass


def _bounded_filter(check: Callable[..., None] | None, original: Any) -> Any:
    """A filter whose arguments are checked first (`check` takes what the filter takes,
    less what Jinja passes first) and whose result is counted."""

    @functools.wraps(original)  # (keeps Jinja's `pass_eval_context` and the like)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        passed = args[1:] if getattr(original, "jinja_pass_arg", None) else args
        if check is not None:
            check(*passed, **kwargs)
        return _made(original(*args, **kwargs))

    return bounded


def _check_indent(text: Any, width: Any = 4, *rest: Any, **options: Any) -> None:
    if isinstance(text, str):
        per_line = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        _make(len(text) + (text.count("\n") + 1) * max(per_line, 0))


def _check_count(value: Any, count: Any = 0, *rest: Any, **options: Any) -> None:
    if isinstance(count, int) and count > MAX_REPEAT_ITEMS:
        raise SecurityError(f"{count:,} items a batch or slice is over the limit")


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": lambda text, width=80: _check_width(width),
    "indent": _check_indent,
    "format": lambda text, *args, **kwargs: _check_widths(text),
    "replace": _check_replace,
    "batch": _check_count,
    "slice": _check_count,
}


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    if not all(isinstance(value, int) for value in (n, min, max)) or n * max > MAX_LIPSUM_WORDS:
        raise SecurityError(f"lipsum() of over {MAX_LIPSUM_WORDS:,} words")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


def _bounded_concat(*parts: Any) -> str:
    """`a ~ b`: each part as text, joined, no longer than a value may be."""
    texts = [str(part) for part in parts]
    _make(sum(map(len, texts)))
    return "".join(texts)


class _PromptEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and not isinstance(right, bool):
            if abs(right) > 100:
                raise SecurityError("exponent too large")
            if isinstance(left, int) and right > 0 and left.bit_length() * right > MAX_INTEGER_BITS:
                raise SecurityError(f"a power of over {MAX_INTEGER_BITS:,} bits")
        elif operator == "*":
            both_int = isinstance(left, int) and isinstance(right, int)
            if both_int and left.bit_length() + right.bit_length() > MAX_INTEGER_BITS:
                raise SecurityError(f"a product of over {MAX_INTEGER_BITS:,} bits")
            for sequence, times in ((left, right), (right, left)):
                sized = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if sized and len(sequence) * times > MAX_REPEAT_ITEMS:
                    raise SecurityError("repetition too large")
                if sized:
                    _make(len(sequence) * max(times, 0))
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                _make(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            _check_widths(left)
        result = super().call_binop(context, operator, left, right)
        _check_int(result)
        return _made(result) if operator == "%" else result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # (Jinja's own signature: a template may pass keyword arguments named `self`.)
        rendering = _rendering.get(None)
        if rendering is not None:
            rendering.step()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            check = _STR_METHOD_CHECKS.get(getattr(__obj, "__name__", ""))
            if check is not None:
                # (What Jinja passes for its own use is not an argument of the method.)
                passed = {k: v for k, v in kwargs.items() if k not in _JINJA_KEYWORDS}
                check(owner, *args, **passed)
        result = super().call(__context, __obj, *args, **kwargs)
        _check_int(result)
        return _made(result)

    def counted_items(self, items: Any) -> Iterator[Any]:
        """A for-loop's items, each a step of the rendering (see `_bounded_tree`)."""
        rendering = _rendering.get(None)
        for item in items:
            if rendering is not None:
                rendering.step()
            yield item

    def bounded_concat(self, *parts: Any) -> str:
        return _bounded_concat(*parts)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` and `format_map` as Jinja sandboxes them, with every field's
        width checked as it is applied (`{:>{}}` takes its width from an argument)."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__
        formatter: SandboxedFormatter = (
            _BoundedEscapeFormatter(self, escape=text.escape)
            if isinstance(text, Markup)
            else _BoundedFormatter(self)
        )
        is_format_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                mapping: Mapping[str, Any] = args[0]
                return str(_made(type(text)(formatter.vformat(text, (), mapping))))
            return str(_made(type(text)(formatter.vformat(text, args, kwargs))))

        return functools.update_wrapper(bounded, value)


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = _PromptEnvironment(
        autoescape=False, keep_trailing_newline=True, undefined=_ReportingUndefined
    )
    env.globals["range"] = _capped_range
    env.globals["lipsum"] = _lipsum
    for name in list(env.filters):
        env.filters[name] = _bounded_filter(_FILTER_CHECKS.get(name), env.filters[name])
    return env


def _loop_nesting(node: nodes.Node, depth: int = 0) -> int:
    deepest = depth
    for child in node.iter_child_nodes():
        child_depth = depth + 1 if isinstance(child, nodes.For) else depth
        deepest = max(deepest, _loop_nesting(child, child_depth))
    return deepest


@cache
def template_syntax_error(source: str) -> tuple[int, str] | None:
    """(1-based line within the template, message) when `source` does not parse or
    compile (an unknown filter or test is found by compiling)."""
    try:
        tree = environment().parse(source)
        if _loop_nesting(tree) > MAX_LOOP_NESTING:
            return 1, f"for-loops nest deeper than {MAX_LOOP_NESTING} levels"
        environment().compile(tree)
    except TemplateSyntaxError as error:
        return error.lineno or 1, error.message or "invalid template"
    except RecursionError:
        # Jinja's parser recurses per bracket: `{{ ((((...` a few hundred deep exhausts it.
        return 1, "expressions nest too deeply to parse"
    except (ValueError, MemoryError) as error:  # an integer of 5,000 digits, say
        return 1, f"template cannot be read: {error}"
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
    tree = _BoundedTree().visit(environment().parse(source))
    assert isinstance(tree, nodes.Template)
    return environment().from_string(tree)


class _BoundedTree(NodeTransformer):
    """Every for-loop iterates `environment.counted_items(...)` of what it names, and
    every `a ~ b` is `environment.bounded_concat(a, b)`: attributes of the environment,
    which no template can rebind."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        loop = self.generic_visit(node)
        assert isinstance(loop, nodes.For)
        loop.iter = nodes.Call(
            nodes.EnvironmentAttribute("counted_items"), [loop.iter], [], None, None
        )
        return loop

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        concat = self.generic_visit(node)
        assert isinstance(concat, nodes.Concat)
        return nodes.Call(
            nodes.EnvironmentAttribute("bounded_concat"), list(concat.nodes), [], None, None
        )


def render(source: str, variables: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """The rendered text, and the names of unknown variables that rendered as empty text.

    A variable only tested (`{% if invoice_total %}`) is optional by design and is not
    reported; one printed while unknown is.
    """
    if template_syntax_error(source) is not None:
        raise TemplateRenderError("template does not parse")
    template = _compile(source)
    # Plain text and variables cost what their output does; anything else is charged.
    charged = printed_parts(source) is None
    run = budgets.current()
    if charged and run.rendering_spent:
        raise TemplateRenderError("the run's budget for template rendering is spent")
    rendering = _Rendering()
    try:
        token = _rendering.set(rendering)
        try:
            text = "".join(_chunks(template.generate(dict(variables)), rendering))
        finally:
            _rendering.reset(token)
    except Exception as error:  # whatever a template does wrong: a finding, never a crash
        raise TemplateRenderError(f"{type(error).__name__}: {error}") from error
    finally:
        if charged:
            run.charge_rendering(rendering.units)
    return text, frozenset(rendering.missing)


def _chunks(chunks: Iterator[str], rendering: _Rendering) -> Iterator[str]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise TemplateRenderError(f"rendering is over {MAX_RENDERED_CHARS:,} characters")
        rendering.made += len(chunk)
        yield chunk
