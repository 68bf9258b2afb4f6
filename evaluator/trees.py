"""Where a project's files come from: the work tree, or a commit read straight from git.

Both give the same small interface over project-relative POSIX paths, so loading code
never knows which it reads. `GitTree` never touches the work tree or the index: it
lists the commit with `git ls-tree` and reads blobs with `git cat-file`, calling git
directly (never through a shell), with the ref checked first.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cprlint.errors import CprlintError

# A ref as people type them: branch and tag names, `origin/main`, SHAs, `HEAD~2`, `@{u}`.
# Anything else (leading dash, whitespace, control characters) is refused before git
# sees it.
_REF = re.compile(r"^[A-Za-z0-9._/@{}~^+=-]{1,256}$")
GIT_TIMEOUT_SECONDS = 60
_LINK_OUTSIDE = "it is a link to a file outside the project"


def lies_within(root: Path, path: Path) -> bool:
    """Whether `path`, its symlinks followed, is inside `root`.

    A pull request can commit a symlink to any file on the machine that checks it
    (`fixtures/a.jsonl -> ~/.docker/config.json`), and what cprlint reads ends up in
    the report it posts: nothing outside the project is read, or written.
    """
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop, or a path that cannot be resolved
        return False


def path_within(root: Path, relative: str, what: str, *, writing: bool = False) -> Path:
    """`root / relative` for a file the project's config names; CprlintError when it
    leads outside the project (and is there to read, or is to be written)."""
    path = root / relative
    if (writing or path.exists()) and not lies_within(root, path):
        raise CprlintError(f"{what} {relative}: {_LINK_OUTSIDE}; not used")
    return path


class SourceTree(ABC):
    """The files of one version of a project, by path relative to the project root."""

    label: str

    @abstractmethod
    def is_file(self, path: str) -> bool: ...

    @abstractmethod
    def is_dir(self, path: str) -> bool: ...

    @abstractmethod
    def files_under(self, directory: str) -> list[str]:
        """Every file below `directory` (recursively), sorted; [] when there is none."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The file's contents; OSError when it cannot be read."""

    def size(self, path: str) -> int:
        """The file's size in bytes; OSError when it cannot be read."""
        return len(self.read_bytes(path))

    @contextmanager
    def open_binary(self, path: str) -> Iterator[BinaryIO]:
        import io

        yield io.BytesIO(self.read_bytes(path))

    def subdirectories(self, directory: str) -> list[str]:
        """Names of the directories directly below `directory`, sorted."""
        prefix = _join(directory, "")
        names = {
            path[len(prefix) :].split("/", 1)[0]
            for path in self.files_under(directory)
            if "/" in path[len(prefix) :]
        }
        return sorted(names)


def _join(directory: str, name: str) -> str:
    directory = directory.strip("/")
    if directory in ("", "."):
        return name
    return f"{directory}/{name}"


