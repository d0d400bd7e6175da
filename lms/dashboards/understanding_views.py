"""The understanding dashboard page and its CSV files, on the `dashboards` blueprint.

Imported at the bottom of lms/dashboards/views.py. The scope (?scope=), the filters and their
checks are the completion dashboard's (completion_views.selection), so one URL means the same
selection on both pages; without dates, both cover the training year. The page's tables and the
CSV files come from the same `Understanding` builder, small groups hidden alike.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import plotly.graph_objects as go
from flask import Response, current_app, render_template, url_for
from markupsafe import Markup

from lms.access import allowed
from lms.audit import web as audit
from lms.clock import today
from lms.csv_files import attachment_headers, csv_bytes
from lms.dashboards import understanding as u
from lms.dashboards.blueprint import bp
from lms.dashboards.charts import to_json
from lms.dashboards.completion import percent
from lms.dashboards.completion_views import Selection, selection
from lms.dashboards.more_queries import date_range
from lms.dashboards.privacy import Privacy
from lms.extensions import db
from lms.models import StaffType

HEATMAP_HEADERS = ["Unit", "Clause", "People", "Answers", "Right (%)"]
SCENARIO_HEADERS = ["Scenario", "Answers", "People", "Right (%)", "Right verdict, wrong clause (%)",
                    "Most chosen wrong clause", "Discrimination index", "Contests", "Flag", "Clause group", "Module"]
UNCLEAR = "policy wording may be unclear"


def clause_label(group: str, titles: dict[str, str]) -> str:
    if group == "none":
        return "No clause"
    return f"{group} {titles[group]}" if group in titles else group


class Understanding:
    """The numbers for one scope and set of filters (dates already resolved); each query runs once."""

    def __init__(self, scope, filters, privacy: Privacy) -> None:
        self.scope, self.filters, self.privacy = scope, filters, privacy

    @cached_property
    def cells(self) -> list[u.HeatCell]:
        return u.heatmap(db.session, self.scope, self.filters)

    @cached_property
    def titles(self) -> dict[str, str]:
        return u.clause_titles(db.session)

    @cached_property
    def scenarios(self) -> list[u.ScenarioStats]:
        min_people = self.privacy.threshold if self.privacy.applies else None
        return u.scenario_analysis(db.session, self.scope, self.filters, min_people)

    # the heatmap

    def hides(self, cell: u.HeatCell) -> bool:
        return self.privacy.hides(cell.people)

    @property
    def heatmap_rows(self) -> list[list]:
        """One row per unit and clause group; a group too small to show says "fewer than N" for its people."""
        return [[c.unit, clause_label(c.group, self.titles),
                 *([self.privacy.label, None, None] if self.hides(c) else [c.people, c.answers, percent(c.share)])]
                for c in self.cells]

    @cached_property
    def heatmap_figure(self) -> Markup | None:
        shown = [c for c in self.cells if not self.hides(c)]
        if not shown:
            return None
        groups = u.clause_groups(self.cells)
        units = sorted({(c.unit, c.unit_id) for c in self.cells})
        z = {(c.unit_id, c.group): percent(c.share) for c in shown}
        figure = go.Figure(go.Heatmap(
            z=[[z.get((unit_id, g)) for g in groups] for _, unit_id in units],
            x=[clause_label(g, {}) for g in groups], y=[name for name, _ in units], zmin=0, zmax=100,
            colorscale="Viridis",  # perceptually even and readable with the common colour blindnesses
            customdata=[[self.titles.get(g, "") for g in groups] for _ in units],
            hoverongaps=False, xgap=2, ygap=2, texttemplate="%{z:.0f}%",
            hovertemplate="%{y}<br>%{x} %{customdata}: %{z}% right<extra></extra>",
            # No colour bar: plotly gives its fill an empty style attribute, which the CSP refuses (a console
            # error); every cell is labelled with its share instead, so the colours need no key.
            showscale=False,
        ))
        figure.update_layout(
            title=dict(text="Share of answers right, by unit and clause", x=0, xanchor="left", font=dict(size=15)),
            height=max(260, 150 + 44 * len(units)), margin=dict(l=10, r=20, t=50, b=50))
        figure.update_xaxes(title_text="Clause group", type="category", automargin=True)
        figure.update_yaxes(title_text="Unit", type="category", automargin=True, autorange="reversed")
        return to_json(figure)

    # the scenario analysis

    @property
    def scenario_rows(self) -> list[list]:
        rows = []
        for r in self.scenarios:
            index = r.discrimination
            scores = ([self.privacy.label, None, None, None] if r.hidden else
                      [percent(r.share_correct), percent(r.share_wrong_clause), r.wrong_choice,
                       None if index is None else round(index, 2)])
            group = None if r.clause_group in ("", "none") else r.clause_group
            rows.append([r.key, r.answered, self.privacy.label if r.hidden else r.people, *scores, r.contests,
                         UNCLEAR if r.unclear else None, group, r.module])
        return rows

    @property
    def flagged(self) -> list[u.ScenarioStats]:
        return [r for r in self.scenarios if r.unclear]


def understanding_for(chosen: Selection) -> tuple[Understanding, tuple]:
    start, end = date_range(chosen.filters, today())
    filters = replace(chosen.filters, date_from=start, date_to=end)
    privacy = Privacy.for_scope(chosen.scope, current_app.config)
    return Understanding(chosen.scope, filters, privacy), (start, end)


@bp.get("/understanding")
@allowed("dashboards.view")
def understanding():
    chosen = selection()
    view, (start, end) = understanding_for(chosen)
    page = render_template(
        "dashboards/understanding.html", chosen=chosen, view=view, start=start, end=end,
        completion_url=url_for("dashboards.index", **chosen.args()),
        headers=dict(heatmap=HEATMAP_HEADERS, scenarios=SCENARIO_HEADERS),
        group_share=u.GROUP_SHARE, flag_min=u.FLAG_MIN_ANSWERS, unclear=UNCLEAR, staff_types=list(StaffType),
        show_names=not chosen.scope.spans_units,
        unit_name=chosen.options.unit_name(chosen.filters.unit_id),
        module_title=chosen.options.module_title(chosen.filters.module),
    )
    if not chosen.scope.spans_units:  # contests are shown with their authors' names
        audit.viewed("understanding.contests", [note.person_id for row in view.flagged for note in row.contest_list],
                     scope=chosen.scope.label)
    return page


def csv_response(headers: list[str], rows: list[list], name: str) -> Response:
    return Response(csv_bytes(headers, rows), mimetype="text/csv", headers=attachment_headers(name, today()))


@bp.get("/csv/understanding-heatmap.csv")
@allowed("dashboards.view")
def understanding_heatmap_csv():
    chosen = selection()
    view, _ = understanding_for(chosen)
    response = csv_response(HEATMAP_HEADERS, view.heatmap_rows, "understanding-heatmap")
    audit.exported("dashboard_csv", chart="understanding-heatmap", scope=chosen.scope.label,
                   filters=chosen.filters.as_args())
    return response


@bp.get("/csv/scenario-analysis.csv")
@allowed("dashboards.view")
def scenario_analysis_csv():
    chosen = selection()
    view, _ = understanding_for(chosen)
    response = csv_response(SCENARIO_HEADERS, view.scenario_rows, "scenario-analysis")
    audit.exported("dashboard_csv", chart="scenario-analysis", scope=chosen.scope.label,
                   filters=chosen.filters.as_args())
    return response
