"""Reading the kept completion counts (lms.dashboards.kept_counts writes them).

Each function is one or two GROUP BY statements over the kept tables, whatever the number of
people. None of them refreshes the counts: the measures that call them (lms.dashboards.completion,
trends, scores, authorisations) call `kept_counts.refresh` first, before their own session issues
anything, so the recount is never held up by the caller's writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from lms.dashboards.scope import Filters, Scope
from lms.models import (
    CompletionCount,
    CompletionPeople,
    CompletionUnit,
    Module,
    ModuleVersion,
    PassCount,
    RequestCount,
    ScoreCount,
    TrustPassCount,
    TrustScoreCount,
    Unit,
)


def covers(scope: Scope) -> bool:
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


def completion_counts(session: Session, dimension: str, scope: Scope, filters: Filters,
                      lowest: int | None = None) -> list[tuple]:
    """(key, label, people, required, completed, overdue, due_soon, expired) per unit, staff type or module,
    from the counts (refreshed by the caller), in at most two statements.

    `lowest`: only that many groups, those with the lowest share completed, lowest first.
    """
    if dimension == "unit" and filters.staff_type is None and not filters.module:
        return _unit_rows(session, scope, filters, lowest)
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


def _unit_rows(session: Session, scope: Scope, filters: Filters, lowest: int | None) -> list[tuple]:
    """completion_counts by unit, from the one row per unit."""
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


def _day_table(units: type, trust: type, scope: Scope, filters: Filters) -> tuple[type, list]:
    """The trust-wide table for a view of every unit, else the per-unit one, with the view's conditions."""
    if scope.unit_ids is None and filters.unit_id is None:
        table = trust
        conditions = [table.staff_type == filters.staff_type] if filters.staff_type is not None else []
    else:
        table = units
        conditions = _where(table, scope, filters)
    if filters.module:
        conditions.append(table.module_id.in_(select(Module.id).where(Module.slug == filters.module)))
    return table, conditions


def first_passes(session: Session, scope: Scope, filters: Filters, start: date, end: date,
                 week: Callable[[object], object]) -> list[tuple[int, int]]:
    """(week index, first passes) for [start, end]: passes in the range whose previous pass came before it."""
    table, conditions = _day_table(PassCount, TrustPassCount, scope, filters)
    rows = (select(week(table.day).label("week"), table.n)
            .where(table.day >= start, table.day <= end, table.previous < start, *conditions).subquery())
    query = select(rows.c.week, func.sum(rows.c.n)).group_by(rows.c.week).order_by(rows.c.week)
    return [(int(w), int(n)) for w, n in session.execute(query)]


def latest_scores(session: Session, scope: Scope, filters: Filters, start: date, end: date) -> dict[int, int]:
    """Band -> latest results submitted in [start, end]."""
    table, conditions = _day_table(ScoreCount, TrustScoreCount, scope, filters)
    query = (select(table.band, func.sum(table.n)).where(table.day >= start, table.day <= end, *conditions)
             .group_by(table.band))
    return {int(band): int(n) for band, n in session.execute(query)}
