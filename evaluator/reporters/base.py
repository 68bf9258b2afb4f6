"""What every reporter is told besides the report itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderOptions:
    # Colour and styles: only when writing to a terminal, and never under NO_COLOR.
    color: bool = False
    # The project root's path inside the git repository ("" at the top), so that SARIF
    # and annotations name files the way GitHub does.
    repo_prefix: str = ""

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}{path}" if self.repo_prefix else path


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def escape_cell(text: str) -> str:
    """Make text safe inside a markdown table cell: no pipes, newlines or stray HTML."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )
