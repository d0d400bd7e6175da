"""Current business-use authorisations (5.1): the register of those that stand, and lapsing those
that no longer do. Both apply the same tests (date, leaver, unit, line manager); the register
also leaves out what the lapse job has not reached yet, so it is never behind the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from lms.access_rules import sees_trust
from lms.approvals.errors import ApprovalError
from lms.approvals.moves import move
from lms.approvals.training_gate import business_use_pass
from lms.models import Person, Request, RequestEvent, RequestKind, RequestState
from lms.records.settings import RecordSettings

S, K = RequestState, RequestKind


def register(session: Session, viewer: Person, on: date) -> list[Request]:
    """Current business-use authorisations: a headteacher's unit, or the whole trust for trust leads and the CEO.

    An approval that no longer stands is left out even before the lapse job has run: its date has
    passed, or the person has left or changed unit or line manager since asking (the snapshots on
    the request). A training pass that ran out is found by the job alone (`lapse_due`).
    """
    query = (select(Request).join(Person, Person.id == Request.requester_id)
             .where(Request.kind == K.business_use, Request.state == S.approved,
                    or_(Request.expires_on.is_(None), Request.expires_on >= on),
                    Person.active.is_(True), Person.unit_id == Request.unit_id,
                    Person.line_manager_id.is_not_distinct_from(Request.line_manager_id))
             .options(contains_eager(Request.requester), selectinload(Request.unit),
                      selectinload(Request.events).selectinload(RequestEvent.actor)))
    if not sees_trust(viewer):
        query = query.where(Request.unit_id == viewer.unit_id)
    return list(session.scalars(query.order_by(Request.unit_id, Request.expires_on, Request.id)))


@dataclass(frozen=True)
class Lapse:
    request: Request
    reason: str


def lapse_reason(session: Session, request: Request, settings: RecordSettings, on: date) -> str | None:
    """Why an approved business use no longer stands, or None while it does."""
    person = request.requester
    if request.expires_on is not None and request.expires_on < on:
        return f"its review or expiry date ({request.expires_on:%-d %b %Y}) has passed"
    if not person.active:
        return f"{person.full_name} has left"
    if person.unit_id != request.unit_id:
        return f"{person.full_name} has changed unit"
    if person.line_manager_id != request.line_manager_id:
        return f"{person.full_name} has a new line manager"
    if request.training_attempt_id is not None and business_use_pass(session, person, settings, on) is None:
        return "the training pass it relied on has expired"
    return None


def lapse_due(session: Session, settings: RecordSettings, on: date,
              after_each: Callable[[Lapse], None] | None = None) -> list[Lapse]:
    """Lapse every approved business use that no longer stands; the caller tells the people concerned.

    `after_each` is called with each lapse as soon as it is made, so a job can tell the people and
    commit one request at a time (a crash then never loses a lapse that was announced).
    """
    lapsed = []
    for request in list(session.scalars(select(Request).where(Request.kind == K.business_use,
                                                              Request.state == S.approved).order_by(Request.id))):
        reason = lapse_reason(session, request, settings, on)
        if reason:
            try:
                lapse = Lapse(move(session, request, None, "lapse", f"Lapsed: {reason}."), reason)
            except ApprovalError:
                continue  # another run lapsed it a moment ago; it announced it too
            lapsed.append(lapse)
            if after_each is not None:
                after_each(lapse)
    return lapsed
