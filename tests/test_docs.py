"""docs/usage.md is real output: regenerating it must give the committed page."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def test_usage_page_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_usage", REPO / "docs" / "generate_usage.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "docs" / "usage.md").read_text()
    assert module.generate() == committed, (
        "docs/usage.md is stale: run python docs/generate_usage.py"
    )


def test_scorecard_page_shows_the_layout_the_code_reads() -> None:
    from cprlint.scorecard.layout import layout_markdown

    page = (REPO / "docs" / "scorecard.md").read_text()
    assert layout_markdown() in page, "docs/scorecard.md: paste layout_markdown()'s table"
