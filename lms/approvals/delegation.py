"""Delegation: an approver names a colleague who may see and decide their requests between two dates
(both days included). Who stands in for whom on a day is asked here by the state machine, the
lists and the emails, so "in force" means the same everywhere.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.approvals.errors import ApprovalError
from lms.audit import record
from lms.models import Delegation, Person
from lms.people.directory import find_by_email


def delegates_of(session: Session, approver_id: int, on: date) -> list[int]:
    """The ids of whoever stands in for this approver on that day."""
    return list(session.scalars(select(Delegation.delegate_id).where(
        Delegation.approver_id == approver_id, Delegation.starts_on <= on, Delegation.ends_on >= on)))


def stood_in_for(session: Session, delegate_id: int, on: date) -> list[int]:
    """The ids of the approvers this person stands in for on that day."""
    return list(session.scalars(select(Delegation.approver_id).where(
        Delegation.delegate_id == delegate_id, Delegation.starts_on <= on, Delegation.ends_on >= on)))


def active_delegates(session: Session, approver_id: int, on: date) -> list[Person]:
    """The people standing in for this approver that day who are still active: they are told of new requests."""
    ids = delegates_of(session, approver_id, on)
    return list(session.scalars(select(Person).where(Person.id.in_(ids), Person.active))) if ids else []


def delegations_of(session: Session, person: Person, on: date) -> tuple[list[Delegation], list[Delegation]]:
    """(who stands in for this person, for whom this person stands in), current and future."""
    live = Delegation.ends_on >= on
    given = session.scalars(select(Delegation).where(Delegation.approver_id == person.id, live)
                            .order_by(Delegation.starts_on, Delegation.id))
    taken = session.scalars(select(Delegation).where(Delegation.delegate_id == person.id, live)
                            .order_by(Delegation.starts_on, Delegation.id))
    return list(given), list(taken)


def set_delegate(session: Session, approver: Person, delegate: Person, starts_on: date, ends_on: date) -> Delegation:
    if delegate.id == approver.id:
        raise ApprovalError("Delegate: choose someone other than yourself.")
    if not delegate.active:
        raise ApprovalError("Delegate: that person is not an active member of staff.")
    if ends_on < starts_on:
        raise ApprovalError("Until: the end date must be on or after the start date.")
    delegation = Delegation(approver_id=approver.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on)
    session.add(delegation)
    session.flush()
    # Who may decide others' requests changed: about the delegate, who gains that power.
    record(session, "delegation.created", actor_id=approver.id, subject_id=delegate.id, object_type="delegation",
           object_id=delegation.id, detail={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return delegation


def delegate_to(session: Session, approver: Person, email: str | None, starts_on: date, ends_on: date) -> Delegation:
    """`set_delegate` for the colleague with this email address (as the delegation form gives it)."""
    colleague = find_by_email(session, email)
    if colleague is None:
        raise ApprovalError("Delegate: there is nobody with that email address.")
    return set_delegate(session, approver, colleague, starts_on, ends_on)
