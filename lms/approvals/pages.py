"""What each request page shows, gathered for its template: the lists, who a new request will go
to, one request with the moves this person can make on it, and the delegations.

Views pass these dicts to render_template as they are; they take a session and the person
looking, and never commit. The words come from lms/approvals/wording.py.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lms.approvals import routing, wording
from lms.approvals.delegation import delegations_of, stood_in_for
from lms.approvals.moves import actions_for, requester_name_visible
from lms.approvals.training_gate import business_use_pass, business_use_standing
from lms.clock import local, today
from lms.models import Person, Request, RequestKind, RequestState
from lms.records.settings import RecordSettings

S, K = RequestState, RequestKind


# --- lists ------------------------------------------------------------------------------

def my_requests(session: Session, person: Person) -> list[Request]:
    return list(session.scalars(select(Request).where(Request.requester_id == person.id)
                                .order_by(Request.created_at.desc(), Request.id.desc())))


def to_decide(session: Session, person: Person) -> list[Request]:
    """Open requests routed to this person or to someone they stand in for today: those awaiting a decision,
    and approved business uses (which the approver may still revoke). An approved reference or media
    enquiry needs nothing more from the approver, so it leaves the list."""
    approvers = [person.id, *stood_in_for(session, person.id, today())]
    return list(session.scalars(
        select(Request).join(Person, Person.id == Request.requester_id)
        .where(Request.approver_id.in_(approvers), Request.requester_id != person.id,
               Person.anonymised_at.is_(None),  # an anonymised leaver's request is nobody's to decide
               or_(Request.state.in_([S.submitted, S.training_required]),
                   and_(Request.kind == K.business_use, Request.state == S.approved)))
        .order_by(Request.created_at, Request.id)
    ))


def index_page(session: Session, person: Person) -> dict:
    deciding = to_decide(session, person)
    return dict(mine=my_requests(session, person), deciding=deciding, kinds=list(wording.KINDS.items()),
                titles=wording.TITLES, policy=wording.POLICY,
                visible={r.id: requester_name_visible(person, r) for r in deciding})


# --- making a request -------------------------------------------------------------------

def approver_preview(session: Session, kind: RequestKind, person: Person) -> dict:
    """Who the request will go to (for a report: to each choice), or why it cannot be made."""
    recipients = ["headteacher", "ceo"] if kind is K.misuse_report else [None]
    found, problem = {}, None
    for recipient in recipients:
        try:
            approver = routing.route(session, kind, person, recipient)
        except routing.RoutingError as exc:
            problem = str(exc)
        else:
            found[recipient] = (approver, wording.relation(kind, approver, person))
    if "headteacher" in found and "ceo" in found and found["headteacher"][0].id == found["ceo"][0].id:
        del found["headteacher"]  # no headteacher to choose (central team, or none in the school)
    return {"approvers": found, "problem": problem if not found else None}


def new_page(session: Session, kind: RequestKind, person: Person) -> dict:
    return dict(kind=kind, policy=wording.POLICY[kind], title=wording.TITLES[kind],
                preview=approver_preview(session, kind, person), platforms=wording.PLATFORMS)


# --- one request ------------------------------------------------------------------------

def _training(session: Session, person: Person, req: Request, settings: RecordSettings, on: date) -> dict | None:
    """While a business use waits for training: the asker's own standing, or whether they now hold a pass."""
    if req.kind is not K.business_use or req.state is not S.training_required:
        return None
    if person.id == req.requester_id:
        return {"standing": business_use_standing(session, person, settings, on)}
    return {"holds_pass": business_use_pass(session, req.requester, settings) is not None}


def detail_page(session: Session, person: Person, req: Request, settings: RecordSettings, on: date) -> dict:
    """One request; `actions` are the moves this person can make now (the view adds a form for each)."""
    return dict(req=req, actions=actions_for(session, person, req), buttons=wording.BUTTONS,
                platforms=wording.PLATFORMS, condition_labels=wording.CONDITION_FLAGS,
                name_visible=requester_name_visible(person, req), is_requester=person.id == req.requester_id,
                training=_training(session, person, req, settings, on))


# --- delegation -------------------------------------------------------------------------

def delegate_page(session: Session, person: Person, on: date) -> dict:
    """Both lists, and when each delegation ended early as the trust's clocks read it (stored in UTC)."""
    given, taken = delegations_of(session, person, on)
    ended = {d.id: local(d.ended_at) for d in [*given, *taken] if d.ended_at is not None}
    return dict(given=given, taken=taken, today=on, ended=ended)
