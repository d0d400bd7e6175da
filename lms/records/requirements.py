"""Who must take which module, kept in module_progress by set-based SQL (no row-by-row Python).

Rules, by the module's audience:
- all-staff: every active person of every staff type in every unit (policy 1.3);
- managers: active people who line-manage someone active, and headteachers and the CEO;
- business-use: people assigned it explicitly (`assign`), as a business-use request does.
A new requirement is due `new_starter_days` after the later of the person's start date and
the day it was assigned. People who no longer meet a rule stop being required; their rows
and records stay.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, exists, insert, join, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from lms.clock import utcnow
from lms.models import Module, ModuleProgress, ModuleVersion, Person, PersonRole, Role
from lms.records.settings import RecordSettings
from lms.records.sqldates import date_plus_days

ASSIGNED = "assigned"


def _rule_pairs():
    """SELECT person_id, module_id, reason for every requirement a rule creates."""
    report = aliased(Person)
    manages = or_(
        exists().where(report.line_manager_id == Person.id, report.active),
        exists().where(PersonRole.person_id == Person.id, PersonRole.role.in_([Role.headteacher, Role.ceo])),
    )
    audience_rule = case(
        (ModuleVersion.audience == "all-staff", literal("all_staff")),
        (and_(ModuleVersion.audience == "managers", manages), literal("manages_others")),
        else_=None,
    )
    return (
        select(Person.id.label("person_id"), ModuleVersion.module_id.label("module_id"),
               audience_rule.label("reason"), Person.start_date.label("start_date"))
        .select_from(join(Person, ModuleVersion, ModuleVersion.is_current))  # each person x each module
        .where(Person.active, audience_rule.is_not(None))
    )


def sync_requirements(session: Session, settings: RecordSettings, today: date) -> None:
    """Bring every person's required modules in line with the rules, in a few statements."""
    pairs = _rule_pairs().subquery()
    start = case((pairs.c.start_date > today, pairs.c.start_date), else_=literal(today))
    due = date_plus_days(start, settings.new_starter_days)
    existing = exists().where(ModuleProgress.person_id == pairs.c.person_id,
                              ModuleProgress.module_id == pairs.c.module_id)
    session.execute(insert(ModuleProgress).from_select(
        ["person_id", "module_id", "required", "reason", "assigned_on", "due_on", "attempts_count", "updated_at"],
        select(pairs.c.person_id, pairs.c.module_id, literal(True), pairs.c.reason, literal(today), due,
               literal(0), literal(utcnow(), ModuleProgress.updated_at.type)).where(~existing),
    ))
    matching = select(pairs.c.reason).where(pairs.c.person_id == ModuleProgress.person_id,
                                            pairs.c.module_id == ModuleProgress.module_id).scalar_subquery()
    due_existing = select(due).where(pairs.c.person_id == ModuleProgress.person_id,
                                     pairs.c.module_id == ModuleProgress.module_id).scalar_subquery()
    # Newly required again (e.g. became a manager): required, with a due date if it had none.
    session.execute(
        update(ModuleProgress).where(~ModuleProgress.required, matching.is_not(None))
        .values(required=True, reason=matching, assigned_on=today,
                due_on=case((ModuleProgress.due_on.is_(None), due_existing), else_=ModuleProgress.due_on))
        .execution_options(synchronize_session=False)
    )
    # No longer required: the rule no longer applies (explicit assignments stay while active).
    inactive = select(Person.id).where(~Person.active)
    session.execute(
        update(ModuleProgress)
        .where(ModuleProgress.required,
               or_(and_(matching.is_(None), ModuleProgress.reason != ASSIGNED),
                   ModuleProgress.person_id.in_(inactive)))
        .values(required=False)
        .execution_options(synchronize_session=False)
    )


def assign(session: Session, person: Person, module_slug: str, settings: RecordSettings, today: date) -> ModuleProgress:
    """Require a module of one person explicitly (a business-use request does this)."""
    module = session.scalar(select(Module).where(Module.slug == module_slug))
    if module is None:
        raise LookupError(f"no module '{module_slug}'")
    progress = session.scalar(select(ModuleProgress).where(
        ModuleProgress.person_id == person.id, ModuleProgress.module_id == module.id))
    if progress is None:
        progress = ModuleProgress(person_id=person.id, module_id=module.id, attempts_count=0)
        session.add(progress)
    if not progress.required:
        progress.required, progress.reason, progress.assigned_on = True, ASSIGNED, today
        if progress.due_on is None:
            start = max(person.start_date or today, today)
            progress.due_on = start + timedelta(days=settings.new_starter_days)
    session.flush()
    return progress
