"""The rows behind signed-in sessions (`lms.models.sessions`): start, find, touch, end and list them.

A service: a SQLAlchemy session and plain values in, nothing read from the request, nothing
committed. Every row deleted here is one `session.ended` audit event saying how (`sign_out`,
`ended_from_list`, `everywhere`, `timeout`, `password`, `deactivated`), written in the caller's
transaction; a DELETE … RETURNING decides which rows were ended, so two requests ending the same
session record it once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session, joinedload

from lms.audit import record_all
from lms.models import WebSession
from lms.models.sessions import USER_AGENT_MAX

# "Last seen" is written at most this often: precise enough for a 30-minute limit, and most
# requests then read one row and write nothing.
SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    idle: timedelta  # SESSION_IDLE_MINUTES
    maximum: timedelta  # SESSION_MAX_HOURS


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, person_id: int, *, user_agent: str | None, address: str | None,
          now: datetime) -> tuple[WebSession, str]:
    """A new session row and the value the cookie carries to name it (`<id>.<secret>`).

    The secret (256 random bits) is returned once and only its SHA-256 is stored.
    """
    secret = secrets.token_urlsafe(32)
    row = WebSession(secret_hash=_digest(secret), person_id=person_id, created_at=now, last_seen_at=now,
                     user_agent=(user_agent or "")[:USER_AGENT_MAX], address=(address or None) and address[:45])
    session.add(row)
    session.flush()
    return row, f"{row.id}.{secret}"


def find(session: Session, cookie_value: Any) -> WebSession | None:
    """The row a cookie names, its person loaded with it (one primary-key read); None if gone or not its secret."""
    if not isinstance(cookie_value, str):
        return None
    number, _, secret = cookie_value.partition(".")
    if not number.isdigit() or len(number) > 18 or not secret:
        return None
    row = session.get(WebSession, int(number), options=[joinedload(WebSession.person)])
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return None
    return row


def why_expired(row: WebSession, now: datetime, limits: Limits) -> str | None:
    """"maximum" or "idle" when the row's own times put it past a limit, else None."""
    if now - row.created_at > limits.maximum:
        return "maximum"
    if now - row.last_seen_at > limits.idle:
        return "idle"
    return None


def touch(session: Session, row: WebSession, now: datetime) -> bool:
    """Note the session was seen now, unless it was within the last minute; True when written."""
    if now - row.last_seen_at < SEEN_RESOLUTION:
        return False
    row.last_seen_at = now
    session.flush()  # one UPDATE by primary key
    return True


def _end(session: Session, where: ColumnElement[bool], how: str, actor_id: int | None,
         detail: dict[str, Any] | None = None) -> int:
    ended = session.execute(
        delete(WebSession).where(where).returning(WebSession.id, WebSession.person_id)
        .execution_options(synchronize_session=False)
    ).all()
    record_all(session, [
        {"action": "session.ended", "actor_id": actor_id, "subject_id": person_id, "object_type": "web_session",
         "object_id": session_id, "detail": {"how": how, **(detail or {})}}
        for session_id, person_id in ended
    ])
    return len(ended)


def end_one(session: Session, session_id: int, *, how: str, actor_id: int | None = None,
            detail: dict[str, Any] | None = None) -> bool:
    """End one session (the caller has checked whose it is); False when it had already ended."""
    return _end(session, WebSession.id == session_id, how, actor_id, detail) == 1


def end_all_for(session: Session, person_ids: Sequence[int], except_id: int | None = None, *, how: str,
                actor_id: int | None = None) -> int:
    """End every session of these people, but `except_id` (the browser asking); how many ended."""
    if not person_ids:
        return 0
    where = WebSession.person_id.in_(list(person_ids))
    if except_id is not None:
        where = where & (WebSession.id != except_id)
    return _end(session, where, how, actor_id)


def end_expired(session: Session, now: datetime, limits: Limits) -> int:
    """End every session past a limit, whoever's: rows left by browsers that simply stopped coming."""
    return _end(session, or_(WebSession.created_at < now - limits.maximum, WebSession.last_seen_at < now - limits.idle),
                "timeout", None)


def list_for(session: Session, person_id: int, now: datetime, limits: Limits) -> list[WebSession]:
    """This person's sessions still within both limits, the most recently seen first."""
    return list(session.scalars(
        select(WebSession)
        .where(WebSession.person_id == person_id, WebSession.created_at >= now - limits.maximum,
               WebSession.last_seen_at >= now - limits.idle)
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    ))
