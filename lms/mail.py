"""Email: `send` puts a message in the outbox, in the caller's transaction; the mail worker sends it.

Nothing here talks to a mail server, so a request never waits for one and an email exists
exactly when the change that causes it was committed (lms/outbox/worker.py sends, retries and
keeps dead letters). With no MAIL_SERVER (the embedded default) the worker logs each message
to the `lms.mail` logger instead of sending it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from lms.extensions import db
from lms.models.outbox import OutboxMessage
from lms.outbox.queue import enqueue

log = logging.getLogger("lms.mail")


def send(subject: str, recipients: Sequence[str], body: str, *, session: Session | None = None) -> OutboxMessage:
    """Queue a plain-text message in `session` (the request's by default); the caller commits as usual."""
    return enqueue(session or db.session, subject, recipients, body)
