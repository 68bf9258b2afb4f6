"""Static rules on versioned prompts: manifests, version files, templates."""

from __future__ import annotations

from collections.abc import Iterator

from cprlint.findings import Location, Problem, Scope, Severity
from cprlint.model import Prompt
from cprlint.rules.context import RuleContext
from cprlint.rules.registry import Target, documented_rule, rule
from cprlint.templates import template_syntax_error

_FRONT_MATTER_KEYS = ("model", "max_output_tokens")


@rule("CPR201", "released-version-missing", Severity.ERROR, Target.PROMPT)
def released_version_missing(prompt: Prompt, context: RuleContext) -> Iterator[Problem]:
    """
    A prompt's manifest releases a version that has no file.

    Why: replay renders the released version of every prompt; if `released: v4` has no
    `v4.*` file next to the manifest, cprlint cannot count its tokens and the team is
    shipping a prompt nobody can review.

    Failing:
        # prompts/billing_answer/prompt.yaml, with only v3.md beside it
        id: billing_answer
        released: v4
    Passing:
        id: billing_answer
        released: v3
    """
    if prompt.released is not None and prompt.released not in prompt.versions:
        available = ", ".join(sorted(prompt.versions)) or "none"
        yield Problem(
            f"prompt `{prompt.id}` releases `{prompt.released}`, but there is no "
            f"{prompt.released}.* file (versions: {available})",
            prompt.manifest.locate("released"),
            Scope(prompt=prompt.id),
        )


@rule("CPR202", "template-syntax-error", Severity.ERROR, Target.PROMPT)
def template_does_not_parse(prompt: Prompt, context: RuleContext) -> Iterator[Problem]:
    """
    A prompt template is not valid Jinja2.

    Why: a template that does not parse cannot be rendered, so its token count (and the
    cost of every call that uses it) is unknown.

    Failing:
        You are Acme's billing assistant. The customer is {{ customer_name }.
    Passing:
        You are Acme's billing assistant. The customer is {{ customer_name }}.
    """
    for version in prompt.versions.values():
        error = template_syntax_error(version.template)
        if error is not None:
            line, message = error
            yield Problem(
                f"template does not parse: {message}",
                Location(version.path, version.template_line + line - 1),
                Scope(prompt=prompt.id),
            )


documented_rule(
    "CPR203",
    "prompt-layout",
    Severity.ERROR,
    Target.PROMPT,
    """
    A prompt folder is not laid out as cprlint expects: no `prompt.yaml`, a manifest
    without `released`, an `id` that differs from the folder name, or two files for one
    version.

    Why: fixtures name prompts by folder and versions by file name; anything else makes
    it ambiguous which text a recorded call used.

    Failing:
        prompts/billing_answer/v3.md
        prompts/billing_answer/v3.txt     # two files for v3, and no prompt.yaml
    Passing:
        prompts/billing_answer/prompt.yaml   # id: billing_answer, released: v3
        prompts/billing_answer/v3.md
    """,
)


@rule("CPR204", "front-matter", Severity.ERROR, Target.PROMPT)
def invalid_front_matter(prompt: Prompt, context: RuleContext) -> Iterator[Problem]:
    """
    A prompt version's front matter has an unknown key or a value of the wrong type.

    Why: front matter changes cost directly: `model` pins the calls of this prompt to a
    model (overriding tier routing) and `max_output_tokens` caps the output. A typo there
    (`max_ouput_tokens`) silently removes the cap.

    Failing:
        ---
        max_ouput_tokens: 400
        ---
    Passing:
        ---
        model: gpt-4o
        max_output_tokens: 400
        ---
    """
    for version in prompt.versions.values():
        document = version.front_matter
        if document is None:
            continue
        scope = Scope(prompt=prompt.id)
        if not isinstance(document.data, dict):
            yield Problem("front matter must be a mapping of settings", document.locate(), scope)
            continue
        for key, value in document.data.items():
            if key not in _FRONT_MATTER_KEYS:
                yield Problem(
                    f"unknown front matter key `{key}` (known: {', '.join(_FRONT_MATTER_KEYS)})",
                    document.locate(key, key=True),
                    scope,
                )
            elif key == "model" and not (isinstance(value, str) and value):
                yield Problem("`model` must be a model name", document.locate(key), scope)
            elif key == "max_output_tokens" and not (
                isinstance(value, int) and not isinstance(value, bool) and value > 0
            ):
                yield Problem(
                    "`max_output_tokens` must be a whole number above 0",
                    document.locate(key),
                    scope,
                )
