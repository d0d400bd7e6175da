"""Making a request of each kind: the checks on what was typed, routing to the approver, and the
first event. Functions take a session and plain arguments, never commit, and raise ApprovalError
with a message for the person when the request cannot be made.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.approvals.errors import ApprovalError, checked_text
from lms.approvals.moves import record_move
from lms.approvals.routing import RoutingError, route
from lms.approvals.training_gate import BUSINESS_USE_MODULE
from lms.clock import today
from lms.models import Module, Person, Request, RequestEvent, RequestKind, RequestState
from lms.records.requirements import assign
from lms.records.settings import RecordSettings

S, K = RequestState, RequestKind

# What a web address may hold as it is. Anything else in a reported link (a space, a quote mark, < or >,
# letters beyond ASCII) is percent-encoded, as a browser's address bar does, so the page links to a
# valid address and the link goes where it would have gone.
URL_SAFE = "!$&'()*+,-./:;=?@_~#%"


def _new(session: Session, kind: RequestKind, requester: Person, recipient: str | None = None, **fields) -> Request:
    if not requester.active:
        raise ApprovalError("Only active members of staff can make requests.")
    try:
        approver = route(session, kind, requester, recipient)
    except RoutingError as exc:
        raise ApprovalError(str(exc)) from exc
    request = Request(kind=kind, state=S.submitted, requester_id=requester.id, approver_id=approver.id,
                      unit_id=requester.unit_id, line_manager_id=requester.line_manager_id, **fields)
    session.add(request)
    session.flush()
    session.add(RequestEvent(request_id=request.id, actor_id=requester.id, from_state=None,
                             to_state=S.submitted.value, note=""))
    return request


def _submitted(session: Session, request: Request) -> Request:
    """Log a submission once everything else it writes is written (the log's lock is held to the commit)."""
    record_move(session, request, request.requester, "submit", None, S.submitted)
    return request


def submit_business_use(session: Session, requester: Person, *, accounts: str, platforms: list[str], purpose: str,
                        starts_on: date, ends_on: date | None, settings: RecordSettings) -> Request:
    """Ask to speak for the school or trust (5.1). The business-use module becomes required."""
    accounts = checked_text(accounts, "Which accounts", 500)
    purpose = checked_text(purpose, "Purpose", 2000)
    if not platforms:
        raise ApprovalError("Platforms: choose at least one.")
    if starts_on < today():
        raise ApprovalError("From: the start date cannot be in the past.")
    if ends_on is not None and ends_on < starts_on:
        raise ApprovalError("Until: the end date must be on or after the start date.")
    request = _new(session, K.business_use, requester, accounts=accounts, platforms=sorted(set(platforms)),
                   purpose=purpose, starts_on=starts_on, ends_on=ends_on)
    if session.scalar(select(Module.id).where(Module.slug == BUSINESS_USE_MODULE)) is not None:
        assign(session, requester, BUSINESS_USE_MODULE, settings, today())
    return _submitted(session, request)


def submit_media_enquiry(session: Session, requester: Person, *, enquirer: str, outlet: str, question: str,
                         deadline: date | None) -> Request:
    """Record an enquiry for publication (5.2); the person must not respond without written approval."""
    if deadline is not None and deadline < today():
        raise ApprovalError("Deadline: the deadline cannot be in the past.")
    return _submitted(session, _new(
        session, K.media_enquiry, requester, enquirer=checked_text(enquirer, "Who asked", 200),
        outlet=checked_text(outlet, "Outlet", 200), question=checked_text(question, "Question", 4000),
        deadline=deadline))


def submit_reference(session: Session, requester: Person, *, subject_name: str, reference_for: str,
                     draft: str | None) -> Request:
    """Ask for the headteacher's or CEO's express authority to give a reference (2.2, 2.3)."""
    return _submitted(session, _new(
        session, K.reference, requester, subject_name=checked_text(subject_name, "Who the reference is about", 200),
        reference_for=checked_text(reference_for, "Where or for whom", 300),
        draft=checked_text(draft, "Draft", 4000, False)))


def submit_misuse_report(session: Session, requester: Person, *, recipient: str, link: str | None,
                         description: str | None, withhold_name: bool) -> Request:
    """Report misuse or disparaging content (4.5, 6.5) to the headteacher or the CEO."""
    if recipient not in ("headteacher", "ceo"):
        raise ApprovalError("Report to: choose the headteacher or the CEO.")
    link = checked_text(link, "Link", 1000, required=False)
    description = checked_text(description, "Description", 4000, required=False)
    if link is None and description is None:
        raise ApprovalError("Give a link to the content or describe it (or both).")
    if link is not None:
        if not link.lower().startswith(("http://", "https://")):
            raise ApprovalError("Link: give a web address starting with http:// or https://.")
        link = quote(link, safe=URL_SAFE)
        if len(link) > 1000:
            raise ApprovalError(f"Link: at most 1000 characters once spaces and symbols are encoded ({len(link)} given).")
    return _submitted(session, _new(session, K.misuse_report, requester, recipient, link=link,
                                    description=description, withhold_name=withhold_name))
