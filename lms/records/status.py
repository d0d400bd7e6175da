"""A person's state in a required module, derived from dates: one rule, in Python and in SQL.

Order of precedence: a current pass (due soon when it expires within the due-soon window),
an attempt in progress, a refresh the policy made necessary, an expired pass, overdue,
due soon, not started.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func
from sqlalchemy.sql.elements import ColumnElement

from lms.models import ModuleProgress
from lms.records.settings import RecordSettings


class State(enum.StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    due_soon = "due_soon"
    overdue = "overdue"
    passed = "passed"
    expired = "expired"

    @property
    def label(self) -> str:
        return {"not_started": "Not started", "in_progress": "In progress", "due_soon": "Due soon",
                "overdue": "Overdue", "passed": "Passed", "expired": "Expired"}[self.value]


@dataclass(frozen=True)
class Standing:
    state: State
    due_on: date | None
    valid_until: date | None
    refresh: bool  # a new policy version changed clauses this pass relied on

    @property
    def current(self) -> bool:
        """Holds a pass that is valid today on the current policy."""
        return self.state in (State.passed, State.due_soon) and self.valid_until is not None and not self.refresh


def standing(p: ModuleProgress | None, today: date, settings: RecordSettings) -> Standing:
    if p is None:
        return Standing(State.not_started, None, None, False)
    soon = today + timedelta(days=settings.due_soon_days)
    refresh = bool(p.refresh_clauses)
    valid = p.valid_until is not None and p.valid_until >= today
    if valid and not refresh:
        return Standing(State.due_soon if p.valid_until <= soon else State.passed, p.due_on, p.valid_until, False)
    if p.open_attempt_id is not None:
        return Standing(State.in_progress, p.due_on, p.valid_until, refresh and valid)
    if valid and refresh:
        late = p.due_on is not None and p.due_on < today
        return Standing(State.overdue if late else State.due_soon, p.due_on, p.valid_until, True)
    if p.valid_until is not None:
        return Standing(State.expired, p.due_on, p.valid_until, False)
    if p.due_on is not None and p.due_on < today:
        return Standing(State.overdue, p.due_on, None, False)
    if p.due_on is not None and p.due_on <= soon:
        return Standing(State.due_soon, p.due_on, None, False)
    return Standing(State.not_started, p.due_on, None, False)


def state_sql(today: date, settings: RecordSettings) -> ColumnElement[str]:
    """The same rule as `standing`, as a SQL CASE over module_progress (for GROUP BY queries)."""
    p = ModuleProgress
    soon = today + timedelta(days=settings.due_soon_days)
    no_refresh = p.refresh_clauses.is_(None)  # stored as SQL NULL (JSON none_as_null), never as []
    valid = and_(p.valid_until.is_not(None), p.valid_until >= today)
    return case(
        (and_(valid, no_refresh, p.valid_until <= soon), State.due_soon.value),
        (and_(valid, no_refresh), State.passed.value),
        (p.open_attempt_id.is_not(None), State.in_progress.value),
        (and_(valid, p.due_on < today), State.overdue.value),
        (valid, State.due_soon.value),
        (p.valid_until.is_not(None), State.expired.value),
        (p.due_on < today, State.overdue.value),
        (p.due_on <= soon, State.due_soon.value),
        else_=State.not_started.value,
    )



def completed_sql(today: date) -> ColumnElement[bool]:
    """Holds a pass valid today on the current policy (the `current` of a Standing), in SQL."""
    p = ModuleProgress
    return and_(p.valid_until.is_not(None), p.valid_until >= today, p.refresh_clauses.is_(None))


def completion_sums_sql(today: date, settings: RecordSettings) -> list[ColumnElement[int]]:
    """SUMs of completed, overdue, due soon (not yet completed) and expired over module_progress rows.

    The one definition behind the dashboards' figures, whether counted from the records or kept per unit.
    """
    state, done = state_sql(today, settings), completed_sql(today)
    return [func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name) for name, condition in (
        ("completed", done), ("overdue", state == State.overdue.value),
        ("due_soon", and_(state == State.due_soon.value, ~done)), ("expired", state == State.expired.value))]
