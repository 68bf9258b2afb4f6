"""The engines the scorecard's definition runs on: DuckDB (embedded, the default) and
Spark (`cprlint[spark]`, for logs on a cluster; local mode otherwise).

An engine does three things: make an `events` table in the flattened layout from the
logs, register the small reference tables, and run a query of the definition. Only the
loading differs between engines; what is computed is the same SQL.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import resources
from typing import Any, Protocol

from cprlint.errors import CprlintError
from cprlint.scorecard import DEFAULT_MEMORY_LIMIT
from cprlint.scorecard.layout import CONVERSATION_FIELDS, EVENT_COLUMNS, EVENT_FIELDS, sql_type
from cprlint.scorecard.parquet import check_layout, find_unreadable
from cprlint.scorecard.sources import LogFiles, describe, engine_message, first_problem
from cprlint.scorecard.tables import Table

PROGRESS_SECONDS = 0.2

# Told how far a long step got, from 0 to 1.
Progress = Callable[[float], None]


class Engine(Protocol):
    dialect: str

    def load(self, logs: LogFiles, progress: Progress | None = None) -> None: ...

    def register(self, table: Table) -> None: ...

    def rows(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


def _json_struct(fields: Sequence[tuple[str, tuple[str, ...]]]) -> dict[str, Any]:
    """The nested JSON shape the layout's fields come from: {key: type or {key: ...}}."""
    shape: dict[str, Any] = {}
    for column, path in fields:
        node = shape
        for key in path[:-1]:
            node = node.setdefault(key, {})
        # started_at is read as text and parsed by the loader, so that a bad value can be
        # told apart from a missing one.
        node[path[-1]] = "VARCHAR" if column == "started_at" else sql_type(column)
    return shape


def _duckdb_type(shape: Any) -> str:
    if isinstance(shape, str):
        return shape
    members = ", ".join(f'"{key}" {_duckdb_type(value)}' for key, value in shape.items())
    return f"STRUCT({members})"


def _select_path(root: str, path: tuple[str, ...], quote: str) -> str:
    return root + "".join(f".{quote}{key}{quote}" for key in path)


def _flattened(
    conversation: str, event: str, *, quote: str, started_at: str
) -> tuple[list[str], list[str]]:
    """The layout's columns as select expressions over one conversation (`conversation`)
    and one of its events (`event`): the conversation's columns, then the event's.
    `started_at` is the engine's expression for the parsed timestamp."""
    conversation_columns = [
        started_at + " AS started_at"
        if column == "started_at"
        else f"{_select_path(conversation, path, quote)} AS {column}"
        for column, path in CONVERSATION_FIELDS
    ]
    event_columns = [
        f"{_select_path(event, path, quote)} AS {column}" for column, path in EVENT_FIELDS
    ]
    return conversation_columns, event_columns


