"""Everything stored about one person, for a subject access request (UK GDPR article 15).

`COVERED` declares which tables hold rows about a person and the columns that find them, and
`collect` filters by exactly those (see `_about`). It reads the person's data into sections of
flat rows (one dict per row, the same keys in every row of a section), so the JSON and the CSV
are built from the same thing and cannot disagree. Other people appear only as ids and, where
the person would know them anyway (their line manager, who decided their request), a name.
Never included: password hashes and API token hashes. Requests this person decided for someone
else give the request's id, kind and the decisions they recorded, not the other person's text.
Never commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, aliased

from lms.csv_files import csv_bytes
from lms.models import (
    Answer,
    ApiToken,
    Attempt,
    AuditEvent,
    Contest,
    Delegation,
    ImportRun,
    Module,
    ModuleProgress,
    ModuleVersion,
    Person,
    PersonRole,
    ReminderLog,
    Request,
    RequestEvent,
    Scenario,
    Unit,
)

Row = dict[str, Any]

# (section key, heading) in the order the files list them; the CSV prints the heading.
SECTIONS: list[tuple[str, str]] = [
    ("profile", "Profile"),
    ("roles", "Roles"),
    ("module_progress", "Module progress (assignments and standing)"),
    ("attempts", "Attempts"),
    ("answers", "Answers"),
    ("contests", "Contests (\"I think this answer is wrong\")"),
    ("requests_made", "Requests made"),
    ("request_events", "Events on requests made"),
    ("decisions", "Decisions on other people's requests"),
    ("delegations", "Delegations"),
    ("reminders", "Reminders"),
    ("api_tokens", "API tokens (names and dates; the tokens themselves are never stored)"),
    ("imports", "Staff imports run"),
    ("audit_events", "Audit log events about or by this person"),
]

# Every table holding rows about a person, and the columns that find them (each query filters by
# exactly these, through `_about`). Answers have no column naming a person: they are found through
# the person's attempts. tests/people/test_personal_data_coverage.py fails when a column referring
# to people.id is neither here nor in NOT_SEARCHED, so a new table cannot be left out unnoticed.
COVERED: dict[str, tuple[str, ...]] = {
    "people": ("id",),
    "person_roles": ("person_id",),
    "module_progress": ("person_id",),
    "attempts": ("person_id",),
    "contests": ("person_id",),
    "requests": ("requester_id",),
    "request_events": ("actor_id",),  # their decisions; events on their own requests come with the requests
    "delegations": ("approver_id", "delegate_id", "ended_by_id"),
    "reminder_log": ("person_id", "sent_by_id"),
    "api_tokens": ("person_id",),
    "import_runs": ("started_by_id",),
    "audit_events": ("subject_id", "actor_id"),  # plain ids, not foreign keys (see lms.models.audit)
}
# Columns referring to a person that the export does not search by, and why the rows they would
# find are not this person's to receive.
NOT_SEARCHED: dict[str, dict[str, str]] = {
    "sso_links": {"person_id": "which school account signs them in: shown by `flask sso links`; each link and "
                               "sign-in is in the audit events"},
    "two_factor_secrets": {"person_id": "a sign-in secret, like the password hash; set-up and resets are in the audit "
                                        "events"},
    "recovery_codes": {"person_id": "sign-in secrets, stored only as hashes"},
    "web_sessions": {"person_id": "live sign-ins only (at most SESSION_MAX_HOURS old), shown to the person at "
                                  "/account/sessions; each sign-in and end is in the audit events"},
    "people": {"line_manager_id": "their own manager is in the profile; the people they manage are others' records"},
    "requests": {
        "approver_id": "their own requests give the approver; requests sent to them are others', their decisions "
                       "are in 'decisions'",
        "line_manager_id": "a snapshot of the requester's manager; requests naming this person so are their "
                           "staff's requests",
    },
}

REQUEST_FIELDS = ("accounts", "platforms", "purpose", "starts_on", "ends_on", "conditions", "condition_flags",
                  "expires_on", "training_attempt_id", "enquirer", "outlet", "question", "deadline",
                  "approved_response", "subject_name", "reference_for", "draft", "link", "description",
                  "withhold_name", "outcome")


@dataclass(frozen=True)
class SubjectData:
    person_id: int
    generated_at: datetime
    sections: dict[str, list[Row]]


def _value(value: Any) -> Any:
    """Plain JSON values: dates as ISO 8601, enums as their value, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "value") and not isinstance(value, bool | int | float | str):
        return value.value
    return value


