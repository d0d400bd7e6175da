"""The state machine: which moves each kind of request has, who makes them, and making one.

A move is a conditional UPDATE on the state the actor saw, so when two people decide at once
exactly one wins and the other is told; every move is kept as an event and in the audit log,
in the move's own transaction. Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from lms.approvals.delegation import delegates_of
from lms.approvals.errors import ApprovalError
from lms.audit import record
from lms.clock import today, utcnow
from lms.models import Person, Request, RequestEvent, RequestKind, RequestState

S, K = RequestState, RequestKind

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


# --- who may act -----------------------------------------------------------------------

def may_decide(session: Session, person: Person, request: Request) -> bool:
    """The routed approver or their delegate today, and never the person who asked."""
    if person.id == request.requester_id or not person.active:
        return False
    return person.id == request.approver_id or person.id in delegates_of(session, request.approver_id, today())


def may_make(session: Session, person: Person, request: Request, action: str) -> bool:
    """Whether this person is the one a move is for (the approver's side or the asker's), whatever the state."""
    move = MOVES.get((request.kind, action))
    if move is None:
        return True  # not a move of this kind at all: `move` explains that (422), it is not a question of rights
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


# --- making a move ---------------------------------------------------------------------

def record_move(session: Session, request: Request, actor: Person | None, action: str, seen: RequestState | None,
                to_state: RequestState) -> None:
    """Every move, in the move's own transaction: `request.<new state>`, about the person who asked."""
    record(session, f"request.{to_state.value}", actor_id=actor.id if actor else None, subject_id=request.requester_id,
           object_type="request", object_id=request.id,
           detail={"kind": request.kind.value, "move": action, "from": seen.value if seen else None,
                   "to": to_state.value})


def _refuse_state(request: Request, action: str, starts: frozenset[RequestState]) -> ApprovalError:
    """Earlier than any state the move starts from means "not yet"; otherwise "no longer"."""
    seen = request.state
    order = list(RequestState)
    when = "cannot be" if order.index(seen) < min(order.index(x) for x in starts) else "can no longer be"
    return ApprovalError(f"This request is {seen.label.lower()}; it {when} "
                         f"{ACTION_WORDS.get(action, 'changed that way')}"
                         f"{' until it is approved' if when == 'cannot be' and action == 'mark_answered' else ''}.")


def _check_actor(session: Session, request: Request, actor: Person, who: str) -> None:
    if actor.id == request.requester_id and who == APPROVER:
        raise ApprovalError("You cannot decide your own request.")
    if who == APPROVER and not may_decide(session, actor, request):
        raise ApprovalError("Only the person this request was sent to, or their delegate, can decide it.")
    if who == REQUESTER and actor.id != request.requester_id:
        raise ApprovalError("Only the person who made this request can do that.")


def move(session: Session, request: Request, actor: Person | None, action: str, note: str = "", **changes) -> Request:
    """Make `action` on the request as `actor` (None: the system), writing `changes` with the new state."""
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
        raise _refuse_state(request, action, starts)
    if actor is not None:
        _check_actor(session, request, actor, who)
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
    record_move(session, request, actor, action, seen, to_state)
    session.flush()
    session.refresh(request)
    return request
