"""`render_html`: the scorecard page, from hand-made scorecards (scorecard_helpers.py:
intent groups, week 1 the week of Monday 2026-10-05).

Coordinates are worked out by hand from the chart geometry in cprlint.scorecard.html:
the plot spans x 96..1184 and y 16 (top) ..256 (bottom), 240 units high; with two or
more periods the first sits at x 120 and the last at x 1160 (1040 apart), placed by
date; a lone period sits in the middle, x 640.

The last test opens the page in headless Chromium (Debian's `chromium`) and measures
what it drew; it is skipped when Chromium is missing, unless CPRLINT_REQUIRE_CHROMIUM=1.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cprlint.scorecard.card import Scorecard, Unpriced
from cprlint.scorecard.html import render_html

from tests.scorecard_helpers import OBEYED, week
from tests.scorecard_helpers import hand_made_row as row
from tests.scorecard_helpers import hand_made_scorecard as scorecard


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    chart: str | None  # the id of the svg.chart it is in
    title: str = ""  # the text of its <title> child, for points and budget lines
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class Page(HTMLParser):
    """The page's elements, in order, each knowing its chart and children."""

    VOID = frozenset({"meta", "br", "input", "img", "link", "hr"})

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self._chart: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "svg":
            self._chart = values.get("id")
        element = Element(tag, values, self._chart)
        if self._open:
            self._open[-1].children.append(element)
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self._open:
            element = self._open.pop()
            if element.tag == tag:
                break
        if tag == "svg":
            self._chart = None

    def handle_data(self, data: str) -> None:
        if len(self._open) >= 2 and self._open[-1].tag == "title":
            self._open[-2].title += data

    def find(self, tag: str, cls: str, chart: str | None = None) -> list[Element]:
        return [
            element
            for element in self.elements
            if element.tag == tag
            and cls in element.classes
            and (chart is None or element.chart == chart)
        ]


def points(series: Element) -> list[tuple[str, str]]:
    return [(c.attrs["cx"], c.attrs["cy"]) for c in series.children if c.tag == "circle"]


def path_of(series: Element) -> str | None:
    paths = [c.attrs["d"] for c in series.children if c.tag == "path"]
    return paths[0] if paths else None


# --- charts -----------------------------------------------------------------------------


def test_budget_line_sits_at_the_budget_on_a_linear_axis() -> None:
    # CPRs 0.05/5 = 0.01 and 0.15/5 = 0.03, budget 0.02: highest 0.03, a fifth is 0.006,
    # the round step above it 0.01, so the axis runs 0..0.03 in 3 steps.
    # budget: y = 256 - 240 * 0.02/0.03 = 96; week 1: y = 256 - 240 * 0.01/0.03 = 176.
    page = Page(
        render_html(
            scorecard(
                row("refund", week(1), ai_cost="0.05", budget="0.02"),
                row("refund", week(2), ai_cost="0.15", budget="0.02"),
            )
        )
    )
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert (budget.attrs["y1"], budget.attrs["y2"]) == ("96.00", "96.00")
    assert (budget.attrs["x1"], budget.attrs["x2"]) == ("96", "1184")
    assert budget.attrs["data-group"] == "refund"
    assert budget.title == "refund: budget $0.02000"
    (series,) = page.find("g", "series", "chart-cpr")
    assert points(series) == [("120.00", "176.00"), ("1160.00", "16.00")]
    assert path_of(series) == "M120.00,176.00 L1160.00,16.00"
    ticks = [e for e in page.find("text", "tick", "chart-cpr") if "y" in e.classes]
    assert len(ticks) == 4  # 0, 0.01, 0.02, 0.03


def test_budget_above_every_point_is_inside_the_axis() -> None:
    # CPRs 0.01 and 0.012, budget 0.05: highest 0.05, step 0.01, the axis runs 0..0.05.
    # budget: y = 256 - 240 = 16 (the top); 0.01: y = 256 - 240 * 0.2 = 208;
    # 0.012: y = 256 - 240 * 0.24 = 198.4.
    page = Page(
        render_html(
            scorecard(
                row("refund", week(1), ai_cost="0.05", budget="0.05"),
                row("refund", week(2), ai_cost="0.06", budget="0.05"),
            )
        )
    )
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "16.00"
    (series,) = page.find("g", "series", "chart-cpr")
    assert points(series) == [("120.00", "208.00"), ("1160.00", "198.40")]