def _joined(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


def _row(**fields: Any) -> Row:
    return {key: _value(value) for key, value in fields.items()}


def collect(session: Session, person: Person, now: datetime) -> SubjectData:
    """Every section of `SECTIONS`, read in a fixed number of queries (one or two per section)."""
    pid = person.id
    sections: dict[str, list[Row]] = {key: [] for key, _ in SECTIONS}
    sections["profile"] = _profile(session, pid)
    sections["roles"] = [_row(role=r) for r in session.scalars(
        select(PersonRole.role).where(_about(PersonRole, pid)).order_by(PersonRole.role))]
    sections.update(_training(session, pid))
    sections.update(_requests(session, pid))
    sections.update(_others(session, pid))
    return SubjectData(pid, now, sections)


def _about(model: Any, pid: int) -> ColumnElement[bool]:
    """The rows of `model`'s table that name the person, by exactly the columns COVERED declares for it."""
    return or_(*(getattr(model, column) == pid for column in COVERED[model.__tablename__]))


def _profile(session: Session, pid: int) -> list[Row]:
    manager = aliased(Person)
    p, unit, manager_id, first, last, manager_email = session.execute(
        select(Person, Unit.name, manager.id, manager.first_name, manager.last_name, manager.email)
        .join(Unit, Unit.id == Person.unit_id).outerjoin(manager, manager.id == Person.line_manager_id)
        .where(_about(Person, pid))
    ).one()
    return [_row(
        id=p.id, email=p.email, first_name=p.first_name, last_name=p.last_name, job_title=p.job_title,
        staff_type=p.staff_type, unit=unit, line_manager_id=manager_id,
        line_manager=f"{first} {last}" if manager_id else None, line_manager_email=manager_email,
        start_date=p.start_date, active=p.active, has_password=p.password_hash is not None,
        created_at=p.created_at, password_changed_at=p.password_changed_at, last_login_at=p.last_login_at,
        deactivated_at=p.deactivated_at, anonymised_at=p.anonymised_at,
    )]


def _training(session: Session, pid: int) -> dict[str, list[Row]]:
    """Module progress, attempts, answers (found through the person's attempts) and contests."""
    progress = [_row(
        module=slug, required=mp.required, reason=mp.reason, assigned_on=mp.assigned_on, due_on=mp.due_on,
        valid_until=mp.valid_until, refresh_clauses=", ".join(mp.refresh_clauses or []) or None,
        last_attempt_id=mp.last_attempt_id, last_score=mp.last_score, last_passed=mp.last_passed,
        last_submitted_at=mp.last_submitted_at, passed_at=mp.passed_at, pass_score=mp.pass_score,
        pass_attempt_id=mp.pass_attempt_id, attempts_count=mp.attempts_count, updated_at=mp.updated_at,
    ) for mp, slug in session.execute(
        select(ModuleProgress, Module.slug).join(Module, Module.id == ModuleProgress.module_id)
        .where(_about(ModuleProgress, pid)).order_by(Module.slug))]
    attempts = [_row(
        id=a.id, module=slug, module_version=title, kind=a.kind, state=a.state, started_at=a.started_at,
        submitted_at=a.submitted_at, points=a.points, score=a.score, passed=a.passed,
        refresh_clauses=", ".join(a.refresh_clauses or []) or None, certificate_code=a.certificate_code,
        valid_until=a.valid_until,
    ) for a, slug, title in session.execute(
        select(Attempt, Module.slug, ModuleVersion.title).join(Module, Module.id == Attempt.module_id)
        .join(ModuleVersion, ModuleVersion.id == Attempt.module_version_id)
        .where(_about(Attempt, pid)).order_by(Attempt.started_at, Attempt.id))]
    answers = [_row(
        attempt_id=ans.attempt_id, scenario_id=ans.scenario_id, scenario=key, verdict=ans.verdict, clause=ans.clause,
        outcome=ans.outcome, points=ans.points, sure=ans.sure, answered_at=ans.answered_at,
    ) for ans, key in session.execute(
        select(Answer, Scenario.key).join(Attempt, Attempt.id == Answer.attempt_id)
        .join(Scenario, Scenario.id == Answer.scenario_id)
        .where(_about(Attempt, pid)).order_by(Answer.answered_at, Answer.id))]
    contests = [_row(
        id=c.id, attempt_id=c.attempt_id, scenario_id=c.scenario_id, scenario=key, reason=c.reason,
        created_at=c.created_at,
    ) for c, key in session.execute(
        select(Contest, Scenario.key).join(Scenario, Scenario.id == Contest.scenario_id)
        .where(_about(Contest, pid)).order_by(Contest.created_at, Contest.id))]
    return {"module_progress": progress, "attempts": attempts, "answers": answers, "contests": contests}


def _requests(session: Session, pid: int) -> dict[str, list[Row]]:
    """Their own requests with every event on them, and the decisions they took on other people's."""
    approver = aliased(Person)
    made = list(session.execute(
        select(Request, approver.first_name, approver.last_name).join(approver, approver.id == Request.approver_id)
        .where(_about(Request, pid)).order_by(Request.created_at, Request.id)))
    requests_made = [_row(
        id=r.id, kind=r.kind, state=r.state, created_at=r.created_at, updated_at=r.updated_at,
        approver_id=r.approver_id, approver=f"{first} {last}",
        **{name: _joined(getattr(r, name)) for name in REQUEST_FIELDS},
    ) for r, first, last in made]
    actor = aliased(Person)
    made_ids = [r.id for r, _, _ in made]
    events = [_row(
        request_id=e.request_id, at=e.at, actor_id=e.actor_id,
        actor=f"{first} {last}" if e.actor_id is not None else "the system", from_state=e.from_state,
        to_state=e.to_state, note=e.note,
    ) for e, first, last in session.execute(
        select(RequestEvent, actor.first_name, actor.last_name).outerjoin(actor, actor.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id.in_(made_ids)).order_by(RequestEvent.at, RequestEvent.id))] if made_ids else []
    decisions = [_row(
        request_id=e.request_id, kind=kind, requester_id=requester_id, at=e.at, from_state=e.from_state,
        to_state=e.to_state, note=e.note,
    ) for e, kind, requester_id in session.execute(
        select(RequestEvent, Request.kind, Request.requester_id).join(Request, Request.id == RequestEvent.request_id)
        .where(_about(RequestEvent, pid), Request.requester_id != pid).order_by(RequestEvent.at, RequestEvent.id))]
    return {"requests_made": requests_made, "request_events": events, "decisions": decisions}


def _others(session: Session, pid: int) -> dict[str, list[Row]]:
    """Delegations, reminders, API tokens, staff imports run and the audit log: either side of each."""
    delegations = [_row(
        id=d.id, role="approver" if d.approver_id == pid else "delegate", approver_id=d.approver_id,
        delegate_id=d.delegate_id, starts_on=d.starts_on, ends_on=d.ends_on, created_at=d.created_at,
        ended_at=d.ended_at, ended_by_id=d.ended_by_id,
    ) for d in session.scalars(select(Delegation).where(_about(Delegation, pid))
                               .order_by(Delegation.created_at, Delegation.id))]
    reminders = [_row(
        direction="received" if r.person_id == pid else "sent", person_id=r.person_id, kind=r.kind,
        sent_on=r.sent_on, sent_at=r.sent_at, sent_by_id=r.sent_by_id, detail=r.detail,
    ) for r in session.scalars(select(ReminderLog).where(_about(ReminderLog, pid))
                               .order_by(ReminderLog.sent_at, ReminderLog.id))]
    tokens = [_row(id=t.id, name=t.name, created_at=t.created_at, expires_at=t.expires_at, last_used_at=t.last_used_at,
                   revoked_at=t.revoked_at)
              for t in session.scalars(select(ApiToken).where(_about(ApiToken, pid))
                                       .order_by(ApiToken.created_at, ApiToken.id))]
    imports = [_row(id=i.id, source=i.source, full=i.full, rows=i.rows, created=i.created,
                    updated=i.updated, deactivated=i.deactivated, finished_at=i.finished_at)
               for i in session.scalars(select(ImportRun).where(_about(ImportRun, pid)).order_by(ImportRun.id))]
    audit_events = [_row(
        seq=e.seq, at=e.at, action=e.action, actor_id=e.actor_id, subject_id=e.subject_id,
        object_type=e.object_type, object_id=e.object_id, detail=e.detail, address=e.address,
    ) for e in session.scalars(select(AuditEvent).where(_about(AuditEvent, pid)).order_by(AuditEvent.seq))]
    return {"delegations": delegations, "reminders": reminders, "api_tokens": tokens, "imports": imports,
            "audit_events": audit_events}


@dataclass(frozen=True)
class Export:
    body: bytes
    mimetype: str
    rows: int  # how many rows, over all sections (for the audit event)


def export(session: Session, person: Person, fmt: str, now: datetime) -> Export:
    """The whole download in `fmt` ("json" or "csv")."""
    data = collect(session, person, now)
    rows = sum(len(section) for section in data.sections.values())
    if fmt == "json":
        return Export(to_json(data), "application/json", rows)
    return Export(to_csv(data), "text/csv", rows)


def to_json(data: SubjectData) -> bytes:
    body = {"person_id": data.person_id, "generated_at": data.generated_at.isoformat(timespec="seconds"),
            "sections": {key: {"title": title, "rows": data.sections[key]} for key, title in SECTIONS}}
    return json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8")


def to_csv(data: SubjectData) -> bytes:
    """One file for Excel: each section is its title, a header row, its rows (or "None held"), a blank row."""
    return csv_bytes(None, _csv_lines(data))


def _csv_lines(data: SubjectData) -> Iterator[list[Any]]:
    yield [f"Subject access export for person {data.person_id}", data.generated_at.isoformat(timespec="seconds")]
    yield []
    for key, title in SECTIONS:
        rows = data.sections[key]
        yield [title]
        if rows:
            yield list(rows[0])
            yield from ([_yes_no(v) for v in row.values()] for row in rows)
        else:
            yield ["None held"]
        yield []


def _yes_no(value: Any) -> Any:
    return ("yes" if value else "no") if isinstance(value, bool) else value
