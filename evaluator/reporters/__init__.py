"""Output formats. Each module renders a `Report` to text; `REPORTERS` maps name -> renderer.

Adding a format touches one new module and `_MODULES`; a format whose reports can be
large may also be written in pieces (`IN_PIECES`). A format's module is imported the
first time it is asked for: a run that writes JSON never loads rich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Generic, TypeVar

from cprlint.reporters.base import RenderOptions

if TYPE_CHECKING:
    from cprlint.report import Report

Renderer = Callable[["Report", RenderOptions], str]
Pieces = Callable[["Report", RenderOptions], Iterator[str]]

# Format name -> the module of cprlint.reporters that renders it.
_MODULES = {
    "text": "text",
    "json": "json_report",
    "markdown": "markdown",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}

F = TypeVar("F")


class _Registry(Mapping[str, F], Generic[F]):
    """Format name -> one function of the format's module, imported when looked up."""

    def __init__(self, names: tuple[str, ...], function: str) -> None:
        self._names = names
        self._function = function

    def __getitem__(self, name: str) -> F:
        if name not in self._names:
            raise KeyError(name)
        module = import_module(f"cprlint.reporters.{_MODULES[name]}")
        found: F = getattr(module, self._function)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


REPORTERS: Mapping[str, Renderer] = _Registry(tuple(_MODULES), "render")

# The same text as the renderer's, made and written a piece at a time: a report with a
# quarter of a million findings is never one string in memory (`outputs.write_report`).
IN_PIECES: Mapping[str, Pieces] = _Registry(("json", "sarif", "text", "junit"), "pieces")


__all__ = ["IN_PIECES", "REPORTERS", "Pieces", "RenderOptions", "Renderer"]
