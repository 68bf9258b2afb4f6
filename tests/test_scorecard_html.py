"""`render_html`: the scorecard page, from hand-made scorecards (scorecard_helpers.py:
intent groups, week 1 the week of Monday 2026-10-05).

Coordinates are worked out by hand from the chart geometry in cprlint.scorecard.html:
the plot spans x 96..984 (the budgets' labels start at 992) and y 16 (top) ..256
(bottom), 240 units high; with two or more periods the first sits at x 120 and the last
at x 960 (840 apart), placed by date; a lone period sits in the middle, x 540.

The last test opens the page in headless Chromium (Debian's `chromium`) and measures
what it drew; it is skipped when Chromium is missing, unless CPRLINT_REQUIRE_CHROMIUM=1.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

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
    assert (budget.attrs["x1"], budget.attrs["x2"]) == ("96", "984")
    assert budget.attrs["data-group"] == "refund"
    assert budget.title == "refund: budget $0.02000"
    (series,) = page.find("g", "series", "chart-cpr")
    assert points(series) == [("120.00", "176.00"), ("960.00", "16.00")]
    assert path_of(series) == "M120.00,176.00 L960.00,16.00"
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
    assert points(series) == [("120.00", "208.00"), ("960.00", "198.40")]


HUNDREDFOLD = (
    row("password", week(1), ai_cost="0.001", budget="0.0004"),
    row("billing", week(1), ai_cost="0.1"),
)


def test_costs_spanning_a_hundredfold_stay_on_a_linear_axis() -> None:
    # CPRs 0.001/5 = 0.0002 (budget 0.0004) and 0.1/5 = 0.02: a hundredfold apart, and
    # still linear: highest 0.02, a fifth 0.004, the round step above it 0.005, so the
    # axis runs 0..0.02 in 4 steps. 0.02: y = 16 (the top); 0.0002: y = 256 - 240 *
    # 0.0002/0.02 = 256 - 2.4 = 253.6; the budget 0.0004: y = 256 - 4.8 = 251.2.
    page_text = render_html(scorecard(*HUNDREDFOLD))
    page = Page(page_text)
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "251.20"
    by_group = {s.attrs["data-group"]: points(s) for s in page.find("g", "series", "chart-cpr")}
    # One period: the points sit in the middle, and no line joins them.
    assert by_group == {"password": [("540.00", "253.60")], "billing": [("540.00", "16.00")]}
    assert all(path_of(s) is None for s in page.find("g", "series"))
    ticks = [e for e in page.find("text", "tick", "chart-cpr") if "y" in e.classes]
    assert len(ticks) == 5  # 0, 0.005, 0.01, 0.015, 0.02
    assert "Logarithmic" not in page_text


def test_a_log_axis_only_when_asked() -> None:
    # The same costs with log_scale: logarithmic from 10^-4 to 10^-1, 3 decades over
    # 240 units, 80 a decade. Budget 0.0004: y = 256 - 80 * log10(4) = 256 - 48.1648 =
    # 207.84; 0.02: y = 256 - 80 * log10(200) = 256 - 184.0824 = 71.92; 0.0002: 256 - 80 *
    # log10(2) = 256 - 24.0824 = 231.92.
    page_text = render_html(scorecard(*HUNDREDFOLD), log_scale=True)
    page = Page(page_text)
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "207.84"
    by_group = {s.attrs["data-group"]: points(s) for s in page.find("g", "series", "chart-cpr")}
    assert by_group == {"password": [("540.00", "231.92")], "billing": [("540.00", "71.92")]}
    assert "Logarithmic scale (asked for with --log-scale)" in page_text


def test_a_log_axis_cannot_hold_a_zero_cost() -> None:
    # A zero cost per resolution has no place on a log axis: linear, and a note says why.
    # Highest 0.01 (0.05 over 5 resolved), step 0.002: the free group at y 256.
    page_text = render_html(
        scorecard(row("free", week(1), ai_cost="0"), row("paid", week(1))), log_scale=True
    )
    page = Page(page_text)
    by_group = {s.attrs["data-group"]: points(s) for s in page.find("g", "series", "chart-cpr")}
    assert by_group == {"free": [("540.00", "256.00")], "paid": [("540.00", "16.00")]}
    assert "a cost of zero has no place on it" in page_text


def test_a_period_with_no_resolved_ticket_breaks_the_line() -> None:
    # Five weeks, 7 days apart: x = 120 + 210 * (week - 1): 120, 330, 540, 750, 960.
    # Week 3 resolves nothing: no cost per resolution, so two runs of line and no point
    # at x 540; its auto-resolution rate is 0 of 10 (y = 256), still drawn.
    rows = [row("refund", week(n)) for n in (1, 2, 4, 5)]
    rows.insert(2, row("refund", week(3), resolved=0, auto_resolved=0))
    page = Page(render_html(scorecard(*rows)))
    (cost,) = page.find("g", "series", "chart-cpr")
    assert [x for x, _ in points(cost)] == ["120.00", "330.00", "750.00", "960.00"]
    path = path_of(cost)
    assert path is not None
    assert path.count("M") == 2
    assert path.startswith("M120.00,")
    assert " M750.00," in path
    (auto,) = page.find("g", "series", "chart-auto-resolution")
    assert ("540.00", "256.00") in points(auto)


def test_a_week_with_no_ticket_at_all_leaves_room_and_a_gap() -> None:
    # Weeks 1, 2, 4 and 5 have rows, week 3 none: x is by date, 120 + 840 * days / 28,
    # so 120, 330, 750, 960; the line does not jump over the empty week.
    rows = [row("refund", week(n)) for n in (1, 2, 4, 5)]
    page = Page(render_html(scorecard(*rows)))
    (cost,) = page.find("g", "series", "chart-cpr")
    assert [x for x, _ in points(cost)] == ["120.00", "330.00", "750.00", "960.00"]
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
    # y = 16; the budget at 256 - 240 * 0.5 = 136. One period: x 540.
    page_text = render_html(
        scorecard(row("refund", week(1), human_cost="0.95", budget="0.1", fully_loaded=True))
    )
    page = Page(page_text)
    (series,) = page.find("g", "series", "chart-cpr")
    assert points(series) == [("540.00", "16.00")]
    assert "fully loaded cost per resolution $0.2000" in series.children[0].title
    (budget,) = page.find("line", "budget", "chart-cpr")
    assert budget.attrs["y1"] == "136.00"
    assert budget.title == "refund: budget $0.1000, fully loaded"
    assert "budget $0.1000 fully loaded (line: fully loaded cost per resolution)" in page_text
    # The breach is on the fully loaded cell, not the AI-only one.
    assert len(page.find("td", "flagged")) == 1
    assert '<td class="num flagged">$0.2000</td>' in page_text


def test_many_groups_chart_seven_and_the_rest_summed() -> None:
    # g01..g10 with 1..10 tickets: g10..g04 (the seven with most) get a line each, and
    # g01, g02 and g03 one grey line together: 8 lines in all.
    rows = [row(f"g{n:02}", week(1), tickets=n, resolved=1, auto_resolved=1) for n in range(1, 11)]
    page_text = render_html(scorecard(*rows))
    page = Page(page_text)
    for chart in ("chart-cpr", "chart-auto-resolution"):
        charted = [s.attrs["data-group"] for s in page.find("g", "series", chart)]
        assert charted == [f"g{n:02}" for n in range(10, 3, -1)] + ["3 other intents"]
    (other,) = page.find("g", "other", "chart-auto-resolution")
    # Auto-resolved 1 + 1 + 1 = 3 of 1 + 2 + 3 = 6 tickets: 50%, y = 256 - 120 = 136.
    assert points(other) == [("540.00", "136.00")]
    assert "3 other intents, with the fewest tickets, are summed into one grey line" in page_text
    table_rows = [e for e in page.elements if e.tag == "tr"]
    assert len(table_rows) == (1 + 1) + (1 + 10)  # the total's header and row, then all


def test_the_other_line_costs_its_spend_over_its_resolutions() -> None:
    # Nine big groups (100 tickets each: charted alone, 7 of them; b8 and b9 folded) and
    # two small ones, folded with b8 and b9 into "4 other intents":
    #   b8, b9: spend 0.05, 5 resolved each    (CPR 0.01 each)
    #   s1: spend 0.10, 1 resolved             (CPR 0.10)
    #   s2: spend 0.10, 9 resolved             (CPR 0.0111...)
    # other = (0.05 + 0.05 + 0.10 + 0.10) / (5 + 5 + 1 + 9) = 0.30 / 20 = 0.015; the mean
    # of the four CPRs would be (0.01 + 0.01 + 0.1 + 0.0111) / 4 = 0.0328.
    # Axis: the highest cost is 0.015 (the big groups: 0.05 / 5 = 0.01), a fifth 0.003,
    # the step 0.005, so 0..0.015; other: y = 16 (the top). Its tickets: 100 + 100 + 2 +
    # 12 = 214.
    rows = [row(f"b{n}", week(1), tickets=100) for n in range(1, 10)]
    rows += [
        row("s1", week(1), tickets=2, resolved=1, ai_cost="0.10"),
        row("s2", week(1), tickets=12, resolved=9, ai_cost="0.10"),
    ]
    page = Page(render_html(scorecard(*rows)))
    (other,) = page.find("g", "other", "chart-cpr")
    assert other.attrs["data-group"] == "4 other intents"
    assert points(other) == [("540.00", "16.00")]
    assert "cost per resolution $0.01500 (20 resolved of 214 tickets)" in other.children[0].title


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
    assert by_group == {"free": [("540.00", "256.00")], "paid": [("540.00", "16.00")]}
    (budget,) = page.find("line", "budget")
    assert budget.attrs["y1"] == "160.00"
    assert "No resolved ticket in any period, so no line: stuck." in page_text
    assert "no resolved ticket, so no cost per resolution to hold to the budget" in page_text


def test_each_budget_is_labelled_at_its_end_and_labels_keep_apart() -> None:
    # refund: CPR 0.05/5 = 0.01, budget 0.02; cards: CPR 0.15/5 = 0.03, budget 0.021.
    # Axis 0..0.03: refund's budget at y = 256 - 240 * 0.02/0.03 = 96, cards' at
    # 256 - 240 * 0.021/0.03 = 88. Labels need 14 units: cards' stays at 88, refund's
    # goes down to 88 + 14 = 102; both start at x 992, a stroke from each line's end
    # (x 984) to its label (x 989).
    page = Page(
        render_html(
            scorecard(
                row("refund", week(1), budget="0.02"),
                row("cards", week(1), ai_cost="0.15", budget="0.021"),
            )
        )
    )
    labels = {e.attrs["data-group"]: e for e in page.find("text", "budget-label", "chart-cpr")}
    assert {group: (e.attrs["x"], e.attrs["y"]) for group, e in labels.items()} == {
        "cards": ("992", "88.00"),
        "refund": ("992", "102.00"),
    }
    assert labels["refund"].title == "refund: budget $0.02000"
    leaders = [e.attrs["points"] for e in page.find("polyline", "budget-leader", "chart-cpr")]
    assert sorted(leaders) == ["984,88.00 989,88.00", "984,96.00 989,102.00"]


def test_a_long_name_is_cut_in_its_budget_label() -> None:
    # 26 characters: "$0.02000" and ": " leave 16 for the name, 15 and an ellipsis.
    name = "billing_dispute_chargeback_international_high_value"
    page_text = render_html(scorecard(row(name, week(1), budget="0.02")))
    assert ">billing_dispute\u2026: $0.02000</text>" in page_text
    assert f"<title>{name}: budget $0.02000</title>" in page_text


@pytest.mark.parametrize(
    ("wanted", "placed"),
    [
        ([96.0, 88.0], [102.0, 88.0]),  # in the order given, moved apart downwards
        ([250.0, 252.0, 255.0], [228.0, 242.0, 256.0]),  # no room below: moved up
        ([5.0], [16.0]),  # within the plot
        ([], []),
    ],
)
def test_labels_are_spread_apart(wanted: list[float], placed: list[float]) -> None:
    from cprlint.scorecard.html import spread

    assert spread(wanted, gap=14, low=16, high=256) == placed


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("billing_dispute", "billing_<wbr>dispute"),
        ("lost-or-stolen", "lost-<wbr>or-<wbr>stolen"),
        ("two words", "two words"),  # a space is a place to wrap already
        ("supercalifragilistic", "supercalifragilistic"),  # a word is never cut
        ("<b>_x", "&lt;b&gt;_<wbr>x"),
    ],
)
def test_names_wrap_only_between_words(name: str, shown: str) -> None:
    from cprlint.scorecard.html import breakable

    assert breakable(name) == shown


def test_the_totals_table_adds_up_every_group() -> None:
    # Week 1: refund spends 0.05 and resolves 5, cards spends 0.15 and resolves 5: all
    # together 0.20 over 10 resolved, a CPR of 0.02 (not the mean of 0.01 and 0.03, which
    # is the same here: week 2 tells them apart). Week 2: refund 0.05 / 5, cards 0.15 /
    # 1: 0.20 / 6 = 0.0333...; the mean of 0.01 and 0.15 would be 0.08.
    # AI spend in one format: the smallest, 0.05, to 3 significant digits: $0.0500.
    page_text = render_html(
        scorecard(
            row("refund", week(1)),
            row("cards", week(1), ai_cost="0.15"),
            row("refund", week(2)),
            row("cards", week(2), ai_cost="0.15", resolved=1, auto_resolved=1),
        )
    )
    totals = page_text[page_text.index('<table class="scorecard totals">') :]
    totals = totals[totals.index("<tbody>") : totals.index("</tbody>")]
    (first, second) = re.findall(r"<tr>(.*?)</tr>", totals)
    assert re.findall(r"<td[^>]*>(.*?)</td>", first)[:7] == [
        '<span class="date">2026-10-05</span>',
        "20",
        "10<br><small>50.0%</small>",
        "$0.2000",
        "$0.00",  # human cost
        "$0.00",  # overhead
        "$0.01000",  # cost per ticket: 0.20 / 20
    ]
    assert "$0.03333" in second  # 0.20 / 6
    assert "<h2>Total of 2 intents</h2>" in page_text


def test_malformed_lines_and_counts_in_words_on_the_page() -> None:
    from cprlint.scorecard.card import Malformed, MalformedLine

    one = replace(
        scorecard(row("refund", week(1), max_escalation_rate="0.05")),
        malformed=Malformed(1, (MalformedLine("logs/a.jsonl", 3, 1, "JSON syntax error: <x>"),)),
    )
    page_text = render_html(one)
    assert "1 malformed line in the logs was left out of every figure:" in page_text
    assert "<li><code>logs/a.jsonl:3:1: JSON syntax error: &lt;x&gt;</code></li>" in page_text
    # Escalation 1 of 10 over a 5% maximum: 1 row of 1.
    assert "1 row of 1 breaches a budget or quality limit." in page_text
    three = replace(one, malformed=replace(one.malformed, count=3))
    assert "3 malformed lines in the logs were left out of every figure; the first 1:" in (
        render_html(three)
    )


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
    assert "1 row of 2 breaches a budget or quality limit" in page_text


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
    return {width: box.width, height: box.height, top: box.top, left: box.left,
            right: box.right, bottom: box.bottom};
  };
  // Where a cell's text goes onto a new line: the index in its text of each character
  // that starts a line (after the first), found from where each character is drawn.
  const breaks = (cell) => {
    const found = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let index = 0, top = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let at = 0; at < node.length; at++, index++) {
        range.setStart(node, at);
        range.setEnd(node, at + 1);
        const rects = range.getClientRects();
        if (!rects.length) continue;
        if (top !== null && rects[0].top > top + 2) found.push(index);
        top = rects[0].top;
      }
    }
    return found;
  };
  const out = {charts: {}, series: [], budgets: [], labels: [], cells: [], wraps: []};
  for (const chart of document.querySelectorAll("svg.chart")) {
    out.charts[chart.id] = size(chart);
  }
  for (const [kind, selector] of [["series", ".series"], ["budgets", "line.budget"],
                                  ["labels", "text.budget-label"]]) {
    for (const element of document.querySelectorAll("svg.chart " + selector)) {
      out[kind].push({chart: element.closest("svg").id, group: element.dataset.group,
                      ...size(element)});
    }
  }
  for (const cell of document.querySelectorAll(
      "table.groups td:nth-child(-n+2), table.totals td:first-child")) {
    out.cells.push({text: cell.textContent, breaks: breaks(cell)});
  }
  for (const wrap of document.querySelectorAll(".table-wrap, .chart-wrap")) {
    out.wraps.push({scroll: wrap.scrollWidth, client: wrap.clientWidth});
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


def measured(page_text: str, tmp_path: Path, window: str) -> Any:
    """What headless Chromium drew of the page, at `window` (WIDTH,HEIGHT): see MEASURE."""
    browser = chromium()
    page = tmp_path / "scorecard.html"
    page.write_text(page_text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
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
            f"--window-size={window}",
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
    return json.loads(html.unescape(found.group(1)))


def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
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
    measured_page = measured(render_html(card), tmp_path, "1280,1600")

    assert set(measured_page["charts"]) == {"chart-cpr", "chart-auto-resolution"}
    for chart in measured_page["charts"].values():
        assert chart["width"] > 0
        assert chart["height"] > 0
    series = [(s["chart"], s["group"]) for s in measured_page["series"]]
    assert sorted(series) == sorted(
        (chart, group)
        for chart in ("chart-cpr", "chart-auto-resolution")
        for group in ("refund", "cards")
    )
    for element in measured_page["series"]:
        assert element["width"] > 0
        assert element["height"] > 0
    (budget,) = measured_page["budgets"]
    assert budget["group"] == "refund"
    assert budget["width"] > 0
    # Drawn where the budget is: the chart is 1200 units wide, scaled to fit the page.
    chart = measured_page["charts"]["chart-cpr"]
    scale = chart["width"] / 1200
    assert budget["top"] - chart["top"] == pytest.approx(96 * scale, abs=1.5)
    # Its label at its right end, on its line: the label starts at x 992 and is centred
    # on y 96.
    (label,) = measured_page["labels"]
    assert label["left"] - chart["left"] == pytest.approx(992 * scale, abs=2)
    assert (label["top"] + label["bottom"]) / 2 - chart["top"] == pytest.approx(96 * scale, abs=3)


# Names a narrow column must wrap: at spaces, after underscores, after hyphens; and one
# long word, which must not be broken at all.
LONG_NAMES = (
    "billing_dispute_chargeback_international_high_value",
    "lost-or-stolen-card-replacement-express-delivery",
    "a name with spaces that is far too long for one line",
    "supercalifragilisticexpialidocious",
)


def test_a_reader_sees_whole_words_labels_and_tables_in_chromium(tmp_path: Path) -> None:
    """At 1400 pixels, as a reader opens it: a group's name and a period's days wrap
    only between words, the budgets' labels stay inside the chart and apart, and the
    tables fit the page."""
    rows = [
        row(name, week(n), budget=f"0.0{index + 1}")
        for index, name in enumerate(LONG_NAMES)
        for n in (1, 2)
    ]
    # --since on the Wednesday of week 1: its label is its days, 2026-10-07 to 2026-10-11.
    card = replace(scorecard(*rows), since=week(1) + dt.timedelta(days=2))
    found = measured(render_html(card), tmp_path, "1400,2000")

    wrapped = 0
    for cell in found["cells"]:
        text = cell["text"]
        for index in cell["breaks"]:
            # At a space (which may end one line or start the next), or after _ or -.
            between_words = text[index - 1] in " _-" or text[index] == " "
            assert between_words, f"{text!r} broken inside a word at {index}"
        wrapped += len(cell["breaks"])
        if text == "supercalifragilisticexpialidocious":
            assert cell["breaks"] == []
        if text.startswith("2026-10-07"):
            assert text == "2026-10-07 to 2026-10-11"
    assert wrapped > 0  # some name did need more than one line
    labels = found["labels"]
    assert len(labels) == len(LONG_NAMES)
    chart = found["charts"]["chart-cpr"]
    for label in labels:
        assert chart["left"] <= label["left"]
        assert label["right"] <= chart["right"] + 0.5
    tops = sorted((label["top"], label["bottom"]) for label in labels)
    for (_, bottom), (top, _) in itertools.pairwise(tops):
        assert top >= bottom - 1, "two budget labels overlap"
    for wrap in found["wraps"]:
        assert wrap["scroll"] <= wrap["client"], "a table or chart does not fit the page"
