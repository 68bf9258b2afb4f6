"""Text from a pull request in cprlint's markdown: shown as written, never as markup.

Findings quote fixture, policy and prompt values, and scope names come from fixtures; the
markdown reports and the pull-request comment carry them. `escape_markdown` keeps the
messages' `code` spans and escapes the rest; the property test renders its output with
markdown-it (CommonMark plus GFM tables) and reads back what a reader would see.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cprlint.findings import Finding, Location, Scope, Severity
from cprlint.report import Report
from cprlint.reporters import REPORTERS, RenderOptions
from cprlint.reporters.base import escape_markdown
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

WORD_JOINER = "\u2060"
# A mention or an issue reference as GitHub finds it in text: `@` and a letter or digit,
# `#` and a digit.
MENTION = re.compile(r"@[A-Za-z0-9]|#[0-9]")
MARKDOWN = MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # In code only the pipe is escaped (GitHub splits the cell first); "<" shows as is.
        ("intent `a<b|c` is unknown", "intent `a<b\\|c` is unknown"),
        # Outside code: no link, no HTML, entities shown as written, pipes escaped.
        (
            "see [here](http://x) <b>&amp; x|y",
            f"see \\[here\\](http{WORD_JOINER}://x) &lt;b&gt;&amp;amp; x\\|y",
        ),
        # A bare URL, a `www.` address and a GH-12 reference are made links by GitHub:
        # broken the same way, in text only.
        (
            "go to https://evil.example, WWW.evil.example or GH-12; `https://ok`",
            f"go to https{WORD_JOINER}://evil.example, WWW{WORD_JOINER}.evil.example or "
            f"GH{WORD_JOINER}-12; `https://ok`",
        ),
        # Text that reorders what a reader sees (Trojan Source) is shown escaped, as are
        # the line and paragraph separators.
        ("exe.\u202egnp and a\u2028b", "exe.\\\\u202egnp and a\\\\u2028b"),
        # A mention or an issue reference is broken with an invisible word joiner, in
        # text only; an `@` or `#` before anything else stays as it is.
        ("ping @octocat `@x`", f"ping @{WORD_JOINER}octocat `@x`"),
        (
            "see #12, acme/repo#3, `#4`; # @ x",
            f"see #{WORD_JOINER}12, acme/repo#{WORD_JOINER}3, `#4`; # @ x",
        ),
        # A backtick nothing closes is text; a run of two is closed by two, not one.
        ("a ` b @c", f"a ` b @{WORD_JOINER}c"),
        ("``a`b`` @c", f"``a`b`` @{WORD_JOINER}c"),
        ("C:\\path", "C:\\\\path"),
        ("one\r\ntwo", "one  two"),
        # A control character is shown, not sent: an ESC that would clear a terminal
        # (ESC `[2J`) becomes the text `\x1b`, its backslash escaped outside code only.
        ("clear\x1b[2J`\x1b`", "clear\\\\x1b\\[2J`\\x1b`"),
    ],
)
def test_escape_markdown_examples(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


def test_code_outside_a_table_keeps_its_pipe() -> None:
    # A list item or a heading is no table: `\|` in code would show its backslash.
    assert escape_markdown("`a|b` and c|d", table_cell=False) == "`a|b` and c\\|d"


def _cell(markdown: str) -> list[tuple[str, str]]:
    """(token type, content) of what a one-cell table row shows."""
    tokens = MARKDOWN.parse(f"| h |\n|---|\n| {markdown} |\n")
    assert sum(token.type == "td_open" for token in tokens) == 1, markdown
    cell = [token for token in tokens if token.type == "inline"][-1]
    assert cell.children is not None
    return [(child.type, child.content) for child in cell.children]


def _shown(text: str) -> str:
    """What comparing ignores: code-span delimiters, the spaces CommonMark may trim, and
    the word joiner."""
    return re.sub(r"[`\s]", "", text.replace(WORD_JOINER, ""))


@given(st.text(alphabet="ab1 @`|\\[]()<>&;!#/\r\n\u00e9", max_size=40))
def test_a_cell_shows_the_text_as_written(text: str) -> None:
    shown = _cell(escape_markdown(text))
    # Only text and code, nothing GitHub would turn into a link, HTML or an entity.
    assert {kind for kind, _ in shown} <= {"text", "code_inline"}, shown
    assert _shown("".join(content for _, content in shown)) == _shown(text)
    for kind, content in shown:
        if kind == "text":
            assert not MENTION.search(content), content


# A finding as a hostile fixture could word it: a mention and a link in the text, and
# markup in the quoted value.
HOSTILE_VALUE = "@acme/all|<b>"
HOSTILE = Finding(
    "CPR302",
    Severity.ERROR,
    f"intent `{HOSTILE_VALUE}` from @acme/everyone: [click](https://evil.example)",
    Location("fixtures/t.jsonl", 3, 1),
    Scope(intent="@acme/all"),
)


def _assert_harmless(shown: list[tuple[str, str]]) -> None:
    """The value in code as written; the rest plain text, no mention in it."""
    assert {kind for kind, _ in shown} <= {"text", "code_inline"}, shown
    assert ("code_inline", HOSTILE_VALUE) in shown
    assert not any(MENTION.search(content) for kind, content in shown if kind == "text")


def test_markdown_report_neither_mentions_nor_links() -> None:
    report = Report("check", (HOSTILE,), files_checked=("fixtures/t.jsonl",))
    output = REPORTERS["markdown"](report, RenderOptions())
    row = next(line for line in output.splitlines() if line.startswith("| ❌ |"))
    message_cell = re.split(r"(?<!\\) \| ", row.removesuffix(" |"))[3]
    _assert_harmless(_cell(message_cell))


def test_pr_comment_neither_mentions_nor_links() -> None:
    change = {"base": 0.01, "head": 0.02, "delta_pct": 100, "ci95": None, "conversations": 5}
    comparison = {
        "base": "main",
        "summary": change,
        "intents": {"@acme/all": change},
        "queues": {},
        "automation": {},
        "prompts": {},
    }
    report = Report(
        "check", (HOSTILE,), metrics={"currency": "USD", "policies": {}, "comparison": comparison}
    )
    output = REPORTERS["markdown"](report, RenderOptions())
    item = next(line for line in output.splitlines() if line.startswith("- "))
    tokens = MARKDOWN.parse(item)
    inline = next(token for token in tokens if token.type == "inline")
    assert inline.children is not None
    _assert_harmless([(child.type, child.content) for child in inline.children])
    # The intent's row: its name is text, the mention broken.
    row = next(line for line in output.splitlines() if "acme/all |" in line)
    assert row.startswith(f"| @{WORD_JOINER}acme/all |")


RAW = ("\x1b", "\x07", "\u202e", "\u2066", "\u2028", "\u061c")


@pytest.mark.parametrize("output_format", ["text", "markdown", "github"])
def test_a_fixture_s_names_are_inert_in_every_format_for_people(
    run_cli, starter_project: Path, output_format: str
) -> None:
    # An intent that retitles the terminal and reverses the text after it, a queue that
    # GitHub would make a link: shown, never obeyed, in every format a person reads.
    fixture = starter_project / "fixtures" / "conversations.jsonl"
    lines = fixture.read_text().splitlines()
    first = json.loads(lines[0])
    hostile = "refund\x1b]0;pwned\x07\u202eexe.\u2066x\u2028y\u061c"
    first["intent"] = hostile
    first["queue"] = "https://evil.example GH-2"
    first["events"][3]["model"] = hostile  # findings that quote it: no price, routing
    fixture.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    result = run_cli("check", str(starter_project), "--no-cache", "--format", output_format)
    assert result.exit_code == 1
    assert "pwned" in result.stdout  # (the name is there, shown)
    assert not [raw for raw in RAW if raw in result.stdout]
    if output_format == "markdown":
        assert "https://evil" not in result.stdout
        assert "GH-2" not in result.stdout
