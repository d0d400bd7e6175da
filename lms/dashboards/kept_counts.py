"""Completion counts per unit × staff type × module, kept for the dashboards and the API: the writer.

Counting every person's records on each dashboard view took seconds at the national size
(bench/RESULTS.md, item 2). The counts live in completion_counts and completion_people
(lms/models/rollups.py); database triggers mark a unit in completion_dirty whenever something
that changes its counts is written. `refresh` recounts the marked units, or everything when
the day or the record settings changed (the states depend on both), and every measure that
reads the counts (lms.dashboards.kept_reads) calls it first, so a reader never sees counts older
than the last committed change. `flask dashboards refresh` does the day's full recount ahead of
the first viewer (docs/production.md).

The recount runs in a transaction of its own, on a connection of its own, and commits only its
own work: reading a dashboard never commits (nor flushes) whatever the caller's session holds.
So a reader calls `refresh` before its own session issues anything that could flush: on SQLite
a second connection cannot write while the first holds flushed writes (it would wait out the
busy timeout). An in-memory SQLite database is the exception: its engine hands every session the
one shared connection, so there is no transaction of its own to be had (the app and the tests use
a file or PostgreSQL).

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
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

from lms.models import (
    Attempt,
    AttemptState,
    CompletionCount,
    CompletionDirty,
    CompletionPeople,
    CompletionState,
    CompletionUnit,
    ModuleProgress,
    PassCount,
    Person,
    Request,
    RequestCount,
    RequestKind,
    ScoreCount,
    TrustPassCount,
    TrustScoreCount,
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


def _engine(bind: Session | scoped_session | Connection | Engine) -> Engine:
    """The engine behind a session, a connection or an engine: the recount takes a connection of its own."""
    if isinstance(bind, Session | scoped_session):
        bind = bind.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def refresh(bind: Session | scoped_session | Connection | Engine, today: date, settings: RecordSettings) -> bool:
    """Bring the counts up to date in a transaction of their own; True if it recounted.

    `bind` only names the database: the caller's session, its pending changes and its transaction
    are left as they are (nothing of theirs is flushed or committed). The work is committed when
    there was any; a call with nothing to do reads one row and ends its transaction.
    """
    with Session(bind=_engine(bind), autoflush=False, expire_on_commit=False) as own, own.begin():
        return _refresh(own, today, settings)


def _refresh(session: Session, today: date, settings: RecordSettings) -> bool:
    """The recount, inside the transaction `refresh` opened (it commits on leaving)."""
    key = settings_key(settings)
    if not _needs_work(session, today, key):
        return False
    if session.get_bind().dialect.name == "postgresql":  # held until this transaction ends
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    marks = session.execute(select(CompletionDirty.unit_id, CompletionDirty.version)).all()
    state = session.get(CompletionState, STATE_ID, populate_existing=True)
    everything = state is None or state.as_of != today or state.settings != key
    if not everything and not marks:  # another process recounted while this one waited for the lock
        return False
    units = sorted(u for u, _ in marks)
    _recount(session, today, settings, None if everything else units)
    if state is None:  # never counted: the day counts too (they do not depend on the day, so only then)
        for kept in DAY_COUNTS:
            _recount_days(session, kept, None)
    elif units:
        for kept in DAY_COUNTS:
            _recount_days(session, kept, units)
    _unmark(session, marks)
    if state is None:
        session.add(CompletionState(id=STATE_ID, as_of=today, settings=key))
    elif everything:
        session.execute(update(CompletionState).where(CompletionState.id == STATE_ID)
                        .values(as_of=today, settings=key))
    return True


def _unmark(session: Session, marks: Sequence) -> None:
    """Delete the marks read, each only if its version is unchanged (a unit marked meanwhile stays marked)."""
    for start in range(0, len(marks), CHUNK):
        chunk = [tuple(m) for m in marks[start:start + CHUNK]]
        session.execute(delete(CompletionDirty).where(
            tuple_(CompletionDirty.unit_id, CompletionDirty.version).in_(chunk)))


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
