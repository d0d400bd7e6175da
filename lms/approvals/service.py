"""The approvals services in one place, for code outside this package and for the tests.

Requests move through explicit states; every move is checked and kept as an event. Functions take
a session and plain arguments, never commit, and raise ApprovalError with a message for the person
when a move is not allowed. The work is done in the modules named below, one responsibility each;
this module only gathers their public names, so a caller need not know which one holds what, and
modules inside the package import each other directly rather than through here.
"""

from __future__ import annotations

from lms.approvals.authorisations import Lapse, lapse_due, lapse_reason, register
from lms.approvals.deciding import approve, close, decline, mark_answered, require_training, revoke, withdraw
from lms.approvals.delegation import delegate_to, delegates_of, set_delegate
from lms.approvals.errors import ApprovalError
from lms.approvals.moves import (
    ACTION_WORDS,
    APPROVER,
    MOVES,
    NOTE_MAX,
    REQUESTER,
    actions_for,
    may_decide,
    may_make,
    may_view,
    requester_name_visible,
)
from lms.approvals.pages import my_requests, to_decide
from lms.approvals.submitting import (
    URL_SAFE,
    submit_business_use,
    submit_media_enquiry,
    submit_misuse_report,
    submit_reference,
)
from lms.approvals.training_gate import BUSINESS_USE_MODULE, business_use_pass
from lms.approvals.wording import CONDITION_FLAGS

__all__ = [
    "ACTION_WORDS", "APPROVER", "BUSINESS_USE_MODULE", "CONDITION_FLAGS", "MOVES", "NOTE_MAX", "REQUESTER",
    "URL_SAFE", "ApprovalError", "Lapse", "actions_for", "approve", "business_use_pass", "close", "decline",
    "delegate_to", "delegates_of", "lapse_due", "lapse_reason", "mark_answered", "may_decide", "may_make",
    "may_view", "my_requests", "register", "require_training", "requester_name_visible", "revoke",
    "set_delegate", "submit_business_use", "submit_media_enquiry", "submit_misuse_report", "submit_reference",
    "to_decide", "withdraw",
]