class DuckDBEngine:
    """DuckDB in this process, within a memory limit, spilling to a temporary folder."""

    dialect = "duckdb"

    def __init__(self, *, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None):
        import duckdb

        self._duckdb = duckdb
        self._parquet_files: Sequence[Any] = ()
        self._spill = tempfile.TemporaryDirectory(prefix="cprlint-duckdb-")
        self.connection = duckdb.connect(":memory:")
        settings = {
            "memory_limit": memory_limit,
            "temp_directory": self._spill.name,
            "preserve_insertion_order": False,
            "TimeZone": "UTC",
            # DuckDB's own estimate of progress, for cprlint's bar, without its own bar.
            "enable_progress_bar": True,
            "enable_progress_bar_print": False,
        }
        if threads is not None:
            settings["threads"] = threads
        for name, value in settings.items():
            self.connection.execute(f"SET {name} = {_setting_literal(value)}")

    def load(self, logs: LogFiles, progress: Progress | None = None) -> None:
        self._parquet_files = logs.parquet
        parts = []
        if logs.jsonl:
            self._load_jsonl(logs.jsonl, progress)
            parts.append("SELECT * FROM jsonl_events")
        if logs.parquet:
            parts.append(self._parquet_select(logs.parquet))
        self.connection.execute("CREATE TEMP VIEW events AS " + " UNION ALL ".join(parts))

    def _load_jsonl(self, files: Sequence[Any], progress: Progress | None) -> None:
        shape = _json_struct(CONVERSATION_FIELDS)
        shape["events"] = _json_struct(EVENT_FIELDS)
        columns = {key: _duckdb_type(value) for key, value in shape.items()}
        columns["events"] = _duckdb_type(shape["events"]) + "[]"
        event_type = _duckdb_type(shape["events"])
        conversation, event = _flattened(
            "u",
            "u.ev",
            quote='"',
            started_at="CAST(TRY_CAST(u.started_at AS TIMESTAMPTZ) AS TIMESTAMP)",
        )
        index = "CASE WHEN u.ev IS NULL THEN NULL ELSE CAST(u.i AS INTEGER) END AS event_index"
        select = ", ".join([*conversation, index, *event])
        ordered = ", ".join(column.name for column in EVENT_COLUMNS)
        # UNNEST in the select list, over a one-null list for a conversation without
        # events so that it still makes a row: three times faster than a lateral join.
        query = f"""
            CREATE TEMP TABLE jsonl_events AS
            SELECT {ordered}, started_at_text FROM (
              SELECT {select}, u.started_at AS started_at_text
              FROM (
                SELECT c.*, unnest(c.listed) AS ev, generate_subscripts(c.listed, 1) AS i
                FROM (
                  SELECT *, CASE WHEN len(events) > 0 THEN events
                                 ELSE [NULL]::{event_type}[] END AS listed
                  FROM read_json(?, format = 'newline_delimited', columns = ?,
                                 maximum_object_size = 16777216)
                ) AS c
              ) AS u
            )
        """
        paths = [str(path) for path in files]
        try:
            self._execute(query, [paths, columns], progress)
            bad_times = self.connection.execute(
                "SELECT count(*) FROM jsonl_events "
                "WHERE started_at IS NULL AND started_at_text IS NOT NULL"
            ).fetchone()
        except self._duckdb.Error as error:
            raise _refused(files, error) from None
        except UnicodeDecodeError:
            # DuckDB cut a line into its message mid-character: the message itself
            # cannot be read, but the careful reading still finds the line at fault.
            raise _refused(files, None) from None
        if bad_times and bad_times[0]:
            raise _refused(files, None)
        self.connection.execute("ALTER TABLE jsonl_events DROP COLUMN started_at_text")

    def _parquet_select(self, files: Sequence[Any]) -> str:
        for path in files:
            try:
                described = self.connection.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]
                ).fetchall()
            except self._duckdb.Error as error:
                raise CprlintError(
                    f"{path}: not a readable Parquet file: {engine_message(error)}"
                ) from None
            check_layout(path, described)
        listed = ", ".join(_sql_string(path) for path in files)
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
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {table.name} ({columns})")
        if table.rows:
            marks = ", ".join("?" for _ in table.columns)
            self.connection.executemany(
                f"INSERT INTO {table.name} VALUES ({marks})", [list(row) for row in table.rows]
            )

    def rows(self, sql: str, progress: Progress | None = None) -> list[tuple[Any, ...]]:
        try:
            found: list[tuple[Any, ...]] = self._execute(sql, [], progress).fetchall()
        except self._duckdb.Error as error:
            fault = find_unreadable(self.connection, self._duckdb.Error, self._parquet_files)
            if fault is not None:
                raise CprlintError(fault) from None
            raise CprlintError(
                f"the scorecard query failed on DuckDB: {engine_message(error)}"
            ) from None
        return found

    def write_parquet(self, output: Any) -> int:
        """Copy the events table into one Parquet file; the number of rows written."""
        target = _sql_string(output)
        try:
            self.connection.execute(
                f"COPY (SELECT * FROM events) TO {target} (FORMAT parquet, COMPRESSION zstd)"
            )
            counted = self.connection.execute(
                f"SELECT count(*) FROM read_parquet({target})"
            ).fetchone()
        except self._duckdb.Error as error:
            raise CprlintError(f"{output}: cannot write: {engine_message(error)}") from None
        return int(counted[0]) if counted else 0

    def close(self) -> None:
        self.connection.close()
        self._spill.cleanup()


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


