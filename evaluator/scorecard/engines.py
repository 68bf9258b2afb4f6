"""The engines the scorecard's definition runs on: DuckDB (embedded, the default) and
Spark (`cprlint[spark]`, for logs on a cluster; local mode otherwise).

An engine does three things: make an `events` table in the flattened layout from the
logs, register the small reference tables, and run a query of the definition. Only the
loading differs between engines; what is computed is the same SQL. Each engine tells a
greeting by `resolution.is_greeting` itself (`GREETING_UDF`: a Python function DuckDB
calls in this process, and Spark in its Python workers).

Both engines read JSON Lines logs natively, at full speed, and as strictly as each
other: a line that is not a JSON object, misses a required key (`REQUIRED_FIELDS`), has
a number or a boolean of the wrong JSON type (Spark refuses "12" where a number goes;
DuckDB is made to), a time (`started_at`, `outcome.reopened_at`, an event's `at`)
outside `STARTED_AT_FORM`, or a message's text that is a list or a mapping, stops the
reading.
Then, and only then, the logs are read again the careful way (`sources.set_aside`):
with --strict the first malformed line is named; else the malformed lines are left
out, counted and located, and the engine reads the rest again.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import IO, Any, Protocol

from cprlint.errors import CprlintError
from cprlint.resolution import is_greeting
from cprlint.scorecard import DEFAULT_MEMORY_LIMIT
from cprlint.scorecard.card import Malformed
from cprlint.scorecard.layout import (
    CONVERSATION_FIELDS,
    DECIMAL_TEXT_FORM,
    EVENT_COLUMNS,
    EVENT_FIELDS,
    GREETING_UDF,
    REQUIRED_FIELDS,
    STARTED_AT_FORM,
    is_timestamp,
    sql_type,
)
from cprlint.scorecard.parquet import check_layout, find_unreadable
from cprlint.scorecard.sources import (
    PARQUET_SUFFIXES,
    Kept,
    LogFiles,
    describe,
    engine_message,
    first_problem,
    set_aside,
)
from cprlint.scorecard.tables import Table
from cprlint.scorecard.words import counted

PROGRESS_SECONDS = 0.2

# Told how far a long step got, from 0 to 1.
Progress = Callable[[float], None]


class Engine(Protocol):
    dialect: str

    def load(
        self, logs: LogFiles, progress: Progress | None = None, *, strict: bool = True
    ) -> Malformed:
        """Make the `events` table of `logs`. A malformed line of a JSON Lines log stops
        it (`strict`), or is left out and counted in what it returns."""
        ...

    def register(self, table: Table) -> None: ...

    def rows(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _Refusal:
    """An engine would not read the logs; `detail`: its message, if it has one."""

    detail: str | None


def _typed_leaf(column: str) -> str:
    # A time is read as text and parsed by the loader, so that a bad value can be told
    # apart from a missing one; a message's text (what `greeting` is told from) as text.
    if column == "greeting" or is_timestamp(column):
        return "VARCHAR"
    return sql_type(column)


def _json_struct(
    fields: Sequence[tuple[str, tuple[str, ...]]], leaf: Callable[[str], str] = _typed_leaf
) -> dict[str, Any]:
    """The nested JSON shape the layout's fields come from: {key: type or {key: ...}},
    each column read as `leaf` says."""
    shape: dict[str, Any] = {}
    for column, path in fields:
        node = shape
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = leaf(column)
    return shape


def _duckdb_type(shape: Any) -> str:
    if isinstance(shape, str):
        return shape
    members = ", ".join(f'"{key}" {_duckdb_type(value)}' for key, value in shape.items())
    return f"STRUCT({members})"


def _select_path(root: str, path: tuple[str, ...], quote: str) -> str:
    return root + "".join(f".{quote}{key}{quote}" for key in path)


def _as_read(expression: str) -> str:
    return expression


def _flattened(
    conversation: str,
    event: str,
    *,
    quote: str,
    value: Callable[[str, str], str],
    text: Callable[[str], str] = _as_read,
    parsed: Mapping[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """The layout's columns as select expressions over one conversation (`conversation`)
    and one of its events (`event`): the conversation's columns, then the event's.
    `value` turns a column's expression as read into its value (a number of the wrong
    JSON type null, a time parsed); `parsed` gives a time column's value worked out
    before (once a conversation, not once an event); `text` turns a message's `text` as
    read into the text, or null when it is not one (`greeting`)."""
    parsed = parsed or {}

    def column(name: str, root: str, path: tuple[str, ...]) -> str:
        found = parsed.get(name) or value(name, _select_path(root, path, quote))
        return f"{found} AS {name}"

    conversation_columns = [column(name, conversation, path) for name, path in CONVERSATION_FIELDS]
    event_columns = [
        f"{_greeting(event, quote, text)} AS greeting"
        if name == "greeting"
        else column(name, event, path)
        for name, path in EVENT_FIELDS
    ]
    return conversation_columns, event_columns


def _greeting(event: str, quote: str, text: Callable[[str], str]) -> str:
    """SQL: whether an event is a user's message whose text is a greeting, by
    `resolution.is_greeting` itself (GREETING_UDF); null for any other event. A text
    that is not one reads as no text, as `check` reads it. The function is given null
    for other events, rather than called in a CASE: Spark calls a Python function on
    every row either way."""
    kind, role, said = (_select_path(event, (key,), quote) for key in ("type", "role", "text"))
    return (
        f"{GREETING_UDF}(CASE WHEN {kind} = 'message' AND {role} = 'user' "
        f"THEN COALESCE({text(said)}, '') END)"
    )


def _time_fault(read: str, parsed: str) -> str:
    """SQL: whether a time was given (`read`, as text) that does not parse (`parsed`)."""
    return f"({read} IS NOT NULL AND {parsed} IS NULL)"


def _times(
    fields: Sequence[tuple[str, tuple[str, ...]]], root: str, quote: str
) -> list[tuple[str, str]]:
    """The times among `fields` under `root`: (column, its expression as read)."""
    return [
        (column, _select_path(root, path, quote)) for column, path in fields if is_timestamp(column)
    ]


def _missing_required(conversation: str, quote: str) -> str:
    """SQL: whether a conversation lacks a key the layout needs (REQUIRED_FIELDS)."""
    return " OR ".join(
        f"{_select_path(conversation, path, quote)} IS NULL" for path in REQUIRED_FIELDS
    )


# DuckDB reads a number and a boolean as JSON, so that it can tell "12", 1.5 or true
# where a whole number goes (which it would turn into 12, 2 and 1 without a word) from
# the number itself, and refuse them as Spark does.
_JSON_NUMBERS = {
    "BIGINT": "('BIGINT', 'UBIGINT')",
    "INTEGER": "('BIGINT', 'UBIGINT')",
    "DECIMAL(18,6)": "('BIGINT', 'UBIGINT', 'DOUBLE')",
}


def _duckdb_leaf(column: str) -> str:
    kind = sql_type(column)
    return "VARCHAR" if kind in ("VARCHAR", "TIMESTAMP") else "JSON"


def _duckdb_time(text: str) -> str:
    """DuckDB: a time from its text, or NULL when it is not in STARTED_AT_FORM."""
    return (
        f"CASE WHEN regexp_full_match({text}, {_sql_string(STARTED_AT_FORM)}) "
        f"THEN CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP) END"
    )


def _duckdb_text(json: str) -> str:
    """DuckDB: a message's text from its JSON, or NULL when it is not a text."""
    return f"CASE WHEN json_type({json}) = 'VARCHAR' THEN {json} ->> '$' END"


