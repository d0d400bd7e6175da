"""Delegation: an approver names a colleague who may see and decide their requests between two dates
(both days included). Who stands in for whom on a day is asked here by the state machine, the
lists and the emails, so "in force" means the same everywhere: within its dates and not ended.

Bounds (issue 15): the delegate is in the approver's unit or their line of management (above them,
or below them however far down), a delegation lasts at most `DELEGATION_MAX_DAYS` and starts today or
later. Either side may end it early ("End now"); it is kept, with who ended it and when.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from lms.approvals.errors import ApprovalError
from lms.audit import record
from lms.clock import today as clock_today
from lms.models import Delegation, Person
from lms.people.directory import find_by_email

DEFAULT_MAX_DAYS = 90  # the setting's default (lms/config.py DELEGATION_MAX_DAYS); the views pass the setting

OUT_OF_REACH = ("Delegate: choose someone in your own school or team, or in your line of management "
                "(the people you report to, or the people who report to you).")
IN_THE_PAST = "From: a delegation cannot start in the past; choose today or a later date."
TOO_LONG = "Until: a delegation lasts at most {days} days, both days counted; choose {last:%-d %b %Y} or earlier."
ALREADY_ENDED = "This delegation has already ended."


def _in_force(on: date) -> ColumnElement[bool]:
    return and_(Delegation.starts_on <= on, Delegation.ends_on >= on, Delegation.ended_at.is_(None))


def delegates_of(session: Session, approver_id: int, on: date) -> list[int]:
    """The ids of whoever stands in for this approver on that day."""
    return list(session.scalars(select(Delegation.delegate_id).where(
        Delegation.approver_id == approver_id, _in_force(on))))


def stood_in_for(session: Session, delegate_id: int, on: date) -> list[int]:
    """The ids of the approvers this person stands in for on that day."""
    return list(session.scalars(select(Delegation.approver_id).where(
        Delegation.delegate_id == delegate_id, _in_force(on))))


def active_delegates(session: Session, approver_id: int, on: date) -> list[Person]:
    """The people standing in for this approver that day who are still active: they are told of new requests."""
    ids = delegates_of(session, approver_id, on)
    return list(session.scalars(select(Person).where(Person.id.in_(ids), Person.active))) if ids else []


def delegations_of(session: Session, person: Person, on: date) -> tuple[list[Delegation], list[Delegation]]:
    """(who stands in for this person, for whom this person stands in) whose dates have not passed: in
    force, starting later, or ended early (shown as ended, so the person sees it took effect)."""
    live = Delegation.ends_on >= on
    given = session.scalars(select(Delegation).where(Delegation.approver_id == person.id, live)
                            .order_by(Delegation.starts_on, Delegation.id))
    taken = session.scalars(select(Delegation).where(Delegation.delegate_id == person.id, live)
                            .order_by(Delegation.starts_on, Delegation.id))
    return list(given), list(taken)


def stands_in_later(session: Session, person_id: int, on: date) -> bool:
    """Whether this person stands in for anyone now or later (so has a delegation they may give up)."""
    return session.scalar(select(Delegation.id).where(
        Delegation.delegate_id == person_id, Delegation.ends_on >= on, Delegation.ended_at.is_(None)).limit(1)) is not None


def _managers(session: Session, person_id: int) -> list[int]:
    """The ids up this person's line of management, nearest first (a loop, which the import refuses, stops)."""
    chain: list[int] = []
    current = session.scalar(select(Person.line_manager_id).where(Person.id == person_id))
    while current is not None and current not in chain and current != person_id:
        chain.append(current)
        current = session.scalar(select(Person.line_manager_id).where(Person.id == current))
    return chain


def within_reach(session: Session, approver: Person, delegate: Person) -> bool:
    """Same unit, or one manages the other, directly or further up: colleagues who know the work."""
    return (delegate.unit_id == approver.unit_id or delegate.id in _managers(session, approver.id)
            or approver.id in _managers(session, delegate.id))


def set_delegate(session: Session, approver: Person, delegate: Person, starts_on: date, ends_on: date, *,
                 today: date | None = None, max_days: int = DEFAULT_MAX_DAYS) -> Delegation:
    today = today or clock_today()
    if delegate.id == approver.id:
        raise ApprovalError("Delegate: choose someone other than yourself.")
    if not delegate.active:
        raise ApprovalError("Delegate: that person is not an active member of staff.")
    if not within_reach(session, approver, delegate):
        raise ApprovalError(OUT_OF_REACH)
    if starts_on < today:
        raise ApprovalError(IN_THE_PAST)
    if ends_on < starts_on:
        raise ApprovalError("Until: the end date must be on or after the start date.")
    last = starts_on + timedelta(days=max_days - 1)
    if ends_on > last:
        raise ApprovalError(TOO_LONG.format(days=max_days, last=last))
    delegation = Delegation(approver_id=approver.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on)
    session.add(delegation)
    session.flush()
    # Who may decide others' requests changed: about the delegate, who gains that power.
    record(session, "delegation.created", actor_id=approver.id, subject_id=delegate.id, object_type="delegation",
           object_id=delegation.id, detail={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return delegation


def delegate_to(session: Session, approver: Person, email: str | None, starts_on: date, ends_on: date, *,
                today: date | None = None, max_days: int = DEFAULT_MAX_DAYS) -> Delegation:
    """`set_delegate` for the colleague with this email address (as the delegation form gives it)."""
    colleague = find_by_email(session, email)
    if colleague is None:
        raise ApprovalError("Delegate: there is nobody with that email address.")
    return set_delegate(session, approver, colleague, starts_on, ends_on, today=today, max_days=max_days)


def end_delegation(session: Session, delegation: Delegation, person: Person, now: datetime, today: date) -> Delegation:
    """End it now, by its approver or its delegate (lms.access rule `delegation.end` has let them).

    A conditional UPDATE on "not ended yet", so two people ending it at once end it once, with one event.
    """
    if delegation.ends_on < today:
        raise ApprovalError(ALREADY_ENDED)
    ended = session.execute(update(Delegation).where(Delegation.id == delegation.id, Delegation.ended_at.is_(None))
                            .values(ended_at=now, ended_by_id=person.id)).rowcount
    if not ended:
        raise ApprovalError(ALREADY_ENDED)
    session.refresh(delegation)
    side = "approver" if person.id == delegation.approver_id else "delegate"
    # About the delegate, who loses the power to decide: as `delegation.created` gave it to them.
    record(session, "delegation.ended", actor_id=person.id, subject_id=delegation.delegate_id,
           object_type="delegation", object_id=delegation.id,
           detail={"starts_on": delegation.starts_on.isoformat(), "ends_on": delegation.ends_on.isoformat(),
                   "ended_on": today.isoformat(), "by": side})
    return delegation
