"""Personal API tokens: made, found and revoked here; views commit.

A token is `smp_` followed by 43 URL-safe characters (32 random bytes). Only its SHA-256 is
stored, so the token itself is shown once, when it is made, and a copy of the database does
not give anyone access. The prefix makes a leaked token easy to recognise (and to scan for).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from lms.clock import utcnow
from lms.models import ApiToken, Person

PREFIX = "smp_"
NAME_MAX = 100
MAX_ACTIVE = 10  # per person
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often, not on every request
_SHAPE = re.compile(r"smp_[A-Za-z0-9_-]{43}")


class TokenError(ValueError):
    """A token that cannot be made; the message starts with the field it concerns ("name: ...")."""


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def active_count(session: Session, person: Person) -> int:
    return session.scalar(select(func.count()).select_from(ApiToken)
                          .where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None))) or 0


def create_token(session: Session, person: Person, name: str) -> tuple[ApiToken, str]:
    """A new token for `person`: the row (holding only the hash) and the plaintext, to show once."""
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise TokenError(f"name: give the token a name of 1 to {NAME_MAX} characters")
    if active_count(session, person) >= MAX_ACTIVE:
        raise TokenError(f"name: you already have {MAX_ACTIVE} active tokens, the most allowed. "
                         "Revoke one you no longer use, then create the new one")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(person_id=person.id, name=name, token_hash=hash_token(plaintext), created_at=utcnow())
    session.add(token)
    session.flush()
    return token, plaintext


def tokens_of(session: Session, person: Person) -> list[ApiToken]:
    """The person's tokens, active ones first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.person_id == person.id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                          ApiToken.id.desc())))


def revoke(session: Session, person: Person, token_id: int) -> ApiToken | None:
    """Revoke one of the person's own tokens; None when they have no token with that id.

    Revoking a revoked token changes nothing (its first revocation time stands).
    """
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.person_id == person.id))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def parse_header(header: str | None) -> str | None:
    """The token in `Authorization: Bearer smp_...`, or None when the header is missing or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _SHAPE.fullmatch(value):
        return None
    return value


def find(session: Session, header: str | None) -> ApiToken | None:
    """The unrevoked token of an active person that the header carries (its person loaded), or None. Only reads."""
    plaintext = parse_header(header)
    if plaintext is None:
        return None  # a malformed token never reaches the database
    return session.scalar(select(ApiToken).join(ApiToken.person).options(contains_eager(ApiToken.person))
                          .where(ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None),
                                 Person.active))


def authenticate(session: Session, header: str | None, now: datetime | None = None) -> Person | None:
    """The active person whose unrevoked token the header carries, or None. Notes the use (at most once a minute)."""
    token = find(session, header)
    if token is None:
        return None
    touch(session, token, now or utcnow())
    return token.person


def touch(session: Session, token: ApiToken, now: datetime) -> None:
    """Set last_used_at unless it was set less than TOUCH_EVERY ago (a conditional UPDATE, so two
    requests at once write it once)."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    session.execute(update(ApiToken)
                    .where(ApiToken.id == token.id,
                           or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False))
