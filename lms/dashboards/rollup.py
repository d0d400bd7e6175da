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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Select, and_, case, delete, exists, func, insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lms.dashboards.scope import Filters, Scope
from lms.models import (
    Attempt,
    AttemptState,
    CompletionCount,
    CompletionDirty,
    CompletionPeople,
    CompletionState,
    CompletionUnit,
    Module,
    ModuleProgress,
    ModuleVersion,
    PassCount,
    Person,
    Request,
    RequestCount,
    RequestKind,
    ScoreCount,
    TrustPassCount,
    TrustScoreCount,
    Unit,
)
from lms.models.rollups import NO_EARLIER_PASS
from lms.records.settings import RecordSettings
from lms.records.status import completion_sums_sql

STATE_ID = 1
CHUNK = 500  # units per IN (...) list
LOCK_KEY = 7_300_009  # pg_advisory_xact_lock: one recount at a time


def settings_key(settings: RecordSettings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()


def _counts_source(today: date, settings: RecordSettings, units: Sequence[int] | None):
    query = (select(Person.unit_id, Person.staff_type, ModuleProgress.module_id, func.count(),
                    *completion_sums_sql(today, settings))
             .select_from(ModuleProgress).join(Person, Person.id == ModuleProgress.person_id)
             .where(ModuleProgress.required, Person.active)
             .group_by(Person.unit_id, Person.staff_type, ModuleProgress.module_id))
    return query.where(Person.unit_id.in_(units)) if units is not None else query


def _people_source(units: Sequence[int] | None):
    query = (select(Person.unit_id, Person.staff_type, func.count(func.distinct(ModuleProgress.person_id)))
             .select_from(ModuleProgress).join(Person, Person.id == ModuleProgress.person_id)
             .where(ModuleProgress.required, Person.active).group_by(Person.unit_id, Person.staff_type))
    return query.where(Person.unit_id.in_(units)) if units is not None else query


def _units_source(units: Sequence[int] | None):
    """One row per unit from the unit's CompletionCount and CompletionPeople rows (counted just before)."""
    c, p = CompletionCount, CompletionPeople
    people = select(func.sum(p.people)).where(p.unit_id == c.unit_id).scalar_subquery()
    query = (select(c.unit_id, func.coalesce(people, 0), func.sum(c.required), func.sum(c.completed),
                    func.sum(c.overdue), func.sum(c.due_soon), func.sum(c.expired)).group_by(c.unit_id))
    return query.where(c.unit_id.in_(units)) if units is not None else query


def _requests_source(units: Sequence[int] | None):
    query = (select(Person.unit_id, Person.staff_type, Request.state, func.count(),
                    func.count(func.distinct(Request.requester_id)))
             .join(Person, Person.id == Request.requester_id)
             .where(Request.kind == RequestKind.business_use, Person.active)
             .group_by(Person.unit_id, Person.staff_type, Request.state))
    return query.where(Person.unit_id.in_(units)) if units is not None else query


COUNT_COLUMNS = ["unit_id", "staff_type", "module_id", "required", "completed", "overdue", "due_soon", "expired"]
# Recounted in this order: a unit's row is summed from its CompletionCount and CompletionPeople rows.
PER_UNIT = (
    (CompletionCount, COUNT_COLUMNS, _counts_source),
    (CompletionPeople, ["unit_id", "staff_type", "people"], lambda today, settings, units: _people_source(units)),
    (CompletionUnit, ["unit_id", "people", "required", "completed", "overdue", "due_soon", "expired"],
     lambda today, settings, units: _units_source(units)),
    (RequestCount, ["unit_id", "staff_type", "state", "requests", "people"],
     lambda today, settings, units: _requests_source(units)),
)


def _recount(session: Session, today: date, settings: RecordSettings, units: Sequence[int] | None) -> None:
    """Recount the per-unit tables for these units (all when None)."""
    chunks = [None] if units is None else [units[i:i + CHUNK] for i in range(0, len(units), CHUNK)]
    for chunk in chunks:
        for model, columns, source in PER_UNIT:
            rows = source(today, settings, chunk)
            session.execute(delete(model).where(model.unit_id.in_(chunk)) if chunk is not None else delete(model))
            session.execute(insert(model).from_select(columns, rows))


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
    units = sorted(u for u, _ in marks)
    _recount(session, today, settings, None if everything else units)
    if state is None:  # never counted: the day counts too (they do not depend on the day, so only then)
        for kept in DAY_COUNTS:
            _recount_days(session, kept, None)
    elif units:
        for kept in DAY_COUNTS:
            _recount_days(session, kept, units)
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


# --- counts by day, per unit and over all units -----------------------------------------------

SCORE_BANDS = tuple((low, low + 9 if low < 90 else 100) for low in range(0, 100, 10))  # 0–9 … 90–100


def band_of(score) -> object:
    """The 10-point band (its lowest score) of a percentage; 90 to 100 share the last."""
    return case(*[(score < low + 10, low) for low, _ in SCORE_BANDS[:-1]], else_=SCORE_BANDS[-1][0])


def _day(moment) -> object:
    return func.date(moment, type_=Date)  # a stored UTC timestamp's day, on both databases


def _in_units(units: Sequence[int] | None):
    return [Person.unit_id.in_(units)] if units is not None else []


def _pass_source(units: Sequence[int] | None) -> Select:
    """(unit, staff type, module, day, previous pass day, passes) of required modules of active people."""
    previous = func.lag(_day(Attempt.submitted_at)).over(
        partition_by=(Attempt.person_id, Attempt.module_id), order_by=(Attempt.submitted_at, Attempt.id))
    passes = (select(Attempt.person_id, Attempt.module_id, _day(Attempt.submitted_at).label("day"),
                     previous.label("previous"))
              .where(Attempt.passed.is_(True), Attempt.state == AttemptState.submitted))
    if units is not None:
        passes = passes.where(Attempt.person_id.in_(select(Person.id).where(Person.unit_id.in_(units))))
    passes = passes.subquery()
    rows = (select(Person.unit_id.label("unit_id"), Person.staff_type.label("staff_type"),
                   passes.c.module_id.label("module_id"), passes.c.day.label("day"),
                   func.coalesce(passes.c.previous, literal(NO_EARLIER_PASS, Date)).label("previous"))
            .select_from(passes)
            .join(Person, Person.id == passes.c.person_id)
            .join(ModuleProgress, and_(ModuleProgress.person_id == passes.c.person_id,
                                       ModuleProgress.module_id == passes.c.module_id))
            .where(ModuleProgress.required, Person.active, *_in_units(units))
            .subquery())
    # Grouped outside, by column names (PostgreSQL would not match two copies of an expression with parameters).
    return (select(rows.c.unit_id, rows.c.staff_type, rows.c.module_id, rows.c.day, rows.c.previous, func.count())
            .group_by(rows.c.unit_id, rows.c.staff_type, rows.c.module_id, rows.c.day, rows.c.previous))


def _score_source(units: Sequence[int] | None) -> Select:
    """(unit, staff type, module, day, band, results): latest scores of required modules of active people."""
    rows = (select(Person.unit_id.label("unit_id"), Person.staff_type.label("staff_type"),
                   ModuleProgress.module_id.label("module_id"), _day(ModuleProgress.last_submitted_at).label("day"),
                   band_of(ModuleProgress.last_score).label("band"))
            .select_from(ModuleProgress).join(Person, Person.id == ModuleProgress.person_id)
            .where(ModuleProgress.required, Person.active, ModuleProgress.last_score.is_not(None),
                   ModuleProgress.last_submitted_at.is_not(None), *_in_units(units))
            .subquery())
    return (select(rows.c.unit_id, rows.c.staff_type, rows.c.module_id, rows.c.day, rows.c.band, func.count())
            .group_by(rows.c.unit_id, rows.c.staff_type, rows.c.module_id, rows.c.day, rows.c.band))


@dataclass(frozen=True)
class DayCounts:
    """A per-unit table, the same summed over units, their key (besides the unit) and how to count a unit."""

    units: type
    trust: type
    keys: tuple[str, ...]
    source: Callable[[Sequence[int] | None], Select]


DAY_COUNTS = (
    DayCounts(PassCount, TrustPassCount, ("staff_type", "module_id", "day", "previous"), _pass_source),
    DayCounts(ScoreCount, TrustScoreCount, ("staff_type", "module_id", "day", "band"), _score_source),
)


def _summed(kept: DayCounts, units: Sequence[int]) -> Select:
    """The units' rows summed over the units, with a WHERE (SQLite's upsert needs one after a SELECT)."""
    columns = [getattr(kept.units, k) for k in kept.keys]
    return (select(*columns, func.sum(kept.units.n).label("n")).where(kept.units.unit_id.in_(units))
            .group_by(*columns))


def _add_to_trust(session: Session, kept: DayCounts, rows: Select):
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(kept.trust).from_select([*kept.keys, "n"], rows)
    return statement.on_conflict_do_update(index_elements=list(kept.keys),
                                           set_={"n": kept.trust.n + statement.excluded.n})


def _recount_days(session: Session, kept: DayCounts, units: Sequence[int] | None) -> None:
    """Recount these units (all when None); the trust-wide rows lose the units' old counts and gain their new."""
    unit_columns = ["unit_id", *kept.keys, "n"]
    if units is None:
        session.execute(delete(kept.units))
        session.execute(delete(kept.trust))
        session.execute(insert(kept.units).from_select(unit_columns, kept.source(None)))
        everything = [getattr(kept.units, k) for k in kept.keys]
        session.execute(insert(kept.trust).from_select(
            [*kept.keys, "n"], select(*everything, func.sum(kept.units.n)).group_by(*everything)))
        return
    for start in range(0, len(units), CHUNK):
        chunk = units[start:start + CHUNK]
        old = _summed(kept, chunk).subquery()
        session.execute(update(kept.trust).values(n=kept.trust.n - old.c.n)
                        .where(*(getattr(kept.trust, k) == old.c[k] for k in kept.keys)))
        session.execute(delete(kept.units).where(kept.units.unit_id.in_(chunk)))
        session.execute(insert(kept.units).from_select(unit_columns, kept.source(chunk)))
        session.execute(_add_to_trust(session, kept, _summed(kept, chunk)))
    session.execute(delete(kept.trust).where(kept.trust.n == 0))


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
    if dimension == "unit" and filters.staff_type is None and not filters.module:
        return _by_unit(session, scope, filters, lowest)
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


def _by_unit(session: Session, scope: Scope, filters: Filters, lowest: int | None) -> list[tuple]:
    """completion_by unit, from the one row per unit."""
    u = CompletionUnit
    query = (select(Unit.id, Unit.name, u.people, u.required, u.completed, u.overdue, u.due_soon, u.expired)
             .join(Unit, Unit.id == u.unit_id).where(*_where(u, scope, filters)))
    if lowest is None:
        query = query.order_by(Unit.name)
    else:
        share = case((u.required > 0, u.completed * 1.0 / u.required), else_=1.0)
        query = query.order_by(share, Unit.name).limit(lowest)
    return [tuple(row) for row in session.execute(query)]


def requests_by_state(session: Session, scope: Scope, filters: Filters) -> dict[str, tuple[int, int]]:
    """State -> (business-use requests, people who made them) in the view (refreshed by the caller)."""
    r = RequestCount
    query = select(r.state, func.sum(r.requests), func.sum(r.people)).where(*_where(r, scope, filters)).group_by(r.state)
    return {state: (int(n), int(people)) for state, n, people in session.execute(query)}


def groups(session: Session, dimension: str, scope: Scope, filters: Filters) -> int:
    """How many units (or staff types) have required modules in this view (refreshed by the caller)."""
    if dimension == "unit" and filters.staff_type is None and not filters.module:
        return session.scalar(select(func.count()).select_from(CompletionUnit)
                              .where(*_where(CompletionUnit, scope, filters))) or 0
    column = CompletionCount.unit_id if dimension == "unit" else CompletionCount.staff_type
    query = select(func.count(func.distinct(column))).where(*_where(CompletionCount, scope, filters))
    if filters.module:
        query = query.join(Module, Module.id == CompletionCount.module_id).where(Module.slug == filters.module)
    return session.scalar(query) or 0


def _day_table(kept: DayCounts, scope: Scope, filters: Filters) -> tuple[type, list]:
    """The trust-wide table for a view of every unit, else the per-unit one, with the view's conditions."""
    if scope.unit_ids is None and filters.unit_id is None:
        table = kept.trust
        conditions = [table.staff_type == filters.staff_type] if filters.staff_type is not None else []
    else:
        table = kept.units
        conditions = _where(table, scope, filters)
    if filters.module:
        conditions.append(table.module_id.in_(select(Module.id).where(Module.slug == filters.module)))
    return table, conditions


def first_passes(session: Session, scope: Scope, filters: Filters, start: date, end: date,
                 week: Callable[[object], object]) -> list[tuple[int, int]]:
    """(week index, first passes) for [start, end]: passes in the range whose previous pass came before it."""
    table, conditions = _day_table(DAY_COUNTS[0], scope, filters)
    rows = (select(week(table.day).label("week"), table.n)
            .where(table.day >= start, table.day <= end, table.previous < start, *conditions).subquery())
    query = select(rows.c.week, func.sum(rows.c.n)).group_by(rows.c.week).order_by(rows.c.week)
    return [(int(w), int(n)) for w, n in session.execute(query)]


def latest_scores(session: Session, scope: Scope, filters: Filters, start: date, end: date) -> dict[int, int]:
    """Band -> latest results submitted in [start, end]."""
    table, conditions = _day_table(DAY_COUNTS[1], scope, filters)
    query = (select(table.band, func.sum(table.n)).where(table.day >= start, table.day <= end, *conditions)
             .group_by(table.band))
    return {int(band): int(n) for band, n in session.execute(query)}
