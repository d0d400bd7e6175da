"""Signed-in browsers: one row per session, kept in the database (issue 15).

The session cookie names a row by its id and carries a random secret; only the secret's SHA-256
is stored, so someone who reads this table still cannot make a cookie that works. Signing out,
a new password, leaving the trust and "sign out everywhere" delete rows, and a cookie whose row
is gone opens nothing, however well it is signed. The row lives in the database rather than
Redis so that every instance sharing the database shares sessions, and a session cannot outlive
the person's record being changed in the same transaction (deactivation by an import).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime

USER_AGENT_MAX = 200  # enough to tell browsers apart; a User-Agent header can be any length


class WebSession(db.Model):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the cookie's secret, hex
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the absolute limit counts from it
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the idle limit; to the minute
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    address: Mapped[str | None] = mapped_column(String(45))  # the client's address as the app saw it

    person = relationship("Person")
