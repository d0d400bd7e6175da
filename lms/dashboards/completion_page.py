"""The completion page's builder: each chart's figure, table rows and CSV from one `Dashboard`.

The page and the CSV files call the same `Dashboard.chart(name)`, so a CSV always holds exactly
the numbers of the table beside the chart, small groups hidden alike (lms.dashboards.privacy).
One exception, said in the chart's note: with more than UNITS_ON_PAGE units the page's "by unit"
lists the units with the lowest completion, and its CSV every unit.
Nothing here reads the request: the view hands over the scope, the checked filters and today.
The numbers come from the measures (lms.dashboards.completion, trends, scores, authorisations),
which bring the kept counts up to date in a transaction of their own before reading them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from markupsafe import Markup
from sqlalchemy.orm import Session

from lms import csv_files
from lms.dashboards import completion_figures as figures
from lms.dashboards.authorisations import authorisations_by_state
from lms.dashboards.charts import drawn
from lms.dashboards.completion import CompletionRow, completion_by, unit_count
from lms.dashboards.periods import date_range
from lms.dashboards.privacy import Privacy, present
from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.dashboards.scores import score_distribution
from lms.dashboards.trends import cumulative_completion
from lms.models import StaffType
from lms.records.settings import RecordSettings

CHARTS = ("by-unit", "by-staff-type", "over-time", "due", "scores", "authorisations")
DEFAULT_TARGET = 0.9
UNITS_ON_PAGE = 50  # a national view has 20,000 units: the page lists the lowest, the CSV every one
COMPLETION_HEADERS = ["People", "Required modules", "Completed", "Completed (%)", "Overdue", "Due soon", "Expired"]


def percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def staff_type_label(value: str) -> str:
    try:
        return StaffType(value).label.capitalize()
    except ValueError:
        return value


def _completion_numbers(row: CompletionRow) -> list:
    return [row.people, row.required, row.completed, percent(row.share), row.overdue, row.due_soon, row.expired]


# --- charts --------------------------------------------------------------------------------------

@dataclass
class Chart:
    id: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)  # the table's and the CSV's rows
    figure: Callable[[], Markup] | None = None        # charts.drawn(...); None: nothing to draw
    note: str | None = None
    empty: str = "Nothing to show for these filters."
    links: list[str | None] | None = None             # drill-down link of each row's heading, if any

    @cached_property
    def figure_json(self) -> Markup | None:
        return self.figure() if self.figure is not None else None

    def csv_bytes(self) -> bytes:
        return csv_files.csv_bytes(self.headers, self.rows)


class Dashboard:
    """The numbers for one scope and set of filters; each query runs at most once, and only when needed."""

    def __init__(self, session: Session, scope: Scope, filters: Filters, today: date, settings: RecordSettings,
                 privacy: Privacy, target: float = DEFAULT_TARGET, unit_limit: int | None = None) -> None:
        """`unit_limit`: with more units than this, "by unit" holds only the units with the lowest completion
        (the page); None holds every unit (the CSV)."""
        self.session, self.scope, self.filters, self.today = session, scope, filters, today
        self.settings, self.privacy, self.target = settings, privacy, target
        self.unit_limit = unit_limit
        self.start, self.end = date_range(filters, today)

    def available(self) -> tuple[str, ...]:
        """By unit only where the view spans units."""
        return tuple(c for c in CHARTS if c != "by-unit" or self.scope.spans_units)

    def charts(self) -> list[Chart]:
        return [self.chart(name) for name in self.available()]

    def chart(self, name: str) -> Chart:
        if name not in self.available():
            raise KeyError(name)
        return getattr(self, "_" + name.replace("-", "_"))()

    # shared numbers

    @cached_property
    def by_staff_type(self) -> list[CompletionRow]:
        return completion_by(self.session, "staff_type", self.scope, self.filters, self.today, self.settings)

    @cached_property
    def totals(self) -> CompletionRow:
        """The whole selection: each person has one staff type, so the staff-type rows add up to it."""
        rows = self.by_staff_type
        return CompletionRow("all", "All", *(sum(getattr(r, f) for r in rows) for f in
                                             ("people", "required", "completed", "overdue", "due_soon", "expired")))

    @property
    def too_few(self) -> bool:
        """The whole selection is a small group (a view across units narrowed by its filters)."""
        return self.privacy.hides(self.totals.people)

    def _too_few_note(self) -> str:
        return (f"Fewer than {self.privacy.threshold} people match these filters, so these numbers are not shown "
                "in a view across units.")

    def _hidden_note(self, hidden: int, groups: str) -> str | None:
        if not hidden:
            return None
        return (f"{groups.capitalize()} of fewer than {self.privacy.threshold} people are left out of the chart; "
                f"the table says “{self.privacy.label}” for them.")

    # one method per chart

    def _by_unit(self) -> Chart:
        units = (unit_count(self.session, self.scope, self.filters, self.today, self.settings)
                 if self.unit_limit is not None else 0)
        limit = self.unit_limit if units > (self.unit_limit or 0) else None
        rows = completion_by(self.session, "unit", self.scope, self.filters, self.today, self.settings, lowest=limit)
        rows = sorted(rows, key=lambda r: (-(r.share or 0), r.label))
        lowest = None if limit is None else (
            f"The {len(rows)} units with the lowest completion, of {units:,} in this view: "
            "Download CSV lists every unit, and a unit's own view is one filter away.")
        shown = present(rows, self.privacy, lambda r: r.label, _completion_numbers)
        links = [r.key for r in rows] if trust_wide(self.scope) else None
        note = " ".join(n for n in (lowest, self._hidden_note(shown.hidden, "units")) if n) or None
        return Chart("by-unit", "Completion by unit", ["Unit", *COMPLETION_HEADERS], shown.cells,
                     drawn(figures.completion_by_unit, tuple(shown.shown), self.target) if shown.shown else None,
                     note=note, links=links)

    def _by_staff_type(self) -> Chart:
        shown = present(self.by_staff_type, self.privacy, lambda r: staff_type_label(r.key), _completion_numbers)
        bars = [(staff_type_label(r.key), r) for r in shown.shown]
        return Chart("by-staff-type", "Completion by staff type", ["Staff type", *COMPLETION_HEADERS], shown.cells,
                     drawn(figures.completion_by_staff_type, tuple(bars), self.target) if bars else None,
                     note=self._hidden_note(shown.hidden, "staff types"))

    def _over_time(self) -> Chart:
        title = "Completion over time"
        headers = ["Week beginning", "First passes that week", "Completed so far", "Completed so far (%)"]
        period = f"{self.start:%-d %b %Y} and {self.end:%-d %b %Y}"
        if self.too_few:
            return Chart("over-time", title, headers, empty=self._too_few_note())
        required = self.totals.required
        weeks = cumulative_completion(self.session, self.scope, self.filters, self.start, self.end, required,
                                      self.today, self.settings)
        return Chart("over-time", title, headers,
                     [[w.week_start.isoformat(), w.passes, w.cumulative, percent(w.share)] for w in weeks],
                     drawn(figures.cumulative_completion, tuple(weeks), required, self.start, self.end, self.today, self.target)
                     if required else None,
                     note=f"Required modules first passed between {period}, as a share of the {required} required "
                          "in this view today. Weeks in which nobody passed are left out of the table.",
                     empty=f"Nobody in this view passed a required module between {period}.")

    def _due(self) -> Chart:
        title = "Overdue, due soon and expired"
        headers = ["State", "Required modules", "Share of required (%)"]
        if self.too_few:
            return Chart("due", title, headers, empty=self._too_few_note())
        t = self.totals
        counts = [("Overdue", t.overdue), ("Due soon", t.due_soon), ("Expired", t.expired)]
        rows = [[label, n, percent(n / t.required) if t.required else None] for label, n in counts]
        return Chart("due", title, headers, rows if t.required else [],
                     drawn(figures.due_counts, tuple(counts)) if t.required else None,
                     note=f"Required modules as of {self.today:%-d %b %Y}: not yet passed and past their due date "
                          "(overdue), due within the coming days (due soon), or passed but no longer valid "
                          "(expired).")

    def _scores(self) -> Chart:
        title = "Score distribution"
        headers = ["Score", "Results"]
        if self.too_few:
            return Chart("scores", title, headers, empty=self._too_few_note())
        bands = score_distribution(self.session, self.scope, self.filters, self.start, self.end, self.today,
                                   self.settings)
        any_result = any(b.results for b in bands)
        period = f"{self.start:%-d %b %Y} and {self.end:%-d %b %Y}"
        return Chart("scores", title, headers, [[b.label, b.results] for b in bands] if any_result else [],
                     drawn(figures.score_distribution, tuple(bands)) if any_result else None,
                     note=f"The latest score of each required module, for results submitted between {period}.",
                     empty=f"No results were submitted between {period}.")

    def _authorisations(self) -> Chart:
        title = "Business-use authorisations"
        headers = ["State", "Requests", "People"]
        if self.too_few:
            return Chart("authorisations", title, headers, empty=self._too_few_note())
        states = authorisations_by_state(self.session, self.scope, self.filters, self.today, self.settings)
        any_request = any(s.requests for s in states)
        return Chart("authorisations", title, headers,
                     [[s.label, s.requests, s.people] for s in states] if any_request else [],
                     drawn(figures.authorisations, tuple(states)) if any_request else None,
                     note="Requests to use social media for the school or trust (policy 5.1) by people in this view, "
                          "by their state today. The module and date filters do not apply.",
                     empty="Nobody in this view has asked for business use of social media.")


def summary(dashboard: Dashboard) -> list[tuple[str, object]]:
    """The headline numbers above the charts (hidden, like everything else, for a small group)."""
    t = dashboard.totals
    if dashboard.too_few:
        return [("People", dashboard.privacy.label)]
    return [("People", t.people), ("Required modules", t.required), ("Completed", t.completed),
            ("Completed (%)", percent(t.share) if t.required else "–"), ("Overdue", t.overdue)]


def scope_choices(scopes: Sequence[Scope]) -> list[tuple[int, str]]:
    return [(i, s.label) for i, s in enumerate(scopes)]
