"""Start-up: what the command line loads before it knows what it will do, and the user
cache of derived data (`cprlint.user_cache`) that spares a small run the rest, without
ever changing a result. How long start-up takes is measured by bench/run.py, not here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cprlint import pricing, schemas, tokens, user_cache
from cprlint.documents import Document

from tests.conftest import REPO

# Packages a command loads only once it needs them: none may come with the command line.
HEAVY = (
    "jsonschema",
    "rich",
    "numpy",
    "duckdb",
    "deepdiff",
    "sqlglot",
    "genai_prices",
    "pyspark",
    "tiktoken",
    "jinja2",
    "yaml",
    "phonenumbers",
)


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules loaded by a fresh interpreter that runs `code` (then prints them)."""
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout.splitlines()[-1]))


def test_the_command_line_loads_nothing_heavy() -> None:
    loaded = _modules_after("import cprlint.cli")
    heavy = sorted(
        name for name in loaded if name.split(".")[0] in HEAVY or name.split(".")[0] == "httpx"
    )
    assert heavy == [], f"`import cprlint.cli` loads {heavy}: import them where they are used"


def test_version_loads_no_cprlint_stage(tmp_path: Path) -> None:
    loaded = _modules_after(
        "import sys\nfrom cprlint.cli import run\nrun(['--version'])",
        env={"XDG_CACHE_HOME": str(tmp_path)},
    )
    stages = {"cprlint.project", "cprlint.replay", "cprlint.check", "cprlint.reporters.text"}
    assert loaded & stages == set()


def test_a_second_run_loads_neither_the_catalog_nor_jsonschema(tmp_path: Path) -> None:
    # The first run fills the user cache (prices looked up, policies found valid, token
    # counts); the second, with the same files, needs neither genai-prices nor
    # jsonschema, builds no encoding, and writes the same report.
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    report = tmp_path / "report.json"
    code = (
        "from cprlint.cli import run\n"
        "code = run(['check', '--no-cache', '--today', '2026-11-23', '--format', 'json', "
        f"'--output', {str(report)!r}])\n"
        "assert code == 0, code\n"
        "from cprlint import tokens\n"
        "built = tokens.encoding.cache_info().currsize"
    )
    first = _modules_after(code, env)
    first_report = report.read_bytes()
    second = _modules_after(code + "\nassert built == 0, 'an encoding was built'", env)
    assert {"genai_prices", "jsonschema"} <= {name.split(".")[0] for name in first}
    assert {"genai_prices", "jsonschema"} & {name.split(".")[0] for name in second} == set()
    assert report.read_bytes() == first_report


# --- the user cache ---------------------------------------------------------------------


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CPRLINT_CACHE_DIR", str(folder))
    return folder


def test_an_entry_is_read_back_under_its_key_only(cache_folder: Path) -> None:
    user_cache.write("kind", "k1", b"payload")
    assert user_cache.read("kind", "k1") == b"payload"
    assert user_cache.read("kind", "k2") is None  # another version's key
    user_cache.write("kind", "k2", b"other")  # replaces, so nothing piles up
    assert user_cache.read("kind", "k1") is None
    assert [path.name for path in cache_folder.iterdir()] == ["kind"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # cut short
        lambda data: data[:-1] + b"X",  # a byte of the payload changed
        lambda data: b"junk" + data,  # not an entry at all
        lambda data: b"",
    ],
)
def test_a_damaged_entry_is_ignored(cache_folder: Path, damage) -> None:  # type: ignore[no-untyped-def]
    user_cache.write("kind", "k", b"payload")
    path = cache_folder / "kind"
    path.write_bytes(damage(path.read_bytes()))
    assert user_cache.read("kind", "k") is None


def test_a_cache_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CPRLINT_CACHE_DIR", str(blocker / "cache"))  # under a file
    user_cache.write("kind", "k", b"payload")
    assert user_cache.read("kind", "k") is None
    monkeypatch.setenv("CPRLINT_CACHE_DIR", "")  # turned off
    user_cache.write("kind", "k", b"payload")
    assert user_cache.read("kind", "k") is None


def test_keys_tell_their_parts_apart() -> None:
    assert user_cache.key("ab", "c") != user_cache.key("a", "bc")
    assert user_cache.key(b"x") == user_cache.key("x")


# --- what is kept: the same as what is built --------------------------------------------

# Flat and tiered catalog prices, a name matched to another, a Bedrock id, a dated
# snapshot, and a name the catalog does not know.
MODELS = [
    "gpt-4o",
    "gpt-4o-2024-08-06",
    "claude-sonnet-4",
    "claude-3-5-sonnet-20241022",
    "gemini-1.5-pro",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "no-such-model",
]


def _card_text(card: pricing.PriceCard | None) -> str:
    # Decimals as their text: 1.0 and 1 are equal numbers but not the same card.
    return json.dumps(None if card is None else card.to_json(), default=repr, sort_keys=True)