def test_costs_spanning_a_hundredfold_go_on_a_log_axis() -> None:
    # CPRs 0.001/5 = 0.0002 (budget 0.0004) and 0.1/5 = 0.02: 100 times apart, so the
    # axis is logarithmic from 10^-4 to 10^-1, 3 decades over 240 units.
    # budget 0.0004: y = 256 - 80 * log10(4) = 256 - 48.1648 = 207.84;
    # 0.02: y = 256 - 80 * log10(200) = 256 - 184.0824 = 71.92; 0.0002: 256 - 80 * log10(2)
    # = 256 - 24.0824 = 231.92.
    page_text = render_html(
        scorecard(
            row("password", week(1), ai_cost="0.001", budget="0.0004"),
            row("billing", week(1), ai_cost="0.1"),
        )
    )
    page = Page(page_text)
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "207.84"
    by_group = {s.attrs["data-group"]: points(s) for s in page.find("g", "series", "chart-cpr")}
    # One period: the points sit in the middle, and no line joins them.
    assert by_group == {"password": [("640.00", "231.92")], "billing": [("640.00", "71.92")]}
    assert all(path_of(s) is None for s in page.find("g", "series"))
    assert "Logarithmic scale" in page_text


def test_a_period_with_no_resolved_ticket_breaks_the_line() -> None:
    # Five weeks, 7 days apart: x = 120 + 260 * (week - 1): 120, 380, 640, 900, 1160.
    # Week 3 resolves nothing: no cost per resolution, so two runs of line and no point
    # at x 640; its auto-resolution rate is 0 of 10 (y = 256), still drawn.
    rows = [row("refund", week(n)) for n in (1, 2, 4, 5)]
    rows.insert(2, row("refund", week(3), resolved=0, auto_resolved=0))
    page = Page(render_html(scorecard(*rows)))
    (cost,) = page.find("g", "series", "chart-cpr")
    assert [x for x, _ in points(cost)] == ["120.00", "380.00", "900.00", "1160.00"]
    path = path_of(cost)
    assert path is not None
    assert path.count("M") == 2
    assert path.startswith("M120.00,")
    assert " M900.00," in path
    (auto,) = page.find("g", "series", "chart-auto-resolution")
    assert ("640.00", "256.00") in points(auto)


def test_a_week_with_no_ticket_at_all_leaves_room_and_a_gap() -> None:
    # Weeks 1, 2, 4 and 5 have rows, week 3 none: x is by date, 120 + 1040 * days / 28,
    # so 120, 380, 900, 1160; the line does not jump over the empty week.
    rows = [row("refund", week(n)) for n in (1, 2, 4, 5)]
    page = Page(render_html(scorecard(*rows)))
    (cost,) = page.find("g", "series", "chart-cpr")
    assert [x for x, _ in points(cost)] == ["120.00", "380.00", "900.00", "1160.00"]
    path = path_of(cost)
    assert path is not None
    assert path.count("M") == 2


def test_a_group_missing_from_a_period_others_have_breaks_its_line() -> None:
    rows = [row("refund", week(n)) for n in (1, 2, 3)] + [row("cards", week(n)) for n in (1, 3)]
    page = Page(render_html(scorecard(*rows)))
    cards = next(
        s for s in page.find("g", "series", "chart-cpr") if s.attrs["data-group"] == "cards"
    )
    assert len(points(cards)) == 2
    assert path_of(cards) is None  # two lone points, nothing to join


def test_fully_loaded_budget_is_drawn_against_fully_loaded_cost() -> None:
    # AI 0.05 + human 0.95 over 5 resolved: fully loaded CPR 0.2 (AI-only 0.01), budget
    # 0.1 fully loaded. Axis: highest 0.2, step 0.05, 0..0.2: the point at the top,
    # y = 16; the budget at 256 - 240 * 0.5 = 136. One period: x 640.
    page_text = render_html(
        scorecard(row("refund", week(1), human_cost="0.95", budget="0.1", fully_loaded=True))
    )
    page = Page(page_text)
    (series,) = page.find("g", "series", "chart-cpr")
    assert points(series) == [("640.00", "16.00")]
    assert "fully loaded cost per resolution $0.2000" in series.children[0].title
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "136.00"
    assert budget.title == "refund: budget $0.1000, fully loaded"
    assert "budget $0.1000 fully loaded (line: fully loaded cost per resolution)" in page_text
    # The breach is on the fully loaded cell, not the AI-only one.
    assert len(page.find("td", "flagged")) == 1
    assert '<td class="num flagged">$0.2000</td>' in page_text


