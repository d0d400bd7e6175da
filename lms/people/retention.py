"""Retention: anonymise people who left more than RETENTION_MONTHS ago (`flask --app wsgi people retention`).

What identifies the person goes: names become "Removed", the email a unique address that can
never be delivered (removed-<id>@invalid, a reserved top-level domain), job title, password,
sign-in time, roles, line-manager links (theirs and others' to them), certificate codes, API
tokens and the free text of their requests, request notes and contests. What the dashboards
count stays: the person row with its unit and staff type, attempts, answers and progress, so
trust-wide totals for past years do not change. Set-based, never commits.

`ANONYMISED` and `KEPT` declare, for every column that refers to a person, what happens to it;
tests/people/test_personal_data_coverage.py fails when a table's column is in neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from lms.audit import record
from lms.clock import add_months
from lms.models import (
    ApiToken,
    Attempt,
    Contest,
    Person,
    PersonRole,
    RecoveryCode,
    Request,
    RequestEvent,
    SsoLink,
    TwoFactorSecret,
)
from lms.people.batches import chunks

REMOVED = "Removed"

# What anonymising does, for each column referring to a person: the rows it finds for a leaver
# (every statement below selects them through `_leavers`, which accepts only these columns) ...
ANONYMISED: dict[str, dict[str, str]] = {
    "people": {"id": "names, email, job title, password, sign-in time and own manager link removed",
               "line_manager_id": "cleared: someone removed is nobody's line manager"},
    "person_roles": {"person_id": "deleted"},
    "api_tokens": {"person_id": "deleted"},
    "attempts": {"person_id": "certificate code cleared; scores stay for the dashboards"},
    "contests": {"person_id": "reason blanked"},
    "sso_links": {"person_id": "deleted: a provider's subject id identifies the person"},
    "two_factor_secrets": {"person_id": "deleted"},
    "recovery_codes": {"person_id": "deleted"},
    "requests": {"requester_id": "free text blanked (REQUEST_TEXT)"},
    "request_events": {"actor_id": "notes blanked (so are the notes on the leaver's own requests)"},
}
# ... and the columns left as they are on purpose, with why. Each points at a person row, which
# anonymising already strips of everything that identifies them.
KEPT: dict[str, dict[str, str]] = {
    "module_progress": {"person_id": "progress is what the dashboards count, by unit and staff type"},
    "reminder_log": {"person_id": "when reminders went out: a kind, a day, module slugs or ids, never names",
                     "sent_by_id": "who sent a reminder: only the id of an anonymised row"},
    "delegations": {"approver_id": "past cover between approvers; dates and ids only",
                    "delegate_id": "past cover between approvers; dates and ids only",
                    "ended_by_id": "who ended past cover early (its approver or delegate); ids only"},
    "import_runs": {"started_by_id": "evidence of who changed the staff list: only the id of an anonymised row"},
    "web_sessions": {"person_id": "none left to keep: the import that deactivates a leaver ends all their sessions"},
    "requests": {"approver_id": "another person's request names them only by the id of an anonymised row",
                 "line_manager_id": "a snapshot used to route approvals: only the id of an anonymised row"},
    "audit_events": {"actor_id": "the hash-chained log cannot change; it holds ids, never names",
                     "subject_id": "the hash-chained log cannot change; it holds ids, never names"},
}
# Free text on a request: what the person wrote, and what was written back about it.
REQUEST_TEXT = ("accounts", "purpose", "conditions", "enquirer", "outlet", "question", "approved_response",
                "subject_name", "reference_for", "draft", "link", "description", "outcome")


@dataclass
class RetentionReport:
    cutoff: date
    person_ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def lines(self) -> list[str]:
        n = len(self.person_ids)
        verb = "would be" if self.dry_run else "was" if n == 1 else "were"
        head = (f"{n} {'person' if n == 1 else 'people'} who left before {self.cutoff.isoformat()} {verb} anonymised."
                if self.person_ids else f"Nobody who left before {self.cutoff.isoformat()} is left to anonymise.")
        return [head, *(f"  {name.replace('_', ' ')}: {count}" for name, count in self.counts.items())]


def cutoff_for(today: date, months: int) -> date:
    return add_months(today, -months)


def due(session: Session, today: date, months: int) -> list[int]:
    """Inactive, not yet anonymised, and deactivated before the start of the cutoff day."""
    before = datetime.combine(cutoff_for(today, months), time(), tzinfo=UTC)
    return list(session.scalars(select(Person.id).where(
        Person.active.is_(False), Person.anonymised_at.is_(None), Person.deactivated_at.is_not(None),
        Person.deactivated_at < before).order_by(Person.id)))


def _leavers(model: Any, column: str, ids: Sequence[int]) -> ColumnElement[bool]:
    """The rows of `model` whose `column` names one of `ids`: only a column ANONYMISED declares."""
    table = model.__tablename__
    if column not in ANONYMISED.get(table, {}):
        raise LookupError(f"{table}.{column} is not declared in ANONYMISED")
    return getattr(model, column).in_(ids)


def _count(session: Session, query, ids: Sequence[int]) -> int:
    return sum(session.scalar(query(chunk)) or 0 for chunk in chunks(ids))


def _counts(session: Session, ids: Sequence[int]) -> dict[str, int]:
    """What anonymising these people touches (the dry run prints exactly this)."""
    n = lambda q: _count(session, q, ids)  # noqa: E731 - a short local alias reads better here
    return {
        "requests_blanked": n(lambda c: select(func.count()).select_from(Request).where(
            _leavers(Request, "requester_id", c))),
        "request_notes_blanked": n(lambda c: select(func.count()).select_from(RequestEvent).where(
            RequestEvent.note != "", or_(_leavers(RequestEvent, "actor_id", c), RequestEvent.request_id.in_(
                select(Request.id).where(_leavers(Request, "requester_id", c)))))),
        "contests_blanked": n(lambda c: select(func.count()).select_from(Contest).where(
            _leavers(Contest, "person_id", c))),
        "api_tokens_deleted": n(lambda c: select(func.count()).select_from(ApiToken).where(
            _leavers(ApiToken, "person_id", c))),
        "manager_links_cleared": n(lambda c: select(func.count()).select_from(Person).where(
            _leavers(Person, "line_manager_id", c))),
    }


def anonymise(session: Session, today: date, now: datetime, months: int, *, dry_run: bool = False) -> RetentionReport:
    ids = due(session, today, months)
    report = RetentionReport(cutoff_for(today, months), ids, _counts(session, ids) if ids else {}, dry_run)
    if dry_run or not ids:
        return report
    for chunk in chunks(ids):
        # Others' links first: a manager who is being removed stops being anyone's manager.
        session.execute(update(Person).where(_leavers(Person, "line_manager_id", chunk))
                        .values(line_manager_id=None).execution_options(synchronize_session=False))
        session.execute(update(Person).where(_leavers(Person, "id", chunk)).values(
            first_name=REMOVED, last_name="", job_title="",
            email=literal("removed-") + cast(Person.id, String) + literal("@invalid"),
            password_hash=None, last_login_at=None, line_manager_id=None, anonymised_at=now,
        ).execution_options(synchronize_session=False))
        session.execute(delete(PersonRole).where(_leavers(PersonRole, "person_id", chunk))
                        .execution_options(synchronize_session=False))
        # Ways of signing in go too: a provider's subject id identifies the person as surely as the email did.
        for model in (ApiToken, SsoLink, TwoFactorSecret, RecoveryCode):
            session.execute(delete(model).where(_leavers(model, "person_id", chunk))
                            .execution_options(synchronize_session=False))
        session.execute(update(Attempt).where(_leavers(Attempt, "person_id", chunk))
                        .values(certificate_code=None).execution_options(synchronize_session=False))
        session.execute(update(Contest).where(_leavers(Contest, "person_id", chunk)).values(reason="")
                        .execution_options(synchronize_session=False))
        # NULL stays NULL (the field never applied to that kind of request); any text becomes empty.
        session.execute(update(Request).where(_leavers(Request, "requester_id", chunk)).values(
            {name: case((getattr(Request, name).is_(None), None), else_=literal("")) for name in REQUEST_TEXT}
        ).execution_options(synchronize_session=False))
        session.execute(update(RequestEvent).where(or_(
            _leavers(RequestEvent, "actor_id", chunk),
            RequestEvent.request_id.in_(select(Request.id).where(_leavers(Request, "requester_id", chunk))),
        )).values(note="").execution_options(synchronize_session=False))
    # Ids only: the log must not keep what was just removed.
    record(session, "retention.anonymised", detail={"count": len(ids), "ids": ids, "months": months,
                                                     "cutoff": report.cutoff.isoformat(), **report.counts})
    session.expire_all()  # bulk statements bypass objects already loaded
    return report
