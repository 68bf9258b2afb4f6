"""Errors in how `cprlint import` was called (its files and options), as one line.

Such an error stops the run (exit 2) with one line on stderr. Its message quotes file
names and mapping-file keys and values, which may hold a line break or an ESC: they are
shown escaped (`\\x0a`, `\\x1b`), as the reporters show control characters.
"""

from __future__ import annotations

from cprlint.errors import CprlintError
from cprlint.reporters.base import shown


def invocation_error(message: str) -> CprlintError:
    """The error to raise: `message` on one printable line."""
    return CprlintError(shown(message))
