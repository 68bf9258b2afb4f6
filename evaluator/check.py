"""`cprlint check`: lint, then replay every fixture, price it, aggregate, judge budgets.

Fixtures stream through one conversation at a time; only the mergeable aggregates and
the findings are kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import multiprocessing
import operator
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cprlint import budgets, tokens
from cprlint.aggregates import Aggregates, ScopeTotals, Totals
from cprlint.baseline import Baseline, baseline_problems
from cprlint.compare import (
    PairedReplay,
    PairedSamples,
    compare,
    creep_problems,
    governing_policy,
)
from cprlint.deltas import TokenDeltas
from cprlint.engine import FindingCollector, lint_conversation, lint_static, lint_stream_end
from cprlint.errors import CprlintError
from cprlint.findings import Finding, Location, Problem, Scope
from cprlint.machine import available_cores
from cprlint.model import Budget, Conversation, Policy
from cprlint.money import json_number
from cprlint.policy_diff import changes_and_problems
from cprlint.pricing import Catalog, builtin_catalog
from cprlint.project import Project, Stretch
from cprlint.projection import MonthlySpend, figures_by_intent, monthly_spend, project_traffic
from cprlint.replay import ConversationResult, Replayer
from cprlint.report import Report
from cprlint.resolution import CLAUSES, TIMED_CLAUSES, rule_json
from cprlint.rules import Target, rules_for
from cprlint.rules.context import ConversationIds, RuleContext
from cprlint.rules.creep import versioning_problems
from cprlint.templates import printed_parts

UNKNOWN_VARIABLE = "CPR205"
RENDER_ERROR = "CPR206"
MODEL_NOT_PRICED = "CPR507"
UNATTRIBUTED_RESOLUTION = "CPR409"
RESOLUTION_WITHOUT_TIMES = "CPR410"
OVER_BUDGET = "CPR207"


def parse_prompt_overrides(specs: tuple[str, ...], project: Project) -> dict[str, str]:
    """`--prompt ID@VERSION`, checked against the prompts that exist."""
    overrides: dict[str, str] = {}
    for spec in specs:
        prompt_id, at, version = spec.partition("@")
        if not at or not prompt_id or not version:
            raise CprlintError(f"`{spec}`: expected ID@VERSION, e.g. billing_answer@v4")
        prompt = project.prompts.get(prompt_id)
        if prompt is None:
            raise CprlintError(f"`{spec}`: there is no prompt `{prompt_id}`")
        if version not in prompt.versions:
            known = ", ".join(sorted(prompt.versions)) or "none"
            raise CprlintError(
                f"`{spec}`: prompt `{prompt_id}` has no version `{version}` ({known})"
            )
        overrides[prompt_id] = version
    return overrides


@dataclass
class Tally:
    """What a stretch of the fixture stream adds up to.

    The tallies of consecutive stretches merge, in stream order, into the tally of the
    whole stream, identical to one made in a single pass: that is what lets stretches run
    in worker processes.
    """

    aggregates: Aggregates = field(default_factory=Aggregates)
    findings: list[Finding] = field(default_factory=list)
    conversations: int = 0
    # (prompt, version) pairs that fixtures recorded: versions that must not vanish.
    recorded_versions: set[tuple[str, str]] = field(default_factory=set)
    # (prompt, version) -> variable -> conversations that did not provide it.
    missing_variables: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    render_errors: dict[tuple[str, str], str] = field(default_factory=dict)
    # Models without a price: where first seen, and how many calls.
    unpriced: dict[str, Location] = field(default_factory=dict)
    unpriced_calls: Counter[str] = field(default_factory=Counter)
    conversation_ids: ConversationIds = field(default_factory=ConversationIds)
    # Policy name -> clause of its resolution rule -> the conversations it decided; and
    # -> clause -> those it could not judge for want of a time (`cprlint.resolution`).
    resolution_clauses: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    untimed: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # The head replayed at the baseline's prices: usage change without price change.
    at_baseline_prices: ScopeTotals | None = None
    samples: PairedSamples | None = None
    # What the run's budget (`cprlint.budgets`) was charged while making this tally, and
    # whether the process found it spent.
    alias_values_used: int = 0
    render_units_used: int = 0
    aliases_spent: bool = False
    rendering_spent: bool = False

    def merge(self, later: Tally) -> None:
        self.aggregates.merge(later.aggregates)
        self.findings.extend(later.findings)
        self.conversations += later.conversations
        self.recorded_versions.update(later.recorded_versions)
        for key, names in later.missing_variables.items():
            self.missing_variables[key].update(names)
        for key, reason in later.render_errors.items():
            self.render_errors.setdefault(key, reason)
        for model, location in later.unpriced.items():
            self.unpriced.setdefault(model, location)
        self.unpriced_calls.update(later.unpriced_calls)
        for policy, clauses in later.resolution_clauses.items():
            self.resolution_clauses[policy].update(clauses)
        for policy, clauses in later.untimed.items():
            self.untimed[policy].update(clauses)
        self.conversation_ids.merge(later.conversation_ids)
        if self.at_baseline_prices is not None and later.at_baseline_prices is not None:
            self.at_baseline_prices.merge(later.at_baseline_prices)
        if self.samples is not None and later.samples is not None:
            self.samples.merge(later.samples)
        self.alias_values_used += later.alias_values_used
        self.render_units_used += later.render_units_used
        self.aliases_spent |= later.aliases_spent
        self.rendering_spent |= later.rendering_spent


# Stretches of about this many bytes of JSON Lines go to worker processes one at a time:
# large enough that a stretch's result costs little to send back, small enough that the
# workers finish together.
STRETCH_BYTES = 4 << 20
# Below this many bytes of fixtures, starting workers costs more than it saves.
PARALLEL_MIN_BYTES = 8 << 20


class CheckRun:
    """One replay of the fixture stream under one tree, with its findings and totals."""

    def __init__(
        self,
        project: Project,
        *,
        today: dt.date,
        catalog: Catalog | None,
        prompt_overrides: Mapping[str, str] | None = None,
        paired: PairedReplay | None = None,
        baseline: Baseline | None = None,
        jobs: int = 1,
        deltas: TokenDeltas | None = None,
    ) -> None:
        self.project = project
        self.today = today
        self.paired = paired
        self.baseline = baseline
        self.jobs = jobs
        self._baseline_replayer: Replayer | None = None
        if baseline is not None:
            self._baseline_replayer = Replayer(
                project,
                catalog=catalog,
                prompt_overrides=prompt_overrides,
                price_override=baseline.price_cards(),
                deltas=deltas,
            )
        self.context = RuleContext(project=project, today=today)
        self.collector = FindingCollector(project, today=today)
        self.replayer = Replayer(
            project, catalog=catalog, prompt_overrides=prompt_overrides, deltas=deltas
        )
        self.tally = self._new_tally()

    @property
    def aggregates(self) -> Aggregates:
        return self.tally.aggregates

    @property
    def conversations(self) -> int:
        return self.tally.conversations

    def run(self) -> None:
        budget = budgets.current()
        self._alias_values_before = budget.alias_values_used
        static = FindingCollector(self.project, today=self.today)
        lint_static(self.project, self.context, static)
        self.static_findings = tuple(static.findings)
        self.collector.adopt(self.static_findings)
        # Cutting files into stretches reads them once more: only worth it for workers.
        stretches = self.project.fixture_stretches(STRETCH_BYTES if self._may_fork else None)
        for tally in self._tallies(stretches):
            # (Adopted as each stretch comes: the collector holds only so many at once.)
            self.collector.adopt(tally.findings)
            tally.findings = []
            self.tally.merge(tally)
        tokens.remember_counts()
        self.context.conversation_ids = self.tally.conversation_ids
        lint_stream_end(self.context, self.collector)
        self._judge()

    @property
    def _may_fork(self) -> bool:
        # Forking is what makes workers cheap; where it is not the default (macOS,
        # Windows), the run stays in one process.
        return self.jobs > 1 and sys.platform == "linux"

    def _tallies(self, stretches: Iterator[Stretch]) -> Iterator[Tally]:
        if not self._may_fork:
            yield self.tally_of(stretches, self.collector)
            return
        # The first stretches tell whether there is enough to share; the pool is handed
        # the rest as they are cut.
        first: list[Stretch] = []
        cut_bytes = 0
        for stretch in stretches:
            first.append(stretch)
            if stretch.end is not None:
                cut_bytes += stretch.end - stretch.start
            if cut_bytes >= PARALLEL_MIN_BYTES and len(first) > 1:
                break
        else:
            yield self.tally_of(first, self.collector)  # all of it, and too little to share
            return
        # Workers are forked: they inherit the loaded project, prices and vocabulary
        # instead of loading them again. Results come back in stream order.
        tokens.encoding(tokens.DEFAULT_ENCODING)
        context = multiprocessing.get_context("fork")
        with context.Pool(self.jobs, initializer=_adopt_run, initargs=(self,)) as pool:
            yield from pool.imap(_tally_in_worker, itertools.chain(first, stretches))

    def _new_tally(self) -> Tally:
        return Tally(
            at_baseline_prices=ScopeTotals() if self._baseline_replayer else None,
            samples=PairedSamples(per_policy=self.paired.per_policy) if self.paired else None,
        )

    @property
    def over_budget(self) -> str | None:
        """Which of the run's budgets the replay spent, if one: the same answer however the
        work was shared among processes. A process that spends one stops that work, so
        it is over when one process found it spent, or when the processes' work adds up
        to more; either way, exactly when all the work it asks for would be more than the
        budget. (Aliases first: files refused for them are conversations not rendered.)"""
        budget = budgets.current()
        aliases = self._alias_values_before + self.tally.alias_values_used
        if self.tally.aliases_spent or aliases > budget.alias_values:
            return "YAML alias expansion"
        if self.tally.rendering_spent or self.tally.render_units_used > budget.render_units:
            return "template rendering"
        return None

    def tally_of(
        self, stretches: Iterable[Stretch], collector: FindingCollector | None = None
    ) -> Tally:
        """Lint and replay the conversations of `stretches`; their findings go to
        `collector`, else (in a worker process) with the tally."""
        budget = budgets.current()
        used_before = (budget.alias_values_used, budget.render_units_used)
        tally = self._new_tally()
        own_findings = collector is None
        if collector is None:
            collector = FindingCollector(self.project, today=self.today)
        context = RuleContext(
            project=self.project, today=self.today, conversation_ids=tally.conversation_ids
        )
        # (Looked up once: what follows runs for every conversation.)
        replay, add_up = self.replayer.replay, tally.aggregates.add
        paired, samples = self.paired, tally.samples
        at_baseline, at_baseline_prices = self._baseline_replayer, tally.at_baseline_prices
        for item in self.project.iter_conversations(stretches):
            if isinstance(item, Problem):
                collector.add(item)
                continue
            tally.conversations += 1
            lint_conversation(item, context, collector)
            result = replay(item)
            add_up(result)
            if paired is not None and samples is not None:
                paired.add(samples, item, result)
            if at_baseline is not None and at_baseline_prices is not None:
                at_baseline_prices.add(at_baseline.replay(item, judge=False))
            if result.unpriced_calls:
                _count_unpriced(tally, item, result)
            tally.resolution_clauses[result.policy or ""][result.resolution_clause] += 1
            if result.untimed:
                tally.untimed[result.policy or ""].update(result.untimed)
            if result.problems:
                collector.add_all(result.problems)
            if result.missing_variables:
                for key, names in result.missing_variables.items():
                    tally.missing_variables[key].update(names)
            if result.render_errors:
                for key, reason in result.render_errors.items():
                    tally.render_errors.setdefault(key, reason)
        # The versions of the calls this process replayed so far, these conversations'
        # among them: the tallies' union is every version the fixtures recorded.
        tally.recorded_versions.update(self.replayer.recorded_versions)
        if own_findings:
            tally.findings = collector.findings
        if tally.samples is not None:
            tally.samples.flush()
        tally.alias_values_used = budget.alias_values_used - used_before[0]
        tally.render_units_used = budget.render_units_used - used_before[1]
        tally.aliases_spent = budget.aliases_spent
        tally.rendering_spent = budget.rendering_spent
        return tally

    def _judge(self) -> None:
        add = self.collector.add
        for model, location in sorted(self.tally.unpriced.items()):
            calls = self.tally.unpriced_calls[model]
            add(
                Problem(
                    f"model `{model}` has no price in the policy or the catalog: {calls} call"
                    f"{'s' if calls != 1 else ''} counted at 0; add it to `pricing.models`",
                    location,
                    code=MODEL_NOT_PRICED,
                )
            )
        for (prompt_id, version), names in sorted(self.tally.missing_variables.items()):
            path = self.project.prompts[prompt_id].versions[version].path
            for name, count in sorted(names.items()):
                add(
                    Problem(
                        f"variable `{name}` is not provided by {count} conversation"
                        f"{'s' if count != 1 else ''} and renders as empty text",
                        Location(path, 1),
                        Scope(prompt=prompt_id),
                        code=UNKNOWN_VARIABLE,
                    )
                )
        for (prompt_id, version), reason in sorted(self.tally.render_errors.items()):
            path = self.project.prompts[prompt_id].versions[version].path
            add(
                Problem(
                    f"template cannot be rendered ({reason}); its calls keep their recorded tokens",
                    Location(path, 1),
                    Scope(prompt=prompt_id),
                    code=RENDER_ERROR,
                )
            )
        for policy in self.project.policies:
            for clause, count in sorted(self.tally.untimed[policy.name].items()):
                add(
                    Problem(
                        f"{count} conversation{'s' if count != 1 else ''} of policy "
                        f"`{policy.name}` lack{'s' if count == 1 else ''} the times "
                        f"`resolution.{TIMED_CLAUSES[clause]}` needs (`at` on their messages"
                        f"{', `outcome.reopened_at`' if clause == 'reopened' else ''}): judged "
                        "by the rest of the rule, never guessed",
                        policy.locate("resolution", TIMED_CLAUSES[clause]),
                        code=RESOLUTION_WITHOUT_TIMES,
                    )
                )
            count = self.tally.resolution_clauses[policy.name]["unattributed"]
            if count:
                resolvers = ", ".join(policy.resolution.resolved_by)
                add(
                    Problem(
                        f"{count} conversation{'s' if count != 1 else ''} of policy "
                        f"`{policy.name}` lack{'s' if count == 1 else ''} "
                        "`outcome.resolved_by` while "
                        f"`resolution.resolved_by` counts only {resolvers}: not counted "
                        "as resolved",
                        policy.locate("resolution", "resolved_by"),
                        code=UNATTRIBUTED_RESOLUTION,
                    )
                )
            totals = self.tally.aggregates.by_policy.get(policy.name, ScopeTotals())
            for replay_rule in rules_for(Target.REPLAY):
                assert replay_rule.check is not None
                self.collector.add_all(
                    replay_rule.check(policy, totals, self.context), replay_rule.code
                )


def _count_unpriced(tally: Tally, conversation: Conversation, result: ConversationResult) -> None:
    """The calls of models without a price, and where each model was first seen."""
    for call in result.calls:
        if not call.priced:
            if call.model not in tally.unpriced:
                tally.unpriced[call.model] = conversation.locate(
                    "events", call.event_index, "model"
                )
            tally.unpriced_calls[call.model] += 1


# The run a forked worker process serves (set once per worker, by the pool).
_worker_run: CheckRun | None = None


def _adopt_run(run: CheckRun) -> None:
    global _worker_run
    _worker_run = run


def _tally_in_worker(stretch: Stretch) -> Tally:
    assert _worker_run is not None
    return _worker_run.tally_of([stretch])


def check_project(
    project: Project,
    *,
    today: dt.date,
    prompt_overrides: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    base: Project | None = None,
    base_label: str = "base",
    base_overrides: Mapping[str, str] | None = None,
    baseline: Baseline | None = None,
    jobs: int | None = None,
    fast: bool = True,
) -> Report:
    """Check `project`; with `base` (a tree) or `baseline` (the committed file), also
    compare every figure with it. `jobs` worker processes (default: one per available
    core) share large fixture sets; the report is the same for any number.

    `fast=False` is the reference the fast path is held to: one process, and every
    template rendered whole by Jinja and tokenized whole. The report is the same, byte
    for byte (tests/test_exactness.py)."""
    deltas = TokenDeltas(plain=not fast)
    catalog = catalog or builtin_catalog()
    budgets.current().start_replay(fixture_bytes=project.fixture_bytes())
    # A base without a policy is the pull request that adopts cprlint: nothing to compare.
    compared = base is not None and bool(base.policies)
    paired = None
    if base is not None and compared:
        paired = PairedReplay(
            project,
            base,
            catalog=catalog,
            head_overrides=prompt_overrides,
            base_overrides=base_overrides,
            deltas=deltas,
            share_head=fast,
        )
    run = CheckRun(
        project,
        today=today,
        catalog=catalog,
        prompt_overrides=prompt_overrides,
        paired=paired,
        baseline=baseline,
        jobs=(jobs or available_cores()) if fast else 1,
        deltas=deltas,
    )
    run.run()
    spent = run.over_budget
    if spent is not None:
        return over_budget_report(run, spent)
    report_metrics = metrics(run)
    policy = governing_policy(project)
    if baseline is not None and run.tally.at_baseline_prices is not None:
        if policy is not None:
            found = baseline_problems(
                baseline,
                at_baseline_prices=run.tally.at_baseline_prices,
                at_current_prices=run.aggregates.overall,
                policy=policy,
            )
            for problem, small_sample in found:
                run.collector.add(problem, downgrade=small_sample)
        report_metrics["comparison"] = baseline_comparison(
            baseline, run.tally.at_baseline_prices, report_metrics
        )
    if base is not None:
        report_metrics["comparison"] = (
            compare_with_base(run, base, base_label)
            if compared
            else new_in_pull_request(base_label)
        )
    return Report(
        command="check",
        findings=run.collector.sorted_findings(),
        files_checked=tuple(sorted(project.files_checked)),
        conversations=run.conversations,
        metrics=report_metrics,
    )


def over_budget_report(run: CheckRun, spent: str) -> Report:
    """A run over its budget: the static findings, and one that says so. Which
    conversations were replayed before the budget ran out depends on how the work was
    shared among processes, so neither figures nor fixture findings are reported."""
    project = run.project
    candidates = {
        prompt_id: run.replayer.prompt_overrides.get(prompt_id) or prompt.released
        for prompt_id, prompt in project.prompts.items()
    }
    # The templates that render (those with logic), the versions replayed first: a pull
    # request's new version is the likelier culprit than the one recorded long ago.
    rendered = [
        path
        for _, _, _, path in sorted(
            (version.version != candidates[prompt_id], prompt_id, version.version, version.path)
            for prompt_id, prompt in project.prompts.items()
            for version in prompt.versions.values()
            if printed_parts(version.template) is None
        )
    ]
    yaml_fixtures = [path for path in project.fixture_files if not path.endswith(".jsonl")]
    if spent == "template rendering" and rendered:
        location = Location(rendered[0], 1)
        culprits = f"the templates with logic: {', '.join(rendered[:5])}"
        limit = f"{budgets.current().render_units:,} units: a step, or a thousand characters made"
    else:
        location = Location(yaml_fixtures[0] if yaml_fixtures else project.root.name, 1)
        culprits = f"the YAML files with aliases: {', '.join(yaml_fixtures[:5])}"
        limit = f"{budgets.current().alias_values:,} values built through aliases"
    collector = FindingCollector(project, today=run.today)
    collector.adopt(run.static_findings)
    collector.add(
        Problem(
            f"the run's budget for {spent} is spent ({limit}); look at {culprits}. The replay "
            "stopped: its figures and the fixtures' findings are not reported",
            location,
            code=OVER_BUDGET,
        )
    )
    return Report(
        command="check",
        findings=collector.sorted_findings(),
        files_checked=tuple(sorted(project.files_checked)),
        conversations=run.conversations,
    )


def compare_with_base(run: CheckRun, base: Project, base_label: str) -> dict[str, Any]:
    """SPEC §6 `comparison` against a base tree, and the findings it makes: creep,
    prompt versioning, policy changes (a version not bumped, a guardrail loosened)."""
    project, samples = run.project, run.tally.samples
    assert samples is not None
    comparison = compare(samples, base_label)
    for problem, uncertain in creep_problems(comparison, project):
        run.collector.add(problem, downgrade=uncertain)
    policy = governing_policy(project)
    if policy is not None:
        comparison.drop_small_intervals(policy.creep.min_conversations)
    for name, policy_comparison in comparison.policies.items():
        governing = next((p for p in project.policies if p.name == name), None)
        if governing is not None:
            policy_comparison.drop_small_intervals(governing.creep.min_conversations)
    run.collector.add_all(versioning_problems(project, base, run.tally.recorded_versions))
    changes, problems = changes_and_problems(project, base)
    run.collector.add_all(problems)
    return {
        "status": "compared",
        **comparison.to_json(),
        "monthly": monthly_comparison(samples, project, base),
        "policy_changes": [change.to_json() for change in changes],
    }


def new_in_pull_request(base_label: str) -> dict[str, Any]:
    """The comparison of the pull request that adopts cprlint: its base has no policy,
    so there is no creep, no contribution and no policy change to report."""
    return {
        "status": "new",
        "base": base_label,
        "summary": None,
        **{dimension: {} for dimension in ("intents", "queues", "automation", "prompts")},
        "monthly": None,
        "policy_changes": [],
    }


def monthly_comparison(
    samples: PairedSamples, head: Project, base: Project
) -> dict[str, Any] | None:
    """The projected monthly AI spend of every policy with `traffic`, base → head: the
    base's traffic over the base's replay, the head's over the head's, of the same
    conversations. None when no head policy declares traffic."""
    base_by_project = {policy.project: policy for policy in base.policies}
    by_policy: dict[str, MonthlySpend] = {}
    for policy in head.policies:
        base_figures, head_figures = samples.figures_by_intent(policy.name)
        base_policy = base_by_project.get(policy.project)
        spend = monthly_spend(
            None if base_policy is None else project_traffic(base_policy, base_figures),
            project_traffic(policy, head_figures),
        )
        if spend is not None:
            by_policy[policy.name] = spend
    if not by_policy:
        return None
    total = functools.reduce(operator.add, by_policy.values())
    return {
        **total.to_json(),
        "policies": {name: spend.to_json() for name, spend in by_policy.items()},
    }


def baseline_comparison(
    baseline: Baseline, at_baseline_prices: ScopeTotals, report_metrics: dict[str, Any]
) -> dict[str, Any]:
    """SPEC §6 `comparison` against the baseline file: the head at the baseline's prices.

    The baseline keeps no per-conversation figures, so there is no interval (`ci95` null),
    and no split into what prompts, routing and prices contributed.
    """

    def change(old: Decimal | None, new: Decimal | None, conversations: int) -> dict[str, Any]:
        delta = None if old is None or new is None else new - old
        pct = None if old is None or new is None or old == 0 else (new / old - 1) * 100
        return {
            "base": None if old is None else json_number(old),
            "head": None if new is None else json_number(new),
            "delta": None if delta is None else json_number(delta),
            "delta_pct": None if pct is None else json_number(pct),
            "ci95": None,
            "conversations": conversations,
        }

    summary = at_baseline_prices.summary
    result: dict[str, Any] = {
        "status": "baseline",
        "base": f"baseline {baseline.path}",
        "summary": change(
            baseline.cost_per_resolution("summary"),
            summary.cost_per_resolution,
            summary.conversations,
        ),
    }
    for scope in ("intents", "queues", "automation"):
        totals: dict[str, Totals] = getattr(at_baseline_prices, scope)
        result[scope] = {
            name: change(
                baseline.cost_per_resolution(scope, name),
                totals[name].cost_per_resolution,
                totals[name].conversations,
            )
            for name in sorted(totals)
        }
    old_prompts = baseline.data.get("prompts") or {}
    result["prompts"] = {}
    for prompt_id, head in sorted(report_metrics["prompts"].items()):
        old = old_prompts.get(prompt_id) or {}
        old_mean = old.get("mean_input_tokens")
        entry = change(
            None if old_mean is None else Decimal(str(old_mean)),
            Decimal(str(head["mean_input_tokens"])),
            head["llm_calls"],
        )
        result["prompts"][prompt_id] = {
            "base_version": old.get("version"),
            "head_version": head["version"],
            **entry,
        }
    result["monthly"] = None
    result["policy_changes"] = []
    return result


# --- the JSON report's numbers (SPEC §6) --------------------------------------------------


def _by_name(totals: Mapping[str, Totals]) -> dict[str, Any]:
    return {name: totals[name].to_json() for name in sorted(totals)}


def _budget_view(totals: Totals, budget: Budget | None) -> dict[str, Any]:
    row = totals.to_json()
    if budget is None:
        row.update(budget=None, budget_status="none")
        return row
    cost = totals.cost_per_resolution_for(fully_loaded=budget.fully_loaded)
    row["budget"] = json_number(budget.cost_per_resolution)
    row["budget_fully_loaded"] = budget.fully_loaded
    if cost is None:
        row["budget_status"] = "no resolutions"
    else:
        row["budget_status"] = "ok" if cost <= budget.cost_per_resolution else "over"
    return row


def _policy_view(policy: Policy, totals: ScopeTotals, tally: Tally) -> dict[str, Any]:
    view: dict[str, Any] = {
        "path": policy.path,
        "project": policy.project,
        "version": policy.version,
        "summary": _budget_view(totals.summary, policy.budget_of("summary", "")),
    }
    for scope, dimension, groups in (
        ("intents", "intent", totals.intents),
        ("queues", "queue", totals.queues),
        ("automation", "automation", totals.automation),
    ):
        view[scope] = {
            name: _budget_view(groups[name], policy.budget_of(dimension, name))
            for name in sorted(groups)
        }
    view["traffic"] = _traffic(policy, totals)
    decided = tally.resolution_clauses.get(policy.name, Counter())
    view["resolution"] = {
        "rule": rule_json(policy.resolution),
        # How many conversations each clause decided: the first that voided it, or counted.
        "decided": {clause: decided[clause] for clause in CLAUSES if decided[clause]},
        "untimed": dict(sorted(tally.untimed.get(policy.name, Counter()).items())),
    }
    view["overhead"] = _overhead(policy, totals)
    view["compare_with"] = _compared(policy, totals)
    return view


def _overhead(policy: Policy, totals: ScopeTotals) -> dict[str, Any] | None:
    """The fixed monthly overhead and each ticket's share: part of the fully loaded cost
    per resolution, never of the AI cost per resolution."""
    if not policy.pricing.overhead:
        return None
    per_ticket = policy.overhead_per_ticket
    return {
        "monthly": {
            name: json_number(amount) for name, amount in sorted(policy.pricing.overhead.items())
        },
        "monthly_tickets": policy.traffic.monthly_tickets,
        "per_ticket": None if per_ticket is None else json_number(per_ticket),
        "allocated": json_number(totals.summary.overhead_cost),
    }


def _compared(policy: Policy, totals: ScopeTotals) -> dict[str, Any] | None:
    """What the vendor of `compare_with` would charge for the same conversations, counted
    under its own resolution rule, beside cprlint's AI and fully loaded cost per
    resolution (both over the resolutions the policy's own rule counts)."""
    vendor = policy.compare_with
    if vendor is None:
        return None

    def row(scope: Totals) -> dict[str, Any]:
        billed = scope.compared_resolved if vendor.per == "resolution" else scope.conversations
        charge = vendor.price * billed
        cpr, loaded = scope.cost_per_resolution, scope.fully_loaded_cost_per_resolution
        return {
            "conversations": scope.conversations,
            "resolved": scope.resolved,
            "resolved_under_vendor_rule": scope.compared_resolved,
            "charge": json_number(charge),
            "charge_per_resolution": json_number(charge / scope.resolved)
            if scope.resolved
            else None,
            "cost_per_resolution": None if cpr is None else json_number(cpr),
            "fully_loaded_cost_per_resolution": None if loaded is None else json_number(loaded),
        }

    return {
        "name": vendor.name,
        "price": json_number(vendor.price),
        "per": vendor.per,
        "resolution": rule_json(vendor.resolution),
        "summary": row(totals.summary),
        "intents": {name: row(totals.intents[name]) for name in sorted(totals.intents)},
    }


def _traffic(policy: Policy, totals: ScopeTotals) -> dict[str, Any] | None:
    """Projection like a usage file: the declared traffic applied to the replayed costs."""
    projection = project_traffic(policy, figures_by_intent(totals))
    return None if projection is None else projection.to_json()


def metrics(run: CheckRun) -> dict[str, Any]:
    project, aggregates = run.project, run.aggregates
    catalog = run.replayer.catalog
    currency = project.policies[0].currency if project.policies else "USD"
    tool: dict[str, Any] = {}
    if catalog is not None:
        tool = {
            "catalog": "genai-prices",
            "catalog_version": catalog.version,
            "catalog_date": catalog.date.isoformat(),
        }
    models: dict[str, Any] = {}
    for name in sorted(aggregates.models):
        totals = aggregates.models[name]
        entry: dict[str, Any] = {
            "calls": totals.calls,
            "rerouted_calls": totals.rerouted_calls,
            "cost": json_number(totals.cost),
            "token_counts": "estimated" if totals.estimated_calls else "exact",
        }
        policy_cards = [
            card
            for card in (
                run.replayer.price_book(policy).lookup(name) for policy in project.policies
            )
            if card
        ]
        card = (
            policy_cards[0] if policy_cards else (catalog.lookup(name, None) if catalog else None)
        )
        entry["price"] = None if card is None else _json_card(card.to_json())
        models[name] = entry
    overall = aggregates.overall
    return {
        "tool": tool,
        "currency": currency,
        "summary": overall.summary.to_json(),
        "intents": _by_name(overall.intents),
        "queues": _by_name(overall.queues),
        "automation": _by_name(overall.automation),
        "projects": _by_name(overall.projects),
        "prompts": {
            prompt_id: {
                "version": _main_version(aggregates.prompts[prompt_id].versions),
                "llm_calls": aggregates.prompts[prompt_id].llm_calls,
                "mean_input_tokens": json_number(aggregates.prompts[prompt_id].mean_input_tokens),
            }
            for prompt_id in sorted(aggregates.prompts)
        },
        "models": models,
        "policies": {
            policy.name: _policy_view(
                policy, aggregates.by_policy.get(policy.name, ScopeTotals()), run.tally
            )
            for policy in project.policies
        },
        "comparison": None,
    }


def _main_version(versions: Counter[str]) -> str:
    return max(sorted(versions), key=lambda version: versions[version]) if versions else ""


def _json_card(card: dict[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return json_number(value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    return {key: convert(value) for key, value in card.items()}
