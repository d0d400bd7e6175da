"""Finding a person by email address: one normalisation for sign-in, delegation, subject access
and the staff import's matching."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import Person


def normalise_email(email: str | None) -> str:
    """How an address is matched (and rate-limited): surrounding spaces dropped, lower case."""
    return (email or "").strip().lower()


def find_by_email(session: Session, email: str | None) -> Person | None:
    """The person with this address, whatever its case and surrounding spaces, or None."""
    wanted = normalise_email(email)
    if not wanted:
        return None
    return session.scalar(select(Person).where(func.lower(Person.email) == wanted))