def _duckdb_value(column: str, json: str) -> str:
    """DuckDB: a column's value from its JSON (`_duckdb_leaf`), or NULL when the JSON is
    of another type: a number given as text is no number (but for a decimal, which Spark
    reads from text too), a boolean must be true or false; a time is parsed from its
    text."""
    kind = sql_type(column)
    if kind == "TIMESTAMP":
        return _duckdb_time(json)
    if kind == "BOOLEAN":
        return f"CASE WHEN json_type({json}) = 'BOOLEAN' THEN CAST({json} AS BOOLEAN) END"
    if kind.startswith("DECIMAL"):
        text = f"({json} ->> '$')"
        return (
            f"CASE WHEN json_type({json}) IN {_JSON_NUMBERS[kind]} OR (json_type({json}) = "
            f"'VARCHAR' AND regexp_full_match({text}, {_sql_string(DECIMAL_TEXT_FORM)})) "
            f"THEN TRY_CAST({text} AS {kind}) END"
        )
    if kind in _JSON_NUMBERS:
        return f"CASE WHEN json_type({json}) IN {_JSON_NUMBERS[kind]} THEN TRY_CAST({json} AS {kind}) END"
    return json


def _duckdb_faults(fields: Sequence[tuple[str, tuple[str, ...]]], root: str) -> list[str]:
    """DuckDB: per typed column of `fields` under `root`, whether its JSON holds a value
    the column cannot (not null, yet no value): a number or a boolean of the wrong JSON
    type, a message's text that is a list or a mapping. (Times: `_time_fault`.)"""
    faults = []
    for column, path in fields:
        json = _select_path(root, path, '"')
        if column == "greeting":
            kind = _select_path(root, ("type",), '"')
            faults.append(f"({kind} = 'message' AND json_type({json}) IN ('ARRAY', 'OBJECT'))")
        elif _duckdb_leaf(column) == "JSON":
            faults.append(
                f"({json} IS NOT NULL AND json_type({json}) <> 'NULL' "
                f"AND {_duckdb_value(column, json)} IS NULL)"
            )
    return faults


# What DuckDB's file readers take as a glob pattern in a file name (and expand: a log
# named `[a].jsonl` would be read as `a.jsonl`); DuckDB has no way to say a name is literal.
_GLOB_CHARACTERS = re.compile(r"[*?\[]")


