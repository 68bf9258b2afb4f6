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
