"""Password links, worked out by the mail worker rather than the request that asked for one.

The request queued only the typed address and the start of the link (the same for every
address). Here the address is looked up: an active account gets a link with a fresh token,
made at sending time so no working token is ever stored; any other address ends here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lms.auth.service import find_active
from lms.auth.tokens import make_reset_token
from lms.models import Person

SUBJECT = "Set your password for social media policy training"


@dataclass(frozen=True)
class ResetLink:
    person: Person
    subject: str
    body: str


def reset_link(session: Session, typed_email: str, link_start: str, *, secret_key: str,
               hours: int) -> ResetLink | None:
    """The email for an active account with this address, or None (no account: nothing is sent)."""
    person = find_active(session, typed_email)
    if person is None:
        return None
    link = link_start + make_reset_token(secret_key, person)
    body = (f"Dear {person.first_name},\n\n"
            f"Someone asked to set or reset the password for your account ({person.email}) on the trust's "
            f"social media policy training.\n\n"
            f"To choose a password, open this link within {hours} hours. It works once:\n{link}\n\n"
            "If you did not ask, ignore this email: your password has not changed.\n")
    return ResetLink(person, SUBJECT, body)
