"""Emails to the people who must act next, at every step of a request (queued through lms.mail, sent by the worker)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lms.approvals.moves import MOVES, REQUESTER
from lms.models import Person, Request, RequestKind, RequestState

Mailer = Callable[[str, Sequence[str], str], None]


def _link(base_url: str, request: Request) -> str:
    return f"{base_url}/requests/{request.id}"


def _who(request: Request, viewer: Person) -> str:
    """The requester's name, unless a reporter asked for it to be withheld from this reader."""
    if request.withhold_name and viewer.id not in (request.requester_id, request.approver_id):
        return "A member of staff (name withheld at their request)"
    return request.requester.full_name


def submitted(mailer: Mailer, request: Request, base_url: str, delegates: Sequence[Person] = ()) -> None:
    """A new request: the approver (and anyone standing in for them) must decide."""
    for reader in (request.approver, *delegates):
        body = (f"Dear {reader.first_name},\n\n{_who(request, reader)} has sent you a request to decide:\n"
                f"{request.kind.label}.\n\nOpen it here: {_link(base_url, request)}\n")
        mailer(f"To decide: {request.kind.label.lower()} (request {request.id})", [reader.email], body)


def decided(mailer: Mailer, request: Request, base_url: str, note: str = "") -> None:
    """A decision: the requester is told, and told what to do next where there is something."""
    person = request.requester
    state = request.state
    next_step = {
        RequestState.training_required: "Before this can be approved you must pass the business-use training "
                                        f"module: {base_url}/training/speaking-for-the-school",
        RequestState.approved: {
            RequestKind.business_use: "You may now speak for the school or trust on the accounts approved, "
                                      "keeping to the conditions on the request.",
            RequestKind.media_enquiry: "You may now give the approved response, and nothing else. "
                                       "Mark the enquiry answered once you have.",
            RequestKind.reference: "You have express authority to give this reference on the school's or "
                                   "trust's behalf.",
        }.get(request.kind, ""),
        RequestState.declined: "Do not go ahead.",
        RequestState.revoked: "Stop speaking for the school or trust on these accounts now.",
        RequestState.closed: "Thank you for reporting it.",
    }.get(state, "")
    body = (f"Dear {person.first_name},\n\nYour request ({request.kind.label.lower()}, request {request.id}) "
            f"is now: {state.label.lower()}.\n")
    if note:
        body += f"\n{note}\n"
    if next_step:
        body += f"\n{next_step}\n"
    body += f"\nSee the request: {_link(base_url, request)}\n"
    mailer(f"Your request is {state.label.lower()}: {request.kind.label.lower()}", [person.email], body)


def requester_acted(mailer: Mailer, request: Request, base_url: str) -> None:
    """The requester withdrew or marked an enquiry answered: the approver is told."""
    body = (f"Dear {request.approver.first_name},\n\n{_who(request, request.approver)} has "
            f"{'withdrawn' if request.state is RequestState.withdrawn else 'marked as answered'} "
            f"request {request.id} ({request.kind.label.lower()}).\n\n{_link(base_url, request)}\n")
    mailer(f"Request {request.id}: {request.state.label.lower()}", [request.approver.email], body)


def moved(mailer: Mailer, request: Request, action: str, base_url: str) -> None:
    """After a move on the pages: the requester's own moves tell the approver, a decision tells the requester."""
    if MOVES[(request.kind, action)][2] == REQUESTER:
        requester_acted(mailer, request, base_url)
    else:
        decided(mailer, request, base_url, note=request.events[-1].note)


def lapsed(mailer: Mailer, request: Request, reason: str, base_url: str) -> None:
    """An approval lapsed by itself: the person and the manager who approved it are told."""
    for reader in (request.requester, request.approver):
        body = (f"Dear {reader.first_name},\n\nThe business-use authorisation for {request.requester.full_name} "
                f"(accounts: {request.accounts}) has lapsed because {reason}.\n"
                "Nobody may speak for the school or trust on it until a new request is approved.\n\n"
                f"{_link(base_url, request)}\n")
        mailer("A business-use authorisation has lapsed", [reader.email], body)
