"""Reminders: staff whose required training is due soon, overdue or expired, and their managers.

`send_reminders` is the daily job (`flask --app wsgi reminders send`): one email per person with
something due and one digest per line manager of such people. It is idempotent per day through
the unique (person_id, kind, sent_on) constraint of reminder_log: the log row and the email
(queued in the mail outbox, lms/mail.py) are written in one savepoint, so of two concurrent runs
only one can insert it (the other gets an IntegrityError and counts it as already sent), and a
reminder is logged exactly when its email is queued. Delivery, retries and dead letters are the
mail worker's (lms/outbox/worker.py): a mail server that is down no longer fails this job.

Functions take a session and a `mailer` (`lms.mail.send` or a stand-in with its signature) and
never commit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from lms.models import Module, ModuleProgress, ModuleVersion, Person, ReminderLog
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from lms.records.status import State, state_sql

Mailer = Callable[[str, Sequence[str], str], None]

DUE_STATES = (State.due_soon, State.overdue, State.expired)
DUE, DIGEST, MANUAL = "due", "digest", "manual"


def day(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


@dataclass(frozen=True)
class DueModule:
    slug: str
    title: str
    state: State
    due_on: date | None
    valid_until: date | None
    refresh: bool  # a new policy version changed clauses the pass relied on

    @property
    def when(self) -> str:
        """The state in words, with the date that matters."""
        if self.state is State.expired:
            return f"Expired: the pass ran out on {day(self.valid_until)}"
        if self.state is State.in_progress:
            return f"Started but not finished: due by {day(self.due_on)}"
        what = "a short refresh after a policy change" if self.refresh else None
        if self.state is State.overdue:
            return f"Overdue: {what} was due by {day(self.due_on)}" if what else f"Overdue: was due by {day(self.due_on)}"
        if what:
            return f"Due soon: {what}, due by {day(self.due_on)}"
        if self.valid_until is not None:
            return f"Due soon: the pass runs out on {day(self.valid_until)}"
        return f"Due soon: due by {day(self.due_on)}"


@dataclass(frozen=True)
class Manager:
    id: int
    email: str
    first_name: str
    last_name: str
    active: bool


@dataclass
class DuePerson:
    id: int
    email: str
    first_name: str
    last_name: str
    job_title: str
    manager: Manager | None
    modules: list[DueModule] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def due_people(session: Session, today: date, settings: RecordSettings,
               person_ids: Iterable[int] | None = None) -> list[DuePerson]:
    """Active people with a required module due soon, overdue or expired, with their line manager.

    One query, whatever the number of people: people x module_progress x current module
    version, the state computed in SQL by the same rule as `standing`.
    """
    state = state_sql(today, settings)
    manager = aliased(Person)
    query = (
        select(Person.id, Person.email, Person.first_name, Person.last_name, Person.job_title,
               manager.id, manager.email, manager.first_name, manager.last_name, manager.active,
               Module.slug, ModuleVersion.title, state, ModuleProgress.due_on, ModuleProgress.valid_until,
               ModuleProgress.refresh_clauses.is_not(None))
        .select_from(Person)
        .join(ModuleProgress, ModuleProgress.person_id == Person.id)
        .join(Module, Module.id == ModuleProgress.module_id)
        .join(ModuleVersion, and_(ModuleVersion.module_id == Module.id, ModuleVersion.is_current))
        .outerjoin(manager, manager.id == Person.line_manager_id)
        .where(Person.active, ModuleProgress.required, or_(
            state.in_([s.value for s in DUE_STATES]),
            # Started but unfinished still needs a nudge once the due date is near or past.
            and_(state == State.in_progress.value, ModuleProgress.due_on <= today + timedelta(days=settings.due_soon_days)),
        ))
        .order_by(Person.last_name, Person.first_name, Person.id, ModuleVersion.title)
    )
    if person_ids is not None:
        query = query.where(Person.id.in_(list(person_ids)))
    found: dict[int, DuePerson] = {}
    for (pid, email, first, last, job, mid, memail, mfirst, mlast, mactive,
         slug, title, st, due_on, valid_until, refresh) in session.execute(query):
        person = found.get(pid)
        if person is None:
            boss = Manager(mid, memail, mfirst, mlast, bool(mactive)) if mid is not None else None
            person = found[pid] = DuePerson(pid, email, first, last, job or "", boss)
        person.modules.append(DueModule(slug, title, State(st), due_on, valid_until, bool(refresh)))
    return list(found.values())


# --- messages ---------------------------------------------------------------------------

def staff_message(person: DuePerson, base_url: str, requested_by: str | None = None) -> tuple[str, str]:
    count = len(person.modules)
    subject = f"Social media policy training: {count} module{'s' if count != 1 else ''} to take"
    lines = [f"Dear {person.first_name},", ""]
    if requested_by:
        lines += [f"{requested_by} asked us to send you this reminder.", ""]
    lines += ["This is a reminder about your social media policy training:", ""]
    for m in person.modules:
        lines += [f"- {m.title}", f"  {m.when}", f"  {base_url}/training/{m.slug}"]
    lines += ["", f"Sign in to take it: {base_url}/", "",
              "You are receiving this because the trust's social media policy training is required of you."]
    return subject, "\n".join(lines) + "\n"


def digest_message(manager: Manager, team: list[DuePerson], base_url: str) -> tuple[str, str]:
    count = len(team)
    subject = f"Your team's social media policy training: {count} {'people' if count != 1 else 'person'} with training due"
    lines = [f"Dear {manager.first_name},", "",
             "These members of your team have social media policy training due soon, overdue or expired:", ""]
    for person in team:
        lines.append(f"{person.full_name}{f' ({person.job_title})' if person.job_title else ''}")
        lines += [f"- {m.title}: {m.when}" for m in person.modules]
        lines.append("")
    lines += [f"See your team's training and send a reminder: {base_url}/team", "",
              "Each of them also gets their own reminder."]
    return subject, "\n".join(lines) + "\n"


def _detail(modules: Iterable[DueModule]) -> str:
    return "; ".join(f"{m.slug}: {m.state.value}" for m in modules)[:1000]


def _send_logged(session: Session, mailer: Mailer, entry: ReminderLog, to: str, subject: str, body: str) -> bool:
    """Insert the log row and queue the email in one savepoint. False: the row exists, so it was queued already."""
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()  # the unique constraint answers here, before anything is queued
            mailer(subject, [to], body)
    except IntegrityError:
        return False
    return True


# --- the daily job ----------------------------------------------------------------------

@dataclass
class ReminderReport:
    # Queued in the mail outbox (the worker sends them); the log records them as sent today.
    staff_queued: int = 0
    digests_queued: int = 0
    skipped_already_sent: int = 0


def send_reminders(session: Session, mailer: Mailer, today: date, settings: RecordSettings,
                   *, base_url: str, after_each: Callable[[], None] = lambda: None) -> ReminderReport:
    """Queue today's reminders and manager digests that have not been sent yet.

    `after_each` runs after every message queued; the daily job commits there, so a crash part-way
    never loses what was already queued (and a rerun never queues it twice).
    """
    sync_requirements(session, settings, today)
    due = due_people(session, today, settings)
    report = ReminderReport()
    done = {(person_id, kind) for person_id, kind in session.execute(
        select(ReminderLog.person_id, ReminderLog.kind)
        .where(ReminderLog.sent_on == today, ReminderLog.kind.in_([DUE, DIGEST]))
    )}

    def deliver(person_id: int, kind: str, to: str, message: tuple[str, str], detail: str) -> bool:
        if (person_id, kind) in done:
            report.skipped_already_sent += 1
            return False
        sent = _send_logged(session, mailer, ReminderLog(person_id=person_id, kind=kind, sent_on=today, detail=detail),
                            to, *message)
        if not sent:
            report.skipped_already_sent += 1
        else:
            after_each()
        return sent

    for person in due:
        if deliver(person.id, DUE, person.email, staff_message(person, base_url), _detail(person.modules)):
            report.staff_queued += 1

    teams: dict[int, tuple[Manager, list[DuePerson]]] = {}
    for person in due:
        if person.manager is not None and person.manager.active:
            teams.setdefault(person.manager.id, (person.manager, []))[1].append(person)
    for manager, team in teams.values():
        detail = f"{len(team)} team member(s): " + ", ".join(str(p.id) for p in team)
        if deliver(manager.id, DIGEST, manager.email, digest_message(manager, team, base_url), detail[:1000]):
            report.digests_queued += 1
    return report


# --- a reminder a manager sends now -----------------------------------------------------

class ManualOutcome(enum.StrEnum):
    sent = "sent"
    nothing_due = "nothing_due"
    already_sent = "already_sent"


def remind_one(session: Session, mailer: Mailer, person: Person, sender: Person, today: date,
               settings: RecordSettings, *, base_url: str) -> ManualOutcome:
    """Queue `person`'s reminder now, at most once a day (the mail worker sends it)."""
    due = due_people(session, today, settings, person_ids=[person.id])
    if not due:
        return ManualOutcome.nothing_due
    entry = ReminderLog(person_id=person.id, kind=MANUAL, sent_on=today, sent_by_id=sender.id,
                        detail=_detail(due[0].modules))
    if _send_logged(session, mailer, entry, due[0].email, *staff_message(due[0], base_url, sender.full_name)):
        return ManualOutcome.sent
    return ManualOutcome.already_sent