class WorkTree(SourceTree):
    """The project's folder on disk. A folder in it that is a link (`fixtures -> ~`,
    `prompts -> /etc`) is neither listed nor read, wherever it points: its name alone is
    kept, in `linked_folders`, for the report. A file that is a link is read only when it
    points inside the project."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = "work tree"
        self.linked_folders: set[str] = set()

    def _path(self, path: str) -> Path:
        return self.root / path

    def is_file(self, path: str) -> bool:
        return self._linked_folder_above(path) is None and self._path(path).is_file()

    def is_dir(self, path: str) -> bool:
        return self._linked_folder_above(path) is None and self._path(path).is_dir()

    def files_under(self, directory: str) -> list[str]:
        base = self._path(directory)
        if not self._listable(directory):
            return []
        found: list[str] = []
        for folder, folders, files in os.walk(base, followlinks=False):
            for name in sorted(folders):
                if os.path.islink(os.path.join(folder, name)):
                    folders.remove(name)  # (not walked into)
                    self.linked_folders.add(self._relative(os.path.join(folder, name)))
            found += (self._relative(os.path.join(folder, name)) for name in files)
        return sorted(found)

    def subdirectories(self, directory: str) -> list[str]:
        base = self._path(directory)
        if not self._listable(directory):
            return []
        names = []
        for entry in sorted(base.iterdir()):
            if entry.is_symlink() and entry.is_dir():
                self.linked_folders.add(self._relative(str(entry)))
            elif entry.is_dir():
                names.append(entry.name)
        return names

    def _listable(self, directory: str) -> bool:
        """Whether `directory` is a folder reached through no link (noting the link)."""
        link = self._linked_folder_above(directory, including_itself=True)
        if link is not None:
            if self._path(link).is_dir():  # (a link to a file is a file's business)
                self.linked_folders.add(link)
            return False
        return self._path(directory).is_dir()

    def _linked_folder_above(self, path: str, *, including_itself: bool = False) -> str | None:
        """The first folder between the root and `path` that is a link, if any."""
        parts = PurePosixPath(_normal(path)).parts
        for length in range(1, len(parts) + (1 if including_itself else 0)):
            candidate = "/".join(parts[:length])
            if os.path.islink(self._path(candidate)):
                return candidate
        return None

    def _relative(self, path: str) -> str:
        return Path(path).relative_to(self.root).as_posix()

    def read_bytes(self, path: str) -> bytes:
        return self._inside(path).read_bytes()

    def size(self, path: str) -> int:
        return self._inside(path).stat().st_size

    @contextmanager
    def open_binary(self, path: str) -> Iterator[BinaryIO]:
        with self._inside(path).open("rb") as handle:
            yield handle

    def _inside(self, path: str) -> Path:
        full = self._path(path)
        if not lies_within(self.root, full):
            raise OSError(errno.EACCES, _LINK_OUTSIDE, path)
        if self._linked_folder_above(path) is not None:
            raise OSError(errno.EACCES, "it is reached through a linked folder", path)
        return full


def _git(args: list[str], *, cwd: Path) -> bytes:
    try:
        completed = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except FileNotFoundError as error:
        raise CprlintError("git is not installed, and --base needs it") from error
    except subprocess.TimeoutExpired as error:
        raise CprlintError(f"git {args[0]} took over {GIT_TIMEOUT_SECONDS} s") from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed")
    return completed.stdout


class _GitFailed(Exception):
    pass


class GitTree(SourceTree):
    """The project as it is in commit `ref`, read from the repository that holds `root`."""

    def __init__(self, root: Path, ref: str) -> None:
        if not _REF.match(ref) or ref.startswith("-"):
            raise CprlintError(f"--base `{ref}` is not a valid git ref")
        self.label = ref
        cwd = root.resolve()
        try:
            toplevel = Path(_git(["rev-parse", "--show-toplevel"], cwd=cwd).decode().strip())
        except _GitFailed as error:
            raise CprlintError(
                f"{root}: not inside a git repository, which --base needs"
            ) from error
        try:
            self.commit = (
                _git(
                    ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                    cwd=cwd,
                )
                .decode()
                .strip()
            )
        except _GitFailed as error:
            raise CprlintError(f"--base `{ref}`: no such commit in this repository") from error
        self.repo_root = toplevel
        relative = cwd.relative_to(toplevel.resolve()).as_posix()
        self.prefix = "" if relative == "." else relative + "/"
        listing = _git(
            ["ls-tree", "-r", "-z", "--full-tree", self.commit, "--", self.prefix or "."],
            cwd=toplevel,
        )
        self._blobs: dict[str, str] = {}
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            if kind != "blob" or mode == "120000":  # submodules and symlinks are not files
                continue
            path = name.decode("utf-8", "surrogateescape")
            if path.startswith(self.prefix):
                self._blobs[path[len(self.prefix) :]] = oid
        self._directories = {
            _normal(str(parent)) for path in self._blobs for parent in PurePosixPath(path).parents
        }

    def is_file(self, path: str) -> bool:
        return _normal(path) in self._blobs

    def is_dir(self, path: str) -> bool:
        return _normal(path) in self._directories

    def files_under(self, directory: str) -> list[str]:
        prefix = _join(_normal(directory), "")
        return sorted(path for path in self._blobs if path.startswith(prefix))

    def read_bytes(self, path: str) -> bytes:
        oid = self._blobs.get(_normal(path))
        if oid is None:
            raise FileNotFoundError(2, f"not in {self.label}", path)
        try:
            return _git(["cat-file", "blob", oid], cwd=self.repo_root)
        except _GitFailed as error:
            raise OSError(5, str(error), path) from error


def _normal(path: str) -> str:
    normal = str(PurePosixPath(path))
    return "" if normal == "." else normal