def test_many_groups_chart_the_eight_with_most_tickets() -> None:
    # g01..g10 with 1..10 tickets: g03..g10 are charted, g01 and g02 only in the table.
    rows = [row(f"g{n:02}", week(1), tickets=n, resolved=1, auto_resolved=1) for n in range(1, 11)]
    page_text = render_html(scorecard(*rows))
    page = Page(page_text)
    for chart in ("chart-cpr", "chart-auto-resolution"):
        charted = [s.attrs["data-group"] for s in page.find("g", "series", chart)]
        assert charted == [f"g{n:02}" for n in range(10, 2, -1)]
    assert "Showing the 8 groups with the most tickets out of 10" in page_text
    table_rows = [e for e in page.elements if e.tag == "tr"]
    assert len(table_rows) == 1 + 10  # the header, then every group


def test_zero_cost_and_never_resolved_groups() -> None:
    # "free" costs nothing: CPR 0, drawn on the axis floor (y 256) of a linear axis that
    # 0.01 ("paid") tops: highest 0.01, step 0.002, 0..0.01. "stuck" never resolves: no line,
    # and a note says why; its budget is still drawn (0.004: y = 256 - 96 = 160).
    page_text = render_html(
        scorecard(
            row("free", week(1), ai_cost="0"),
            row("paid", week(1), ai_cost="0.05"),
            row("stuck", week(1), resolved=0, budget="0.004"),
        )
    )
    page = Page(page_text)
    by_group = {s.attrs["data-group"]: points(s) for s in page.find("g", "series", "chart-cpr")}
    assert by_group == {"free": [("640.00", "256.00")], "paid": [("640.00", "16.00")]}
    (budget,) = page.find("line", "budget")
    assert budget.attrs["y1"] == "160.00"
    assert "No resolved ticket in any period, so no line: stuck." in page_text
    assert "no resolved ticket, so no cost per resolution to hold to the budget" in page_text


def test_empty_scorecard_renders_without_charts() -> None:
    page_text = render_html(scorecard())
    assert "No ticket in the logs" in page_text
    assert "<svg" not in page_text


# --- table ------------------------------------------------------------------------------


def test_table_shows_changes_and_highlights_breaches() -> None:
    # Week 1: CPR 0.05/5 = 0.01, auto 4/10 = 40%, escalation 1/10 = 10%.
    # Week 2: CPR 0.075/5 = 0.015 (+50.0%), auto 5/10 = 50% (+10.0 pts), escalation 4/10
    # = 40% (+30.0 pts) over a 30% maximum; cost per ticket 0.0075 vs 0.005 (+50.0%).
    page_text = render_html(
        scorecard(
            row("refund", week(1), max_escalation_rate="0.3"),
            row(
                "refund",
                week(2),
                ai_cost="0.075",
                auto_resolved=5,
                escalated=4,
                max_escalation_rate="0.3",
            ),
        )
    )
    page = Page(page_text)
    assert len(page.find("tr", "breach")) == 1
    assert "<li>escalation rate over the maximum</li>" in page_text
    assert '<td class="num flagged">40.0%<br><span class="change worse"' in page_text
    assert '$0.01500<br><span class="change worse" title="vs the week before">+50.0%' in page_text
    assert '50.0%<br><span class="change better" title="vs the week before">+10.0 pts' in page_text
    assert '$0.007500<br><span class="change worse" title="vs the week before">+50.0%' in page_text
    assert "1 row of 2 breach a budget or quality limit" in page_text


def test_a_change_too_small_to_show_is_neither_better_nor_worse() -> None:
    # Auto-resolution 4000/10000 then 3999/10000: 0.01 points down, shown as 0.0.
    page_text = render_html(
        scorecard(
            row("refund", week(1), tickets=10000, resolved=5000, auto_resolved=4000),
            row("refund", week(2), tickets=10000, resolved=5000, auto_resolved=3999),
        )
    )
    assert '40.0%<br><span class="change same" title="vs the week before">0.0 pts' in page_text


def test_every_text_from_the_data_is_escaped() -> None:
    evil = '<script>alert("x")</script>&<img src=x onerror=1>'
    page_text = render_html(
        scorecard(
            row(evil, week(1), budget="0.02"),
            row(evil, week(2), budget="0.02"),
            logs=("<b>logs</b>.jsonl",),
            unpriced=(Unpriced(policy="<i>p</i>", model="<svg onload=1>", calls=2),),
        )
    )
    assert "<script" not in page_text
    assert "<img" not in page_text
    assert "<b>" not in page_text
    assert "<i>" not in page_text
    assert "<svg onload" not in page_text
    assert html.escape(evil) in page_text
    page = Page(page_text)
    assert {s.attrs["data-group"] for s in page.find("g", "series")} == {evil}
    assert page.find("line", "budget")[0].title.startswith(evil)