class DuckDBEngine:
    """DuckDB in this process, within a memory limit, spilling to a temporary folder.

    The logs may come from anyone, so DuckDB is held to them: it installs and loads no
    extension on its own (JSON and Parquet are built in), it reads each log through a
    link with a plain name (never a pattern it would expand), and once they are loaded
    it touches no file but the Parquet logs, its spill folder and `write_folder` (see
    `_lock`)."""

    dialect = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int | None = None,
        write_folder: Path | None = None,
    ):
        import duckdb

        self._duckdb = duckdb
        self._memory_limit = memory_limit
        # The one folder DuckDB may write in after the logs are loaded (`cprlint convert`'s).
        self._write_folder = write_folder
        # The Parquet logs as (the name given, the link DuckDB reads), and links -> names.
        self._parquet_files: tuple[tuple[str, str], ...] = ()
        self._names: dict[str, str] = {}
        self._private = tempfile.TemporaryDirectory(prefix="cprlint-duckdb-")
        self._links = Path(self._private.name, "logs")
        spill = Path(self._private.name, "spill")
        self._links.mkdir()
        spill.mkdir()
        config: dict[str, str | bool | int | float | list[str]] = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "memory_limit": memory_limit,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
        if threads is not None:
            config["threads"] = threads
        try:
            self.connection = duckdb.connect(":memory:", config=config)
        except duckdb.Error as error:
            self._private.cleanup()
            raise CprlintError(
                f"--memory-limit {memory_limit}: DuckDB cannot start with it: "
                f"{engine_message(error)}"
            ) from None
        # Settings of extensions (ICU's TimeZone) and of the session, which a connection's
        # config does not take.
        settings = {
            "TimeZone": "UTC",
            # DuckDB's own estimate of progress, for cprlint's bar, without its own bar.
            "enable_progress_bar": True,
            "enable_progress_bar_print": False,
        }
        for name, value in settings.items():
            self.connection.execute(f"SET {name} = {_setting_literal(value)}")
        # `check`'s own test of a greeting, called by the loader on each user's message
        # (a null text: null, without a call).
        self.connection.create_function(
            GREETING_UDF, is_greeting, ["VARCHAR"], "BOOLEAN", side_effects=False
        )

    def load(
        self, logs: LogFiles, progress: Progress | None = None, *, strict: bool = True
    ) -> Malformed:
        parquet = self._link(logs.parquet)
        self._parquet_files = tuple(zip(map(str, logs.parquet), parquet, strict=True))
        parts = []
        malformed = Malformed()
        with self._within_memory():
            if logs.jsonl:
                malformed = self._load_jsonl(logs.jsonl, progress, strict=strict)
                parts.append("SELECT * FROM jsonl_events")
            if logs.parquet:
                parts.append(self._parquet_select())
            self.connection.execute("CREATE TEMP VIEW events AS " + " UNION ALL ".join(parts))
            self._lock(parquet)
        return malformed

    def _load_jsonl(
        self, files: Sequence[Path], progress: Progress | None, *, strict: bool
    ) -> Malformed:
        """The `jsonl_events` table of the JSON Lines logs, read natively; when DuckDB
        refuses them, with their malformed lines left out (or, `strict`, none)."""
        refusal = self._read_jsonl(self._link(files), progress)
        if refusal is None:
            return Malformed()
        if strict:
            raise _refused(files, refusal.detail)
        self.connection.execute("DROP TABLE IF EXISTS jsonl_events")
        folder = Path(self._private.name, "kept")
        folder.mkdir(exist_ok=True)
        kept, malformed = set_aside(files, folder, progress)
        again = self._read_jsonl(self._link_kept(kept), progress)
        if again is not None:
            raise _unreadable_still(files, malformed, again.detail)
        return malformed

    def _link_kept(self, kept: Sequence[Kept]) -> list[str]:
        """Links to the logs to read again (`sources.set_aside`), each named in messages
        as the log it comes from."""
        return self._link([item.path for item in kept], shown_as=[item.source for item in kept])

    def _link(self, files: Sequence[Path], shown_as: Sequence[Path] | None = None) -> list[str]:
        """A link with a plain name (a number) to each log, in the private links folder:
        the paths DuckDB is given, so that no name of a log is ever read as a pattern.
        Messages name each by its path, or by `shown_as`."""
        folder = str(self._links.absolute())
        if _GLOB_CHARACTERS.search(folder):
            raise CprlintError(
                f"the temporary folder {folder} has *, ? or [ in its path, which DuckDB "
                "would read as a pattern: set TMPDIR to another folder"
            )
        links = []
        for number, path in enumerate(files):
            name = path.name.lower()
            suffix = ".parquet" if name.endswith(PARQUET_SUFFIXES) else ".jsonl"
            # DuckDB tells a gzipped log by its name.
            suffix += ".gz" if name.endswith(".gz") else ""
            link = os.path.join(folder, f"{len(self._names):05d}{suffix}")
            try:
                os.symlink(os.path.abspath(path), link)
            except OSError as error:
                raise CprlintError(f"{path}: cannot be linked for reading: {error}") from None
            self._names[link] = str(shown_as[number] if shown_as else path)
            links.append(link)
        return links

    def _named(self, message: str) -> str:
        """An engine message about the links, naming the logs instead."""
        for link, name in self._names.items():
            message = message.replace(link, name)
        return message

    def _lock(self, parquet_links: Sequence[str]) -> None:
        """Turn DuckDB's access to files off, now that the JSON Lines logs are in a table
        and the Parquet logs are attached: from here on DuckDB reads only the Parquet
        links (which the events view reads lazily), writes only in `write_folder` and its
        own spill folder, and fetches nothing, whatever a later statement says. The
        configuration is then locked, so that no statement can loosen it.

        `cprlint convert` writes its Parquet file after this, into `write_folder`,
        decided before: a folder of its own beside the output, from which the file is
        moved into place (see `run.convert`)."""
        if parquet_links:
            self.connection.execute("SET allowed_paths = ?", [list(parquet_links)])
        if self._write_folder is not None:
            self.connection.execute(
                "SET allowed_directories = ?", [[str(self._write_folder.absolute())]]
            )
        self.connection.execute("SET enable_external_access = false")
        self.connection.execute("SET lock_configuration = true")

    def _read_jsonl(self, links: Sequence[str], progress: Progress | None) -> _Refusal | None:
        """Read the JSON Lines logs (through `links`) into the `jsonl_events` table; a
        _Refusal when a line is not one DuckDB can read into the layout, or holds a
        value of the wrong JSON type, a time outside STARTED_AT_FORM, a message's text
        that is a list or a mapping, or misses a required key (each row says whether its
        line did: `fault`). A user's message's text is read only to tell whether it is a
        greeting (GREETING_UDF)."""
        shape = _json_struct(CONVERSATION_FIELDS, _duckdb_leaf)
        shape["events"] = _json_struct(EVENT_FIELDS, _duckdb_leaf)
        columns = {key: _duckdb_type(value) for key, value in shape.items()}
        columns["events"] = _duckdb_type(shape["events"]) + "[]"
        event_type = _duckdb_type(shape["events"])
        # Times parsed once where they are: a conversation's before its events are
        # unnested, an event's after (`parsed_<column>`); each parsed once.
        conversation_times = _times(CONVERSATION_FIELDS, "r", '"')
        event_times = _times(EVENT_FIELDS, "u.ev", '"')
        parsed = {name: f"w.parsed_{name}" for name, _ in (*conversation_times, *event_times)}
        conversation, event = _flattened(
            "w", "w.ev", quote='"', value=_duckdb_value, text=_duckdb_text, parsed=parsed
        )
        index = "CASE WHEN w.ev IS NULL THEN NULL ELSE CAST(w.i AS INTEGER) END AS event_index"
        select = ", ".join([*conversation, index, *event])
        ordered = ", ".join(column.name for column in EVENT_COLUMNS)
        conversation_faults = [
            _missing_required("r", '"'),
            *_duckdb_faults(CONVERSATION_FIELDS, "r"),
            *(_time_fault(read, _duckdb_time(read)) for _, read in conversation_times),
        ]
        event_faults = [
            *_duckdb_faults(EVENT_FIELDS, "w.ev"),
            *(_time_fault(read, parsed[name]) for name, read in _times(EVENT_FIELDS, "w.ev", '"')),
        ]
        conversation_parsing, event_parsing = (
            ", ".join(f"{_duckdb_time(read)} AS parsed_{name}" for name, read in times)
            for times in (conversation_times, event_times)
        )
        # UNNEST in the select list, over a one-null list for a conversation without
        # events so that it still makes a row: three times faster than a lateral join.
        query = f"""
            CREATE TEMP TABLE jsonl_events AS
            SELECT {ordered}, fault FROM (
              SELECT {select},
                     w.conversation_fault OR {" OR ".join(event_faults)} AS fault
              FROM (
                SELECT u.*, {event_parsing}
                FROM (
                  SELECT c.*, unnest(c.listed) AS ev, generate_subscripts(c.listed, 1) AS i
                  FROM (
                    SELECT r.*, CASE WHEN len(r.events) > 0 THEN r.events
                                     ELSE [NULL]::{event_type}[] END AS listed,
                           {conversation_parsing},
                           {" OR ".join(conversation_faults)} AS conversation_fault
                    FROM read_json(?, format = 'newline_delimited', columns = ?,
                                   maximum_object_size = 16777216) AS r
                  ) AS c
                ) AS u
              ) AS w
            )
        """
        try:
            self._execute(query, [list(links), columns], progress)
            faults = self.connection.execute(
                "SELECT count(*) FROM jsonl_events WHERE fault"
            ).fetchone()
        except self._duckdb.OutOfMemoryException as error:
            raise self._out_of_memory(error) from None
        except self._duckdb.Error as error:
            return _Refusal(self._named(engine_message(error)))
        except UnicodeDecodeError:
            # DuckDB cut a line into its message mid-character: the message itself
            # cannot be read, but the careful reading still finds the line at fault.
            return _Refusal(None)
        if faults and faults[0]:
            return _Refusal(None)
        self.connection.execute("ALTER TABLE jsonl_events DROP COLUMN fault")
        return None

    def _out_of_memory(self, error: Exception) -> CprlintError:
        return CprlintError(
            f"DuckDB ran out of memory within --memory-limit {self._memory_limit}: "
            f"{self._named(engine_message(error))}"
        )

    @contextmanager
    def _within_memory(self) -> Iterator[None]:
        """DuckDB out of memory in any statement of the block: one line naming the limit
        (a tiny --memory-limit fails on the first table)."""
        try:
            yield
        except self._duckdb.OutOfMemoryException as error:
            raise self._out_of_memory(error) from None

    def _parquet_select(self) -> str:
        for name, link in self._parquet_files:
            try:
                described = self.connection.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [link]
                ).fetchall()
            except self._duckdb.OutOfMemoryException:
                raise  # (said by `load`)
            except self._duckdb.Error as error:
                raise CprlintError(
                    f"{name}: not a readable Parquet file: {self._named(engine_message(error))}"
                ) from None
            check_layout(name, described)
        listed = ", ".join(_sql_string(link) for _, link in self._parquet_files)
        casts = ", ".join(
            f"CAST({column.name} AS {column.sql_type}) AS {column.name}" for column in EVENT_COLUMNS
        )
        return f"SELECT {casts} FROM read_parquet([{listed}])"

    def _execute(self, sql: str, parameters: list[Any], progress: Progress | None) -> Any:
        """Run one statement; with `progress`, report DuckDB's own estimate of how far it
        got (0 to 1) a few times a second while it runs in a thread."""
        if progress is None:
            return self.connection.execute(sql, parameters)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self.connection.execute(sql, parameters)
            except BaseException as error:  # handed to the calling thread below
                outcome["error"] = error

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(PROGRESS_SECONDS)
            done = self.connection.query_progress()
            if done >= 0:
                progress(min(done, 100.0) / 100.0)
        if "error" in outcome:
            raise outcome["error"]
        progress(1.0)
        return outcome["result"]

    def register(self, table: Table) -> None:
        columns = ", ".join(f"{name} {kind}" for name, kind in table.columns)
        with self._within_memory():
            self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} ({columns})")
            if table.rows:
                marks = ", ".join("?" for _ in table.columns)
                self.connection.executemany(
                    f"INSERT INTO {table.name} VALUES ({marks})",
                    [list(row) for row in table.rows],
                )

    def rows(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]:
        try:
            found: list[tuple[Any, ...]] = self._execute(sql, [], progress).fetchall()
        except self._duckdb.OutOfMemoryException as error:
            raise self._out_of_memory(error) from None
        except self._duckdb.Error as error:
            fault = find_unreadable(self.connection, self._duckdb.Error, self._parquet_files)
            if fault is not None:
                raise CprlintError(self._named(fault)) from None
            raise CprlintError(
                f"the scorecard query failed on DuckDB: {self._named(engine_message(error))}"
            ) from None
        return found

    def write_parquet(self, target: Path, *, shown_as: Path | None = None) -> int:
        """Copy the events table into one Parquet file, `target`, in `write_folder` (the
        only place DuckDB may write once the logs are loaded); the number of rows
        written. Errors name `shown_as`, the file the user asked for."""
        name = shown_as or target
        literal = _sql_string(target.absolute())
        try:
            self.connection.execute(
                f"COPY (SELECT * FROM events) TO {literal} (FORMAT parquet, COMPRESSION zstd)"
            )
            counted = self.connection.execute(
                f"SELECT count(*) FROM read_parquet({literal})"
            ).fetchone()
        except self._duckdb.OutOfMemoryException as error:
            raise self._out_of_memory(error) from None
        except self._duckdb.Error as error:
            message = self._named(engine_message(error)).replace(str(target.absolute()), str(name))
            raise CprlintError(f"{name}: cannot write: {message}") from None
        return int(counted[0]) if counted else 0

    def close(self) -> None:
        self.connection.close()
        self._private.cleanup()