def test_price_cards_from_the_cache_are_the_catalogs(cache_folder: Path) -> None:
    built = pricing.Catalog()
    fresh = {
        (m, d): _card_text(built.lookup(m, d)) for m in MODELS for d in (None, dt.date(2025, 1, 1))
    }
    kept = pricing.Catalog()  # everything now comes from the cache
    assert {(m, d): _card_text(kept.lookup(m, d)) for (m, d) in fresh} == fresh
    assert kept._snapshot_loaded is None  # (the catalog itself was never read)
    assert (kept.version, kept.date) == (built.version, built.date)
    card = kept.lookup("gemini-1.5-pro", None)
    assert card is not None
    assert card.input.tiers  # (a tiered card came back tiered)


def test_processes_that_look_up_different_models_keep_them_all(cache_folder: Path) -> None:
    # Two workers forked with the same (empty) cache, each pricing a model of its own:
    # neither overwrites what the other kept.
    first, second = pricing.Catalog(), pricing.Catalog()
    expected = {
        "gpt-4o": _card_text(first.lookup("gpt-4o", None)),
        "claude-3-5-haiku-20241022": _card_text(second.lookup("claude-3-5-haiku-20241022", None)),
    }
    later = pricing.Catalog()
    assert {model: _card_text(later.lookup(model, None)) for model in expected} == expected
    assert later._snapshot_loaded is None


def test_a_damaged_price_cache_is_rebuilt(cache_folder: Path) -> None:
    expected = _card_text(pricing.Catalog().lookup("gpt-4o", None))
    entry = cache_folder / "prices"
    data = entry.read_bytes()
    assert b'"2.5"' in data  # (gpt-4o's input price, which is falsified next)
    # A well-formed entry of the right key with a wrong price in it: its checksum fails.
    entry.write_bytes(data.replace(b'"2.5"', b'"0.01"'))
    assert _card_text(pricing.Catalog().lookup("gpt-4o", None)) == expected


def test_the_vocabulary_from_the_cache_is_the_official_one(cache_folder: Path) -> None:
    expected_hash = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
    decoded = tokens._bundled_ranks("o200k_base", expected_hash)  # built, then kept
    kept = tokens._bundled_ranks("o200k_base", expected_hash)
    assert kept == decoded
    assert len(kept) == 199_998
    stored = user_cache.read(
        "vocabulary-o200k_base", _only_key(cache_folder / "vocabulary-o200k_base")
    )
    assert stored is not None
    assert marshal.loads(stored) == decoded


def _only_key(path: Path) -> str:
    return path.read_bytes().split(b"\n")[1].decode()


def test_remembered_counts_are_tiktokens(cache_folder: Path) -> None:
    texts = ["Hello, Dana.", "Your card ends in 4242", "x" * 500, "¿Dónde está mi tarjeta?"]
    counter = tokens.TokenCounter(remembered=tokens.RememberedCounts())
    counts = [counter.count(text, "o200k_base") for text in texts]
    counter.remember()
    remembered = tokens.RememberedCounts()
    # The counts are in the user cache, each under its text and encoding.
    key = tokens.RememberedCounts.key
    assert [remembered.get(key(text, "o200k_base")) for text in texts] == counts
    again = tokens.TokenCounter(remembered=remembered)
    assert [again.count(text, "o200k_base") for text in texts] == counts
    plain = tokens.encoding("o200k_base")
    assert counts == [len(plain.encode_ordinary(text)) for text in texts]
    # Another encoding is another count, never the remembered one.
    assert again.count("Hello, Dana.", "cl100k_base") == len(
        tokens.encoding("cl100k_base").encode_ordinary("Hello, Dana.")
    )


def test_a_document_remembered_valid_is_valid_by_its_value(cache_folder: Path) -> None:
    def with_budget(value: object) -> Document:
        return Document("p.yaml", {**_policy(), "budgets": {"cost_per_resolution": value}})

    assert schemas.validate(with_budget(1), "policy", remember=True) == []
    # The same keys with a value of another type are another document: checked anew.
    for value in ("1", True, [1]):
        assert schemas.validate(with_budget(value), "policy", remember=True) != [], value
    assert schemas.validate(with_budget(Decimal("1")), "policy", remember=True) == []
    payload = user_cache.read("valid-policy", _only_key(cache_folder / "valid-policy"))
    assert payload is not None
    digests = payload.split(b"\n")
    assert len(digests) == 2  # the two valid ones, one a line
    assert all(len(digest) == len(hashlib.sha256().hexdigest()) for digest in digests)


def _policy() -> dict[str, object]:
    return {
        "apiVersion": "cprlint/v1",
        "kind": "Policy",
        "metadata": {"name": "t", "version": 1},
        "tiers": {"economy": ["gpt-4o-mini"]},
        "risk": {"low": ["economy"]},
        "intents": {"default": {"risk": "low", "tier": "economy"}},
    }
