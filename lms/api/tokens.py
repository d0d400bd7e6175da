"""Personal API tokens: made, found, expired and revoked here; views commit.

A token is `smp_` followed by 43 URL-safe characters (32 random bytes). Only its SHA-256 is
stored, so the token itself is shown once, when it is made, and a copy of the database does
not give anyone access. The prefix makes a leaked token easy to recognise (and to scan for).

Every token expires, 1 to 12 months after it is made (chosen then), so a token pasted into a
spreadsheet and forgotten dies by itself. A leaver's tokens are revoked when the import
deactivates them, so they stay dead if the person comes back. Making and revoking are audited
(`api_token.created`, `api_token.revoked`), never with the token or its hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from lms.audit.log import record, record_all
from lms.clock import add_months, local, utcnow
from lms.models import ApiToken, Person

PREFIX = "smp_"
NAME_MAX = 100
MAX_ACTIVE = 10  # per person
MONTHS_MAX = 12  # the longest a token may live: a year's figures, then make a new one
MONTH_CHOICES = (1, 3, 6, 12)
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often, not on every request
REVOKE_CHUNK = 10_000  # ids per UPDATE: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters
_SHAPE = re.compile(r"smp_[A-Za-z0-9_-]{43}")


class TokenError(ValueError):
    """A token that cannot be made; the message starts with the field it concerns ("name: ...")."""


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def month_choices(default: int) -> list[int]:
    """The lifetimes offered: 1, 3, 6 and 12 months, and the configured default if it is another (never over 12)."""
    return sorted({*MONTH_CHOICES, min(max(default, 1), MONTHS_MAX)})


def expiry(made: datetime, months: int) -> datetime:
    """`months` calendar months after `made`, at the same time of day (31 Jan + 1 month = 28 or 29 Feb)."""
    return datetime.combine(add_months(made.date(), months), made.timetz())


def is_expired(token: ApiToken, now: datetime) -> bool:
    return token.expires_at <= now


def expires_on(token: ApiToken):
    """The day the token stops working, as a person in the trust reads it (Europe/London)."""
    return local(token.expires_at).date()


def active_count(session: Session, person: Person, now: datetime | None = None) -> int:
    """Tokens that still work: not revoked and not expired."""
    return session.scalar(select(func.count()).select_from(ApiToken)
                          .where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None),
                                 ApiToken.expires_at > (now or utcnow()))) or 0


def create_token(session: Session, person: Person, name: str, months: int = MONTHS_MAX) -> tuple[ApiToken, str]:
    """A new token for `person`, living `months` months: the row (holding only the hash) and the plaintext,
    to show once. Audited as `api_token.created` with its name and expiry."""
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise TokenError(f"name: give the token a name of 1 to {NAME_MAX} characters")
    if not isinstance(months, int) or not 1 <= months <= MONTHS_MAX:
        raise TokenError(f"months: a token lasts 1 to {MONTHS_MAX} months")
    now = utcnow()
    if active_count(session, person, now) >= MAX_ACTIVE:
        raise TokenError(f"name: you already have {MAX_ACTIVE} active tokens, the most allowed. "
                         "Revoke one you no longer use, then create the new one")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(person_id=person.id, name=name, token_hash=hash_token(plaintext), created_at=now,
                     expires_at=expiry(now, months))
    session.add(token)
    session.flush()
    record(session, "api_token.created", actor_id=person.id, subject_id=person.id, object_type="api_token",
           object_id=token.id, detail={"name": name, "months": months,
                                       "expires_at": token.expires_at.isoformat(timespec="seconds")})
    return token, plaintext


def tokens_of(session: Session, person: Person) -> list[ApiToken]:
    """The person's tokens, unrevoked ones first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.person_id == person.id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                          ApiToken.id.desc())))


def revoke(session: Session, person: Person, token_id: int) -> ApiToken | None:
    """Revoke one of the person's own tokens; None when they have no token with that id.

    Revoking a revoked token changes nothing (its first revocation time stands, and no second event).
    """
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.person_id == person.id))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(session, "api_token.revoked", actor_id=person.id, subject_id=person.id, object_type="api_token",
               object_id=token.id, detail={"name": token.name, "reason": "owner"})
    return token


def revoke_all_for(session: Session, person_ids: Collection[int], reason: str) -> int:
    """Revoke every unrevoked token of these people (leavers: `reason` "left"), one event each; how many.

    Revoked, not merely refused while the person is inactive: a leaver who returns makes new tokens.
    No statement at all when there is nobody, so an import without leavers is unchanged.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    now = utcnow()
    revoked = []
    for start in range(0, len(ids), REVOKE_CHUNK):
        revoked += session.execute(
            update(ApiToken)
            .where(ApiToken.person_id.in_(ids[start:start + REVOKE_CHUNK]), ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiToken.id, ApiToken.person_id, ApiToken.name)
            .execution_options(synchronize_session=False)).all()
    record_all(session, [{"action": "api_token.revoked", "subject_id": person_id, "object_type": "api_token",
                          "object_id": token_id, "detail": {"name": name, "reason": reason}}
                         for token_id, person_id, name in sorted(revoked)])
    return len(revoked)


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
    """The unrevoked token of an active person that the header carries (its person loaded), or None. Only reads.

    An expired token is returned too, so that the caller can say it expired (`is_expired`).
    """
    plaintext = parse_header(header)
    if plaintext is None:
        return None  # a malformed token never reaches the database
    return session.scalar(select(ApiToken).join(ApiToken.person).options(contains_eager(ApiToken.person))
                          .where(ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None),
                                 Person.active))


def authenticate(session: Session, header: str | None, now: datetime | None = None) -> Person | None:
    """The active person whose unrevoked, unexpired token the header carries, or None. Notes the use (at most
    once a minute)."""
    now = now or utcnow()
    token = find(session, header)
    if token is None or is_expired(token, now):
        return None
    touch(session, token, now)
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
