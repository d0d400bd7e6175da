"""What an attacker with write (and DDL) rights on the database can do to the audit log.

Written from the documented event format, not from the app's code: the forger knows the
algorithm and everything stored, but not AUDIT_KEY (they may guess one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import insert, select, text

from lms.clock import utcnow
from lms.extensions import db
from lms.models import AuditEvent

FIELDS = ("seq", "at", "action", "actor_id", "subject_id", "object_type", "object_id", "detail", "address")


def body(event: dict[str, Any]) -> bytes:
    values = [event[f] for f in FIELDS]
    values[1] = values[1].isoformat(timespec="microseconds")
    return json.dumps(values, separators=(",", ":"), ensure_ascii=True).encode()


def link(prev_hash: str, event: dict[str, Any], key: str | None) -> str:
    """The hash of an event: SHA-256 (before the key) or HMAC-SHA256 under `key`."""
    message = prev_hash.encode() + body(event)
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def stored() -> list[dict[str, Any]]:
    """Every event as plain values, in chain order."""
    db.session.rollback()
    rows = [dict(row._mapping) for row in db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq))]
    db.session.rollback()  # a read left open on SQLite would block the forger's writes
    return rows


def run(sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def wind_head(seq: int, last_hash: str) -> None:
    """Point the head at `seq` (the test database is emptied between tests, head row included)."""
    run("DELETE FROM audit_head")
    run("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, :s, :h)", s=seq, h=last_hash)


def append(action: str, *, scheme: str, key: str | None, **fields: Any) -> dict[str, Any]:
    """INSERT one event after the newest, linked and hashed as the app would, and move the head to it."""
    events = stored()
    prev = events[-1]["hash"] if events else "0" * 64
    event = dict(seq=len(events) + 1, at=utcnow(), action=action, actor_id=None, subject_id=None, object_type=None,
                 object_id=None, detail="{}", address=None) | fields
    event.update(prev_hash=prev, hash=link(prev, event, key), scheme=scheme)
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEvent.__table__).values(**event))
    wind_head(event["seq"], event["hash"])
    return stored()[-1]


def rehash_from(events: list[dict[str, Any]], start: int, key: str | None, scheme: str) -> None:
    """Recompute every hash from event `start` on (as rewritten in `events`) and store them, head included."""
    prev = events[start - 2]["hash"] if start > 1 else "0" * 64
    for event in events[start - 1:]:
        event.update(prev_hash=prev, hash=link(prev, event, key), scheme=scheme)
        prev = event["hash"]
    # prev_hash and hash are unique: clear the old values first so the rewrite never collides with itself.
    run("UPDATE audit_events SET prev_hash = 'x' || id, hash = 'y' || id WHERE seq >= :s", s=start)
    for event in events[start - 1:]:
        run("UPDATE audit_events SET action = :a, detail = :d, prev_hash = :p, hash = :h, scheme = :c WHERE seq = :s",
            a=event["action"], d=event["detail"], p=event["prev_hash"], h=event["hash"], c=scheme, s=event["seq"])
    wind_head(events[-1]["seq"], events[-1]["hash"])


class tampering:
    """Lift the append-only triggers for the length of a forgery (as only someone with DDL rights could)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def __enter__(self):
        with db.engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            else:
                conn.execute(text("DROP TRIGGER audit_events_no_update"))
                conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        return self

    def run(self, sql: str, **params) -> None:
        run(sql, **params)

    def __exit__(self, *exc) -> None:
        with db.engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
            else:
                for event in ("UPDATE", "DELETE"):
                    conn.execute(text(f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                                      "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"))
