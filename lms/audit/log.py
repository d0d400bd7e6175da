"""Appending to the hash-chained audit log (how events are hashed and checked: `chain.py`).

An event's hash is HMAC-SHA256 under AUDIT_KEY over the previous hash and the event's fields,
so changing any field, deleting a row or inserting one between two others breaks the chain,
and nobody without the key can write an event that verifies. Appends happen in the caller's
transaction: the event is stored if and only if what it describes is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lms.audit.chain import GENESIS, audit_key, body, keyed_hash
from lms.clock import utcnow
from lms.models import AuditEvent, AuditHead
from lms.models.audit import KEYED


def _head(session: Session) -> AuditHead:
    """Lock the head of the chain (creating it on an empty database) and return it."""
    locked = session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    if locked.rowcount == 0:  # a database emptied by hand (tests); the migration inserts the head
        session.add(AuditHead(id=1, seq=0, last_hash=GENESIS))
        session.flush()
    return session.execute(select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
                           ).scalar_one()


def _canonical(detail: dict[str, Any] | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _address(address: str | None) -> str | None:
    """The address given, else the client's when inside a web request (services never read `request`)."""
    if address is None:
        from flask import has_request_context, request

        if has_request_context():
            address = request.remote_addr
    return (address or None) and address[:45]


def record(session: Session, action: str, *, actor_id: int | None = None, subject_id: int | None = None,
           object_type: str | None = None, object_id: int | None = None, detail: dict[str, Any] | None = None,
           address: str | None = None) -> AuditEvent:
    """Append one event in the current transaction (the caller commits)."""
    key = audit_key()  # before the head's lock: a missing key fails without holding it
    head = _head(session)
    text = _canonical(detail)
    at = utcnow().astimezone(UTC)
    seq = head.seq + 1
    address = _address(address)
    digest = keyed_hash(key, head.last_hash,
                        body(seq, at, action, actor_id, subject_id, object_type, object_id, text, address))
    event = AuditEvent(seq=seq, at=at, action=action, actor_id=actor_id, subject_id=subject_id,
                       object_type=object_type, object_id=object_id, detail=text, address=address,
                       prev_hash=head.last_hash, hash=digest, scheme=KEYED)
    session.add(event)
    head.seq = seq
    head.last_hash = digest
    session.flush()
    return event


_FIELDS = {"action", "actor_id", "subject_id", "object_type", "object_id", "detail"}


def record_all(session: Session, events: Sequence[dict[str, Any]], *, address: str | None = None) -> int:
    """Append several events (dicts of `record`'s keyword fields) under one lock and in one INSERT.

    For work that touches many people at once (an import, a page listing a team): the number of
    statements stays the same however many events there are. Returns how many were appended.
    """
    if not events:
        return 0
    key = audit_key()
    head = _head(session)
    at = utcnow().astimezone(UTC)
    address = _address(address)
    prev, seq, rows = head.last_hash, head.seq, []
    for event in events:
        unknown = set(event) - _FIELDS
        if unknown or "action" not in event:  # a misspelt field would otherwise vanish from the record
            raise TypeError(f"audit event fields: unknown {sorted(unknown)} or no action in {sorted(event)}")
        seq += 1
        fields = dict(action=event["action"], actor_id=event.get("actor_id"), subject_id=event.get("subject_id"),
                      object_type=event.get("object_type"), object_id=event.get("object_id"),
                      detail=_canonical(event.get("detail")), address=address)
        digest = keyed_hash(key, prev, body(seq, at, **fields))
        rows.append(dict(seq=seq, at=at, prev_hash=prev, hash=digest, scheme=KEYED, **fields))
        prev = digest
    session.execute(insert(AuditEvent), rows)
    head.seq = seq
    head.last_hash = prev
    session.flush()
    return len(rows)


def record_many(session: Session, action: str, subject_ids: Sequence[int], *, address: str | None = None,
                **fields: Any) -> int:
    """One event per subject, all alike but for the subject (see `record_all`)."""
    return record_all(session, [dict(action=action, subject_id=s, **fields) for s in subject_ids], address=address)


def record_request(action: str, **fields: Any) -> AuditEvent:
    """`record` for the current web request: the signed-in person is the actor, their address is kept."""
    from flask import request
    from flask_login import current_user

    from lms.extensions import db

    if "actor_id" not in fields and current_user and current_user.is_authenticated:
        fields["actor_id"] = current_user.id
    fields.setdefault("address", request.remote_addr)
    return record(db.session, action, **fields)
