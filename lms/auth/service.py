"""Signing in: find the person by email and check the password, revealing nothing else."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth.passwords import hash_password, needs_rehash, verify_password
from lms.models import Person


def authenticate(session: Session, email: str, password: str) -> Person | None:
    """The active person with this email and password, else None (same cost either way)."""
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
    ok = verify_password(person.password_hash if person else None, password)
    if not ok or person is None or not person.active:
        return None
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    return person
