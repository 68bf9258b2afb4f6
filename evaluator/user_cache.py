"""Derived data kept between runs in the user's cache folder: what is slow to build at
every start and never changes for the same inputs (the token vocabulary decoded, price
cards looked up in the catalog, token counts, documents found valid).

One file per kind of data, holding the key it was derived under (a hash of everything it
is derived from: the package files it is read from, the code that derives it, the Python
that reads it) and the sha256 of its payload: an entry under another key (another
version of cprlint or of the catalog), cut short or altered is ignored and built again,
and replaced, so the folder never grows with old entries. Writing is atomic (a
temporary file, then a rename) and may fail silently (a read-only home in CI): a cache
changes how long a run takes, never what it reports.

The folder: `CPRLINT_CACHE_DIR` if set (empty turns the cache off), else the platform's
cache folder (`$XDG_CACHE_HOME/cprlint`, `~/.cache/cprlint`, `~/Library/Caches/cprlint`
on macOS, `%LOCALAPPDATA%\\cprlint\\Cache` on Windows).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

_MAGIC = b"cprlint-cache 2\n"
# A payload larger than this is no entry of ours.
_MAX_ENTRY_BYTES = 64 << 20


def folder() -> Path | None:
    """Where entries live; None when the cache is turned off."""
    configured = os.environ.get("CPRLINT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base, "cprlint", "Cache") if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "cprlint"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "cprlint")


def key(*parts: bytes | str) -> str:
    """A key over `parts`, each told apart from the next (so ("ab", "c") != ("a", "bc"))."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:32]


def files_digest(paths: Iterable[Path]) -> bytes:
    """The sha256 of the files' contents, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        data = path.read_bytes()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


def _path(kind: str) -> Path | None:
    try:
        base = folder()
    except RuntimeError:  # no home folder to be found
        return None
    return None if base is None else base / kind


def read(kind: str, entry_key: str) -> bytes | None:
    """The payload of `kind` stored under `entry_key`, if it is there whole and unaltered."""
    path = _path(kind)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            data = file.read(_MAX_ENTRY_BYTES + 256)
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    stored_key, _, rest = data[len(_MAGIC) :].partition(b"\n")
    checksum, _, payload = rest.partition(b"\n")
    if stored_key != entry_key.encode() or checksum != _checksum(payload):
        return None
    return payload


def write(kind: str, entry_key: str, payload: bytes) -> None:
    """Store `payload` as `kind` under `entry_key`, in place of what was there; silently
    not, where the folder cannot be written."""
    path = _path(kind)
    if path is None or len(payload) > _MAX_ENTRY_BYTES:
        return
    data = _MAGIC + entry_key.encode() + b"\n" + _checksum(payload) + b"\n" + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{kind}-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(payload).hexdigest().encode()
