"""Output formats. Each module renders a `Report` to text; `REPORTERS` maps name -> renderer.

Adding a format touches one new module and this dict; a format whose reports can be
large may also be written in pieces (`IN_PIECES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cprlint.report import Report
from cprlint.reporters import github, json_report, junit, markdown, sarif, text
from cprlint.reporters.base import RenderOptions

Renderer = Callable[[Report, RenderOptions], str]
Pieces = Callable[[Report, RenderOptions], Iterator[str]]

REPORTERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}

# The same text as the renderer's, made and written a piece at a time: a report with a
# quarter of a million findings is never one string in memory (`outputs.write_report`).
IN_PIECES: dict[str, Pieces] = {
    "json": json_report.pieces,
    "sarif": sarif.pieces,
}

__all__ = ["IN_PIECES", "REPORTERS", "Pieces", "RenderOptions", "Renderer"]
