"""The mail outbox: every email is a row written in the transaction of the change that causes it.

The mail worker (lms/outbox/) claims due rows, sends them and marks each one sent as soon as
the server has accepted it; a row that keeps failing becomes a dead letter an admin can retry.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime


class OutboxKind(enum.StrEnum):
    message = "message"                # subject and body as written
    # "A link was asked for this typed address": the worker looks it up.
    password_reset = "password_reset"  # noqa: S105 - a kind of row, not a password  # nosec B105


class OutboxState(enum.StrEnum):
    queued = "queued"    # waiting for `due_at` (and for any claim's lease to run out)
    sent = "sent"        # the mail server accepted it
    skipped = "skipped"  # nothing to send: a link asked for an address with no active account
    dead = "dead"        # failed MAIL_MAX_ATTEMPTS times; kept with its last error until an admin retries it


class OutboxMessage(db.Model):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        # The worker's question: queued rows that are due, oldest first.
        Index("ix_mail_outbox_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(Enum(OutboxKind, native_enum=False, length=20),
                                             default=OutboxKind.message)
    state: Mapped[OutboxState] = mapped_column(Enum(OutboxState, native_enum=False, length=20),
                                               default=OutboxState.queued)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300), default="")
    # For a password_reset row: the start of the link; the worker adds a fresh token, so no live
    # token is ever stored.
    body: Mapped[str] = mapped_column(Text, default="")
    asked_from: Mapped[str | None] = mapped_column(String(64))  # the client's address, for the audit event
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the next try, after back-off
    # A worker's claim: others leave the row alone until the lease runs out (a killed worker's
    # rows are taken again then).
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)  # tries that failed
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
