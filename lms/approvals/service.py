"""Requests move through explicit states; every move is checked here and kept as an event.

Functions take a session and plain arguments, never commit, and raise ApprovalError with a
message for the person when a move is not allowed. A decision is a conditional UPDATE on the
state the actor saw, so when two people decide at once exactly one wins and the other is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, contains_eager, selectinload

from lms.access_rules import sees_trust
from lms.approvals.routing import RoutingError, route
from lms.audit import record
from lms.clock import today, utcnow
from lms.models import (
    Delegation,
    Module,
    ModuleProgress,
    Person,
    Request,
    RequestEvent,
    RequestKind,
    RequestState,
)
from lms.records.requirements import assign
from lms.records.settings import RecordSettings
from lms.records.status import standing

BUSINESS_USE_MODULE = "speaking-for-the-school"
S, K = RequestState, RequestKind

CONDITION_FLAGS = {
    "no_pupil_images": "No images of pupils",
    "no_pupil_names": "No pupils' names",
    "official_account_only": "Official account only",
    "school_devices_only": "Post only from school devices",
    "posts_checked_first": "Posts checked by the approver before publishing",
}

# (kind, action) -> (states it may start from, state it ends in, who acts)
APPROVER, REQUESTER = "approver", "requester"
NOTE_MAX = 4000  # request_events.note
MOVES: dict[tuple[RequestKind, str], tuple[frozenset[RequestState], RequestState, str]] = {
    (K.business_use, "require_training"): (frozenset({S.submitted}), S.training_required, APPROVER),
    (K.business_use, "approve"): (frozenset({S.submitted, S.training_required}), S.approved, APPROVER),
    (K.business_use, "decline"): (frozenset({S.submitted, S.training_required}), S.declined, APPROVER),
    (K.business_use, "revoke"): (frozenset({S.approved}), S.revoked, APPROVER),
    (K.business_use, "withdraw"): (frozenset({S.submitted, S.training_required}), S.withdrawn, REQUESTER),
    (K.media_enquiry, "approve"): (frozenset({S.submitted}), S.approved, APPROVER),
    (K.media_enquiry, "decline"): (frozenset({S.submitted}), S.declined, APPROVER),
    (K.media_enquiry, "mark_answered"): (frozenset({S.approved}), S.answered, REQUESTER),
    (K.media_enquiry, "withdraw"): (frozenset({S.submitted}), S.withdrawn, REQUESTER),
    (K.reference, "approve"): (frozenset({S.submitted}), S.approved, APPROVER),
    (K.reference, "decline"): (frozenset({S.submitted}), S.declined, APPROVER),
    (K.reference, "withdraw"): (frozenset({S.submitted}), S.withdrawn, REQUESTER),
    (K.misuse_report, "close"): (frozenset({S.submitted}), S.closed, APPROVER),
    (K.business_use, "lapse"): (frozenset({S.approved}), S.lapsed, "system"),
}
ACTION_WORDS = {"require_training": "sent for training first", "approve": "approved", "decline": "declined",
                "revoke": "revoked", "withdraw": "withdrawn", "mark_answered": "marked as answered", "close": "closed"}


class ApprovalError(Exception):
    """A move that is not allowed; the message says why, for the person who tried it."""


# --- submitting ------------------------------------------------------------------------

# What a web address may hold as it is. Anything else in a reported link (a space, a quote mark, < or >,
# letters beyond ASCII) is percent-encoded, as a browser's address bar does, so the page links to a
# valid address and the link goes where it would have gone.
URL_SAFE = "!$&'()*+,-./:;=?@_~#%"


def _text(value: str | None, field: str, max_len: int, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ApprovalError(f"{field}: enter this.")
        return None
    if len(value) > max_len:
        raise ApprovalError(f"{field}: at most {max_len} characters ({len(value)} given).")
    return value


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
    _audit(session, request, request.requester, "submit", None, S.submitted)
    return request


def _audit(session: Session, request: Request, actor: Person | None, action: str, seen: RequestState | None,
           to_state: RequestState) -> None:
    """Every move, in the move's own transaction: `request.<new state>`, about the person who asked."""
    record(session, f"request.{to_state.value}", actor_id=actor.id if actor else None, subject_id=request.requester_id,
           object_type="request", object_id=request.id,
           detail={"kind": request.kind.value, "move": action, "from": seen.value if seen else None,
                   "to": to_state.value})


def submit_business_use(session: Session, requester: Person, *, accounts: str, platforms: list[str], purpose: str,
                        starts_on: date, ends_on: date | None, settings: RecordSettings) -> Request:
    """Ask to speak for the school or trust (5.1). The business-use module becomes required."""
    accounts = _text(accounts, "Which accounts", 500)
    purpose = _text(purpose, "Purpose", 2000)
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
        session, K.media_enquiry, requester, enquirer=_text(enquirer, "Who asked", 200),
        outlet=_text(outlet, "Outlet", 200), question=_text(question, "Question", 4000), deadline=deadline))


