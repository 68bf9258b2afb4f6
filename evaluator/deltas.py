"""How many input tokens a call gains or loses when it is replayed with another version
of its prompt.

A call's usage was recorded under the version it was made with; under another version
its input grows by count(candidate rendering) - count(recorded rendering).

The plain way renders both templates with Jinja and counts both texts. The fast way,
for templates that are only literal text and printed variables (most prompts), renders
nothing whole. Each template is cut once, at the places where a cut never changes a
token count (`tokens.is_boundary`), into runs of text. Runs without a variable are
counted once per template; runs holding a variable ("windows", a few words around it)
are what differs per conversation. The windows both versions share cancel out, so a new
version that edits text away from its variables costs no tokenizing per call at all,
and one that edits next to a variable costs a few words. The result is the same number
as the plain way's, exactly; tests/test_deltas.py and the bench corpus hold it to that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from cprlint.templates import (
    MAX_RENDERED_CHARS,
    Printed,
    is_global,
    printed_parts,
    render,
)
from cprlint.tokens import TokenCounter, boundaries, is_boundary, shared_counter

Window = tuple[str | Printed, ...]


@dataclass(frozen=True)
class CountPlan:
    """A template as the tokens of its fixed runs plus the windows around its variables."""

    static_tokens: int
    static_chars: int
    windows: tuple[Window, ...]
    # How often each variable is printed: with `static_chars`, the rendering's length.
    printed: Mapping[str, int]


@dataclass(frozen=True)
class OneVariable:
    """A window around one variable: the literal text on either side of it, and the
    tokens of each side alone.

    Where the variable's text meets a side at a boundary (`tokens.is_boundary`, which
    depends only on the two characters that meet), the window's count is that side's
    count plus the count of the rest. Two windows of the same variable that differ only
    in such a side leave the same rest, which cancels: a version that edits the words
    next to a variable costs no tokenizing of the variable's text.
    """

    before: str
    name: str
    after: str
    before_tokens: int
    after_tokens: int

    def split(self, variables: Mapping[str, Any]) -> tuple[int, str]:
        """(the tokens of the sides cut off, the rest of the window's text) for these
        variables: the window's count is the first plus the count of the second."""
        value = _text(variables, self.name)
        if not value:
            return 0, self.before + self.after
        before, after, tokens = self.before, self.after, 0
        if before and is_boundary(before[-1], value[0]):
            before, tokens = "", self.before_tokens
        if after and is_boundary(value[-1], after[0]):
            after, tokens = "", tokens + self.after_tokens
        return tokens, before + value + after


# A window as the fast recount reads it: one variable's, split; any other, filled whole.
CountedWindow = OneVariable | Window


@dataclass(frozen=True)
class DeltaPlan:
    """What differs between two templates' count plans."""

    static_delta: int
    added: tuple[CountedWindow, ...]  # windows of the candidate the recorded version lacks
    removed: tuple[CountedWindow, ...]  # and the other way round
    recorded: CountPlan
    candidate: CountPlan
    # Variable -> (times printed by the recorded version, by the candidate).
    printed: tuple[tuple[str, int, int], ...]
    # Printed variables named like a Jinja global (`range`): unknown, they print it.
    global_names: frozenset[str]
    printed_by_candidate: frozenset[str]
    printed_by_recorded: frozenset[str]
    printed_by_either: frozenset[str]


def count_plan(parts: tuple[str | Printed, ...], count: Callable[[str], int]) -> CountPlan:
    """Cut the parts at every boundary inside a literal; `count(text)` counts a fixed run."""
    static_tokens = 0
    windows: list[Window] = []
    run: list[str | Printed] = []

    def close_run() -> None:
        nonlocal static_tokens
        if any(isinstance(part, Printed) for part in run):
            windows.append(tuple(run))
        else:
            static_tokens += count("".join(part for part in run if isinstance(part, str)))
        run.clear()

    for part in parts:
        if isinstance(part, Printed):
            run.append(part)
            continue
        cuts = boundaries(part)
        if not cuts:
            run.append(part)
            continue
        run.append(part[: cuts[0]])
        close_run()
        for start, end in pairwise(cuts):
            static_tokens += count(part[start:end])
        run.append(part[cuts[-1] :])
    close_run()
    return CountPlan(
        static_tokens=static_tokens,
        static_chars=sum(len(part) for part in parts if isinstance(part, str)),
        windows=tuple(windows),
        printed=Counter(part.name for part in parts if isinstance(part, Printed)),
    )


def _without(windows: tuple[Window, ...], others: tuple[Window, ...]) -> tuple[Window, ...]:
    """`windows` less one match in `others` for each (a multiset difference, in order)."""
    unmatched = Counter(others)
    kept = []
    for window in windows:
        if unmatched[window] > 0:
            unmatched[window] -= 1
        else:
            kept.append(window)
    return tuple(kept)


# The variables each version printed while the conversation did not provide them:
# (the candidate's, the recorded version's).
Missing = tuple[frozenset[str], frozenset[str]]
# (candidate tokens - recorded tokens, the variables missing), for one conversation's
# variables.
Recount = Callable[[Mapping[str, Any]], tuple[int, Missing]]
_NONE_MISSING: Missing = (frozenset(), frozenset())


class TokenDeltas:
    """Input-token differences between prompt versions, the fast way unless `plain`."""

    def __init__(self, counter: TokenCounter | None = None, *, plain: bool = False) -> None:
        self.counter = counter or shared_counter()
        self.plain = plain
        self._plans: dict[tuple[str, str, str], DeltaPlan | None] = {}

    def delta(
        self, recorded: str, candidate: str, variables: Mapping[str, Any], encoding: str
    ) -> tuple[int, Missing]:
        """(candidate tokens - recorded tokens, variables each printed while unknown).

        Raises TemplateRenderError when either template cannot be rendered.
        """
        return self.recount(recorded, candidate, encoding)(variables)

    def recount(self, recorded: str, candidate: str, encoding: str) -> Recount:
        """`delta` for this pair of templates, ready for any variables: what a replay
        asks once per kind of call."""
        plan = None if self.plain else self._plan(recorded, candidate, encoding)
        count = self.counter.count

        def plain(variables: Mapping[str, Any]) -> tuple[int, Missing]:
            recorded_text, recorded_missing = render(recorded, variables)
            candidate_text, candidate_missing = render(candidate, variables)
            delta = count(candidate_text, encoding) - count(recorded_text, encoding)
            return delta, (candidate_missing, recorded_missing)

        if plan is None:
            return plain
        fast_plan = plan  # (narrowed for the closure)

        def fast(variables: Mapping[str, Any]) -> tuple[int, Missing]:
            if not _fast_path_applies(fast_plan, variables):
                return plain(variables)
            delta = fast_plan.static_delta
            gained, lost = [], []  # texts whose tokens the candidate adds and removes
            for window in fast_plan.added:
                if isinstance(window, OneVariable):
                    tokens, text = window.split(variables)
                    delta += tokens
                    gained.append(text)
                else:
                    gained.append(_fill(window, variables))
            for window in fast_plan.removed:
                if isinstance(window, OneVariable):
                    tokens, text = window.split(variables)
                    delta -= tokens
                    lost.append(text)
                else:
                    lost.append(_fill(window, variables))
            for text in gained:  # a text on both sides cancels: it is not counted
                if text in lost:
                    lost.remove(text)
                else:
                    delta += count(text, encoding)
            for text in lost:
                delta -= count(text, encoding)
            printed = fast_plan.printed_by_either
            if not printed or printed.issubset(variables):
                return delta, _NONE_MISSING
            return delta, (
                fast_plan.printed_by_candidate.difference(variables),
                fast_plan.printed_by_recorded.difference(variables),
            )

        return fast

    def _plan(self, recorded: str, candidate: str, encoding: str) -> DeltaPlan | None:
        key = (recorded, candidate, encoding)
        if key in self._plans:
            return self._plans[key]
        recorded_parts, candidate_parts = printed_parts(recorded), printed_parts(candidate)
        plan = None
        if recorded_parts is not None and candidate_parts is not None:

            def count(text: str) -> int:
                return self.counter.count(text, encoding)

            old, new = count_plan(recorded_parts, count), count_plan(candidate_parts, count)
            plan = DeltaPlan(
                static_delta=new.static_tokens - old.static_tokens,
                added=tuple(
                    _counted(window, count) for window in _without(new.windows, old.windows)
                ),
                removed=tuple(
                    _counted(window, count) for window in _without(old.windows, new.windows)
                ),
                recorded=old,
                candidate=new,
                printed=tuple(
                    (name, old.printed.get(name, 0), new.printed.get(name, 0))
                    for name in sorted(old.printed.keys() | new.printed.keys())
                ),
                global_names=frozenset(
                    name for name in old.printed.keys() | new.printed.keys() if is_global(name)
                ),
                printed_by_candidate=frozenset(new.printed),
                printed_by_recorded=frozenset(old.printed),
                printed_by_either=frozenset(new.printed) | frozenset(old.printed),
            )
        self._plans[key] = plan
        return plan


def _counted(window: Window, count: Callable[[str], int]) -> CountedWindow:
    """A window around one variable as a `OneVariable`; any other as it is."""
    variables = [index for index, part in enumerate(window) if isinstance(part, Printed)]
    if len(variables) != 1:
        return window
    (index,) = variables
    name = window[index]
    assert isinstance(name, Printed)
    before = "".join(part for part in window[:index] if isinstance(part, str))
    after = "".join(part for part in window[index + 1 :] if isinstance(part, str))
    return OneVariable(before, name.name, after, count(before), count(after))


def _fast_path_applies(plan: DeltaPlan, variables: Mapping[str, Any]) -> bool:
    """False for what only Jinja words right: an unknown variable named like one of its
    globals (`range` prints an object), and a rendering over the size cap."""
    if plan.global_names and any(name not in variables for name in plan.global_names):
        return False
    recorded_chars, candidate_chars = plan.recorded.static_chars, plan.candidate.static_chars
    for name, recorded_times, candidate_times in plan.printed:
        if name in variables:
            value = variables[name]
            chars = len(value if type(value) is str else str(value))
            recorded_chars += recorded_times * chars
            candidate_chars += candidate_times * chars
    return recorded_chars <= MAX_RENDERED_CHARS and candidate_chars <= MAX_RENDERED_CHARS


def _text(variables: Mapping[str, Any], name: str) -> str:
    """A variable printed as Jinja prints it: `str` of the value, nothing when unknown."""
    if name not in variables:
        return ""
    value = variables[name]
    return value if isinstance(value, str) else str(value)


def _fill(window: Window, variables: Mapping[str, Any]) -> str:
    return "".join(
        [part if isinstance(part, str) else _text(variables, part.name) for part in window]
    )
