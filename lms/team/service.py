"""Who is in a manager's team, and each member's standing in every current module.

A fixed number of queries whatever the team's size: the modules, the people, their progress
rows, and today's manual reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from lms.access_rules import sees_unit
from lms.models import ModuleProgress, ModuleVersion, Person, ReminderLog
from lms.records.reminders import MANUAL
from lms.records.settings import RecordSettings
from lms.records.status import Standing, standing
from lms.training.service import current_versions

REPORTS, UNIT = "reports", "unit"
SCOPE_LABELS = {REPORTS: "My direct reports", UNIT: "Everyone in my school or team"}


def has_active_reports(session: Session, person: Person) -> bool:
    return bool(session.scalar(select(exists().where(Person.line_manager_id == person.id, Person.active))))


def scopes_for(session: Session, person: Person, has_reports: bool | None = None) -> list[str]:
    """The views of a team this person may take, widest first (`has_reports`: when the caller knows)."""
    scopes = [UNIT] if sees_unit(person) else []
    if has_reports if has_reports is not None else has_active_reports(session, person):
        scopes.append(REPORTS)
    return scopes


def members_query(person: Person, scope: str) -> Select:
    """SELECT the active people in `person`'s team for a scope (never the person themself)."""
    query = select(Person).where(Person.active, Person.id != person.id)
    if scope == REPORTS:
        return query.where(Person.line_manager_id == person.id)
    if scope == UNIT:
        return query.where(Person.unit_id == person.unit_id)
    raise ValueError(f"unknown scope {scope!r}")


@dataclass(frozen=True)
class Cell:
    """One person's record in one module."""

    progress: ModuleProgress | None
    standing: Standing

    @property
    def required(self) -> bool:
        return self.progress is not None and self.progress.required


@dataclass(frozen=True)
class Member:
    person: Person
    cells: list[Cell]  # in the order of TeamView.versions
    reminded_today: bool


PER_PAGE = 50  # a headteacher of a school of 500 reads the team a page at a time


@dataclass(frozen=True)
class TeamView:
    versions: list[ModuleVersion]
    members: list[Member]  # this page's
    total: int             # everyone in the team
    page: int
    pages: int


def team_view(session: Session, person: Person, scope: str, today: date, settings: RecordSettings,
              page: int = 1, per_page: int = PER_PAGE) -> TeamView:
    """One page of the team, by name; a page past the end shows the last page."""
    versions = current_versions(session)
    members_q = members_query(person, scope)
    total = session.scalar(members_q.with_only_columns(func.count()).order_by(None)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    people = list(session.scalars(members_q.order_by(Person.last_name, Person.first_name, Person.id)
                                  .limit(per_page).offset((page - 1) * per_page)))
    ids = [member.id for member in people]
    progress = {
        (p.person_id, p.module_id): p
        for p in session.scalars(select(ModuleProgress).where(ModuleProgress.person_id.in_(ids)))
    }
    reminded = set(session.scalars(select(ReminderLog.person_id).where(
        ReminderLog.person_id.in_(ids), ReminderLog.kind == MANUAL, ReminderLog.sent_on == today)))
    members = []
    for member in people:
        cells = []
        for v in versions:
            p = progress.get((member.id, v.module_id))
            cells.append(Cell(p, standing(p, today, settings)))
        members.append(Member(member, cells, member.id in reminded))
    return TeamView(versions, members, total, page, pages)
