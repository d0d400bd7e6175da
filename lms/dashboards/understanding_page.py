"""The understanding page's builder: its tables, its heatmap and its CSV files from one `Understanding`.

The page and the CSV files call the same builder, so a CSV holds exactly the rows of the table
on the page, small groups hidden alike (lms.dashboards.privacy). Nothing here reads the request:
the view hands over the scope, the checked filters, today and the privacy rule. The numbers are
the answers' aggregates of lms.dashboards.understanding (no kept counts, so nothing to refresh).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cached_property

import plotly.graph_objects as go
from markupsafe import Markup
from sqlalchemy.orm import Session

from lms import csv_files
from lms.dashboards import understanding as u
from lms.dashboards.charts import to_json
from lms.dashboards.completion_page import percent
from lms.dashboards.periods import date_range
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import Filters, Scope

HEATMAP_HEADERS = ["Unit", "Clause", "People", "Answers", "Right (%)"]
SCENARIO_HEADERS = ["Scenario", "Answers", "People", "Right (%)", "Right verdict, wrong clause (%)",
                    "Most chosen wrong clause", "Discrimination index", "Contests", "Flag", "Clause group", "Module"]
UNCLEAR = "policy wording may be unclear"
CSV_FILES = ("understanding-heatmap", "scenario-analysis")


def clause_label(group: str, titles: dict[str, str]) -> str:
    if group == "none":
        return "No clause"
    return f"{group} {titles[group]}" if group in titles else group


class Understanding:
    """The numbers for one scope and set of filters (dates already resolved); each query runs once."""

    def __init__(self, session: Session, scope: Scope, filters: Filters, privacy: Privacy) -> None:
        self.session, self.scope, self.filters, self.privacy = session, scope, filters, privacy

    @classmethod
    def for_view(cls, session: Session, scope: Scope, filters: Filters, today: date,
                 privacy: Privacy) -> Understanding:
        """Without dates the page covers the training year, as the completion page does."""
        start, end = date_range(filters, today)
        return cls(session, scope, replace(filters, date_from=start, date_to=end), privacy)

    @property
    def start(self) -> date:
        return self.filters.date_from

    @property
    def end(self) -> date:
        return self.filters.date_to

    @cached_property
    def cells(self) -> list[u.HeatCell]:
        return u.heatmap(self.session, self.scope, self.filters)

    @cached_property
    def titles(self) -> dict[str, str]:
        return u.clause_titles(self.session)

    @cached_property
    def scenarios(self) -> list[u.ScenarioStats]:
        min_people = self.privacy.threshold if self.privacy.applies else None
        return u.scenario_analysis(self.session, self.scope, self.filters, min_people)

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

    def contest_authors(self) -> list[int | None]:
        """Whose contests the page shows by name, under the flagged scenarios (for the audit log)."""
        return [note.person_id for row in self.flagged for note in row.contest_list]

    # the CSV files

    def csv_bytes(self, name: str) -> bytes:
        """One of CSV_FILES: the rows of the page's table of that name."""
        if name == "understanding-heatmap":
            return csv_files.csv_bytes(HEATMAP_HEADERS, self.heatmap_rows)
        if name == "scenario-analysis":
            return csv_files.csv_bytes(SCENARIO_HEADERS, self.scenario_rows)
        raise KeyError(name)
