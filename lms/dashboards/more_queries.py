"""More SQL aggregates for the completion dashboard: completion over time, scores, business-use requests.

Like lms.dashboards.queries, every function is one GROUP BY statement over the per-person summary
(module_progress), the attempts' first passes or the requests, limited to the scope and filters:
the number of rows returned depends on weeks, score bands or states, never on people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from lms.dashboards import rollup
from lms.dashboards.queries import _required_rows
from lms.dashboards.scope import Filters, Scope
from lms.models import Attempt, AttemptState, ModuleProgress, Person, Request, RequestKind, RequestState
from lms.records.settings import RecordSettings

# --- the training year and the date range ---------------------------------------------------

def training_year(day: date) -> tuple[date, date]:
    """1 September to 31 August, the year that contains `day`."""
    start = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def date_range(filters: Filters, today: date) -> tuple[date, date]:
    """The filters' range; without one, the training year containing today (or containing the one date given)."""
    if filters.date_from and filters.date_to:
        return filters.date_from, filters.date_to
    if filters.date_from:
        return filters.date_from, max(today, filters.date_from)
    if filters.date_to:
        return training_year(filters.date_to)[0], filters.date_to
    return training_year(today)


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in UTC, for comparing timestamps with whole days."""
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


# --- completion over time ------------------------------------------------------------------------

class _WeekIndex(FunctionElement):
    """Whole weeks from a date to a timestamp's day, as an integer (0 for the first seven days)."""

    type = Integer()
    inherit_cache = True
    name = "week_index"


@compiles(_WeekIndex, "sqlite")
def _week_index_sqlite(element, compiler, **kw):
    moment, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(julianday(date({moment})) - julianday({start}) AS INTEGER) / 7)"


@compiles(_WeekIndex)
def _week_index_default(element, compiler, **kw):  # PostgreSQL: date - date is a number of days
    moment, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"((CAST({moment} AS DATE) - CAST({start} AS DATE)) / 7)"


@dataclass(frozen=True)
class WeekRow:
    week_start: date
    passes: int       # first passes in that week
    cumulative: int   # first passes from the start of the range to the end of that week
    required: int     # required (person, module) rows in scope today: the denominator

    @property
    def share(self) -> float | None:
        return self.cumulative / self.required if self.required else None


def cumulative_completion(session: Session, scope: Scope, filters: Filters, start: date, end: date,
                          required: int, today: date, settings: RecordSettings) -> list[WeekRow]:
    """Each week of [start, end] in which someone first passed a required module, with the running total.

    A (person, module) counts once, in the week of its first pass (a submitted, passed attempt) in the
    range; only rows required of people in the scope and filters today count, so the share never
    exceeds 100% of `required` (the required rows, from completion_by's totals). Views of whole units
    read the kept counts (lms.dashboards.rollup); a manager's reports are counted from their attempts.
    """
    if rollup.answers(scope):
        rollup.refresh(session, today, settings)
        weeks = rollup.first_passes(session, scope, filters, start, end, lambda day: _WeekIndex(day, start))
    else:
        weeks = first_passes_from_records(session, scope, filters, start, end)
    rows, total = [], 0
    for index, passes in weeks:
        total += passes
        rows.append(WeekRow(start + timedelta(weeks=int(index)), passes, total, required))
    return rows


def first_passes_from_records(session: Session, scope: Scope, filters: Filters, start: date,
                              end: date) -> list[tuple[int, int]]:
    """(week index, first passes) counted from every attempt in the view (the kept counts' reference)."""
    since, until = _moments(start, end)
    in_scope = _required_rows(scope, filters).add_columns(ModuleProgress.person_id, ModuleProgress.module_id)
    first = (select(Attempt.person_id, Attempt.module_id, func.min(Attempt.submitted_at).label("first_pass"))
             .where(Attempt.passed.is_(True), Attempt.state == AttemptState.submitted,
                    Attempt.submitted_at >= since, Attempt.submitted_at < until)
             .group_by(Attempt.person_id, Attempt.module_id)
             .subquery())
    scoped = in_scope.subquery()
    # The week is worked out in a subquery and grouped on outside it, so the GROUP BY names a column
    # (PostgreSQL would not match two copies of an expression that carries bound parameters).
    weeks = (select(_WeekIndex(first.c.first_pass, start).label("week"))
             .select_from(first)
             .join(scoped, and_(scoped.c.person_id == first.c.person_id, scoped.c.module_id == first.c.module_id))
             .subquery())
    query = select(weeks.c.week, func.count().label("passes")).group_by(weeks.c.week).order_by(weeks.c.week)
    return [(int(index), passes) for index, passes in session.execute(query)]