def submit_reference(session: Session, requester: Person, *, subject_name: str, reference_for: str,
                     draft: str | None) -> Request:
    """Ask for the headteacher's or CEO's express authority to give a reference (2.2, 2.3)."""
    return _submitted(session, _new(
        session, K.reference, requester, subject_name=_text(subject_name, "Who the reference is about", 200),
        reference_for=_text(reference_for, "Where or for whom", 300), draft=_text(draft, "Draft", 4000, False)))


def submit_misuse_report(session: Session, requester: Person, *, recipient: str, link: str | None,
                         description: str | None, withhold_name: bool) -> Request:
    """Report misuse or disparaging content (4.5, 6.5) to the headteacher or the CEO."""
    if recipient not in ("headteacher", "ceo"):
        raise ApprovalError("Report to: choose the headteacher or the CEO.")
    link = _text(link, "Link", 1000, required=False)
    description = _text(description, "Description", 4000, required=False)
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


# --- who may act -----------------------------------------------------------------------

def delegates_of(session: Session, approver_id: int, on: date) -> list[int]:
    return list(session.scalars(select(Delegation.delegate_id).where(
        Delegation.approver_id == approver_id, Delegation.starts_on <= on, Delegation.ends_on >= on)))


def may_decide(session: Session, person: Person, request: Request) -> bool:
    """The routed approver or their delegate today, and never the person who asked."""
    if person.id == request.requester_id or not person.active:
        return False
    return person.id == request.approver_id or person.id in delegates_of(session, request.approver_id, today())


def may_make(session: Session, person: Person, request: Request, action: str) -> bool:
    """Whether this person is the one a move is for (the approver's side or the asker's), whatever the state."""
    move = MOVES.get((request.kind, action))
    if move is None:
        return True  # not a move of this kind at all: `_move` explains that (422), it is not a question of rights
    who = move[2]
    if who == APPROVER:
        return may_decide(session, person, request)
    return who == REQUESTER and person.id == request.requester_id


def may_view(session: Session, person: Person, request: Request) -> bool:
    return person.id == request.requester_id or person.id == request.approver_id or \
        person.id in delegates_of(session, request.approver_id, today())


def requester_name_visible(person: Person, request: Request) -> bool:
    """A reporter who asked for it is named to the recipient only (not to a delegate)."""
    return not request.withhold_name or person.id in (request.requester_id, request.approver_id)


def actions_for(session: Session, person: Person, request: Request) -> list[str]:
    """The moves this person could make now (the page offers exactly these)."""
    found = []
    for (kind, action), (starts, _, who) in MOVES.items():
        if kind is not request.kind or request.state not in starts:
            continue
        if (who == APPROVER and may_decide(session, person, request)) or \
           (who == REQUESTER and person.id == request.requester_id):
            found.append(action)
    return found


# --- deciding --------------------------------------------------------------------------

def _move(session: Session, request: Request, actor: Person | None, action: str, note: str = "", **changes) -> Request:
    allowed = MOVES.get((request.kind, action))
    if allowed is None:
        raise ApprovalError(f"A request of this kind ({request.kind.label.lower()}) cannot be "
                            f"{ACTION_WORDS.get(action, action)}.")
    starts, to_state, who = allowed
    if len(note) > NOTE_MAX:  # the forms stop sooner (2000); this is the column's own limit
        raise ApprovalError(f"Note: at most {NOTE_MAX} characters.")
    if who == "system" and actor is not None:
        raise ApprovalError("Only the system does that.")
    seen = request.state
    if seen not in starts:
        # Earlier than any state the move starts from means "not yet"; otherwise "no longer".
        order = list(RequestState)
        when = "cannot be" if order.index(seen) < min(order.index(x) for x in starts) else "can no longer be"
        raise ApprovalError(f"This request is {seen.label.lower()}; it {when} "
                            f"{ACTION_WORDS.get(action, 'changed that way')}"
                            f"{' until it is approved' if when == 'cannot be' and action == 'mark_answered' else ''}.")
    if actor is not None:
        if actor.id == request.requester_id and who == APPROVER:
            raise ApprovalError("You cannot decide your own request.")
        if who == APPROVER and not may_decide(session, actor, request):
            raise ApprovalError("Only the person this request was sent to, or their delegate, can decide it.")
        if who == REQUESTER and actor.id != request.requester_id:
            raise ApprovalError("Only the person who made this request can do that.")
    now = utcnow()
    won = session.execute(
        update(Request).where(Request.id == request.id, Request.state == seen)
        .values(state=to_state, updated_at=now, **changes).execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(request)
    if not won:
        by = request.events[-1].actor.full_name if request.events and request.events[-1].actor else "someone else"
        raise ApprovalError(f"{by} changed this request a moment ago: it is now {request.state.label.lower()}. "
                            "Your decision was not recorded.")
    session.add(RequestEvent(request_id=request.id, actor_id=actor.id if actor else None, at=now,
                             from_state=seen.value, to_state=to_state.value, note=note))
    _audit(session, request, actor, action, seen, to_state)
    session.flush()
    session.refresh(request)
    return request


def business_use_pass(session: Session, person: Person, settings: RecordSettings,
                      on: date | None = None) -> ModuleProgress | None:
    """The person's progress in the business-use module when it holds a current pass, else None."""
    progress = session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                              .where(Module.slug == BUSINESS_USE_MODULE, ModuleProgress.person_id == person.id))
    return progress if progress is not None and standing(progress, on or today(), settings).current else None


