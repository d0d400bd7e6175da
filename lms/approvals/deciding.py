"""Deciding a request, and the requester's own moves (withdraw, mark answered): one function per
action, each checking what was typed and then making the move (lms/approvals/moves.py).
The pages reach these through the table in lms/approvals/decisions.py.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from lms.approvals.errors import ApprovalError, checked_text
from lms.approvals.moves import move
from lms.approvals.training_gate import business_use_pass
from lms.approvals.wording import CONDITION_FLAGS
from lms.clock import today
from lms.models import Person, Request, RequestKind, RequestState
from lms.records.settings import RecordSettings

S, K = RequestState, RequestKind


def require_training(session: Session, request: Request, actor: Person, note: str | None = "") -> Request:
    return move(session, request, actor, "require_training", (note or "").strip())


def _business_use_changes(session: Session, request: Request, settings: RecordSettings, conditions: str | None,
                          condition_flags: list[str] | None, expires_on: date | None) -> dict:
    """What approving a business use writes: its conditions, its date, and the training pass it relies on."""
    if expires_on is None or expires_on <= today():
        raise ApprovalError("Review or expiry date: give a date after today.")
    unknown = set(condition_flags or []) - set(CONDITION_FLAGS)
    if unknown:
        raise ApprovalError(f"Conditions: unknown condition {sorted(unknown)[0]!r}.")
    progress = business_use_pass(session, request.requester, settings)
    if request.state is S.training_required and progress is None:
        raise ApprovalError(f"{request.requester.full_name} does not hold a current pass of the business-use "
                            "module yet, so this cannot be approved. They have been pointed to it.")
    return dict(conditions=checked_text(conditions, "Conditions", 4000, required=False),
                condition_flags=sorted(set(condition_flags or [])) or None, expires_on=expires_on,
                training_attempt_id=progress.pass_attempt_id if progress else None)


def approve(session: Session, request: Request, actor: Person, settings: RecordSettings, *, note: str | None = "",
            conditions: str | None = None, condition_flags: list[str] | None = None,
            expires_on: date | None = None, approved_response: str | None = None) -> Request:
    changes: dict = {}
    if request.kind is K.business_use:
        changes = _business_use_changes(session, request, settings, conditions, condition_flags, expires_on)
    elif request.kind is K.media_enquiry:
        changes = dict(approved_response=checked_text(approved_response, "Approved response", 4000))
    return move(session, request, actor, "approve", (note or "").strip(), **changes)


def decline(session: Session, request: Request, actor: Person, reason: str) -> Request:
    return move(session, request, actor, "decline", checked_text(reason, "Reason", 2000))


def revoke(session: Session, request: Request, actor: Person, reason: str) -> Request:
    return move(session, request, actor, "revoke", checked_text(reason, "Reason", 2000))


def withdraw(session: Session, request: Request, actor: Person, note: str | None = "") -> Request:
    return move(session, request, actor, "withdraw", (note or "").strip())


def mark_answered(session: Session, request: Request, actor: Person, note: str | None = "") -> Request:
    return move(session, request, actor, "mark_answered", (note or "").strip())


def close(session: Session, request: Request, actor: Person, outcome: str) -> Request:
    outcome = checked_text(outcome, "What was done", 4000)
    return move(session, request, actor, "close", outcome, outcome=outcome)
