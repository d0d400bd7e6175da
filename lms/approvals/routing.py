"""Who decides a request (architecture.md, "who approves what"). Nobody decides their own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import Person, PersonRole, RequestKind, Role, UnitKind


class RoutingError(Exception):
    """Nobody in the system can decide this request; the message says why."""


def headteacher_of(session: Session, unit_id: int) -> Person | None:
    return session.scalar(
        select(Person).join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.unit_id == unit_id, Person.active, PersonRole.role == Role.headteacher)
        .order_by(Person.id).limit(1)
    )


def ceo(session: Session) -> Person | None:
    return session.scalar(
        select(Person).join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.active, PersonRole.role == Role.ceo).order_by(Person.id).limit(1)
    )


def _head_or_ceo(session: Session, requester: Person) -> Person | None:
    """School staff: their headteacher (the CEO when they are the headteacher). Central team: the CEO."""
    if requester.unit.kind is UnitKind.school:
        head = headteacher_of(session, requester.unit_id)
        if head is not None and head.id != requester.id:
            return head
    return ceo(session)


def route(session: Session, kind: RequestKind, requester: Person, recipient: str | None = None) -> Person:
    """The approver for a new request. `recipient` ("headteacher" or "ceo") is a reporter's choice."""
    if kind is RequestKind.business_use:
        manager = requester.line_manager
        approver = manager if manager is not None and manager.active else _head_or_ceo(session, requester)
    elif kind is RequestKind.misuse_report and recipient == "ceo":
        approver = ceo(session)
    else:
        approver = _head_or_ceo(session, requester)
    if approver is None or approver.id == requester.id:
        raise RoutingError(
            "Nobody in the system can decide this request for you: there is no active "
            f"{'line manager, headteacher or ' if kind is RequestKind.business_use else 'headteacher or '}CEO "
            "other than you. Ask an admin to set up the trust's approvers."
        )
    return approver
