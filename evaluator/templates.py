"""Prompt templates: Jinja2 in a sandbox, because templates arrive in pull requests.

One environment for all of cprlint. It is sandboxed (no attribute access to Python
internals), autoescape-free (prompts are text, not HTML), and refuses to render
anything absurdly large.
"""

from __future__ import annotations

from functools import cache

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment


@cache
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


def template_syntax_error(source: str) -> tuple[int, str] | None:
    """(1-based line within the template, message) when `source` does not parse."""
    try:
        environment().parse(source)
    except TemplateSyntaxError as error:
        return error.lineno or 1, error.message or "invalid template"
    return None
