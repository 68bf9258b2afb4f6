"""Rules judged against the base: creep, and how prompt versions may change."""

from __future__ import annotations

import re
from collections.abc import Iterator, Set
from typing import Any

from cprlint.findings import Location, Problem, Scope, Severity
from cprlint.model import PromptVersion
from cprlint.project import Project
from cprlint.rules.registry import Target, documented_rule

documented_rule(
    "CPR701",
    "token-creep",
    Severity.ERROR,
    Target.REPLAY,
    """
    A prompt needs more input tokens per call than on the base branch, by more than
    `creep.max_tokens_pct`.

    Why: a prompt that grows a few hundred tokens costs that much on every call, on
    every ticket, every month. Both trees replay the same recorded calls, so the change
    is the prompt's own; the 95% interval (paired bootstrap over conversations) says how
    sure the number is. Scopes with fewer than `creep.min_conversations` conversations
    get a warning instead.

    Failing:
        creep: {max_tokens_pct: 5}
        # billing_answer v4 renders 9% longer than v3 on the fixtures
    Passing:
        creep: {max_tokens_pct: 10}
    """,
)

documented_rule(
    "CPR702",
    "cost-creep",
    Severity.ERROR,
    Target.REPLAY,
    """
    The cost per resolution of the whole project, an intent, a queue or an automation
    mode rose against the base branch by more than `creep.max_cost_pct`.

    Why: budgets catch the absolute level; creep catches the direction of every pull
    request, long before the budget is hit. The report splits the change into what the
    prompt text, the routing and model choice, and the prices each contributed. A
    stricter `resolution` rule raises it too, by counting fewer of the same
    conversations as resolved: the finding then says how many fewer, so that a rise in
    what counts is not read as a rise in spend.

    Failing:
        creep: {max_cost_pct: 5}
        # billing_dispute moved from gpt-4o-mini to gpt-4o: +1,560%
    Passing:
        creep: {max_cost_pct: 5}
        # a prompt tweak: +1.2%
    """,
)

documented_rule(
    "CPR209",
    "released-version-edited",
    Severity.ERROR,
    Target.REPLAY,
    """
    A prompt version file that the base branch already released was changed.

    Why: fixtures, reports and production logs name prompt versions; a version whose
    text changes after release makes all of them lie. Add a new version file and
    release it instead.

    Failing:
        # prompts/billing_answer/v3.md edited while prompt.yaml says released: v3
    Passing:
        # prompts/billing_answer/v4.md added, prompt.yaml: released: v4
    """,
)

documented_rule(
    "CPR210",
    "referenced-version-deleted",
    Severity.ERROR,
    Target.REPLAY,
    """
    A prompt version that fixture conversations recorded was deleted.

    Why: replay renders the recorded version to know how many tokens the new version
    adds; without it the comparison is impossible. Keep old version files.

    Failing:
        # prompts/router/v1.md deleted; fixtures still have prompt_version: v1
    Passing:
        # prompts/router/v1.md kept, prompt.yaml: released: v2
    """,
)

documented_rule(
    "CPR211",
    "release-moved-backwards",
    Severity.WARNING,
    Target.REPLAY,
    """
    A prompt's `released` version is older than on the base branch.

    Why: rolling back a prompt is sometimes right, but it should be a decision, not an
    accident of a merge. Versions compare by their numbers (v10 after v9).

    Failing:
        # base: released: v4, head: released: v3
    Passing:
        # base: released: v3, head: released: v4
    """,
)


documented_rule(
    "CPR120",
    "policy-version-not-bumped",
    Severity.ERROR,
    Target.REPLAY,
    """
    A policy changed against the base branch but its `metadata.version` did not go up.

    Why: the version is how reports, dashboards and people refer to "the policy in
    force"; two different policies with the same version make every later number
    ambiguous. `cprlint diff` lists what changed.

    Failing:
        # base: budgets.cost_per_resolution 0.10, version 7
        # head: budgets.cost_per_resolution 0.12, version 7
    Passing:
        # head: budgets.cost_per_resolution 0.12, version 8
    """,
)