def _setting_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _sql_string(value)


def _sql_string(value: Any) -> str:
    """`value`'s text as an SQL string literal, for the statements that take no
    parameters (a file list, COPY's target, SET)."""
    return "'" + str(value).replace("'", "''") + "'"


def _refused(files: Sequence[Any], detail: str | None) -> CprlintError:
    """The error for logs an engine would not read (`detail`: the engine's message, if
    it has one): the first line at fault, found by reading them again the slow, careful
    way, one bounded line at a time."""
    problem = first_problem(files)
    if problem is not None:
        return CprlintError(f"log does not match the conversation format: {describe(problem)}")
    detail = detail or "unreadable"
    names = ", ".join(str(path) for path in files)
    return CprlintError(f"{names}: cannot be read as conversation logs: {detail}")


def _unreadable_still(
    files: Sequence[Any], malformed: Malformed, detail: str | None
) -> CprlintError:
    """The error for logs an engine would not read even without their malformed lines:
    a line the careful reading takes for well formed, which the engine does not."""
    names = ", ".join(str(path) for path in files)
    return CprlintError(
        f"{names}: cannot be read as conversation logs, even with "
        f"{counted(malformed.count, 'malformed line')} left out: {detail or 'unreadable'}"
    )


# The end of the JVM's output read back when Spark does not start.
_JVM_OUTPUT_TAIL = 64 * 1024
# A Java exception's line, as a JVM prints it: `Exception in thread "main"
# org.apache.spark.SparkException: Master must either be yarn or ...`.
_JAVA_EXCEPTION = re.compile(
    r'(?:Exception in thread "[^"]*" |Caused by: )?[\w.$]+(?:Exception|Error): (?P<why>.+)'
)


