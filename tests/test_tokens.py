"""Token counts: where text may be cut without changing its count (tokens.is_boundary).

The fast path of replay counts a template's fixed runs once and only the few words
around its variables per conversation. That is exact only if a count is additive over
the cuts; these tests hold the cut rule to tiktoken itself, on random text built from
the characters that matter to its pre-tokenizer and on real prompts.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from cprlint.tokens import SUPPORTED_ENCODINGS, boundaries, encoding, is_boundary
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

# What the pre-tokenizers treat specially: spaces before letters and digits, newline
# runs, whitespace before newlines, `/` after newlines (o200k), contractions,
# punctuation runs, combining marks, CJK, digits in threes, non-ASCII whitespace.
PIECES = [
    "a", "Z", "é", "e\u0301", "中", "文", "1", "23", "½", " ", "  ", "\t", "\n", "\n\n", "\r\n",
    " \n", "/", "//", ".", ",", "!?", "'s", "'LL", "-", "—", "😀", "\u00a0", "\u2028", "\u3000",
    "\x1c", "{", "}", "word", " word", "Dana", "$12.50",
]  # fmt: skip
text_strategy = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def count(text: str, name: str) -> int:
    return len(encoding(name).encode_ordinary(text))


def count_in_pieces(text: str, name: str) -> int:
    cuts = [0, *boundaries(text), len(text)]
    return sum(count(text[start:end], name) for start, end in pairwise(cuts))


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
@settings(max_examples=2000, deadline=None)
@given(text=text_strategy)
def test_a_count_is_the_sum_over_the_cuts(name: str, text: str) -> None:
    assert count_in_pieces(text, name) == count(text, name)


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_the_cut_rule_holds_on_any_unicode_text(name: str, text: str) -> None:
    assert count_in_pieces(text, name) == count(text, name)


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_the_cut_rule_holds_on_the_example_prompts(name: str) -> None:
    prompts = sorted((REPO / "prompts").rglob("*.md")) + sorted(
        (REPO / "evaluator" / "data" / "starter").rglob("*.md")
    )
    assert prompts
    for path in prompts:
        text = Path(path).read_text(encoding="utf-8")
        assert count_in_pieces(text, name) == count(text, name), path


def test_where_the_cuts_fall() -> None:
    # Before a space that follows a non-space, and after a newline before a
    # non-space other than `/`; nowhere inside whitespace runs.
    assert boundaries("is Dana") == [2]
    # "a", " ", " b": after "a", but not between the two spaces, where the split
    # depends on what follows the run.
    assert boundaries("a  b") == [1]
    assert boundaries("Hi\nDana") == [3]
    assert boundaries("x\n/path") == []  # o200k keeps "\n/" together
    assert boundaries("x\n\n y") == []  # the space follows whitespace
    assert boundaries("x.\nYes sir") == [3, 6]
    assert is_boundary("x", " ")
    assert not is_boundary("\n", " ")
    assert not is_boundary("\n", "\n")
