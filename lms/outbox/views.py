"""/admin/mail: what waits to be sent, the dead letters, and retrying them (rule mail.outbox)."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for

from lms.access import allowed, fetch
from lms.audit import record_request
from lms.clock import shown_at, utcnow
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models.outbox import OutboxMessage, OutboxState
from lms.outbox import queue
from lms.outbox.blueprint import bp


def _age(since: datetime | None, now: datetime) -> str:
    """How long the oldest message has waited, in words."""
    if since is None:
        return "Nothing waiting"
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 1:
        return "Under a minute"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


@bp.get("")
@allowed("mail.outbox")
def index():
    now = utcnow()
    waiting = queue.backlog(db.session)
    dead = [{"id": m.id, "to": ", ".join(m.recipients), "subject": m.subject or "Password link",
             "attempts": m.attempts, "error": m.last_error or "", "when": shown_at(m.last_attempt_at)}
            for m in queue.dead_letters(db.session)]
    return render_template("outbox/index.html", backlog=waiting, oldest=_age(waiting.oldest_queued_at, now),
                           oldest_at=shown_at(waiting.oldest_queued_at), dead=dead, form=EmptyForm())


def _retried(ids: list[int]) -> None:
    record_request("mail.retried", object_type="mail", object_id=ids[0] if len(ids) == 1 else None,
                   detail={"ids": ids[:500], "count": len(ids)})
    db.session.commit()


@bp.post("/<int:message_id>/retry")
@allowed("mail.outbox")
def retry(message_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    message = fetch(OutboxMessage, message_id, "mail.outbox")
    ids = queue.retry(db.session, utcnow(), message.id)
    if ids:
        _retried(ids)
        flash(f"The message to {', '.join(message.recipients)} is queued again; the mail worker will send it.", "info")
    elif message.state is not OutboxState.dead:
        flash("That message is not a dead letter any more: it was already retried or sent.", "info")
    return redirect(url_for("outbox.index"))


@bp.post("/retry")
@allowed("mail.outbox")
def retry_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = queue.retry(db.session, utcnow())
    if ids:
        _retried(ids)
        flash(f"{len(ids)} dead message(s) queued again; the mail worker will send them.", "info")
    else:
        flash("There were no dead messages to retry.", "info")
    return redirect(url_for("outbox.index"))