def require_training(session: Session, request: Request, actor: Person, note: str = "") -> Request:
    return _move(session, request, actor, "require_training", note.strip())


def approve(session: Session, request: Request, actor: Person, settings: RecordSettings, *, note: str = "",
            conditions: str | None = None, condition_flags: list[str] | None = None,
            expires_on: date | None = None, approved_response: str | None = None) -> Request:
    changes: dict = {}
    if request.kind is K.business_use:
        if expires_on is None or expires_on <= today():
            raise ApprovalError("Review or expiry date: give a date after today.")
        unknown = set(condition_flags or []) - set(CONDITION_FLAGS)
        if unknown:
            raise ApprovalError(f"Conditions: unknown condition {sorted(unknown)[0]!r}.")
        progress = business_use_pass(session, request.requester, settings)
        if request.state is S.training_required and progress is None:
            raise ApprovalError(f"{request.requester.full_name} does not hold a current pass of the business-use "
                                "module yet, so this cannot be approved. They have been pointed to it.")
        changes = dict(conditions=_text(conditions, "Conditions", 4000, required=False),
                       condition_flags=sorted(set(condition_flags or [])) or None, expires_on=expires_on,
                       training_attempt_id=progress.pass_attempt_id if progress else None)
    elif request.kind is K.media_enquiry:
        changes = dict(approved_response=_text(approved_response, "Approved response", 4000))
    return _move(session, request, actor, "approve", note.strip(), **changes)


def decline(session: Session, request: Request, actor: Person, reason: str) -> Request:
    return _move(session, request, actor, "decline", _text(reason, "Reason", 2000))


def revoke(session: Session, request: Request, actor: Person, reason: str) -> Request:
    return _move(session, request, actor, "revoke", _text(reason, "Reason", 2000))


def withdraw(session: Session, request: Request, actor: Person, note: str = "") -> Request:
    return _move(session, request, actor, "withdraw", note.strip())


def mark_answered(session: Session, request: Request, actor: Person, note: str = "") -> Request:
    return _move(session, request, actor, "mark_answered", note.strip())


def close(session: Session, request: Request, actor: Person, outcome: str) -> Request:
    outcome = _text(outcome, "What was done", 4000)
    return _move(session, request, actor, "close", outcome, outcome=outcome)


# --- lapsing ---------------------------------------------------------------------------

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
                lapse = Lapse(_move(session, request, None, "lapse", f"Lapsed: {reason}."), reason)
            except ApprovalError:
                continue  # another run lapsed it a moment ago; it announced it too
            lapsed.append(lapse)
            if after_each is not None:
                after_each(lapse)
    return lapsed


# --- lists ------------------------------------------------------------------------------

def my_requests(session: Session, person: Person) -> list[Request]:
    return list(session.scalars(select(Request).where(Request.requester_id == person.id)
                                .order_by(Request.created_at.desc(), Request.id.desc())))


def to_decide(session: Session, person: Person) -> list[Request]:
    """Open requests routed to this person or to someone they stand in for today: those awaiting a decision,
    and approved business uses (which the approver may still revoke). An approved reference or media
    enquiry needs nothing more from the approver, so it leaves the list."""
    approvers = [person.id, *session.scalars(select(Delegation.approver_id).where(
        Delegation.delegate_id == person.id, Delegation.starts_on <= today(), Delegation.ends_on >= today()))]
    return list(session.scalars(
        select(Request).join(Person, Person.id == Request.requester_id)
        .where(Request.approver_id.in_(approvers), Request.requester_id != person.id,
               Person.anonymised_at.is_(None),  # an anonymised leaver's request is nobody's to decide
               or_(Request.state.in_([S.submitted, S.training_required]),
                   and_(Request.kind == K.business_use, Request.state == S.approved)))
        .order_by(Request.created_at, Request.id)
    ))


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
