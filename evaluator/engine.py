"""Running rules over a project and turning their problems into findings.

The engine owns what a finding finally is: the rule's code and default severity, the
project's per-rule level (`rules:` in the config), and inline suppressions. Rules only
say what is wrong and where.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

from cprlint.errors import CprlintError
from cprlint.finding_store import SPILL_AT, SpilledRuns
from cprlint.findings import Finding, Problem, Scope, Severity
from cprlint.model import Conversation, Waiver
from cprlint.project import Project
from cprlint.report import Report
from cprlint.rules import RULES, Target, rules_for
from cprlint.rules.context import RuleContext
from cprlint.rules.fixtures import duplicate_ids
from cprlint.rules.registry import CheckFunction

_SORT_KEY = attrgetter("sort_key")


@dataclass(frozen=True)
class ActiveWaiver:
    waiver: Waiver
    where: str  # "policies/x.yaml:LINE", shown on the findings it waives

    def matches(self, code: str, scope: Scope) -> bool:
        waiver = self.waiver
        return waiver.rule == code and all(
            wanted is None or wanted == actual
            for wanted, actual in (
                (waiver.intent, scope.intent),
                (waiver.queue, scope.queue),
                (waiver.prompt, scope.prompt),
                (waiver.conversation, scope.conversation),
            )
        )


def active_waivers(project: Project, today: dt.date) -> list[ActiveWaiver]:
    """Waivers that are complete and not expired; the others waive nothing (CPR108/109)."""
    active = []
    for policy in project.policies:
        for waiver in policy.waivers:
            complete = waiver.owner and waiver.reason and waiver.expires is not None
            if complete and waiver.expires is not None and waiver.expires >= today:
                location = policy.locate("waivers", waiver.index)
                active.append(ActiveWaiver(waiver, f"{location.path}:{location.line}"))
    return active


class FindingCollector:
    """Collects problems as findings, applying rule levels, suppressions and waivers."""

    def __init__(self, project: Project, *, today: dt.date) -> None:
        self.project = project
        # The findings held, in stream order; past SPILL_AT they are written out, sorted.
        self.findings: list[Finding] = []
        self._spilled: SpilledRuns | None = None
        self.waivers = active_waivers(project, today)
        unknown = sorted(code for code in project.config.rule_levels if code not in RULES)
        if unknown:
            source = project.config.source or "config"
            raise CprlintError(f"{source}: unknown rule `{unknown[0]}` (see `cprlint rules`)")

    def add(
        self, problem: Problem, rule_code: str | None = None, *, downgrade: bool = False
    ) -> None:
        """Record a problem; `downgrade` makes an error a warning (a small sample, say)."""
        code = problem.code or rule_code
        if code is None:
            raise ValueError("a problem needs a rule code")
        level = self.project.config.rule_levels.get(code)
        if level == "off":
            return
        suppressed = self.project.suppressions.get(problem.location.path, {})
        if code in suppressed.get(problem.location.line, ()):
            return
        severity = Severity(level) if level else RULES[code].severity
        if downgrade and not level:
            severity = Severity.WARNING
        waived_by = next(
            (waiver.where for waiver in self.waivers if waiver.matches(code, problem.scope)), None
        )
        self.findings.append(
            Finding(code, severity, problem.message, problem.location, problem.scope, waived_by)
        )
        if len(self.findings) >= SPILL_AT:
            self._spill()

    def add_all(self, problems: Iterable[Problem], rule_code: str | None = None) -> None:
        for problem in problems:
            self.add(problem, rule_code)

    def adopt(self, findings: Iterable[Finding]) -> None:
        """Findings another collector of the same project made (in a worker process)."""
        self.findings.extend(findings)
        if len(self.findings) >= SPILL_AT:
            self._spill()

    def _spill(self) -> None:
        if self._spilled is None:
            self._spilled = SpilledRuns()
        self._spilled.write(self.findings)
        self.findings = []

    def sorted_findings(self) -> Sequence[Finding]:
        """Every finding collected, sorted; a tuple, unless there were too many to hold
        (`cprlint.finding_store`)."""
        if self._spilled is not None:
            spilled, self._spilled = self._spilled, None
            return spilled.merged(self.findings)
        # Equal findings once, the first kept: the rest stay in stream order (the same for
        # any number of worker processes), which is nearly sorted already and so quick to
        # sort, and which orders findings whose sort keys tie the same way on every run.
        return tuple(sorted(dict.fromkeys(self.findings), key=_SORT_KEY))


def lint_conversation(
    conversation: Conversation, context: RuleContext, collector: FindingCollector
) -> None:
    for check, code in _fixture_checks():
        for problem in check(conversation, context):
            collector.add(problem, code)


@cache
def _fixture_checks() -> tuple[tuple[CheckFunction, str], ...]:
    """Each fixture rule's check and code: asked once per conversation, and the registry
    is complete once rules are imported."""
    checks = []
    for fixture_rule in rules_for(Target.FIXTURE):
        assert fixture_rule.check is not None
        checks.append((fixture_rule.check, fixture_rule.code))
    return tuple(checks)


def lint_stream_end(context: RuleContext, collector: FindingCollector) -> None:
    """What fixture rules can say only once every conversation is read."""
    collector.add_all(duplicate_ids(context))


def lint_static(project: Project, context: RuleContext, collector: FindingCollector) -> None:
    """Problems of loading, and the rules on policies and prompts."""
    collector.add_all(project.problems)
    for policy in project.policies:
        for policy_rule in rules_for(Target.POLICY):
            assert policy_rule.check is not None
            collector.add_all(policy_rule.check(policy, context), policy_rule.code)
    for prompt in project.prompts.values():
        for prompt_rule in rules_for(Target.PROMPT):
            assert prompt_rule.check is not None
            collector.add_all(prompt_rule.check(prompt, context), prompt_rule.code)


def lint_project(project: Project, *, today: dt.date) -> Report:
    """`cprlint lint`: every static check, with fixtures streamed one conversation at a time."""
    collector = FindingCollector(project, today=today)
    context = RuleContext(project=project, today=today)
    lint_static(project, context, collector)
    conversations = 0
    for item in project.iter_conversations():
        if isinstance(item, Problem):
            collector.add(item)
            continue
        conversations += 1
        lint_conversation(item, context, collector)
    lint_stream_end(context, collector)
    return Report(
        command="lint",
        findings=collector.sorted_findings(),
        files_checked=tuple(sorted(project.files_checked)),
        conversations=conversations,
    )
