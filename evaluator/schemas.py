"""The JSON Schemas shipped with cprlint, and their violations in words people read."""

from __future__ import annotations

import difflib
import hashlib
import json
import pickle
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cprlint import user_cache
from cprlint.documents import Document, key_path_text
from cprlint.findings import Problem, Scope

SCHEMA_NAMES = ("policy", "fixture")
SCHEMA_VIOLATION = "CPR006"
BAD_TOKEN_COUNT = "CPR304"

# Most violations of one document that are worth reading; the rest are the same mistake.
MAX_VIOLATIONS_PER_DOCUMENT = 20
_TOKEN_COUNT_KEYS = frozenset(
    {"input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "context_tokens"}
)


def schema_text(name: str) -> str:
    return resources.files("cprlint.data").joinpath(f"{name}.schema.json").read_text("utf-8")


@cache
def _validator(name: str) -> Any:
    import jsonschema  # (a twentieth of a small run's start: only when a document needs it)

    schema = json.loads(schema_text(name))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def validate(
    document: Document, schema_name: str, *, scope: Scope | None = None, remember: bool = False
) -> list[Problem]:
    """Every violation of the schema in `document`, each at the line that holds it.

    With `remember`, a document found valid is remembered in the user cache
    (`cprlint.user_cache`), by its value, the schema and this code: a project's
    policies, unchanged from one run to the next, are not validated again (nor jsonschema
    loaded to do it). Fixtures, by the thousand, are not remembered one by one."""
    value = _value_digest(document.data) if remember else None
    if value is not None and value in _remembered_valid(schema_name):
        return []
    problems = _violations(document, schema_name, scope or Scope())
    if value is not None and not problems:
        _remember_valid(schema_name, value)
    return problems


# Documents remembered valid, per schema: the most recent, a digest a line.
_MAX_REMEMBERED_VALID = 1000


def _value_digest(data: Any) -> bytes | None:
    """A digest of the document's value, types and all (a pickle, only ever hashed: 1,
    1.0, "1" and Decimal("1") differ)."""
    try:
        value = pickle.dumps(data, protocol=5)
    except (pickle.PicklingError, TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(value).hexdigest().encode()


def _valid_entry(schema_name: str) -> tuple[str, str]:
    """The user-cache kind and key of the documents remembered valid under a schema:
    the schema's text and this module's code."""
    return f"valid-{schema_name}", user_cache.key(schema_text(schema_name), _this_code())


def _remembered_valid(schema_name: str) -> list[bytes]:
    payload = user_cache.read(*_valid_entry(schema_name))
    return payload.split() if payload else []


def _remember_valid(schema_name: str, value: bytes) -> None:
    kept = [*_remembered_valid(schema_name), value][-_MAX_REMEMBERED_VALID:]
    user_cache.write(*_valid_entry(schema_name), b"\n".join(kept))


@cache
def _this_code() -> bytes:
    return Path(__file__).read_bytes()


def _violations(document: Document, schema_name: str, scope: Scope) -> list[Problem]:
    errors = sorted(
        _leaf_errors(_validator(schema_name).iter_errors(document.data)),
        key=lambda error: (list(map(str, error.absolute_path)), error.message),
    )
    problems: list[Problem] = []
    seen: set[tuple[str, Any]] = set()
    for error in errors[:MAX_VIOLATIONS_PER_DOCUMENT]:
        problem = _describe(error, document, scope)
        key = (problem.message, problem.location)
        if key not in seen:
            seen.add(key)
            problems.append(problem)
    return problems


def _leaf_errors(errors: Iterator[Any]) -> Iterator[Any]:
    """The specific reasons behind `oneOf`/`anyOf`/`allOf` failures, not the summary."""
    for error in errors:
        if error.context and error.validator in ("allOf", "if", "then"):
            yield from _leaf_errors(iter(error.context))
        elif error.context and error.validator in ("oneOf", "anyOf"):
            # The branch that got furthest says best what is wrong: one the value's type
            # matched (a budget too large) over one it did not ("must be a mapping").
            typed = [branch for branch in error.context if branch.validator != "type"]
            from jsonschema.exceptions import best_match

            best = best_match(typed or error.context)
            yield best if best is not None else error
        else:
            yield error


def _where(path: list[str | int]) -> str:
    return f"`{key_path_text(tuple(path))}`" if path else "the document"


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        text = str(value)
    else:
        text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _type_words(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(_TYPE_WORDS.get(str(item), str(item)) for item in expected)
    return _TYPE_WORDS.get(expected, str(expected))


def _describe(error: Any, document: Document, scope: Scope) -> Problem:
    path: list[str | int] = list(error.absolute_path)
    where = _where(path)
    validator = error.validator
    code = SCHEMA_VIOLATION
    location = document.locate(*path)
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = [key for key in error.instance if key not in error.schema.get("properties", {})]
        extra = str(extras[0]) if extras else "?"
        location = document.locate(*path, extra, key=True)
        message = f"unknown key `{extra}` in {where}"
        guess = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
        if guess:
            message += f"; did you mean `{guess[0]}`?"
        elif allowed:
            message += f" (allowed: {', '.join(allowed)})"
    elif validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        message = f"{where} is missing the required key `{missing}`"
        location = document.locate(*path, key=True) if path else document.locate()
    elif validator == "type":
        message = (
            f"{where} must be {_type_words(error.validator_value)}, not {_show(error.instance)}"
        )
    elif validator in ("enum", "const"):
        options = error.validator_value if validator == "enum" else [error.validator_value]
        message = f"{where} is {_show(error.instance)}; expected one of: " + ", ".join(
            str(option) for option in options
        )
        if isinstance(error.instance, str):
            guess = difflib.get_close_matches(error.instance, [str(o) for o in options], n=1)
            if guess:
                message += f" (did you mean `{guess[0]}`?)"
    elif validator in ("minimum", "exclusiveMinimum"):
        message = f"{where} is {_show(error.instance)}; it must be at least {error.validator_value}"
    elif validator in ("maximum", "exclusiveMaximum"):
        message = (
            f"{where} is {_show(error.instance)}; it must be at most {error.validator_value:,}"
        )
    elif validator == "pattern":
        message = f"{where} is {_show(error.instance)}, which is not in the expected form"
        if path and path[-1] in ("as_of", "expires"):
            message += " (a date: YYYY-MM-DD)"
    elif validator == "minProperties":
        message = f"{where} must not be empty"
    elif validator == "minLength":
        message = f"{where} must not be empty text"
    elif validator == "propertyNames":
        message = f"{where} has a key that is not allowed: {error.message}"
    else:
        message = f"{where}: {error.message}"
    if path and path[-1] in _TOKEN_COUNT_KEYS and validator in ("type", "minimum"):
        code = BAD_TOKEN_COUNT
        message = (
            f"{where} must be a whole number of tokens, 0 or more, not {_show(error.instance)}"
        )
    elif path and path[-1] in _TOKEN_COUNT_KEYS and validator == "maximum":
        code = BAD_TOKEN_COUNT
        message = (
            f"{where} is {_show(error.instance)} tokens, more than any call has "
            f"({error.validator_value:,} at most)"
        )
    return Problem(message, location, scope, code=code)
