"""The clauses a scenario page offers and quotes, read once per policy version and process.

Every scenario page lists the ~20 clauses a person may name, each with its full text, and the
feedback quotes them: reading and hydrating them on every page was a sixth of the page's cost
(bench/RESULTS.md, item 1). A policy version's words never change (a change needs a new version,
lms.content.store), but `scenarios load` may correct titles and the pickable flag in place: the
cache is keyed by the version's content hash, forgotten in the process that loads content, and
entries expire after TTL seconds so other processes (gunicorn workers) follow within a minute.

The cache lives with the content it holds, so that `load_library` (lms/content/store.py) forgets it
itself, whoever calls it, without content importing training; the training service and pages
import it from here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import Clause, PolicyVersion

TTL = 60.0


@dataclass(frozen=True)
class ClauseText:
    number: str
    title: str
    text: str
    pickable: bool


_cache: dict[tuple[int, str], tuple[float, tuple[ClauseText, ...]]] = {}
_lock = Lock()


def of_policy(session: Session, policy: PolicyVersion) -> tuple[ClauseText, ...]:
    """Every clause of `policy`, in the policy's order."""
    key = (policy.id, policy.content_hash)
    now = time.monotonic()
    found = _cache.get(key)
    if found is not None and now - found[0] < TTL:
        return found[1]
    rows = session.execute(select(Clause.number, Clause.title, Clause.text, Clause.pickable)
                           .where(Clause.policy_version_id == policy.id).order_by(Clause.position))
    clauses = tuple(ClauseText(*row) for row in rows)
    with _lock:
        _cache[key] = (now, clauses)
    return clauses


def pickable(session: Session, policy: PolicyVersion) -> list[ClauseText]:
    """The clauses a person may name as breached."""
    return [c for c in of_policy(session, policy) if c.pickable]


def by_number(session: Session, policy: PolicyVersion) -> dict[str, ClauseText]:
    return {c.number: c for c in of_policy(session, policy)}


def forget() -> None:
    """After content is loaded in this process (titles or flags may have been corrected)."""
    with _lock:
        _cache.clear()
