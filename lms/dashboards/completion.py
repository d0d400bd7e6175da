"""Completion per unit, staff type or module: how many required modules are done, overdue, due soon.

A snapshot as of today, from module_progress (the per-person, per-module summary) with the state
worked out in SQL by lms.records.status: the number of statements never depends on the number of
people. Views of whole units read the kept counts (lms.dashboards.kept_reads, brought up to date
first by lms.dashboards.kept_counts); a manager's direct reports are counted from their records.
The completion page, its CSV files and the read API all take their numbers from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, distinct, func
from sqlalchemy.orm import Session

from lms.dashboards import kept_counts, kept_reads
from lms.dashboards.required import required_rows
from lms.dashboards.scope import Filters, Scope
from lms.models import Module, ModuleProgress, ModuleVersion, Person, Unit
from lms.records.settings import RecordSettings
from lms.records.status import completion_sums_sql


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


def _text(value: object) -> str:
    return str(getattr(value, "value", value))  # an enum (a staff type) as its value


def completion_by(session: Session, dimension: str, scope: Scope, filters: Filters, today: date,
                  settings: RecordSettings, lowest: int | None = None) -> list[CompletionRow]:
    """Completion per unit, staff type or module (`lowest`: only that many, lowest share completed first).

    Views of whole units read the kept counts (brought up to date first, in their own transaction);
    a manager's direct reports are counted from their records, in one statement.
    """
    if kept_reads.covers(scope):
        kept_counts.refresh(session, today, settings)
        return [CompletionRow(_text(key), _text(label), *(int(n or 0) for n in numbers))
                for key, label, *numbers in kept_reads.completion_counts(session, dimension, scope, filters, lowest)]
    if lowest is not None:
        raise ValueError("lowest: only views of whole units are ranked")
    return counted_from_records(session, dimension, scope, filters, today, settings)


def unit_count(session: Session, scope: Scope, filters: Filters, today: date, settings: RecordSettings) -> int:
    """How many units have required modules in this view of whole units (from the kept counts)."""
    kept_counts.refresh(session, today, settings)
    return kept_reads.groups(session, "unit", scope, filters)


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
    query = required_rows(scope, filters)
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
    return [CompletionRow(_text(r.key), _text(r.label), r.people, r.required, int(r.completed or 0),
                          int(r.overdue or 0), int(r.due_soon or 0), int(r.expired or 0))
            for r in session.execute(query)]
