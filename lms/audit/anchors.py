"""Anchors: the head of the audit chain written down where the database's writer cannot reach.

The HMAC stops anyone without AUDIT_KEY from writing events that verify, but deleting the
newest events (and winding the head back) leaves a shorter chain that is still valid. An
anchor, one JSON line `{"seq": …, "hash": …, "at": …}` printed by `flask audit anchor` and kept
by the trust on other storage (appended daily to a file, or mailed), pins the event at `seq`:
`verify --anchor FILE` fails when that event is missing or hashed differently, or the log has
become shorter than the anchor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.audit.chain import GENESIS, Walk
from lms.models import AuditEvent

_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str | None  # when the event at `seq` was written (UTC), for people reading the message
    line: int | None = None  # where it was read from

    def line_text(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at})

    def __str__(self) -> str:
        where = f"Anchor at line {self.line}" if self.line is not None else "Anchor"
        return f"{where} (event {self.seq}, {self.at or 'no time'})"


class AnchorFileError(ValueError):
    """A line that is not an anchor: reported with the file and line number."""


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current(session: Session) -> Anchor:
    """The newest event as an anchor (seq 0 and the genesis hash for an empty log)."""
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at)
                          .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if row is None:
        return Anchor(0, GENESIS, None)
    return Anchor(row.seq, row.hash, _utc(row.at))


def parse(lines: Iterable[str], source: str) -> list[Anchor]:
    """Every anchor in `lines` (blank lines and `#` comments skipped); AnchorFileError names a bad line."""
    anchors = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise AnchorFileError(f"{source} line {number}: not an anchor (a JSON object printed by "
                                  f"`flask audit anchor` was expected): {text[:80]!r}")
        seq, digest, at = value.get("seq"), value.get("hash"), value.get("at")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise AnchorFileError(f"{source} line {number}: \"seq\" must be a whole number of 0 or more, not {seq!r}")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise AnchorFileError(f"{source} line {number}: \"hash\" must be 64 lower-case hex digits, not {digest!r}")
        if at is not None and not isinstance(at, str):
            raise AnchorFileError(f"{source} line {number}: \"at\" must be a time in quotes, not {at!r}")
        anchors.append(Anchor(seq, digest, at, number))
    if not anchors:
        raise AnchorFileError(f"{source} holds no anchor")
    return anchors


def _stored_hashes(session: Session, seqs: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ordered = sorted(seqs)
    for start in range(0, len(ordered), 500):  # a year of daily anchors stays well inside any bind limit
        chunk = ordered[start:start + 500]
        found.update((seq, digest) for seq, digest in
                     session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(chunk))))
    return found


def check(session: Session, anchors: Sequence[Anchor], walked: Walk) -> list[str]:
    """What is wrong at each anchor that does not hold (empty when all do)."""
    last = session.scalar(select(func.max(AuditEvent.seq))) or 0
    stored = _stored_hashes(session, {a.seq for a in anchors if a.seq > 0})
    problems = []
    for anchor in anchors:
        if anchor.seq == 0:
            if anchor.hash != GENESIS:
                problems.append(f"{anchor}: an anchor of the empty log has the hash of zeros, not {anchor.hash}")
        elif anchor.seq > last:
            problems.append(f"{anchor}: the log ends at event {last}, before this anchor: events were removed")
        elif anchor.seq not in stored:
            problems.append(f"{anchor}: event {anchor.seq} is missing")
        elif stored[anchor.seq] != anchor.hash:
            problems.append(f"{anchor}: event {anchor.seq} has a different hash: the log was rewritten at or "
                            "before it")
        elif walked.unkeyed > anchor.seq:
            # Anchors are taken by the keyed app, which writes no unkeyed event: any after one were forged.
            problems.append(f"{anchor}: events {anchor.seq + 1} to {walked.unkeyed} have no HMAC, yet were "
                            "written after this anchor was taken: they were added outside the app")
    return problems
