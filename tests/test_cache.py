"""The run cache serves an unchanged tree, and never a stale report: every input that
can change the report changes the key. Nor a forged one: an entry this machine did not
sign is not served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cprlint.cache
import cprlint.check
import pytest

from tests.conftest import git

TODAY = ["--today", "2026-11-23"]


@pytest.fixture
def starter(starter_project: Path) -> Path:
    """The starter project, committed: `--base main` has a commit to read."""
    root = starter_project
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "start"]):
        git(root, *args)
    return root


@pytest.fixture
def replays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts real replays: a report served from the cache adds nothing."""
    calls: list[int] = []
    real = cprlint.check.check_project

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cprlint.check, "check_project", counting)
    return calls


def _json(run_cli, root: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(root), "--format", "json", *TODAY, *args)
    assert result.exit_code in (0, 1), result.stderr
    return str(result.stdout)


def test_unchanged_tree_is_served_from_the_cache(
    run_cli, starter: Path, replays: list[int]
) -> None:
    first = _json(run_cli, starter)
    second = _json(run_cli, starter)
    assert (len(replays), first) == (1, second)
    assert len(list((starter / ".cprlint" / "cache").glob("*.json"))) == 1
    # The text report from the cache is the same bytes as a fresh one.
    cached_text = run_cli("check", str(starter), *TODAY).stdout
    fresh_text = run_cli("check", str(starter), *TODAY, "--no-cache").stdout
    assert cached_text == fresh_text


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