# --- score distribution ---------------------------------------------------------------------------

SCORE_BANDS = rollup.SCORE_BANDS  # 0–9 … 90–100


@dataclass(frozen=True)
class BandRow:
    low: int
    high: int
    results: int  # (person, module) latest scores in this band

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"


def score_distribution(session: Session, scope: Scope, filters: Filters, start: date, end: date, today: date,
                       settings: RecordSettings) -> list[BandRow]:
    """The latest score of each required (person, module) submitted in [start, end], in 10-point bands.

    Every band is returned, with 0 where nobody scored in it. A score is a percentage (0–100);
    90 to 100 share the last band. Views of whole units read the kept counts, as cumulative_completion.
    """
    if rollup.answers(scope):
        rollup.refresh(session, today, settings)
        counts = rollup.latest_scores(session, scope, filters, start, end)
    else:
        counts = scores_from_records(session, scope, filters, start, end)
    return [BandRow(low, high, counts.get(low, 0)) for low, high in SCORE_BANDS]


def scores_from_records(session: Session, scope: Scope, filters: Filters, start: date, end: date) -> dict[int, int]:
    """Band -> latest results in [start, end], counted from every record in the view (the kept counts' reference)."""
    since, until = _moments(start, end)
    band = rollup.band_of(ModuleProgress.last_score).label("band")
    score = ModuleProgress.last_score
    banded = (_required_rows(scope, filters)
              .add_columns(band)
              .where(score.is_not(None), ModuleProgress.last_submitted_at >= since,
                     ModuleProgress.last_submitted_at < until)
              .subquery())
    query = select(banded.c.band, func.count().label("results")).group_by(banded.c.band)
    return {int(b): n for b, n in session.execute(query)}


# --- business-use authorisations ------------------------------------------------------------------

@dataclass(frozen=True)
class StateRow:
    state: RequestState
    requests: int
    people: int

    @property
    def label(self) -> str:
        return self.state.label


BUSINESS_USE_STATES = (RequestState.submitted, RequestState.training_required, RequestState.approved,
                       RequestState.declined, RequestState.revoked, RequestState.lapsed, RequestState.withdrawn)


def authorisations_by_state(session: Session, scope: Scope, filters: Filters, today: date,
                            settings: RecordSettings) -> list[StateRow]:
    """Business-use (5.1) requests of people in the scope, unit and staff type filters, by their state now.

    The module filter does not apply (a request is not about a module). Every business-use state is
    returned, with 0 where there are none. Views of whole units read the kept counts.
    """
    if rollup.answers(scope):
        rollup.refresh(session, today, settings)
        found = {RequestState(s): counts for s, counts in rollup.requests_by_state(session, scope, filters).items()}
    else:
        found = requests_from_records(session, scope, filters)
    states = list(BUSINESS_USE_STATES) + [s for s in found if s not in BUSINESS_USE_STATES]
    return [StateRow(s, *found.get(s, (0, 0))) for s in states]


def requests_from_records(session: Session, scope: Scope, filters: Filters) -> dict[RequestState, tuple[int, int]]:
    """State -> (requests, people) counted from every request in the view (the kept counts' reference)."""
    query = (select(Request.state, func.count().label("requests"),
                    func.count(func.distinct(Request.requester_id)).label("people"))
             .join(Person, Person.id == Request.requester_id)
             .where(Request.kind == RequestKind.business_use, scope.people_filter())
             .group_by(Request.state))
    if filters.unit_id is not None:
        query = query.where(Person.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        query = query.where(Person.staff_type == filters.staff_type)
    return {RequestState(s): (n, p) for s, n, p in session.execute(query)}
