"""How an audit event is hashed, and walking the chain to find the first broken link.

Each event's hash covers the previous event's hash and its own fields in a fixed JSON form, so
changing a field, deleting a row or inserting one between two others breaks the chain. Since
issue 15 the hash is an HMAC-SHA256 under AUDIT_KEY, which lives outside the database: someone
who can write the database (and lift its append-only triggers) can no longer append, edit or
re-hash events so that they verify. Deleting the newest events still leaves a valid shorter
chain; anchors (`lms/audit/anchors.py`) catch that.

Events written before the key existed carry `scheme = "sha256"` (migration 0014 labels them)
and are checked as plain SHA-256 without rewriting history. They can only form the start of
the log: once a keyed event exists, an unkeyed one after it is a break.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AuditEvent, AuditHead
from lms.models.audit import KEYED, UNKEYED

GENESIS = "0" * 64


def audit_key() -> bytes:
    """AUDIT_KEY from the app's config: the one place the audit package reads it.

    `record` keeps the signature every service already calls it with (a session and plain
    fields); threading the key through each of those callers would change dozens of signatures
    for a value that is the same for the whole process, so the audit package reads the setting
    itself, here, at the moment it hashes. `walk` and `verify` take the key as an argument so a
    check can be run with another key. An empty key is refused rather than writing events anyone
    could forge.
    """
    from flask import current_app

    key = current_app.config.get("AUDIT_KEY") or ""
    if not key:
        raise MissingKey("AUDIT_KEY is not set: the audit log cannot be written or checked without its key "
                         "(production requires it; development keeps one in instance/audit_key).")
    return key.encode()


class MissingKey(RuntimeError):
    pass


def body(seq: int, at: datetime, action: str, actor_id: int | None, subject_id: int | None,
         object_type: str | None, object_id: int | None, detail: str, address: str | None) -> bytes:
    """The event's fields in the fixed form the hash covers (unchanged since migration 0007)."""
    return json.dumps(
        [seq, at.isoformat(timespec="microseconds"), action, actor_id, subject_id, object_type, object_id,
         detail, address],
        separators=(",", ":"), ensure_ascii=True,
    ).encode()


def keyed_hash(key: bytes, prev_hash: str, event_body: bytes) -> str:
    return hmac.new(key, prev_hash.encode() + event_body, hashlib.sha256).hexdigest()


def unkeyed_hash(prev_hash: str, event_body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + event_body).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    event_id: int | None
    reason: str
    wrong_key: bool = False  # no keyed event verifies from here on: most likely AUDIT_KEY is not the log's key

    def __str__(self) -> str:
        where = f"event {self.seq}" + (f" (id {self.event_id})" if self.event_id is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Walk:
    """What walking the chain found."""

    checked: int  # events that verified, from the first
    unkeyed: int  # of which written before the key (plain SHA-256)
    broken: BrokenLink | None
    head_hash: str  # the hash of the last event checked (GENESIS for none)


_COLUMNS = (AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.action, AuditEvent.actor_id,
            AuditEvent.subject_id, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.detail,
            AuditEvent.address, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.scheme)


def _row_body(row) -> bytes:
    return body(row.seq, row.at, row.action, row.actor_id, row.subject_id, row.object_type, row.object_id,
                row.detail, row.address)


def _key_is_wrong(session: Session, key: bytes, first) -> bool:
    """The first keyed event fails its HMAC: a wrong key if the next event fails too (a forger edits one)."""
    after = session.execute(select(*_COLUMNS).where(AuditEvent.seq == first.seq + 1)).first()
    return (after is not None and after.scheme == KEYED and after.prev_hash == first.hash
            and keyed_hash(key, after.prev_hash, _row_body(after)) != after.hash)


def _check(session: Session, key: bytes, row, prev: str, keyed_seen: bool) -> BrokenLink | None:
    if row.prev_hash != prev:
        return BrokenLink(row.seq, row.id, "does not follow the event before it")
    if row.scheme == UNKEYED:
        if keyed_seen:
            return BrokenLink(row.seq, row.id, "written without the key after events written with it: "
                                               "it was added or rewritten outside the app")
        if unkeyed_hash(row.prev_hash, _row_body(row)) != row.hash:
            return BrokenLink(row.seq, row.id, "its contents were changed after it was written")
        return None
    if row.scheme != KEYED:
        return BrokenLink(row.seq, row.id, f"unknown hash scheme {row.scheme!r}")
    if keyed_hash(key, row.prev_hash, _row_body(row)) == row.hash:
        return None
    if not keyed_seen and _key_is_wrong(session, key, row):
        return BrokenLink(row.seq, row.id, "the key does not match the one the log was written with: no event "
                                           "from here on verifies under AUDIT_KEY (check the setting; otherwise "
                                           "every event from here on was rewritten)", wrong_key=True)
    if not keyed_seen:  # the only keyed event so far: a wrong key and an edit look the same
        return BrokenLink(row.seq, row.id, "its HMAC does not match its contents: it was changed or forged "
                                           "after it was written, or AUDIT_KEY is not the key the log was "
                                           "written with")
    return BrokenLink(row.seq, row.id, "its HMAC does not match its contents: it was changed or forged "
                                       "after it was written")


def walk(session: Session, key: bytes, batch: int = 5000) -> Walk:
    """Walk the chain in order, checking every link, hash and the head."""
    prev, expected_seq, checked, unkeyed, keyed_seen = GENESIS, 1, 0, 0, False
    while True:  # in batches of plain rows: the log may be long
        rows = session.execute(
            select(*_COLUMNS).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return Walk(checked, unkeyed, BrokenLink(expected_seq, None,
                                                         f"missing: the next event stored is {row.seq}"), prev)
            broken = _check(session, key, row, prev, keyed_seen)
            if broken is not None:
                return Walk(checked, unkeyed, broken, prev)
            keyed_seen = keyed_seen or row.scheme == KEYED
            unkeyed += row.scheme == UNKEYED
            prev = row.hash
            expected_seq += 1
            checked += 1
    head = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return Walk(checked, unkeyed, BrokenLink(checked + 1, None, f"missing: the log should hold {head.seq} events"),
                    prev)
    return Walk(checked, unkeyed, None, prev)


def verify(session: Session, key: bytes | None = None, batch: int = 5000) -> tuple[int, BrokenLink | None]:
    """(events checked, the first broken link or None), under `key` or else AUDIT_KEY."""
    result = walk(session, key if key is not None else audit_key(), batch)
    return result.checked, result.broken