CHANGES = {
    "policy budget": lambda root: _edit(
        root / "policies" / "policy.yaml", "budget: 0.0005}", "budget: 0.0001}"
    ),
    "prompt front matter": lambda root: _edit(
        root / "prompts" / "router" / "v1.md", "max_output_tokens: 8", "max_output_tokens: 2"
    ),
    "new released version": lambda root: (
        (root / "prompts" / "answer" / "v2.md").write_text(
            "Answer in full detail, step by step. {{ facts }}"
        ),
        _edit(root / "prompts" / "answer" / "prompt.yaml", "released: v1", "released: v2"),
    ),
    "fixture line": lambda root: _edit(
        root / "fixtures" / "conversations.jsonl", '"input_tokens": 610', '"input_tokens": 6100'
    ),
    "config": lambda root: (root / "cprlint.yaml").write_text("rules:\n  CPR305: {level: error}\n"),
    # Read by nobody, but a prompt folder without a manifest is a finding (CPR203).
    "new file in a prompt folder": lambda root: (
        (root / "prompts" / "new").mkdir(),
        (root / "prompts" / "new" / "README.txt").write_text("drafts\n"),
    ),
    "new fixture file": lambda root: (root / "fixtures" / "more.jsonl").write_text(
        (root / "fixtures" / "conversations.jsonl")
        .read_text()
        .splitlines()[0]
        .replace('"S-100"', '"S-900"')
        + "\n"
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_input_changes_the_result(
    run_cli, starter: Path, replays: list[int], change: str
) -> None:
    before = _json(run_cli, starter)
    CHANGES[change](starter)
    after = _json(run_cli, starter)
    assert len(replays) == 2  # replayed again, not served
    if change != "config":  # a level for a rule that does not fire changes nothing visible
        assert json.loads(after) != json.loads(before)


def test_options_are_part_of_the_key(run_cli, starter: Path, replays: list[int]) -> None:
    # A waiver that expires on 2026-12-01: judged on another date, another report.
    _edit(
        starter / "policies" / "policy.yaml",
        "waivers: []",
        "waivers:\n  - {rule: CPR305, reason: r, owner: '@o', expires: 2026-12-01}",
    )
    on_time = run_cli("check", str(starter), "--format", "json", "--today", "2026-11-23").stdout
    late = run_cli("check", str(starter), "--format", "json", "--today", "2026-12-02").stdout
    assert len(replays) == 2
    assert "CPR108" in late
    assert "CPR108" not in on_time
    # Another prompt version, a base ref and a baseline file are inputs too.
    (starter / "prompts" / "answer" / "v2.md").write_text(
        "A much longer answer prompt. " * 30 + "{{ facts }}"
    )
    overridden = _json(run_cli, starter, "--prompt", "answer@v2")
    assert len(replays) == 3
    assert json.loads(overridden)["prompts"]["answer"]["version"] == "v2"
    _json(run_cli, starter, "--base", "main")
    assert len(replays) == 4
    assert run_cli("baseline", str(starter), *TODAY).exit_code == 0
    replays.clear()
    with_baseline = json.loads(_json(run_cli, starter))
    assert len(replays) == 1
    assert with_baseline["comparison"]["base"] == "baseline .cprlint/baseline.json"


def test_a_broken_cache_entry_is_ignored(run_cli, starter: Path, replays: list[int]) -> None:
    first = _json(run_cli, starter)
    for entry in (starter / ".cprlint" / "cache").glob("*.json"):
        entry.write_text("{broken")
    assert _json(run_cli, starter) == first
    assert len(replays) == 2


def _forge_passing_entry(entry: Path) -> None:
    """What a pull request could commit: the real entry's report without its findings."""
    signature, _, body = entry.read_bytes().partition(b"\n")
    stored = json.loads(body)
    assert any(finding["severity"] == "error" for finding in stored["report"]["findings"])
    stored["report"]["findings"] = []
    entry.write_bytes(signature + b"\n" + json.dumps(stored).encode())


def test_a_forged_cache_entry_is_not_served(run_cli, starter: Path, replays: list[int]) -> None:
    _edit(starter / "policies" / "policy.yaml", "budget: 0.0005}", "budget: 0.0000001}")
    failing = run_cli("check", str(starter), "--format", "json", *TODAY)
    assert failing.exit_code == 1
    (entry,) = (starter / ".cprlint" / "cache").glob("*.json")
    _forge_passing_entry(entry)
    again = run_cli("check", str(starter), "--format", "json", *TODAY)
    assert (again.exit_code, again.stdout, len(replays)) == (1, failing.stdout, 2)


def test_an_entry_signed_on_another_machine_is_not_served(
    run_cli, starter: Path, replays: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _json(run_cli, starter)
    assert _json(run_cli, starter) == first
    assert len(replays) == 1
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    monkeypatch.setattr(cprlint.cache, "_machine_secret", cprlint.cache._machine_secret.__wrapped__)
    assert _json(run_cli, starter) == first
    assert len(replays) == 2
    secret = (tmp_path / "another-machine" / "cprlint" / "run-cache.key").stat()
    assert (secret.st_size, secret.st_mode & 0o777) == (32, 0o600)


def test_the_cache_is_not_used_through_a_symlink(
    run_cli, starter: Path, replays: list[int], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (starter / ".cprlint").symlink_to(elsewhere, target_is_directory=True)
    first = _json(run_cli, starter)
    assert _json(run_cli, starter) == first
    assert len(replays) == 2
    assert list(elsewhere.iterdir()) == []


def test_text_that_is_not_unicode_is_cached_as_it_was(
    run_cli, starter: Path, replays: list[int]
) -> None:
    # A YAML escape makes a lone surrogate; it reaches a finding's message (CPR302).
    (starter / "fixtures" / "odd.yaml").write_text(
        'id: odd-1\nintent: "bad\\udfffintent"\noutcome: {status: resolved}\nevents: []\n'
    )
    first = _json(run_cli, starter)
    assert "bad\\udfffintent" in first  # (the JSON report escapes it)
    assert _json(run_cli, starter) == first
    assert len(replays) == 1


def test_a_file_changed_during_the_run_is_not_stored(
    run_cli, starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key was made of the fixture's bytes before; the run read other bytes: storing
    # its report under that key would serve it for the tree as it was.
    real = cprlint.check.check_project
    fixture = starter / "fixtures" / "conversations.jsonl"

    def changing_midway(*args: Any, **kwargs: Any) -> Any:
        _edit(fixture, '"input_tokens": 610', '"input_tokens": 6100')
        return real(*args, **kwargs)

    monkeypatch.setattr(cprlint.check, "check_project", changing_midway)
    _json(run_cli, starter)
    assert list((starter / ".cprlint" / "cache").glob("*.json")) == []


def test_the_cache_s_gitignore_is_not_written_through_a_link(
    run_cli, starter: Path, tmp_path: Path
) -> None:
    # A pull request commits a dangling link where the cache keeps its .gitignore.
    (starter / ".cprlint" / "cache").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere" / "authorized_keys"
    (starter / ".cprlint" / "cache" / ".gitignore").symlink_to(elsewhere)
    _json(run_cli, starter)
    assert not elsewhere.exists()
    assert not elsewhere.parent.exists()