def _jvm_reason(output: IO[bytes]) -> str | None:
    """Why the JVM did not start, from the end of what it wrote: its first Java
    exception's message, else its first line (the launch script's own words, such as
    `JAVA_HOME is not set`); None when it wrote nothing."""
    end = output.seek(0, os.SEEK_END)
    output.seek(max(0, end - _JVM_OUTPUT_TAIL))
    lines = [line.strip() for line in output.read().decode("utf-8", "replace").splitlines()]
    for line in lines:
        if found := _JAVA_EXCEPTION.fullmatch(line):
            return engine_message(ValueError(found["why"]))
    said = [line for line in lines if line and not line.startswith(("at ", "WARNING:"))]
    return engine_message(ValueError(said[0])) if said else None


def _spark_paths(files: Sequence[Path]) -> list[str]:
    """The logs' paths for Spark, which would skip a file whose name starts with `_` or
    `.` (it takes them for its own bookkeeping) and count none of its tickets: such a
    log is refused instead."""
    for path in files:
        if path.name.startswith(("_", ".")):
            raise CprlintError(
                f"{path}: Spark skips files whose names start with `_` or `.`: rename it, "
                "or use --engine duckdb"
            )
    return [str(path) for path in files]


_SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp_ntz",
}


# Lines Spark's JSON parser reads without a word, which DuckDB and the careful reading
# refuse: two objects on one line (writers that interleave), of which Spark takes the
# first; an array of objects, which it takes for several lines; bytes that are not
# UTF-8, which it reads as U+FFFD (as text, a line that is not UTF-8 grows when made
# UTF-8: each bad byte becomes U+FFFD's three). SQL over the line's text, on the safe
# side: a line that only looks so (a "}{" in a message) is read again carefully, and kept.
_SPARK_WOULD_MISS = (
    "(value RLIKE '[}][ \t]*[{]' OR left(ltrim(value), 1) = '['"
    " OR octet_length(encode(value, 'UTF-8')) <> octet_length(value))"
)


