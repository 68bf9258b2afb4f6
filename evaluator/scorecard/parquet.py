"""Parquet logs that do not fit: a column the layout lacks or cannot cast exactly, and
row groups that cannot be read, named with the file (and the row group)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cprlint.errors import CprlintError
from cprlint.scorecard.layout import EVENT_COLUMNS
from cprlint.scorecard.sources import engine_message

_INTEGERS = re.compile(r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|DECIMAL\(\d+,\s*0\))$")
_NUMBERS = re.compile(r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|DECIMAL\(.*\)|FLOAT|DOUBLE)$")
_TIMES = re.compile(r"^(TIMESTAMP.*|DATE)$")
_NESTED = re.compile(r"^(STRUCT|MAP|UNION)\b|\[\]$")


def accepts(layout_type: str, found: str) -> bool:
    """Whether a Parquet column of type `found` reads exactly into the layout's type (a
    column of nulls only has type NULL, which fits anything)."""
    found = found.upper()
    if found == "NULL":
        return True
    if layout_type in ("BIGINT", "INTEGER"):
        return bool(_INTEGERS.match(found))  # never a float, which a cast would round
    if layout_type.startswith("DECIMAL"):
        return bool(_NUMBERS.match(found))
    if layout_type == "TIMESTAMP":
        return bool(_TIMES.match(found))
    if layout_type == "BOOLEAN":
        return found == "BOOLEAN"
    return not _NESTED.search(found)  # VARCHAR: any plain value has a text


def check_layout(path: Any, described: Sequence[tuple[Any, ...]]) -> None:
    """Refuse a Parquet file whose columns (DESCRIBE's rows: name, type, ...) are not
    the event layout's."""
    present = {str(row[0]): str(row[1]) for row in described}
    missing = [column.name for column in EVENT_COLUMNS if column.name not in present]
    if missing:
        raise CprlintError(
            f"{path}: not in the scorecard's event layout: no column "
            + ", ".join(f"`{name}`" for name in missing)
            + " (see `cprlint convert`)"
        )
    for column in EVENT_COLUMNS:
        if not accepts(column.sql_type, present[column.name]):
            raise CprlintError(
                f"{path}: column `{column.name}` is {present[column.name]}, "
                f"where the event layout has {column.sql_type}"
            )


def find_unreadable(
    connection: Any, error_type: type[Exception], files: Sequence[tuple[str, str]]
) -> str | None:
    """Where the first unreadable part of these Parquet files (each as its name and the
    path DuckDB reads it by) is: 'file: row group N (rows a to b): why', found by reading
    each row group alone (DuckDB skips the others when the row numbers are filtered).
    None when every file reads."""
    columns = ", ".join(column.name for column in EVENT_COLUMNS)
    probe = f"SELECT max(hash({columns})) FROM read_parquet(?, file_row_number = true)"
    for name, path in files:
        try:
            connection.execute(probe, [path]).fetchall()
            continue
        except error_type as whole:
            reason = engine_message(whole)
        groups = connection.execute(
            "SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(?) "
            "GROUP BY row_group_id ORDER BY row_group_id",
            [path],
        ).fetchall()
        first = 0
        for group, rows in groups:
            try:
                connection.execute(
                    probe + " WHERE file_row_number >= ? AND file_row_number < ?",
                    [path, first, first + rows],
                ).fetchall()
            except error_type as error:
                return (
                    f"{name}: row group {group} (rows {first + 1:,} to {first + rows:,}) "
                    f"cannot be read: {engine_message(error)}"
                )
            first += rows
        return f"{name}: cannot be read: {reason}"
    return None
