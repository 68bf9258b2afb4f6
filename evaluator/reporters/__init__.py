"""Output formats. Each module renders a `Report` to text; `REPORTERS` maps name -> renderer.

Adding a format touches one new module and this dict.
"""

from __future__ import annotations

from collections.abc import Callable

from cprlint.report import Report
from cprlint.reporters import github, json_report, junit, markdown, sarif, text
from cprlint.reporters.base import RenderOptions

Renderer = Callable[[Report, RenderOptions], str]

REPORTERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}

__all__ = ["REPORTERS", "RenderOptions", "Renderer"]
