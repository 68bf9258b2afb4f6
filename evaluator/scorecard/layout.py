"""The flattened event layout: one row per event, the conversation's fields repeated.

This is the shape the scorecard's one definition reads, whatever the source: JSON Lines
logs in the fixture format are flattened into it by each engine's loader, and Parquet
logs are stored in it (`cprlint convert` writes them). Only what the scorecard needs
is kept: texts, arguments and variables are left out, which also keeps personal data
out of the Parquet files. What the resolution rule needs of a message's text (whether
the customer only said hello, `resolution.is_greeting`) is worked out as it is read and
kept as a boolean, `greeting`; the text is not.

A conversation with no events is one row whose event fields are all null, so that
every ticket is counted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # DuckDB's spelling; the Spark schema is derived from it
    source: str  # where it comes from in a fixture conversation (for the docs)


EVENT_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "VARCHAR", "`id` (a number becomes its text)"),
    Column("project", "VARCHAR", "`project`"),
    Column("intent", "VARCHAR", "`intent`"),
    Column("queue", "VARCHAR", "`queue` (null reads as `default`)"),
    Column("automation", "VARCHAR", "`automation` (null reads as `full`)"),
    Column("started_at", "TIMESTAMP", "`started_at`, in UTC"),
    Column("outcome_status", "VARCHAR", "`outcome.status` (null reads as `open`)"),
    Column("outcome_resolved_by", "VARCHAR", "`outcome.resolved_by`"),
    Column("outcome_reopened", "BOOLEAN", "`outcome.reopened`"),
    Column("outcome_reopened_at", "TIMESTAMP", "`outcome.reopened_at`, in UTC"),
    Column("outcome_confirmed", "BOOLEAN", "`outcome.confirmed`"),
    Column("outcome_csat", "INTEGER", "`outcome.csat`"),
    Column("event_index", "INTEGER", "the event's place in `events`, from 1"),
    Column("event_type", "VARCHAR", "`type`"),
    Column("stage", "VARCHAR", "`stage`"),
    Column("prompt", "VARCHAR", "`prompt`"),
    Column("prompt_version", "VARCHAR", "`prompt_version`"),
    Column("model", "VARCHAR", "`model`"),
    Column("attempt", "INTEGER", "`attempt`"),
    Column("status", "VARCHAR", "`status`"),
    Column("fallback", "BOOLEAN", "`fallback`"),
    Column("input_tokens", "BIGINT", "`usage.input_tokens`"),
    Column("output_tokens", "BIGINT", "`usage.output_tokens`"),
    Column("cached_input_tokens", "BIGINT", "`usage.cached_input_tokens`"),
    Column("cache_write_tokens", "BIGINT", "`usage.cache_write_tokens`"),
    Column("tool_name", "VARCHAR", "`name` of a `tool_call`"),
    Column("context_tokens", "BIGINT", "`context_tokens` of a `retrieval`"),
    Column("handle_minutes", "DECIMAL(18,6)", "`handle_minutes` of an `escalation`"),
    Column("event_at", "TIMESTAMP", "`at`, in UTC"),
    Column("role", "VARCHAR", "`role` of a `message`"),
    Column(
        "greeting",
        "BOOLEAN",
        "of a `message` from the user (`role: user`): whether its `text` is a greeting "
        "(`hi`, `hello there`, `guten Tag`), as `check` tells; the text is not kept",
    ),
)

# How a conversation's JSON reads into the layout: (column, path in the conversation or,
# after "events.", in one event). The engines' loaders are built from this one table.
CONVERSATION_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("conversation_id", ("id",)),
    ("project", ("project",)),
    ("intent", ("intent",)),
    ("queue", ("queue",)),
    ("automation", ("automation",)),
    ("started_at", ("started_at",)),
    ("outcome_status", ("outcome", "status")),
    ("outcome_resolved_by", ("outcome", "resolved_by")),
    ("outcome_reopened", ("outcome", "reopened")),
    ("outcome_reopened_at", ("outcome", "reopened_at")),
    ("outcome_confirmed", ("outcome", "confirmed")),
    ("outcome_csat", ("outcome", "csat")),
)
EVENT_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("event_type", ("type",)),
    ("stage", ("stage",)),
    ("prompt", ("prompt",)),
    ("prompt_version", ("prompt_version",)),
    ("model", ("model",)),
    ("attempt", ("attempt",)),
    ("status", ("status",)),
    ("fallback", ("fallback",)),
    ("input_tokens", ("usage", "input_tokens")),
    ("output_tokens", ("usage", "output_tokens")),
    ("cached_input_tokens", ("usage", "cached_input_tokens")),
    ("cache_write_tokens", ("usage", "cache_write_tokens")),
    ("tool_name", ("name",)),
    ("context_tokens", ("context_tokens",)),
    ("handle_minutes", ("handle_minutes",)),
    ("event_at", ("at",)),
    ("role", ("role",)),
    # Not the text: whether it is a greeting (`GREETING_UDF`), worked out as it is read.
    ("greeting", ("text",)),
)
# The one column not read as written: the loaders call this function (registered on each
# engine as `resolution.is_greeting`) on the text of a user's message.
GREETING_UDF = "cprlint_is_greeting"


# The keys a conversation must have for the scorecard to read it (the fixture format's
# required keys, as far as the layout reads them); missing or null, the line is malformed.
REQUIRED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("id",),
    ("intent",),
    ("outcome", "status"),
    ("events",),
)

# The forms of a time (`started_at`, `outcome.reopened_at`, an event's `at`: the
# TIMESTAMP columns) that DuckDB, Spark and Python all read, and read alike: a
# date (midnight UTC), or a date and a time to the second, a fraction allowed, with `Z`,
# an offset (`+01:00`, `+0100`, `+01`) or none (UTC). A regular expression that RE2,
# Java and Python read alike (no backslash: Spark's SQL strings would take it away).
STARTED_AT_FORM = (
    "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?"
    "(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?"
)
# A number given as text where the layout holds a decimal (`handle_minutes: "2.5"`),
# which both engines read as the number.
DECIMAL_TEXT_FORM = "-?[0-9]+([.][0-9]+)?"


def is_timestamp(name: str) -> bool:
    """Whether the column holds a time, read from text in STARTED_AT_FORM."""
    return sql_type(name) == "TIMESTAMP"


def sql_type(name: str) -> str:
    for column in EVENT_COLUMNS:
        if column.name == name:
            return column.sql_type
    raise KeyError(name)


def layout_markdown() -> str:
    """The layout as a Markdown table, for the docs."""
    lines = ["| column | type | from |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.sql_type} | {c.source} |" for c in EVENT_COLUMNS]
    return "\n".join(lines)
