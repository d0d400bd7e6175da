"""Completion over time: first passes of required modules by week, with the running total.

One GROUP BY statement over the attempts' first passes (or the kept pass counts), limited to the
scope and filters: the number of rows returned depends on weeks, never on people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from lms.dashboards import kept_counts, kept_reads
from lms.dashboards.periods import WeekIndex, day_bounds
from lms.dashboards.required import required_rows
from lms.dashboards.scope import Filters, Scope
from lms.models import Attempt, AttemptState, ModuleProgress
from lms.records.settings import RecordSettings


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
    read the kept counts (refreshed first); a manager's reports are counted from their attempts.
    """
    if kept_reads.covers(scope):
        kept_counts.refresh(session, today, settings)
        weeks = kept_reads.first_passes(session, scope, filters, start, end, lambda day: WeekIndex(day, start))
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
    since, until = day_bounds(start, end)
    in_scope = required_rows(scope, filters).add_columns(ModuleProgress.person_id, ModuleProgress.module_id)
    first = (select(Attempt.person_id, Attempt.module_id, func.min(Attempt.submitted_at).label("first_pass"))
             .where(Attempt.passed.is_(True), Attempt.state == AttemptState.submitted,
                    Attempt.submitted_at >= since, Attempt.submitted_at < until)
             .group_by(Attempt.person_id, Attempt.module_id)
             .subquery())
    scoped = in_scope.subquery()
    # The week is worked out in a subquery and grouped on outside it, so the GROUP BY names a column
    # (PostgreSQL would not match two copies of an expression that carries bound parameters).
    weeks = (select(WeekIndex(first.c.first_pass, start).label("week"))
             .select_from(first)
             .join(scoped, and_(scoped.c.person_id == first.c.person_id, scoped.c.module_id == first.c.module_id))
             .subquery())
    query = select(weeks.c.week, func.count().label("passes")).group_by(weeks.c.week).order_by(weeks.c.week)
    return [(int(index), passes) for index, passes in session.execute(query)]
