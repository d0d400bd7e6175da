"""The audit log: an append-only, hash-chained record of who did what (issue 7).

Each event carries the hash of the one before it, so a changed or removed row breaks the
chain at that point and `flask --app wsgi audit verify` names it. Since issue 15 the hash is an
HMAC under AUDIT_KEY, a key kept outside the database (lms/audit/chain.py). `AuditHead` is a single row
that every append updates first: the update takes a row lock (PostgreSQL) or the write lock
(SQLite), so appends from concurrent requests queue up instead of forking the chain.

The log refers to people by id only (plus the address typed at a failed sign-in): when the
retention command anonymises someone, the log keeps its meaning without keeping their name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime

UNKEYED = "sha256"  # events written before migration 0014: plain SHA-256, checked as such
KEYED = "hmac-sha256"  # every event the app writes now


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3… in chain order
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "sign_in", "request.decided"
    # Plain ids, not foreign keys: the log must never stop a person's record being changed.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    subject_id: Mapped[int | None] = mapped_column(index=True)  # the person the event is about
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")  # canonical JSON
    address: Mapped[str | None] = mapped_column(String(45))  # the client's IP address
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # How `hash` was made. The server default labels the rows that existed before the key (migration
    # 0014) and anything INSERTed by hand; verify refuses an unkeyed event after a keyed one.
    scheme: Mapped[str] = mapped_column(String(12), default=KEYED, server_default=UNKEYED)


class AuditHead(db.Model):
    """The end of the chain: one row (id 1), locked by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
