"""`cprlint scorecard`: cost per ticket, cost per resolution, auto-resolution and
escalation per group and period, over production request logs.

    sources (find the logs) -> engines (DuckDB or Spark: events table) + tables
    (policies and prices as rows) -> definition (the SQL, once) -> build (rows, limits,
    previous period) -> card (the Scorecard) -> render / html

The names below are what the command line offers; they are kept here, apart from the
modules that need DuckDB, sqlglot or Spark, so that `cprlint --help` stays quick.
"""

DIMENSIONS = ("project", "queue", "intent", "automation")
PERIODS = ("day", "week", "month")
ENGINES = ("duckdb", "spark")
FORMATS = ("text", "markdown", "json", "csv", "html")
# DuckDB's memory limit unless told otherwise; beyond it, work spills to disk.
DEFAULT_MEMORY_LIMIT = "2GB"
