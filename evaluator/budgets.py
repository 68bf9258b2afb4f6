"""The work one run may do, whatever the pull request it checks.

Two kinds of work grow much faster than the files that ask for them: YAML aliases (a
36 KB policy can expand to millions of values) and template rendering (a template of one
line can loop, pad and multiply for minutes). Each is bounded where it happens, per
YAML file (`documents`) and per rendering (`templates`); this module bounds their sum over
a run, so that many files or conversations each just under their own limit cannot add
up to an hour:

- YAML alias expansion: at most `RUN_ALIAS_VALUES` values built again through an alias,
  over every YAML file the run reads;
- template rendering: at most `RUN_RENDER_UNITS` units (a step of a rendering, or a
  thousand characters it made; a unit is about a microsecond) plus one per
  `FIXTURE_BYTES_PER_UNIT` bytes of fixtures, since a run of more conversations renders
  more, honestly: about 700 units for a conversation of 2.8 KB, where a template with a
  loop or two uses tens of units a rendering.

Past either, what is read or rendered afterwards fails fast, and `check` reports the run
as over its budget instead of its figures (`CheckRun`): which conversations were replayed
before the budget ran out depends on how the work was shared among worker processes, so
a report built from them would not be the same on every run. Whether a run is over its
budget is the same on every run: the work each file and each conversation asks for is.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field

# About a second of building values.
RUN_ALIAS_VALUES = 1_000_000
# About five seconds of rendering, plus what the fixture set's size warrants.
RUN_RENDER_UNITS = 5_000_000
FIXTURE_BYTES_PER_UNIT = 4
# A rendering unit is a step (a call, a loop item) or this many characters made.
CHARACTERS_PER_UNIT = 1_000


class SharedCount:
    """A count that forked worker processes share: eight bytes of anonymous shared
    memory, which a fork inherits. Unlocked: a lost update only lets work go on a little
    longer; the exact count is each process's own (`*_used`), added up when their
    results are merged. (Not multiprocessing's RawValue, whose import alone costs a
    small run a twentieth of its start.)"""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, 8)

    @property
    def value(self) -> int:
        return int.from_bytes(self._memory[:8], "little", signed=True)

    @value.setter
    def value(self, count: int) -> None:
        self._memory[:8] = count.to_bytes(8, "little", signed=True)


@dataclass
class RunBudget:
    """The current run's budget: what this process was charged, and what all of the run's
    processes were (shared with the workers it forks, so that they stop together)."""

    alias_values: int = RUN_ALIAS_VALUES
    render_units: int = RUN_RENDER_UNITS
    # What this process was charged, over budget or not: the processes' add up.
    alias_values_used: int = 0
    render_units_used: int = 0
    _all_alias_values: SharedCount = field(default_factory=SharedCount, repr=False)
    _all_render_units: SharedCount = field(default_factory=SharedCount, repr=False)

    @property
    def aliases_spent(self) -> bool:
        return self._all_alias_values.value > self.alias_values

    @property
    def rendering_spent(self) -> bool:
        return self._all_render_units.value > self.render_units

    def charge_aliases(self, values: int) -> None:
        """Charge values built through aliases."""
        self.alias_values_used += values
        self._all_alias_values.value += values

    def charge_rendering(self, units: int) -> None:
        """Charge a rendering's units."""
        self.render_units_used += units
        self._all_render_units.value += units

    def aliases_left(self) -> int:
        return self.alias_values - self._all_alias_values.value

    def start_replay(self, *, fixture_bytes: int) -> None:
        """Renderings start from nothing, with the allowance of these fixtures."""
        self.render_units = RUN_RENDER_UNITS + fixture_bytes // FIXTURE_BYTES_PER_UNIT
        self.render_units_used = 0
        self._all_render_units = SharedCount()


_current = RunBudget()


def current() -> RunBudget:
    """The budget of the run in progress."""
    return _current


def start_run() -> RunBudget:
    """A fresh budget: every command of the command line starts with one."""
    global _current
    _current = RunBudget(alias_values=RUN_ALIAS_VALUES, render_units=RUN_RENDER_UNITS)
    return _current
