"""Regenerate docs/usage.md: every command, run for real on the repo's example project.

    python docs/generate_usage.py          # rewrite docs/usage.md
    python docs/generate_usage.py --check  # exit 1 if docs/usage.md is stale

The example's comparisons need a git history, so the script copies the example project
into a temporary repository, commits it as `main`, and makes changes on top: the billing
prompt's v4, a longer version, released; then a pull request that raises a budget,
without and with an approval. Dates are fixed with `--today`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USAGE = REPO / "docs" / "usage.md"
TODAY = "2026-11-23"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "docs",
    "GIT_AUTHOR_EMAIL": "docs@example.com",
    "GIT_COMMITTER_NAME": "docs",
    "GIT_COMMITTER_EMAIL": "docs@example.com",
    "GIT_AUTHOR_DATE": "2026-11-23T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-23T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}
LONGER_BILLING_TEXT = (
    "\nBefore you answer, restate the disputed charge, the merchant, the date and the amount, "
    "and explain the chargeback timeline in full: when the customer hears back, what evidence "
    "the card network may ask for, and what happens to the money meanwhile.\n"
)


def cprlint(args: list[str], cwd: Path, max_lines: int | None = None) -> str:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("GITHUB_ACTIONS", None)
    completed = subprocess.run(
        [sys.executable, "-m", "cprlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    output = completed.stdout + completed.stderr
    lines = output.rstrip("\n").splitlines()
    if max_lines is not None and len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"]
    shown = "\n".join(lines)
    return f"```console\n$ cprlint {' '.join(args)}\n{shown}\n```\n\nExit code: {completed.returncode}.\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
    )


def example_repository(workdir: Path) -> Path:
    root = workdir / "example"
    root.mkdir()
    for name in ("policies", "prompts", "fixtures"):
        shutil.copytree(
            REPO / name, root / name, ignore=shutil.ignore_patterns("*.py", "__pycache__")
        )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example project")
    prompt = root / "prompts" / "billing_answer"
    (prompt / "v4.md").write_text((prompt / "v3.md").read_text() + LONGER_BILLING_TEXT)
    return root


def release_v4(root: Path) -> None:
    manifest = root / "prompts" / "billing_answer" / "prompt.yaml"
    manifest.write_text(manifest.read_text().replace("released: v3", "released: v4"))


def release_v3(root: Path) -> None:
    manifest = root / "prompts" / "billing_answer" / "prompt.yaml"
    manifest.write_text(manifest.read_text().replace("released: v4", "released: v3"))


BUDGET_APPROVAL = """\
approvals:
  - path: intents.billing_dispute.budget
    version: 5
    owner: "@tally/finance"
    reason: "chargeback flow adds a premium-tier review step (FIN-112)"
