"""Each person's required modules with state, score and dates: the API's team records and the records CSV.

One statement over module_progress (lms.dashboards.required), the state worked out in SQL by
lms.records.status, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_
from sqlalchemy.orm import Session

from lms.dashboards.required import required_rows
from lms.dashboards.scope import Filters, Scope
from lms.models import Module, ModuleProgress, ModuleVersion, Person, Unit
from lms.records.settings import RecordSettings
from lms.records.status import state_sql


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
    return (required_rows(scope, filters)
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
