"""Exit codes and the errors that end a run before it produced a report.

A finding is a problem in the user's files and is reported; a `CprlintError` means the
run itself could not be done (bad flag, missing path, unreadable config) and becomes one
line on stderr with exit code 2.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    # Something cprlint did not expect: a bug, reported as one line with a distinct code
    # so that it is never mistaken for a finding.
    INTERNAL = 3


class CprlintError(Exception):
    """The run cannot be done; the message says what and where, in one line."""
