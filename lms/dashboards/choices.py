"""The filters' choices and their checks, shared by both dashboard pages and the read API.

What a viewer may pick (modules, and units in a trust-wide view) and what is left of the filters
in a URL once anything this viewer may not ask for, or that does not exist, is dropped: a filter
can narrow a view but never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.models import Module, ModuleVersion, Unit

UNIT_LIST_MAX = 300  # more units than this are typed by name, not chosen from a drop-down
UNIT_NAME_MAX = 200  # the field's maxlength (unit names are at most 120 characters)


@dataclass(frozen=True)
class Options:
    units: list[tuple[int, str]]    # only for trust-wide views with up to UNIT_LIST_MAX units: the drop-down
    modules: list[tuple[str, str]]  # (slug, title of the current version)
    many_units: bool = False        # a trust-wide view of more units: the unit filter is a name typed in
    chosen_unit: tuple[int, str] | None = None  # with many units: the filtered unit, if it exists

    def unit_name(self, unit_id: int | None) -> str | None:
        if self.chosen_unit is not None and self.chosen_unit[0] == unit_id:
            return self.chosen_unit[1]
        return next((name for i, name in self.units if i == unit_id), None)

    def module_title(self, slug: str | None) -> str | None:
        return next((title for s, title in self.modules if s == slug), None)


def filter_options(session: Session, scope: Scope, unit_id: int | None = None) -> Options:
    """The filters' choices; a national view's 20,000 units are not listed (a 1 MB drop-down), only `unit_id`'s."""
    modules = list(session.execute(
        select(Module.slug, ModuleVersion.title).join(ModuleVersion, ModuleVersion.module_id == Module.id)
        .where(ModuleVersion.is_current).order_by(ModuleVersion.title)))
    modules = [(s, t) for s, t in modules]
    if not trust_wide(scope):
        return Options([], modules)
    units = list(session.execute(select(Unit.id, Unit.name).order_by(Unit.name).limit(UNIT_LIST_MAX + 1)))
    if len(units) <= UNIT_LIST_MAX:
        return Options([(i, n) for i, n in units], modules)
    chosen = session.execute(select(Unit.id, Unit.name).where(Unit.id == unit_id)).first() if unit_id else None
    return Options([], modules, many_units=True, chosen_unit=tuple(chosen) if chosen else None)


def unit_by_name(session: Session, filters: Filters, typed: str) -> tuple[Filters, list[str]]:
    """The unit filter from a name typed in (views of many units): empty means every unit.

    Unit names are unique; the match ignores case unless two names differ only in case.
    """
    typed = typed.strip()[:UNIT_NAME_MAX]
    if not typed:
        return replace(filters, unit_id=None), []
    rows = session.execute(select(Unit.id, Unit.name).where(func.lower(Unit.name) == typed.lower())).all()
    exact = [i for i, name in rows if name == typed]
    if exact or len(rows) == 1:
        return replace(filters, unit_id=(exact or [rows[0][0]])[0]), []
    if not rows:
        return replace(filters, unit_id=None), [f"unit: there is no unit called {typed!r}"]
    return replace(filters, unit_id=None), [f"unit: {len(rows)} units are called {typed!r} in different capitals; "
                                            "type the name exactly"]


def check_filters(filters: Filters, scope: Scope, options: Options) -> tuple[Filters, list[str]]:
    """Drop what this viewer may not ask for or what does not exist, naming each filter dropped.

    Only trust-wide viewers drill down into a unit; anyone else's unit filter is ignored, so a
    filter can narrow a view but never widen it.
    """
    problems = []
    if filters.unit_id is not None:
        if not trust_wide(scope):
            filters = replace(filters, unit_id=None)
        elif options.unit_name(filters.unit_id) is None:
            problems.append(f"unit: there is no unit {filters.unit_id}")
            filters = replace(filters, unit_id=None)
    if filters.module and options.module_title(filters.module) is None:
        problems.append(f"module: there is no module {filters.module!r}")
        filters = replace(filters, module=None)
    return filters, problems
