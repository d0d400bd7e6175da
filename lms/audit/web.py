"""Auditing reads from views: downloads and pages that show other people's records.

A GET changes nothing else, so nothing else would commit: these helpers append the event and
commit it at once. Views call them after building the response body, so the event is written
only for a page or file that was actually produced, and a failure to write it is an error
(500) rather than an unaudited view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_login import current_user

from lms.audit.log import record_many, record_request
from lms.extensions import db

VIEWED = "records.viewed"


def _viewer() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def exported(what: str, *, subject_id: int | None = None, object_type: str | None = None,
             object_id: int | None = None, actor_id: int | None = None, commit: bool = True, **detail: Any) -> None:
    """An export (CSV, PDF or JSON) left the system: `export.<what>`, committed now.

    `actor_id` is for callers not signed in by session (the API's token holder).
    """
    record_request(f"export.{what}", actor_id=actor_id if actor_id is not None else _viewer(),
                   subject_id=subject_id, object_type=object_type, object_id=object_id, detail=detail)
    if commit:
        db.session.commit()


def viewed(page: str, subject_ids: Iterable[int], *, object_type: str | None = None, object_id: int | None = None,
           actor_id: int | None = None, commit: bool = True, **detail: Any) -> int:
    """One `records.viewed` event per named person a page showed to someone else (never the viewer)."""
    me = actor_id if actor_id is not None else _viewer()
    others = sorted({i for i in subject_ids if i is not None and i != me})
    count = record_many(db.session, VIEWED, others, actor_id=me, object_type=object_type, object_id=object_id,
                        detail={"page": page, **detail})
    if commit:
        db.session.commit()
    return count