"""


def _attribute(key: str, value: str | int) -> dict[str, object]:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value)}}


def import_example(workdir: Path) -> None:
    """A small OTLP export (two spans of one support ticket) and a label mapping file."""
    message = '[{"role": "user", "parts": [{"type": "text", "content": "Card not here yet. Reach me at dana@example.com"}]}]'
    spans = [
        ("1", "invoke_agent", {"gen_ai.operation.name": "invoke_agent",
                               "gen_ai.conversation.id": "T-2001",
                               "support.intent": "card_arrival", "support.queue": "cards",
                               "ticket.status": "closed"}),
        ("2", "chat gpt-4o-mini", {"gen_ai.operation.name": "chat",
                                   "gen_ai.request.model": "gpt-4o-mini",
                                   "gen_ai.usage.input_tokens": 812,
                                   "gen_ai.usage.cache_read.input_tokens": 512,
                                   "gen_ai.usage.output_tokens": 64,
                                   "gen_ai.input.messages": message}),
    ]  # fmt: skip
    export = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attribute("service.name", "acme-support")]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": span_id,
                                "name": name,
                                "startTimeUnixNano": f"176400000000000000{span_id}",
                                "attributes": [_attribute(k, v) for k, v in attributes.items()],
                            }
                            for span_id, name, attributes in spans
                        ]
                    }
                ],
            }
        ]
    }
    (workdir / "spans.jsonl").write_text(json.dumps(export) + "\n")
    (workdir / "labels.yaml").write_text(
        "intent: support.intent\nqueue: support.queue\nproject: service.name\n"
        "outcome: {from: ticket.status, values: {closed: resolved}}\n"
    )


def generate() -> str:
    sections = [
        "# Using cprlint\n",
        "Every block below is real output of the command on this repository's example project "
        "(`policies/`, `prompts/`, `fixtures/`), regenerated by `python docs/generate_usage.py`; "
        "a test fails when this page is stale.\n",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        root = example_repository(workdir)
        sections += [
            "## `cprlint check`\n",
            "Replays every fixture conversation under the tree's prompts and policy, prices every "
            "call and judges budgets, caps and quality limits. Waived findings are shown but do "
            "not fail the run.\n",
            cprlint(["check", "--today", TODAY], root),
            "The same as JSON (SPEC §6), first lines:\n",
            cprlint(["check", "--today", TODAY, "--format", "json"], root, max_lines=40),
            "## `cprlint gate`\n",
            "May the longer billing prompt v4 replace the released v3? It replays both on the same "
            "fixtures and gives one verdict line, first and last:\n",
            cprlint(["gate", "billing_answer@v4", "--today", TODAY], root, max_lines=6),
        ]
        release_v4(root)
        sections += [
            "## `cprlint check --base`\n",
            "With v4 released in the working tree, against `main`: the pull-request comment "
            "(`--format markdown`), with the projected monthly AI spend of the policy's "
            "`traffic`, base → head.\n",
            cprlint(["check", "--base", "main", "--today", TODAY, "--format", "markdown"], root),
            "Once v4 is the released version, `gate` compares it with the version released "
            "at a git ref:\n",
            cprlint(
                ["gate", "billing_answer@v4", "--base", "main", "--today", TODAY],
                root,
                max_lines=1,
            ),
        ]
        release_v3(root)
        policy = root / "policies" / "support.yaml"
        text = policy.read_text()
        raised = text.replace("tier: premium, budget: 0.02}", "tier: premium, budget: 0.03}")
        policy.write_text(raised.replace("version: 4", "version: 5"))
        sections += [
            "### A pull request that loosens a guardrail\n",
            "It raises the billing budget from $0.02 to $0.03 (and bumps the policy's "
            "version). Nothing costs more, so no budget and no creep fails; the raised budget "
            "itself does, until someone approves it:\n",
            cprlint(["check", "--base", "main", "--today", TODAY, "--format", "markdown"], root),
            "### The same, approved\n",
            "The policy acknowledges the change in `approvals`: the key, the version that "
            "changes it, an owner (whom CODEOWNERS can require) and a reason.\n",
            "```yaml\n" + BUDGET_APPROVAL + "```\n",
        ]
        policy.write_text(raised.replace("version: 4", "version: 5") + BUDGET_APPROVAL)
        sections += [
            cprlint(["check", "--base", "main", "--today", TODAY, "--format", "markdown"], root),
            "## `cprlint diff`\n",
            "A policy change in meaning (here: the billing budget raised, a retry cap lowered, and "
            "no version bump).\n",
        ]
        policy.write_text(
            raised.replace(
                "max_per_stage: {classify: 0, retrieve: 1, generate: 2}",
                "max_per_stage: {classify: 0, retrieve: 1, generate: 1}",
            )
        )
        sections.append(cprlint(["diff", "--base", "main", "--today", TODAY], root))
        policy.write_text(text)
        sections += [
            "## `cprlint baseline`\n",
            cprlint(["baseline", "--today", TODAY], root),
            "## `cprlint lint`\n",
            "Static checks only: fast enough for a pre-commit hook.\n",
            cprlint(["lint", "--today", TODAY], root),
            "## `cprlint init`\n",
            cprlint(["init", "my-project"], workdir),
            "## `cprlint import`\n",
            "Production traces become fixture conversations: here an OpenTelemetry export of "
            "one ticket, with labels from a mapping file. Personal data is replaced by "
            "placeholders; the automation mode is not mapped, which is a warning.\n",
        ]
        import_example(workdir)
        sections += [
            cprlint(
                ["import", "otel", "spans.jsonl", "--map", "labels.yaml", "-o", "imported.jsonl"],
                workdir,
            ),
            "The fixture written:\n",
            "```json\n" + (workdir / "imported.jsonl").read_text() + "```\n",
            "## `cprlint scorecard` and `cprlint convert`\n",
            "The weekly scorecard over request logs (docs/scorecard.md). Here the example's "
            "generated conversations, given a `started_at` over four weeks of November, are "
            "the log; the project's policy gives the budgets and quality limits.\n",
        ]
        scorecard_log(root)
        sections += [
            cprlint(["scorecard", "requests.jsonl", "--by", "queue", "--format", "markdown"], root),
            cprlint(["convert", "requests.jsonl", "-o", "events.parquet"], root),
            "## `cprlint rules` and `cprlint explain`\n",
            cprlint(["rules"], root),
            cprlint(["explain", "CPR402"], root),
            "## `cprlint schema`\n",
            cprlint(["schema", "policy"], root, max_lines=12),
        ]
    return "\n".join(sections)


def scorecard_log(root: Path) -> None:
    """The example's generated fixtures as a request log: ticket n starts at 10:00 UTC on
    day 2 + n mod 28 of November 2026."""
    source = root / "fixtures" / "generated" / "conversations.jsonl"
    lines = []
    for number, text in enumerate(source.read_text().splitlines()):
        conversation = json.loads(text)
        conversation["started_at"] = f"2026-11-{2 + number % 28:02d}T10:00:00Z"
        lines.append(json.dumps(conversation))
    (root / "requests.jsonl").write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if USAGE.read_text() != text:
            sys.stderr.write("docs/usage.md is stale: run python docs/generate_usage.py\n")
            return 1
        return 0
    USAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
