"""Links that let someone set or reset their password: signed, time-limited and good for one use.

Nothing is stored. The token is signed with SECRET_KEY (itsdangerous) and carries the person's
id and a fingerprint of their current password hash and `password_changed_at`; setting a
password changes both, so every link sent before stops working at once. The signature's
timestamp comes from `lms.clock`, so tests move time to expire a link.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from lms.clock import utcnow
from lms.models import Person

SALT = "lms.auth.password-reset"  # keeps these tokens apart from anything else signed with SECRET_KEY

EXPIRED = "This link has expired. Links to set a password work for {hours} hours; ask for a new one below."
USED = "This link has already been used, or a newer password has been set since it was sent. Ask for a new one below."
INVALID = "This link is not valid. Check that the whole link was copied from the email, or ask for a new one below."


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_ClockSigner)


def fingerprint(person: Person) -> str:
    changed = person.password_changed_at.isoformat() if person.password_changed_at else ""
    material = f"{person.id}|{person.password_hash or ''}|{changed}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def make_reset_token(secret_key: str, person: Person) -> str:
    return _serializer(secret_key).dumps({"id": person.id, "fp": fingerprint(person)})


@dataclass(frozen=True)
class ResetLink:
    person: Person | None
    problem: str | None  # what is wrong with the link, in words for the person


def read_reset_token(session: Session, secret_key: str, token: str, lifetime: timedelta) -> ResetLink:
    """The active person a link is for, or why it cannot be used."""
    hours = int(lifetime.total_seconds() // 3600)
    try:
        data = _serializer(secret_key).loads(token, max_age=int(lifetime.total_seconds()))
    except SignatureExpired:
        return ResetLink(None, EXPIRED.format(hours=hours))
    except BadSignature:
        return ResetLink(None, INVALID)
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return ResetLink(None, INVALID)
    person = session.get(Person, data["id"])
    if person is None or not person.active:
        return ResetLink(None, INVALID)
    if data.get("fp") != fingerprint(person):
        return ResetLink(None, USED)
    return ResetLink(person, None)
