"""Signing in and setting passwords: find the person by email and check the password, revealing nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from lms.auth.passwords import hash_password, needs_rehash, verify_password
from lms.clock import utcnow
from lms.models import Person
from lms.people.directory import find_by_email


@dataclass(frozen=True)
class SignIn:
    person: Person | None  # the person signed in, or None
    known_id: int | None  # on a refusal, the account the address belongs to (for the audit log only)


def check_sign_in(session: Session, email: str, password: str) -> SignIn:
    """Whether this email and password sign someone in (then noting when); the same cost for unknown addresses."""
    found = find_by_email(session, email)
    ok = verify_password(found.password_hash if found else None, password)
    if not ok or found is None or not found.active:
        return SignIn(None, found.id if found else None)
    if needs_rehash(found.password_hash):
        found.password_hash = hash_password(password)
    found.last_login_at = utcnow()
    return SignIn(found, found.id)


def authenticate(session: Session, email: str, password: str) -> Person | None:
    """The active person with this email and password, else None (same cost either way)."""
    return check_sign_in(session, email, password).person


def find_active(session: Session, email: str) -> Person | None:
    """The active account with this address, for a reset link; None reveals nothing to the asker."""
    found = find_by_email(session, email)
    return found if found is not None and found.active else None


def set_password(session: Session, person: Person, password: str) -> bool:
    """Set a new password if nobody else has since `person` was read; True when this call set it.

    A conditional UPDATE on the hash and change time the caller saw: two uses of one reset
    link at once (or a reset racing a change) set only one password. The caller ends the person's
    other sessions (lms.auth.session_store) and checks the policy.
    """
    now = utcnow()
    changed = session.execute(
        update(Person)
        .where(Person.id == person.id,
               Person.password_hash.is_not_distinct_from(person.password_hash),
               Person.password_changed_at.is_not_distinct_from(person.password_changed_at))
        .values(password_hash=hash_password(password), password_changed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(person, ["password_hash", "password_changed_at"])
    return changed == 1
