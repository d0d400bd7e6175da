"""What a viewer may see (their team, their unit, or the trust) and the filters in the URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lms.access_rules import sees_trust, sees_unit
from lms.models import Person, StaffType
from lms.query_params import QueryArgs

MODULE_SLUG_MAX = 80  # modules.slug is a String(80): no longer slug exists


@dataclass(frozen=True)
class Scope:
    """`unit_ids` None means every unit; `manager_id` limits to that person's direct reports."""

    label: str
    unit_ids: tuple[int, ...] | None = None
    manager_id: int | None = None

    @property
    def spans_units(self) -> bool:
        """Views across several units hide small groups (privacy threshold)."""
        return self.manager_id is None and (self.unit_ids is None or len(self.unit_ids) > 1)

    def people_filter(self) -> ColumnElement[bool]:
        conditions = [Person.active]
        if self.unit_ids is not None:
            conditions.append(Person.unit_id.in_(self.unit_ids))
        if self.manager_id is not None:
            conditions.append(Person.line_manager_id == self.manager_id)
        from sqlalchemy import and_

        return and_(*conditions)


def scopes_for(session: Session, viewer: Person, has_reports: bool | None = None) -> list[Scope]:
    """Every scope the viewer may choose, widest first; empty when they may see none.

    `has_reports`: whether the viewer line-manages anyone active, when the caller knows already.
    """
    found = []
    if sees_trust(viewer):
        found.append(Scope("The whole trust"))
    if sees_unit(viewer):
        found.append(Scope(f"{viewer.unit.name}", unit_ids=(viewer.unit_id,)))
    if has_reports is None:
        has_reports = session.scalar(
            select(Person.id).where(Person.line_manager_id == viewer.id, Person.active).limit(1)) is not None
    if has_reports:
        found.append(Scope("My direct reports", manager_id=viewer.id))
    return found


def trust_wide(scope: Scope) -> bool:
    return scope.unit_ids is None and scope.manager_id is None


@dataclass(frozen=True)
class Filters:
    """Filters carried in the query string, so a view can be shared and bookmarked."""

    unit_id: int | None = None
    staff_type: StaffType | None = None
    module: str | None = None  # slug
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[Filters, list[str]]:
        """Parse (lms.query_params); a malformed or out-of-range value is dropped and named in the problems.

        Whether the unit or module exists is checked afterwards (lms.dashboards.choices), against the viewer's options.
        """
        query = QueryArgs(args)
        unit_id = query.id("unit", "a unit")
        staff_type = query.choice("staff_type", {t.value: t for t in StaffType})
        module = query.text("module", MODULE_SLUG_MAX)
        date_from, date_to = query.date_range("from", "to")
        return cls(unit_id, staff_type, module, date_from, date_to), query.problems

    def as_args(self) -> dict[str, str]:
        out = {}
        if self.unit_id is not None:
            out["unit"] = str(self.unit_id)
        if self.staff_type is not None:
            out["staff_type"] = self.staff_type.value
        if self.module:
            out["module"] = self.module
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        return out