# A message's text Spark may have read wrongly: it reads a list or a mapping where a text
# goes as the JSON it is written as, which could be a greeting (["hi"]) where `check`
# reads no text. A text that reads as a JSON list or mapping is read again carefully,
# which leaves out a line whose text was one, and keeps one whose text only looks so.
_SPARK_TEXT_MAY_NOT_BE = (
    "({event}.type = 'message' AND left({event}.text, 1) IN ('[', '{{')"
    " AND (json_array_length({event}.text) IS NOT NULL"
    " OR json_object_keys({event}.text) IS NOT NULL))"
)


def _spark_time(text: str) -> str:
    """Spark: a time from its text, or NULL when it is not in STARTED_AT_FORM."""
    return (
        f"CASE WHEN {text} RLIKE {_sql_string(f'^(?:{STARTED_AT_FORM})$')} "
        f"THEN CAST(TRY_CAST({text} AS TIMESTAMP) AS TIMESTAMP_NTZ) END"
    )


def _spark_value_of(column: str, read: str) -> str:
    """Spark: a column's value as read (Spark's reader holds values to their types), but
    for a time, parsed from its text."""
    return _spark_time(read) if is_timestamp(column) else read


def _register_greeting(session: Any) -> None:
    """GREETING_UDF on Spark: `resolution.is_greeting`, sent to the Python workers by
    value (its code, not its name), so that they run the very function `check` runs,
    whether or not cprlint is installed where they run."""
    import cprlint.resolution
    from pyspark import cloudpickle
    from pyspark.sql.functions import udf

    by_value: Callable[[Any], None] = cloudpickle.register_pickle_by_value  # (untyped)
    by_value(cprlint.resolution)
    # Rows pickled to the workers, not Arrow batches: the same with or without PyArrow
    # installed, and no warning that it is not.
    greeting = udf(
        lambda text: None if text is None else is_greeting(text), "boolean", useArrow=False
    )
    session.udf.register(GREETING_UDF, greeting)


def _spark_type(sql: str) -> str:
    return _SPARK_TYPES.get(sql, sql.lower())


def _spark_ddl(shape: Any) -> str:
    if isinstance(shape, str):
        return _spark_type(shape)
    return "struct<" + ", ".join(f"`{k}`: {_spark_ddl(v)}" for k, v in shape.items()) + ">"


