"""SQL aggregates behind the dashboards, their CSV files and the read API (one source for all).

Everything is a GROUP BY over module_progress (the per-person, per-module summary), with the
state worked out in SQL by lms.records.status.state_sql: the number of statements never
depends on the number of people. Completion is a snapshot as of today; the date range in the
filters applies to attempts (scores, understanding, completion over time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.orm import Session

from lms.dashboards import rollup
from lms.dashboards.scope import Filters, Scope
from lms.models import Module, ModuleProgress, ModuleVersion, Person, Unit
from lms.records.settings import RecordSettings
from lms.records.status import completion_sums_sql, state_sql


@dataclass(frozen=True)
class CompletionRow:
    key: str
    label: str
    people: int
    required: int
    completed: int
    overdue: int
    due_soon: int
    expired: int

    @property
    def share(self) -> float | None:
        return self.completed / self.required if self.required else None


def _required_rows(scope: Scope, filters: Filters) -> Select:
    """FROM module_progress (required) JOIN people JOIN modules, limited to the scope and filters."""
    query = (select().select_from(ModuleProgress)
             .join(Person, Person.id == ModuleProgress.person_id)
             .join(Module, Module.id == ModuleProgress.module_id)
             .where(ModuleProgress.required, scope.people_filter()))
    if filters.unit_id is not None:
        query = query.where(Person.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        query = query.where(Person.staff_type == filters.staff_type)
    if filters.module:
        query = query.where(Module.slug == filters.module)
    return query


def completion_by(session: Session, dimension: str, scope: Scope, filters: Filters, today: date,
                  settings: RecordSettings, lowest: int | None = None) -> list[CompletionRow]:
    """Completion per unit, staff type or module (`lowest`: only that many, lowest share completed first).

    Views of whole units read the kept counts (lms.dashboards.rollup, brought up to date first);
    a manager's direct reports are counted from their records, in one statement.
    """
    if rollup.answers(scope):
        rollup.refresh(session, today, settings)
        return [CompletionRow(str(getattr(key, "value", key)), str(getattr(label, "value", label)),
                              *(int(n or 0) for n in numbers))
                for key, label, *numbers in rollup.completion_by(session, dimension, scope, filters, lowest)]
    if lowest is not None:
        raise ValueError("lowest: only views of whole units are ranked")
    return counted_from_records(session, dimension, scope, filters, today, settings)


def counted_from_records(session: Session, dimension: str, scope: Scope, filters: Filters, today: date,
                         settings: RecordSettings) -> list[CompletionRow]:
    """`completion_by` worked out from every record in the view, in one statement (the kept counts' reference)."""
    if dimension == "unit":
        key, label, extra = Unit.id, Unit.name, [Person.unit_id == Unit.id]
    elif dimension == "staff_type":
        key, label, extra = Person.staff_type, Person.staff_type, []
    elif dimension == "module":
        key, label, extra = Module.slug, ModuleVersion.title, [ModuleVersion.module_id == Module.id,
                                                               ModuleVersion.is_current]
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    query = _required_rows(scope, filters)
    if dimension == "unit":
        query = query.join(Unit, *extra)
    elif dimension == "module":
        query = query.join(ModuleVersion, and_(*extra))
    query = query.add_columns(
        key.label("key"), label.label("label"),
        func.count(distinct(ModuleProgress.person_id)).label("people"),
        func.count().label("required"),
        *completion_sums_sql(today, settings),
    ).group_by(key, label).order_by(label)
    return [CompletionRow(str(getattr(r.key, "value", r.key)), str(getattr(r.label, "value", r.label)),
                          r.people, r.required, int(r.completed or 0), int(r.overdue or 0),
                          int(r.due_soon or 0), int(r.expired or 0))
            for r in session.execute(query)]


@dataclass(frozen=True)
class RecordRow:
    person_id: int
    name: str
    unit: str
    staff_type: str
    module: str
    state: str
    last_score: float | None
    passed_at: date | None
    valid_until: date | None
    due_on: date | None


def _records_query(scope: Scope, filters: Filters, today: date, settings: RecordSettings) -> Select:
    return (_required_rows(scope, filters)
            .join(Unit, Unit.id == Person.unit_id)
            .join(ModuleVersion, and_(ModuleVersion.module_id == Module.id, ModuleVersion.is_current))
            .add_columns(Person.id, Person.first_name, Person.last_name, Unit.name, Person.staff_type,
                         ModuleVersion.title, state_sql(today, settings).label("state"), ModuleProgress.last_score,
                         ModuleProgress.passed_at, ModuleProgress.valid_until, ModuleProgress.due_on)
            .order_by(Unit.name, Person.last_name, Person.first_name, Person.id, ModuleVersion.title))


def _record_row(r) -> RecordRow:
    return RecordRow(r[0], f"{r[1]} {r[2]}", r[3], r[4].value, r[5], r[6],
                     float(r[7]) if r[7] is not None else None, r[8].date() if r[8] else None, r[9], r[10])


def team_records(session: Session, scope: Scope, filters: Filters, today: date, settings: RecordSettings,
                 limit: int | None = None, offset: int = 0) -> list[RecordRow]:
    """Each person's required modules with state, score and dates (one statement)."""
    query = _records_query(scope, filters, today, settings)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [_record_row(r) for r in session.execute(query)]


def iter_team_records(session: Session, scope: Scope, filters: Filters, today: date, settings: RecordSettings,
                      batch: int = 2000) -> Iterator[RecordRow]:
    """The rows of `team_records`, all of them, read `batch` at a time (a server-side cursor on PostgreSQL).

    Memory stays flat however many people there are: nothing holds more than one batch.
    """
    query = _records_query(scope, filters, today, settings).execution_options(yield_per=batch)
    for r in session.execute(query):
        yield _record_row(r)
