"""/healthz: what a load balancer and the person on call need to know, in one small JSON answer.

The database is the one dependency without which nothing works: when it is unreachable the
answer is 503, so a load balancer takes this instance out. Redis holds only the rate-limit
counters; when it is down sign-in goes on with limits counted in memory per process
(Flask-Limiter's fallback, `RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`), so the instance is
"degraded" but still serving (200). The mail outbox backlog shows mail that is waiting or dead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

OK, DEGRADED, ERROR = "ok", "degraded", "error"


def database(session: Session) -> str:
    try:
        session.execute(text("SELECT 1"))
    except Exception:  # any failure to answer means unreachable
        session.rollback()
        return "unreachable"
    return OK


def rate_limits(storage_uri: str, check: Callable[[], bool]) -> str:
    """"ok", "memory" (the embedded default: one process), or "unreachable" (counted in memory per process)."""
    if storage_uri.startswith("memory://"):
        return "memory"
    try:
        return OK if check() else "unreachable"
    except Exception:  # a storage that raises is as good as down
        return "unreachable"


def mail_backlog(session: Session) -> dict[str, Any]:
    """Queued and dead messages in the outbox, and how long the oldest queued one has waited."""
    from lms.clock import utcnow
    from lms.outbox.queue import backlog

    found = backlog(session)
    oldest = found.oldest_queued_at
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    waited = None if oldest is None else max(0, int((utcnow() - oldest).total_seconds() // 60))
    return {"queued": found.queued, "dead": found.dead, "oldest_queued_minutes": waited}


def report(session: Session, storage_uri: str, check_storage: Callable[[], bool],
           outbox: Callable[[Session], dict[str, Any]] | None = None) -> tuple[dict[str, Any], int]:
    """The JSON body and its status code."""
    body: dict[str, Any] = {"database": database(session)}
    if body["database"] != OK:
        return {"status": ERROR, **body}, 503
    body["rate_limits"] = rate_limits(storage_uri, check_storage)
    if outbox is not None:
        body["mail"] = outbox(session)
    degraded = body["rate_limits"] == "unreachable" or (body.get("mail") or {}).get("dead", 0) > 0
    return {"status": DEGRADED if degraded else OK, **body}, 200