def _refused(files: Sequence[Any], error: BaseException | None) -> CprlintError:
    """The error for logs an engine would not read: the first line at fault, found by
    reading them again the slow, careful way."""
    problem = first_problem(files)
    if problem is not None:
        return CprlintError(f"log does not match the conversation format: {describe(problem)}")
    detail = engine_message(error) if error is not None else "unreadable"
    names = ", ".join(str(path) for path in files)
    return CprlintError(f"{names}: cannot be read as conversation logs: {detail}")


_SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp_ntz",
}


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
            from pyspark.sql import SparkSession
        except ImportError:
            raise CprlintError(
                "--engine spark needs PySpark: pip install 'cprlint[spark]'"
            ) from None
        if master is None:
            # On one machine, Spark need not guess a network address (and warn about it).
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        quiet = resources.files("cprlint.data").joinpath("spark-log4j2.properties")
        builder = (
            SparkSession.builder.appName("cprlint-scorecard")
            .master(master or "local[*]")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{quiet}")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        try:
            self.session = builder.getOrCreate()
        except Exception as error:  # Java missing, cluster unreachable: one line for the user
            raise CprlintError(f"Spark did not start: {engine_message(error)}") from None
        self.session.sparkContext.setLogLevel("ERROR")

    def load(self, logs: LogFiles, progress: Progress | None = None) -> None:
        frames = []
        if logs.jsonl:
            frames.append(self._jsonl_frame(logs.jsonl, progress))
        if logs.parquet:
            frames.append(self._parquet_frame(logs.parquet))
        events = frames[0]
        for frame in frames[1:]:
            events = events.unionByName(frame)
        events.createOrReplaceTempView("events")

    def _jsonl_frame(self, files: Sequence[Any], progress: Progress | None) -> Any:
        shape = _json_struct(CONVERSATION_FIELDS)
        shape["events"] = _json_struct(EVENT_FIELDS)
        schema = ", ".join(
            f"`{key}` {_spark_ddl(value)}" for key, value in shape.items() if key != "events"
        )
        schema += f", `events` array<{_spark_ddl(shape['events'])}>"
        raw = (
            self.session.read.schema(schema)
            .option("mode", "FAILFAST")
            .json([str(path) for path in files])
        )
        raw.createOrReplaceTempView("jsonl_conversations")
        conversation, event = _flattened(
            "c",
            "e.ev",
            quote="`",
            started_at="CAST(TRY_CAST(c.started_at AS TIMESTAMP) AS TIMESTAMP_NTZ)",
        )
        ordered = ", ".join(column.name for column in EVENT_COLUMNS)
        frame = self.session.sql(
            f"""
            SELECT {ordered}, started_at_text FROM (
              SELECT {", ".join(conversation)}, CAST(e.i + 1 AS INT) AS event_index,
                     {", ".join(event)}, c.started_at AS started_at_text
              FROM jsonl_conversations AS c
              LATERAL VIEW OUTER posexplode(c.events) e AS i, ev
            )
            """
        )
        try:
            frame = frame.persist()
            bad_times = frame.where("started_at IS NULL AND started_at_text IS NOT NULL").count()
        except Exception as error:  # a Py4J error from the JVM: find the line in Python
            raise _refused(files, error) from None
        if bad_times:
            raise _refused(files, None)
        if progress is not None:
            progress(1.0)
        return frame.drop("started_at_text")

    def _parquet_frame(self, files: Sequence[Any]) -> Any:
        try:
            frame = self.session.read.parquet(*[str(path) for path in files])
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
