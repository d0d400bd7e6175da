"""Which service function each form of the request pages calls, as tables rather than branches.

For each kind of request (SUBMISSIONS) and each action on one (DECISIONS): the function, and for
each of its keyword arguments the form field that gives it. A new kind or action is a row here
and a form in lms/approvals/forms.py; the views stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lms.approvals import deciding, submitting
from lms.models import Person, Request, RequestKind
from lms.records.settings import RecordSettings

K = RequestKind


@dataclass(frozen=True)
class Call:
    """A service function, and for each of its keyword arguments the form field that gives it."""
    function: Callable[..., Request]
    fields: Mapping[str, str]
    needs_settings: bool = False

    def arguments(self, data: Mapping[str, Any], settings: RecordSettings) -> dict[str, Any]:
        found = {argument: data.get(field) for argument, field in self.fields.items()}
        return {**found, "settings": settings} if self.needs_settings else found


def _same(*names: str) -> dict[str, str]:
    """Arguments named as their form fields are."""
    return {name: name for name in names}


SUBMISSIONS: dict[RequestKind, Call] = {
    K.business_use: Call(submitting.submit_business_use,
                         _same("accounts", "platforms", "purpose", "starts_on", "ends_on"), needs_settings=True),
    K.media_enquiry: Call(submitting.submit_media_enquiry, _same("enquirer", "outlet", "question", "deadline")),
    K.reference: Call(submitting.submit_reference, _same("subject_name", "reference_for", "draft")),
    K.misuse_report: Call(submitting.submit_misuse_report,
                          _same("recipient", "link", "description", "withhold_name")),
}

DECISIONS: dict[str, Call] = {
    "approve": Call(deciding.approve, {"note": "approve_note", "conditions": "conditions",
                                       "condition_flags": "condition_flags", "expires_on": "expires_on",
                                       "approved_response": "approved_response"}, needs_settings=True),
    "decline": Call(deciding.decline, {"reason": "decline_reason"}),
    "revoke": Call(deciding.revoke, {"reason": "revoke_reason"}),
    "require_training": Call(deciding.require_training, {"note": "training_note"}),
    "withdraw": Call(deciding.withdraw, {"note": "withdraw_note"}),
    "mark_answered": Call(deciding.mark_answered, {"note": "answered_note"}),
    "close": Call(deciding.close, {"outcome": "outcome"}),
}


def submit(session: Session, kind: RequestKind, requester: Person, data: Mapping[str, Any],
           settings: RecordSettings) -> Request:
    """Make a request of this kind with what its form gave (`data`: field name -> value)."""
    call = SUBMISSIONS[kind]
    return call.function(session, requester, **call.arguments(data, settings))


def decide(session: Session, request: Request, actor: Person, action: str, data: Mapping[str, Any],
           settings: RecordSettings) -> Request:
    """Make `action` on the request with what its form gave (`data`: field name -> value)."""
    call = DECISIONS[action]
    return call.function(session, request, actor, **call.arguments(data, settings))