documented_rule(
    "CPR121",
    "guardrail-loosened",
    Severity.ERROR,
    Target.REPLAY,
    """
    A pull request loosens a guardrail of a policy, and the policy does not acknowledge it
    in `approvals`.

    Loosened means more money or risk gets through: a budget, cap or creep threshold
    raised or removed, a quality floor lowered, a tier allowed at a risk level or a
    model added to a tier, an intent's risk lowered or its tier (or a stage's) moved
    up, a price lowered, more conversations counted as resolved, a waiver added,
    widened or extended, a policy removed. `cprlint diff` lists every change with its
    kind; tightening and neutral changes are listed, never findings.

    Why: a pull request that only raises budgets passes every budget. Raising one may be
    right, but it should be a decision someone signs, in the same pull request, not a
    line a reviewer skims. An approval names the changed key (or a part of it: `intents`
    covers every intent), the policy version that makes the change, so that the next
    loosening of the same key needs an approval of its own, an owner (whom CODEOWNERS
    can require to review the file) and a reason.

    Failing:
        metadata: {name: acme-support, version: 8}     # base: version 7, budget 0.10
        budgets:
          cost_per_resolution: 0.50
    Passing:
        metadata: {name: acme-support, version: 8}
        budgets:
          cost_per_resolution: 0.50
        approvals:
          - {path: budgets.cost_per_resolution, version: 8, owner: "@acme/finance",
             reason: "premium tier for refunds, FIN-112"}
    """,
)

documented_rule(
    "CPR703",
    "cumulative-creep",
    Severity.ERROR,
    Target.REPLAY,
    """
    The cost per resolution of a scope, at the baseline's prices, rose since the committed
    baseline (`.cprlint/baseline.json`) by more than `creep.max_cumulative_pct`.

    Why: every pull request may stay under `max_cost_pct` while ten of them together
    double the cost. The baseline remembers a reviewed state; replaying at its prices
    keeps price changes out of this number. Rewrite the baseline (`cprlint baseline`)
    when an increase is accepted.

    Failing:
        creep: {max_cumulative_pct: 15}
        # baseline $0.0040, head at the baseline's prices $0.0049: +22.5%
    Passing:
        # head at the baseline's prices $0.0044: +10.0%
    """,
)

documented_rule(
    "CPR704",
    "prices-changed-since-baseline",
    Severity.WARNING,
    Target.REPLAY,
    """
    Prices differ from those recorded in the baseline (a new catalog, or new prices in
    the policy), and they alone move the cost per resolution.

    Why: a provider's price change is not the team's token creep and must not be judged
    as such; it is reported apart so that finance sees it and the baseline can be
    rewritten on purpose.

    Failing:
        # baseline: gpt-4o-mini input 0.15; now 0.18
    Passing:
        # prices as in the baseline
    """,
)


def version_order(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of version names: v2 < v10, 1.9 < 1.10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.findall(r"\d+|[^\d]+", version)
    )


def _content(version: PromptVersion) -> tuple[str, Any]:
    return version.template, version.front_matter.data if version.front_matter else None


def versioning_problems(
    head: Project, base: Project, referenced: Set[tuple[str, str]]
) -> Iterator[Problem]:
    """CPR209, CPR210, CPR211: how prompt versions changed between base and head."""
    for prompt_id, base_prompt in sorted(base.prompts.items()):
        head_prompt = head.prompts.get(prompt_id)
        scope = Scope(prompt=prompt_id)
        released = base_prompt.released_version
        if head_prompt is not None and released is not None:
            edited = head_prompt.versions.get(released.version)
            if edited is not None and _content(edited) != _content(released):
                yield Problem(
                    f"prompt `{prompt_id}` {released.version} was released on the base branch and "
                    "its file changed; add a new version instead",
                    Location(edited.path, 1),
                    scope,
                    code="CPR209",
                )
        for version in sorted(base_prompt.versions):
            missing = head_prompt is None or version not in head_prompt.versions
            if missing and (prompt_id, version) in referenced:
                yield Problem(
                    f"prompt `{prompt_id}` {version} was deleted, but fixtures recorded calls with "
                    "it; keep the file",
                    Location(base_prompt.versions[version].path, 1),
                    scope,
                    code="CPR210",
                )
        head_release = head_prompt.released if head_prompt else None
        base_release = base_prompt.released
        if (
            head_release
            and base_release
            and version_order(head_release) < version_order(base_release)
        ):
            assert head_prompt is not None
            yield Problem(
                f"prompt `{prompt_id}` released {head_release}, older than the base's {base_release}",
                head_prompt.manifest.locate("released"),
                scope,
                code="CPR211",
            )
