"""Rows of the mail outbox: queue them, claim a batch, and record what became of each.

Functions take a session and plain values and never commit; the worker commits after each
step, so a claim, a "sent" and a failure are each durable before the next begins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from lms.models.outbox import OutboxKind, OutboxMessage, OutboxState

RETRY_BASE = timedelta(minutes=1)  # the first retry waits this long; each later one twice the one before
RETRY_CAP = timedelta(hours=6)


def enqueue(session: Session, subject: str, recipients: Sequence[str], body: str) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction: it exists only if the caller commits."""
    row = OutboxMessage(kind=OutboxKind.message, state=OutboxState.queued, recipients=list(recipients),
                        subject=subject, body=body, attempts=0)
    session.add(row)
    return row


def enqueue_password_reset(session: Session, typed_email: str, link_start: str, asked_from: str | None) -> None:
    """Queue "a link was asked for this address", whatever the address: the same insert for every one.

    The worker looks the address up; the request that asks never learns (nor takes longer to
    answer) whether there is an account.
    """
    session.add(OutboxMessage(kind=OutboxKind.password_reset, state=OutboxState.queued, recipients=[typed_email],
                              subject="", body=link_start, asked_from=asked_from, attempts=0))


def _claimable(now: datetime):
    return (OutboxMessage.state == OutboxState.queued, OutboxMessage.due_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))


def claim(session: Session, now: datetime, batch_size: int, lease: timedelta) -> tuple[str, list[OutboxMessage]]:
    """Claim up to `batch_size` due rows for `lease`; returns the claim's token and the rows, oldest first.

    A conditional UPDATE. On PostgreSQL the rows are first picked with FOR UPDATE SKIP LOCKED, so
    two workers never pick the same row and neither waits for the other; on SQLite the pick is a
    subquery of the UPDATE, and SQLite runs one writing statement at a time. The UPDATE repeats the
    conditions, so a row another worker claimed meanwhile is left alone. A claim whose worker died is taken again
    once its lease has run out.
    """
    token = uuid.uuid4().hex
    picked: Any = select(OutboxMessage.id).where(*_claimable(now)).order_by(OutboxMessage.due_at, OutboxMessage.id)
    picked = picked.limit(batch_size)
    if session.get_bind().dialect.name == "postgresql":
        # Locked and read first: inside `IN (...)` PostgreSQL may run a LIMIT ... SKIP LOCKED subquery more
        # than once and claim more than a batch. The locks hold until the claim is committed.
        picked = list(session.scalars(picked.with_for_update(skip_locked=True)))
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(picked), *_claimable(now))
        .values(claimed_by=token, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.claimed_by == token, OutboxMessage.state == OutboxState.queued)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
    ))
    return token, rows


def _held(row_id: int, token: str):
    return (OutboxMessage.id == row_id, OutboxMessage.claimed_by == token)


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    """The server accepted it. Whoever holds the claim now, it is sent: the worker never sends it again."""
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.state == OutboxState.queued)
        .values(state=OutboxState.sent, sent_at=now, last_attempt_at=now, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def mark_skipped(session: Session, row_id: int, token: str, now: datetime) -> None:
    """Nothing to send (a link asked for an address with no active account)."""
    session.execute(
        update(OutboxMessage).where(*_held(row_id, token), OutboxMessage.state == OutboxState.queued)
        .values(state=OutboxState.skipped, last_attempt_at=now, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def back_off(attempts: int, base: timedelta = RETRY_BASE) -> timedelta:
    """How long to wait after the `attempts`-th failure: base, 2 x base, 4 x base ... up to RETRY_CAP."""
    return min(base * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def mark_failed(session: Session, row_id: int, attempts_before: int, token: str, error: str, now: datetime, *,
                max_attempts: int, retry_base: timedelta = RETRY_BASE) -> OutboxState:
    """Count a failed try: queued again after back-off, or dead after `max_attempts`, with the error kept."""
    attempts = attempts_before + 1
    state = OutboxState.dead if attempts >= max_attempts else OutboxState.queued
    session.execute(
        update(OutboxMessage).where(*_held(row_id, token), OutboxMessage.state == OutboxState.queued)
        .values(state=state, attempts=attempts, last_error=error[:2000], last_attempt_at=now,
                due_at=now + back_off(attempts, retry_base), claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return state


def release(session: Session, token: str) -> None:
    """Give back what this claim has not dealt with (a worker asked to stop), untried and due now."""
    session.execute(
        update(OutboxMessage).where(OutboxMessage.claimed_by == token, OutboxMessage.state == OutboxState.queued)
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def retry(session: Session, now: datetime, row_id: int | None = None) -> list[int]:
    """Put dead letters (one, or all when `row_id` is None) back in the queue, due now; returns their ids."""
    query = select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.dead)
    if row_id is not None:
        query = query.where(OutboxMessage.id == row_id)
    ids = list(session.scalars(query.order_by(OutboxMessage.id)))
    if ids:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.dead)
            .values(state=OutboxState.queued, attempts=0, due_at=now, claimed_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    return ids


class Backlog(NamedTuple):
    queued: int
    dead: int
    oldest_queued_at: datetime | None


def backlog(session: Session) -> Backlog:
    """What waits to be sent and what has died, in one statement (for /healthz and the admin page)."""
    queued = OutboxMessage.state == OutboxState.queued
    row = session.execute(select(
        func.count().filter(queued), func.count().filter(OutboxMessage.state == OutboxState.dead),
        func.min(OutboxMessage.created_at).filter(queued),
    )).one()
    return Backlog(queued=row[0], dead=row[1], oldest_queued_at=row[2])


def dead_letters(session: Session, limit: int = 200) -> list[OutboxMessage]:
    """The newest dead messages first."""
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == OutboxState.dead)
        .order_by(OutboxMessage.last_attempt_at.desc(), OutboxMessage.id.desc()).limit(limit)
    ))