class SparkEngine:
    """Spark SQL: a local session by default (`local[*]`), or the cluster `master` names."""

    dialect = "spark"

    def __init__(self, *, master: str | None = None) -> None:
        try:
            from pyspark import SparkConf, SparkContext, java_gateway
            from pyspark.sql import SparkSession
        except ImportError:
            raise CprlintError(
                "--engine spark needs PySpark: pip install 'cprlint[spark]'"
            ) from None
        launch_gateway: Callable[..., Any] = java_gateway.launch_gateway  # (untyped)
        if master is None:
            # On one machine, Spark need not guess a network address (and warn about it).
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if master is None or master.startswith("local"):
            # Spark's Python workers run `is_greeting` (GREETING_UDF): on this machine,
            # in this very interpreter, not whichever `python3` comes first on the PATH.
            # (PySpark reads the variable when its context starts.) A cluster's workers
            # run the Python it is set up with, of the same version as this one.
            os.environ["PYSPARK_PYTHON"] = sys.executable
        quiet = resources.files("cprlint.data").joinpath("spark-log4j2.properties")
        conf = (
            SparkConf()
            .setAppName("cprlint-scorecard")
            .setMaster(master or "local[*]")
            .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{quiet}")
            .set("spark.sql.session.timeZone", "UTC")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
        )
        # The JVM (spark-submit, then the driver) writes to stdout and stderr as it likes:
        # a banner, warnings, a Java stack when it refuses to start. Started here, it
        # writes to a file of its own (unnamed; gone when it exits), which says why when
        # it does not start: the user sees one line, and stdout holds only the scorecard.
        # A JVM started before in this process is reused, as PySpark does.
        # (The JVM writes on through its own handle once this one is closed.)
        with tempfile.TemporaryFile(prefix="cprlint-spark-") as jvm_output:
            try:
                if SparkContext._gateway is None:
                    gateway = launch_gateway(
                        conf, popen_kwargs={"stdout": jvm_output, "stderr": jvm_output}
                    )
                    SparkContext._ensure_initialized(gateway=gateway)
                self.session = SparkSession.builder.config(conf=conf).getOrCreate()
            except Exception as error:  # Java missing, cluster unreachable: one line
                reason = _jvm_reason(jvm_output) or engine_message(error)
                raise CprlintError(f"Spark did not start: {reason}") from None
        self.session.sparkContext.setLogLevel("ERROR")
        _register_greeting(self.session)
        # Where the well-formed lines of logs with malformed ones are copied, made when
        # needed (on this machine: with a cluster, a folder the cluster sees, by TMPDIR).
        self._kept: tempfile.TemporaryDirectory[str] | None = None

    def load(
        self, logs: LogFiles, progress: Progress | None = None, *, strict: bool = True
    ) -> Malformed:
        frames = []
        malformed = Malformed()
        if logs.jsonl:
            frame, malformed = self._jsonl_frame(logs.jsonl, progress, strict=strict)
            frames.append(frame)
        if logs.parquet:
            frames.append(self._parquet_frame(logs.parquet))
        events = frames[0]
        for frame in frames[1:]:
            events = events.unionByName(frame)
        events.createOrReplaceTempView("events")
        return malformed

    def _reader(self) -> Any:
        """Spark's file reader, taking each path as the name of one file: Spark (Hadoop)
        would otherwise expand `*`, `?`, `[...]` and `{a,b}` in a log's name, and read
        `a.jsonl` for a log named `[a].jsonl`. `__globPaths__` is the data source option
        Spark's own streaming reader sets for this."""
        return self.session.read.option("__globPaths__", "false")

    def _jsonl_frame(
        self, files: Sequence[Path], progress: Progress | None, *, strict: bool
    ) -> tuple[Any, Malformed]:
        """The JSON Lines logs as a frame in the layout, read natively; when Spark
        refuses them, with their malformed lines left out (or, `strict`, none)."""
        found = self._read_jsonl(_spark_paths(files))
        if not isinstance(found, _Refusal):
            if progress is not None:
                progress(1.0)
            return found, Malformed()
        if strict:
            if found.detail is not None or first_problem(files) is not None:
                raise _refused(files, found.detail)
            # No line is malformed: Spark only suspected one it might read wrongly (a
            # "}{" or a text that reads as a list, in a message), which it reads right.
            again = self._read_jsonl(_spark_paths(files), vetted=True)
            if isinstance(again, _Refusal):
                raise _refused(files, again.detail)
            return again, Malformed()
        if self._kept is None:
            # The copies live until the session is closed: Spark reads files lazily.
            self._kept = tempfile.TemporaryDirectory(prefix="cprlint-spark-")
        kept, malformed = set_aside(files, Path(self._kept.name), progress)
        # Every line now read was read carefully and found well formed: none is one
        # Spark would read wrongly, however it looks.
        again = self._read_jsonl([str(item.path) for item in kept], vetted=True)
        if isinstance(again, _Refusal):
            raise _unreadable_still(files, malformed, again.detail)
        return again, malformed

    def _read_jsonl(self, paths: Sequence[str], *, vetted: bool = False) -> Any:
        """The logs at `paths` as a frame in the layout (persisted), or a _Refusal when
        Spark cannot read a line into the layout (FAILFAST), a conversation misses a
        required key or has a time outside STARTED_AT_FORM, or (unless the lines were
        `vetted` by the careful reading) a line may be one Spark would read wrongly
        without a word (`_SPARK_WOULD_MISS`, `_SPARK_TEXT_MAY_NOT_BE`): its rows' `fault`.

        Each line is read as text, then parsed, so that the text can be looked at too. A
        user's message's text is read only to tell whether it is a greeting
        (GREETING_UDF)."""
        shape = _json_struct(CONVERSATION_FIELDS)
        shape["events"] = _json_struct(EVENT_FIELDS)
        schema = ", ".join(
            f"`{key}` {_spark_ddl(value)}" for key, value in shape.items() if key != "events"
        )
        schema += f", `events` array<{_spark_ddl(shape['events'])}>"
        self._reader().text(list(paths)).createOrReplaceTempView("jsonl_lines")
        # A conversation's times parsed once, before its events are exploded; an
        # event's where it is read (Spark works out a repeated expression once).
        conversation_times = _times(CONVERSATION_FIELDS, "parsed", "`")
        parsed = {name: f"c.parsed_{name}" for name, _ in conversation_times}
        conversation, event = _flattened(
            "c", "e.ev", quote="`", value=_spark_value_of, parsed=parsed
        )
        ordered = ", ".join(column.name for column in EVENT_COLUMNS)
        checks = [
            _missing_required("c", "`"),
            *(
                _time_fault(read, parsed[name])
                for name, read in _times(CONVERSATION_FIELDS, "c", "`")
            ),
            *(
                _time_fault(read, _spark_time(read))
                for _, read in _times(EVENT_FIELDS, "e.ev", "`")
            ),
        ]
        if not vetted:
            checks += ["c.would_miss", _SPARK_TEXT_MAY_NOT_BE.format(event="e.ev")]
        parsing = ", ".join(
            f"{_spark_time(read)} AS parsed_{name}" for name, read in conversation_times
        )
        frame = self.session.sql(
            f"""
            SELECT {ordered}, fault FROM (
              SELECT {", ".join(conversation)}, CAST(e.i + 1 AS INT) AS event_index,
                     {", ".join(event)},
                     {" OR ".join(checks)} AS fault
              FROM (
                SELECT parsed.*, would_miss, {parsing}
                FROM (
                  SELECT from_json(value, {_sql_string(schema)}, map('mode', 'FAILFAST'))
                           AS parsed,
                         {"FALSE" if vetted else _SPARK_WOULD_MISS} AS would_miss
                  FROM jsonl_lines
                  WHERE trim(value) <> ''
                )
              ) AS c
              LATERAL VIEW OUTER posexplode(c.events) e AS i, ev
            )
            """
        )
        try:
            frame = frame.persist()
            faults = frame.where("fault").count()
        except Exception as error:  # a Py4J error from the JVM: find the line in Python
            frame.unpersist()
            return _Refusal(engine_message(error))
        if faults:
            frame.unpersist()
            return _Refusal(None)
        return frame.drop("fault")

    def _parquet_frame(self, files: Sequence[Any]) -> Any:
        try:
            frame = self._reader().parquet(*_spark_paths(files))
        except Exception as error:
            raise CprlintError(
                f"{', '.join(map(str, files))}: not readable Parquet: {engine_message(error)}"
            ) from None
        # Spark's type names in DuckDB's spelling, to hold them to the same layout check.
        described = [(name, _duckdb_spelling(kind)) for name, kind in frame.dtypes]
        check_layout(", ".join(map(str, files)), described)
        return frame.selectExpr(
            *(f"CAST(`{c.name}` AS {_spark_type(c.sql_type)}) AS {c.name}" for c in EVENT_COLUMNS)
        )

    def register(self, table: Table) -> None:
        schema = ", ".join(f"`{name}` {_spark_type(kind)}" for name, kind in table.columns)
        rows = [
            tuple(
                _spark_value(value, kind)
                for value, (_, kind) in zip(row, table.columns, strict=True)
            )
            for row in table.rows
        ]
        frame = self.session.createDataFrame(rows, schema)
        frame.createOrReplaceTempView(table.name)

    def rows(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]:
        try:
            found = [tuple(row) for row in self.session.sql(sql).collect()]
        except Exception as error:
            raise CprlintError(
                f"the scorecard query failed on Spark: {engine_message(error)}"
            ) from None
        if progress is not None:
            progress(1.0)
        return found

    def close(self) -> None:
        self.session.catalog.clearCache()
        if self._kept is not None:
            self._kept.cleanup()
            self._kept = None


_FROM_SPARK = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "float": "FLOAT",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "void": "NULL",
}


def _duckdb_spelling(spark_type: str) -> str:
    if spark_type.startswith(("struct<", "map<")):
        return "STRUCT"
    if spark_type.startswith("array<"):
        return "VARCHAR[]"
    return _FROM_SPARK.get(spark_type, spark_type.upper())


def _spark_value(value: Any, kind: str) -> Any:
    if kind.startswith("DECIMAL") and value is not None:
        return Decimal(value)
    return value


def open_engine(
    name: str, *, memory_limit: str = DEFAULT_MEMORY_LIMIT, spark_master: str | None = None
) -> Engine:
    if name == "spark":
        return SparkEngine(master=spark_master)
    return DuckDBEngine(memory_limit=memory_limit)
