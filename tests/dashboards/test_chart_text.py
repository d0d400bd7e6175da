"""Text is text in charts (issue 15, finding 8): a name that looks like HTML is drawn as its characters.

plotly.js reads labels, categories, legend names and hover text as a small HTML of its own, so a
unit named `<a href="…">` (possible through the staff import) used to be drawn as a live link in
the axis. `charts.to_json`, through which every figure reaches a page, writes &, < and > as
entities, which plotly shows as the characters themselves.
"""

from __future__ import annotations

import html
import json

import plotly.graph_objects as go

from lms.clock import travel_to
from lms.dashboards import completion_figures as figures
from lms.dashboards.charts import to_json
from lms.dashboards.completion import CompletionRow
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import Filters, Scope
from lms.dashboards.understanding import HeatCell
from lms.dashboards.understanding_page import Understanding
from lms.extensions import db
from lms.models import UnitKind
from tests.dashboards.test_pages import TODAY, figure, signed_in

PHISH = '<a href="https://evil.example/phish">Oakfield & <b>Friends</b></a>'


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def markup_in(drawn: dict) -> list[str]:
    """Strings of a figure that plotly would read as markup (its own templates aside)."""
    data = [{k: v for k, v in trace.items() if k not in ("hovertemplate", "texttemplate")} for trace in drawn["data"]]
    return [s for s in strings({"data": data, "layout": drawn["layout"]}) if "<" in s or ">" in s]


def test_a_unit_named_with_html_is_text_in_the_completion_chart(make_client, trust, people):
    with travel_to(TODAY):
        unit = people.unit(PHISH, UnitKind.school)
        for _ in range(6):  # more than the smallest group a chart shows
            people.person(unit=unit)
    lead = signed_in(make_client, trust.lead)
    with travel_to(TODAY):
        page = lead.get("/dashboards/").get_data(as_text=True)
    drawn = figure(page, "by-unit")
    assert drawn is not None
    assert not markup_in(drawn), markup_in(drawn)
    labels = [label for trace in drawn["data"] for label in trace["y"]]
    assert PHISH in [html.unescape(label) for label in labels]  # the name, every character of it
    assert html.unescape(drawn["layout"]["yaxis"]["categoryarray"][labels.index(
        next(label for label in labels if html.unescape(label) == PHISH))]) == PHISH
    db.session.rollback()


def test_every_completion_figure_writes_its_text_as_text():
    row = CompletionRow("1", PHISH, 6, 12, 6, 1, 1, 1)
    built = [
        figures.completion_by_unit([row], 0.9),
        figures.completion_by_staff_type([(PHISH, row)], 0.9),
        figures.due_counts([(PHISH, 3)]),
    ]
    for fig in built:
        drawn = json.loads(str(to_json(fig)))
        assert not markup_in(drawn), markup_in(drawn)
        assert PHISH in {html.unescape(s) for s in strings(drawn["data"])}


def test_the_heatmap_writes_unit_names_as_text_and_keeps_its_own_line_break():
    view = Understanding(None, Scope("The whole trust"), Filters(), Privacy(threshold=1, applies=False))
    view.__dict__["cells"] = [HeatCell(1, PHISH, "4", 10, 7, 6)]
    view.__dict__["titles"] = {"4": "<i>Personal</i> use"}
    drawn = json.loads(str(view.heatmap_figure))
    assert not markup_in(drawn), markup_in(drawn)
    heat = drawn["data"][0]
    assert [html.unescape(y) for y in heat["y"]] == [PHISH]
    assert heat["customdata"] == [["&lt;i&gt;Personal&lt;/i&gt; use"]]
    assert "<br>" in heat["hovertemplate"]  # a template is the code's markup, not data


def test_plain_names_are_unchanged():
    drawn = json.loads(str(to_json(go.Figure(go.Bar(x=["Oakfield Primary", "St Mary's"], y=[1, 2])))))
    assert drawn["data"][0]["x"] == ["Oakfield Primary", "St Mary's"]