def test_control_and_bidi_characters_are_shown_escaped() -> None:
    # ESC ] 0 ; ... BEL and ESC [ 2 J for a terminal the page's text is pasted into;
    # U+202E reverses what follows it in a cell, U+2066..U+2069 isolate, U+200F marks,
    # U+2028 breaks a line.
    hostile = "\x1b]0;owned\x07\x1b[2Jrefund\u202etxt.exe\u2066x\u2069\u200f\u2028"
    shown = "\\x1b]0;owned\\x07\\x1b[2Jrefund\\u202etxt.exe\\u2066x\\u2069\\u200f\\u2028"
    page_text = render_html(
        scorecard(
            row(hostile, week(1), budget="0.02"),
            logs=("logs/\u202elgnp.jsonl",),
            unpriced=(Unpriced(policy="p\x1b[31m", model="m\u2067", calls=1),),
        )
    )
    assert not OBEYED.search(page_text)
    page = Page(page_text)
    assert {s.attrs["data-group"] for s in page.find("g", "series")} == {shown}
    assert page.find("line", "budget")[0].title.startswith(f"{shown}: budget")
    assert f'<span class="name">{shown}</span>' in page_text
    assert "<code>logs/\\u202elgnp.jsonl</code>" in page_text
    assert "<li>m\\u2067 under p\\x1b[31m: " in page_text


def test_same_scorecard_same_bytes_and_nothing_fetched() -> None:
    def build() -> Scorecard:
        return scorecard(
            row("refund", week(1), budget="0.02"),
            row("refund", week(2), resolved=0),
            row("cards", week(2), ai_cost="0.3"),
        )

    first, second = render_html(build()), render_html(build())
    assert first == second
    for reference in ("http://", "https://", "src=", "href=", "url(", "@import", "<script"):
        assert reference not in first


# --- in a browser -----------------------------------------------------------------------

MEASURE = """<script>
(() => {
  const size = (element) => {
    const box = element.getBoundingClientRect();
    return {width: box.width, height: box.height, top: box.top, left: box.left};
  };
  const out = {charts: {}, series: [], budgets: []};
  for (const chart of document.querySelectorAll("svg.chart")) {
    out.charts[chart.id] = size(chart);
  }
  for (const [kind, selector] of [["series", ".series"], ["budgets", ".budget"]]) {
    for (const element of document.querySelectorAll("svg.chart " + selector)) {
      out[kind].push({chart: element.closest("svg").id, group: element.dataset.group,
                      ...size(element)});
    }
  }
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found:
        return found
    reason = "Chromium is not installed (on Debian: apt-get install -y chromium)"
    if os.environ.get("CPRLINT_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}, and CPRLINT_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(reason)


def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = chromium()
    # Two groups over three weeks, one with a gap and a budget (0.02 on a 0..0.03 axis:
    # y 96 of the 300-unit-high chart, as in the first test).
    card = scorecard(
        row("refund", week(1), ai_cost="0.05", budget="0.02"),
        row("refund", week(2), resolved=0, budget="0.02"),
        row("refund", week(3), ai_cost="0.15", budget="0.02"),
        row("cards", week(1), ai_cost="0.1"),
        row("cards", week(2), ai_cost="0.1"),
        row("cards", week(3), ai_cost="0.1"),
    )
    page = tmp_path / "scorecard.html"
    page.write_text(render_html(card).replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    completed = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1600",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', completed.stdout, re.DOTALL)
    assert found, f"no measurements; chromium said: {completed.stderr[-2000:]}"
    measured = json.loads(html.unescape(found.group(1)))

    assert set(measured["charts"]) == {"chart-cpr", "chart-auto-resolution"}
    for chart in measured["charts"].values():
        assert chart["width"] > 0
        assert chart["height"] > 0
    series = [(s["chart"], s["group"]) for s in measured["series"]]
    assert sorted(series) == sorted(
        (chart, group)
        for chart in ("chart-cpr", "chart-auto-resolution")
        for group in ("refund", "cards")
    )
    for element in measured["series"]:
        assert element["width"] > 0
        assert element["height"] > 0
    (budget,) = measured["budgets"]
    assert budget["group"] == "refund"
    assert budget["width"] > 0
    # Drawn where the budget is: the chart is 1200 units wide, scaled to fit the page.
    chart = measured["charts"]["chart-cpr"]
    scale = chart["width"] / 1200
    assert budget["top"] - chart["top"] == pytest.approx(96 * scale, abs=1.5)
