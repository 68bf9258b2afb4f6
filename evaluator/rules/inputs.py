"""Problems found while reading files. Loaders find them; these are their docs."""

from __future__ import annotations

from cprlint.findings import Severity
from cprlint.rules.registry import Target, documented_rule

documented_rule(
    "CPR001",
    "syntax-error",
    Severity.ERROR,
    Target.INPUT,
    """
    A YAML or JSON file cannot be parsed.

    Why: a file cprlint cannot read is a policy nobody enforces or a conversation nobody
    prices. The rest of the project is still checked; this file is reported at the line
    and column where parsing stopped.

    Failing:
        intents:
          password_reset: {risk: low, tier: economy
    Passing:
        intents:
          password_reset: {risk: low, tier: economy}
    """,
)

documented_rule(
    "CPR002",
    "duplicate-key",
    Severity.ERROR,
    Target.INPUT,
    """
    A mapping has the same key twice.

    Why: YAML parsers silently keep one of the two values, so a reviewer reading the first
    one sees a different policy from the one that runs.

    Failing:
        budgets:
          cost_per_resolution: 0.10
          cost_per_resolution: 0.50
    Passing:
        budgets:
          cost_per_resolution: 0.10
    """,
)

documented_rule(
    "CPR003",
    "file-too-large",
    Severity.ERROR,
    Target.INPUT,
    """
    A file (or one JSON line) is over cprlint's size limit.

    Why: policies, prompts and fixtures come from pull requests and are untrusted; a size
    cap keeps a hostile or accidental giant file from exhausting the CI machine. YAML
    files are capped at 2 MiB and JSON lines at 4 MiB: split larger fixture sets into
    several files.

    Failing:
        fixtures/all.yaml   # 40 MB of hand-written YAML
    Passing:
        fixtures/2026-11/*.jsonl   # one conversation per line, any number of files
    """,
)

documented_rule(
    "CPR004",
    "unsafe-yaml",
    Severity.ERROR,
    Target.INPUT,
    """
    A file uses a construct cprlint refuses to read: a custom YAML tag, YAML alias
    expansion past 200,000 values, or YAML or JSON nesting deeper than 64 levels.

    Why: YAML tags like `!!python/object` can run code in careless loaders, and a few
    lines of nested aliases ("billion laughs") expand to gigabytes. cprlint reads only
    plain YAML and reports the rest instead of hanging.

    Failing:
        budget: !!python/object/apply:os.system ["echo hi"]
    Passing:
        budget: 0.25
    """,
)

documented_rule(
    "CPR005",
    "unreadable-file",
    Severity.ERROR,
    Target.INPUT,
    """
    A file cannot be read: it is not UTF-8 text, or the operating system refused it.

    Why: an unread file is an unchecked file; cprlint says so rather than skipping it.

    Failing:
        fixtures/export.jsonl   # saved as UTF-16 by a spreadsheet
    Passing:
        fixtures/export.jsonl   # UTF-8, one JSON object per line
    """,
)

documented_rule(
    "CPR006",
    "schema-violation",
    Severity.ERROR,
    Target.INPUT,
    """
    A policy or fixture does not match its JSON Schema: an unknown key, a missing
    required key, or a value of the wrong type.

    Why: a misspelt key (`budegt:`) is silently ignored by a YAML loader, so the budget
    you think you set does not exist. `cprlint schema policy` prints the schema for your
    editor; unknown keys come with a did-you-mean.

    Failing:
        intents:
          password_reset: {risk: low, tier: economy, budegt: 0.01}
    Passing:
        intents:
          password_reset: {risk: low, tier: economy, budget: 0.01}
    """,
)
