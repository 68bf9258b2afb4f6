"""Writing files in a folder a pull request filled: never through a symlink.

A pull request can commit a symlink anywhere in the project, dangling or not:
`.cprlint/cache/.gitignore -> ~/.bashrc`, `report.json -> /etc/cron.d/x`. Writing to
such a path would create or overwrite the file it points at, outside the project. So a
file written inside the project is opened with O_NOFOLLOW, and no folder between the
project's root and it may be a link either; a path outside the project (a report in the
runner's temporary folder, say) is the user's own choice and written as usual.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import BinaryIO

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path` is `root` or below it, by its name (no link followed)."""
    root_text, path_text = os.path.abspath(root), os.path.abspath(path)
    return path_text == root_text or path_text.startswith(root_text.rstrip(os.sep) + os.sep)


def open_for_writing(path: Path, *, root: Path | None, exclusive: bool = False) -> BinaryIO:
    """`path` opened to be written from its start (created, or emptied), its folders
    made. Inside `root`, neither the file nor a folder between is followed if it is a
    link: OSError (ELOOP) instead. `exclusive`: OSError (EEXIST) if the file is there."""
    creation = os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    make_folders(path.parent, root=root)
    if root is None or not is_inside(root, path):
        return os.fdopen(os.open(path, os.O_WRONLY | creation, 0o666), "wb")
    if os.path.islink(path):  # (where O_NOFOLLOW does not exist)
        raise OSError(errno.ELOOP, "is a link; not written through", str(path))
    return os.fdopen(os.open(path, os.O_WRONLY | creation | _NO_FOLLOW, 0o666), "wb")


def write_file(path: Path, data: bytes, *, root: Path | None, exclusive: bool = False) -> None:
    with open_for_writing(path, root=root, exclusive=exclusive) as stream:
        stream.write(data)


def make_folders(folder: Path, *, root: Path | None) -> None:
    """`folder` and those above it, made where missing; inside `root`, each one from
    `root` down refused (OSError, ELOOP) if it is a link."""
    if root is None or not is_inside(root, folder):
        folder.mkdir(parents=True, exist_ok=True)
        return
    _make_folders(root, folder)


def _make_folders(root: Path, folder: Path) -> None:
    """Each folder from `root` down to `folder`: made if missing, refused if a link."""
    relative = Path(os.path.relpath(os.path.abspath(folder), os.path.abspath(root)))
    root.mkdir(parents=True, exist_ok=True)  # (the root itself is the user's to choose)
    current = Path(root)
    for part in () if relative == Path(".") else relative.parts:
        current = current / part
        if os.path.islink(current):
            raise OSError(errno.ELOOP, "is a link to a folder; not written through", str(current))
        try:
            os.mkdir(current)
        except FileExistsError:
            if not current.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(current)) from None
