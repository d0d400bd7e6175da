"""Completion counts per unit × staff type × module, kept for the dashboards and the API.

Counting every person's records on each dashboard view took seconds at the national size
(bench/RESULTS.md, item 2). The counts live in completion_counts and completion_people
(lms/models/rollups.py); database triggers mark a unit in completion_dirty whenever something
that changes its counts is written. `refresh` recounts the marked units, or everything when
the day or the record settings changed (the states depend on both), and every reader calls it
first, so a reader never sees counts older than the last committed change. `flask dashboards
refresh` does the day's full recount ahead of the first viewer (docs/production.md).

A unit marked while it is being recounted stays marked: its mark is removed only if its version
is still the one read before counting (a writer bumps the version and holds that row until it
commits, so the conditional DELETE waits for it and then leaves the newer mark in place).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, delete, exists, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from lms.dashboards.scope import Filters, Scope
from lms.models import (
    CompletionCount,
    CompletionDirty,
    CompletionPeople,
    CompletionState,
    Module,
    ModuleProgress,
    ModuleVersion,
    Person,
    Unit,
)
from lms.records.settings import RecordSettings
from lms.records.status import State, state_sql

STATE_ID = 1
CHUNK = 500  # units per IN (...) list
LOCK_KEY = 7_300_009  # pg_advisory_xact_lock: one recount at a time


def settings_key(settings: RecordSettings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()


def _completed(today: date):
    return and_(ModuleProgress.valid_until.is_not(None), ModuleProgress.valid_until >= today,
                ModuleProgress.refresh_clauses.is_(None))


def _count_if(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counts_source(today: date, settings: RecordSettings, units: Sequence[int] | None):
    state, done = state_sql(today, settings), _completed(today)
    query = (select(Person.unit_id, Person.staff_type, ModuleProgress.module_id, func.count(),
                    _count_if(done), _count_if(state == State.overdue.value),
                    _count_if(and_(state == State.due_soon.value, ~done)), _count_if(state == State.expired.value))
             .select_from(ModuleProgress).join(Person, Person.id == ModuleProgress.person_id)
             .where(ModuleProgress.required, Person.active)
             .group_by(Person.unit_id, Person.staff_type, ModuleProgress.module_id))
    return query.where(Person.unit_id.in_(units)) if units is not None else query


def _people_source(units: Sequence[int] | None):
    query = (select(Person.unit_id, Person.staff_type, func.count(func.distinct(ModuleProgress.person_id)))
             .select_from(ModuleProgress).join(Person, Person.id == ModuleProgress.person_id)
             .where(ModuleProgress.required, Person.active).group_by(Person.unit_id, Person.staff_type))
    return query.where(Person.unit_id.in_(units)) if units is not None else query


COUNT_COLUMNS = ["unit_id", "staff_type", "module_id", "required", "completed", "overdue", "due_soon", "expired"]
PEOPLE_COLUMNS = ["unit_id", "staff_type", "people"]


def _recount(session: Session, today: date, settings: RecordSettings, units: Sequence[int] | None) -> None:
    if units is None:
        session.execute(delete(CompletionCount))
        session.execute(delete(CompletionPeople))
        session.execute(insert(CompletionCount).from_select(COUNT_COLUMNS, _counts_source(today, settings, None)))
        session.execute(insert(CompletionPeople).from_select(PEOPLE_COLUMNS, _people_source(None)))
        return
    for start in range(0, len(units), CHUNK):
        chunk = units[start:start + CHUNK]
        session.execute(delete(CompletionCount).where(CompletionCount.unit_id.in_(chunk)))
        session.execute(delete(CompletionPeople).where(CompletionPeople.unit_id.in_(chunk)))
        session.execute(insert(CompletionCount).from_select(COUNT_COLUMNS, _counts_source(today, settings, chunk)))
        session.execute(insert(CompletionPeople).from_select(PEOPLE_COLUMNS, _people_source(chunk)))


def _needs_work(session: Session, today: date, key: str) -> bool:
    """One statement: is anything marked, or were the counts made for another day or settings?"""
    row = session.execute(select(
        exists().where(CompletionDirty.unit_id.is_not(None)),
        select(CompletionState.as_of).where(CompletionState.id == STATE_ID).scalar_subquery(),
        select(CompletionState.settings).where(CompletionState.id == STATE_ID).scalar_subquery(),
    )).one()
    return bool(row[0]) or row[1] != today or row[2] != key


def refresh(session: Session, today: date, settings: RecordSettings) -> bool:
    """Bring the counts up to date; commits when it changed anything. True if it recounted."""
    key = settings_key(settings)
    if not _needs_work(session, today, key):
        return False
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    marks = session.execute(select(CompletionDirty.unit_id, CompletionDirty.version)).all()
    state = session.get(CompletionState, STATE_ID, populate_existing=True)
    everything = state is None or state.as_of != today or state.settings != key
    if not everything and not marks:  # another process recounted while this one waited for the lock
        session.commit()
        return False
    _recount(session, today, settings, None if everything else sorted(u for u, _ in marks))
    for start in range(0, len(marks), CHUNK):
        chunk = [tuple(m) for m in marks[start:start + CHUNK]]
        session.execute(delete(CompletionDirty).where(
            tuple_(CompletionDirty.unit_id, CompletionDirty.version).in_(chunk)))
    if state is None:
        session.add(CompletionState(id=STATE_ID, as_of=today, settings=key))
    elif everything:
        session.execute(update(CompletionState).where(CompletionState.id == STATE_ID)
                        .values(as_of=today, settings=key))
    session.commit()
    return True


# --- reading ---------------------------------------------------------------------------------

def answers(scope: Scope) -> bool:
    """The counts are per unit: they answer views of whole units (not a manager's direct reports)."""
    return scope.manager_id is None


def _where(model, scope: Scope, filters: Filters) -> list:
    conditions = []
    if scope.unit_ids is not None:
        conditions.append(model.unit_id.in_(scope.unit_ids))
    if filters.unit_id is not None:
        conditions.append(model.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        conditions.append(model.staff_type == filters.staff_type)
    return conditions


def completion_by(session: Session, dimension: str, scope: Scope, filters: Filters,
                  lowest: int | None = None) -> list[tuple]:
    """(key, label, people, required, completed, overdue, due_soon, expired) per unit, staff type or module,
    from the counts (refreshed by the caller), in at most two statements.

    `lowest`: only that many groups, those with the lowest share completed, lowest first.
    """
    c = CompletionCount
    if dimension == "unit":
        key, label = Unit.id, Unit.name
        query = select(key, label).select_from(c).join(Unit, Unit.id == c.unit_id)
    elif dimension == "staff_type":
        key = label = c.staff_type
        query = select(key, label).select_from(c)
    elif dimension == "module":
        key, label = Module.slug, ModuleVersion.title
        query = select(key, label).select_from(c).join(ModuleVersion, and_(
            ModuleVersion.module_id == c.module_id, ModuleVersion.is_current))
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    if dimension == "module" or filters.module:
        query = query.join(Module, Module.id == c.module_id)
    if filters.module:
        query = query.where(Module.slug == filters.module)
    query = (query.add_columns(func.sum(c.required), func.sum(c.completed), func.sum(c.overdue),
                               func.sum(c.due_soon), func.sum(c.expired))
             .where(*_where(c, scope, filters)).group_by(key, label))
    if lowest is None:
        query = query.order_by(label)
    else:
        share = case((func.sum(c.required) > 0, func.sum(c.completed) * 1.0 / func.sum(c.required)), else_=1.0)
        query = query.order_by(share, label).limit(lowest)
    rows = session.execute(query).all()
    if dimension == "module" or filters.module:
        # Each person has one progress row per module: the people are the required rows.
        return [(k, lab, req, req, *rest) for k, lab, req, *rest in rows]
    p = CompletionPeople
    people_key = p.unit_id if dimension == "unit" else p.staff_type
    people_query = select(people_key, func.sum(p.people)).where(*_where(p, scope, filters)).group_by(people_key)
    if lowest is not None:
        people_query = people_query.where(people_key.in_([row[0] for row in rows]))
    people = dict(session.execute(people_query).all())
    return [(k, lab, int(people.get(k, 0)), *rest) for k, lab, *rest in rows]


def groups(session: Session, dimension: str, scope: Scope, filters: Filters) -> int:
    """How many units (or staff types) have required modules in this view (refreshed by the caller)."""
    column = CompletionCount.unit_id if dimension == "unit" else CompletionCount.staff_type
    query = select(func.count(func.distinct(column))).where(*_where(CompletionCount, scope, filters))
    if filters.module:
        query = query.join(Module, Module.id == CompletionCount.module_id).where(Module.slug == filters.module)
    return session.scalar(query) or 0
