"""The engine options of `cprlint scorecard`, checked before any log is read: a value
an engine would refuse late, with a stack trace or a page of JVM output, is refused
here in one line that names the option."""

from __future__ import annotations

import re

from cprlint.errors import CprlintError
from cprlint.reporters.base import shown

# DuckDB's memory limit forms (DBConfig::ParseMemoryLimit): a number, then a unit of
# 1000^i bytes (B, KB, MB, GB, TB, or K, M, G, T, or the words), of 1024^i (KiB, MiB,
# GiB, TiB), or % of the machine's memory; in any case, spaces between allowed. Not
# DuckDB's "no limit" values (-1, none): the scorecard always works within a limit.
_MEMORY_LIMIT = re.compile(
    r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t]*"
    r"(?P<unit>b|bytes?|k|kb|kilobytes?|kib|m|mb|megabytes?|mib|g|gb|gigabytes?|gib"
    r"|t|tb|terabytes?|tib|%)",
    re.IGNORECASE,
)
MEMORY_LIMIT_FORMS = "a size such as 2GB, 512MB or 1.5GiB, or a share of memory such as 80%"


def check_memory_limit(value: str) -> str:
    """`--memory-limit`'s value, as DuckDB will take it; else a CprlintError."""
    found = _MEMORY_LIMIT.fullmatch(value.strip())
    if found is None:
        raise CprlintError(f"--memory-limit: `{shown(value)}` is not {MEMORY_LIMIT_FORMS}")
    amount = float(found["number"])
    if amount <= 0 or (found["unit"] == "%" and amount > 100):
        raise CprlintError(
            f"--memory-limit: `{shown(value)}` is no room to work in: "
            "give more than zero, and at most 100%"
        )
    return value.strip()


# The masters Spark's own check lets through ("Master must either be yarn or start with
# spark, k8s, or local"), spelled as Spark's documentation gives them: local,
# local[N], local[*], local[N,F], local[*,F], local-cluster[N,C,M],
# spark://HOST:PORT[,HOST:PORT...], k8s://URL, yarn.
_SPARK_MASTER = re.compile(
    r"local(?:\[(?:[0-9]+|\*)(?:,[0-9]+)?\])?"
    r"|local-cluster\[[0-9]+, *[0-9]+, *[0-9]+\]"
    r"|spark://[^\s,/]+(?:,[^\s,/]+)*"
    r"|k8s://\S+"
    r"|yarn"
)
SPARK_MASTER_FORMS = "local, local[N], local[*], spark://HOST:PORT, k8s://URL or yarn"


def check_spark_master(value: str | None) -> str | None:
    """`--spark-master`'s value, if it is one Spark can start with; else a CprlintError
    (Spark itself would print its refusal and a Java stack to the terminal)."""
    if value is None or _SPARK_MASTER.fullmatch(value):
        return value
    raise CprlintError(
        f"--spark-master: `{shown(value)}` is not a Spark master ({SPARK_MASTER_FORMS})"
    )
