"""How long a signed-in session lasts, and ending it.

The session (Flask's signed cookie) records when the person signed in and when they were last
seen. Before each page a session is ended when it has been idle too long, has reached its
maximum age, began before the person's password was last set (so setting a password ends every
other session), or belongs to someone no longer active (a leaver is signed out at once). The API (/api/*) uses tokens, not this
session, and is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from lms.clock import utcnow
from lms.models import Person

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Refreshing "last seen" rewrites the cookie; once a minute is precise enough for a 30-minute limit.
SEEN_RESOLUTION = timedelta(minutes=1)

TIMED_OUT = "Your session timed out; sign in again."
CHANGED_ELSEWHERE = "Your password was changed, so this session has ended; sign in again with the new password."
ENDED = "Your session has ended; sign in again."


def start(person: Person, at: datetime | None = None) -> None:
    """A fresh session for `person`: nothing from before signing in is carried over."""
    at = at or utcnow()
    session.clear()
    login_user(person)
    session[SIGNED_IN_AT] = at.isoformat()
    session[SEEN_AT] = at.isoformat()


def end() -> None:
    logout_user()
    session.clear()


def _moment(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def why_ended(data: dict, person: Person, now: datetime, idle: timedelta, maximum: timedelta) -> str | None:
    """Why this session may no longer be used ("idle", "maximum", "password", "unknown"), or None."""
    signed_in, seen = _moment(data.get(SIGNED_IN_AT)), _moment(data.get(SEEN_AT))
    if signed_in is None or seen is None:
        return "unknown"  # not made by `start`: trust nothing about its age
    if person.password_changed_at is not None and signed_in < person.password_changed_at:
        return "password"
    if now - signed_in > maximum:
        return "maximum"
    if now - seen > idle:
        return "idle"
    return None


def check_session():
    """before_request: end an expired session and send the page to sign in; else note the person was seen."""
    if request.endpoint == "static" or request.path.startswith("/api/") or request.path == "/healthz":
        return None
    authenticated = current_user.is_authenticated  # first: Flask-Login's own checks may already end the session
    person_id = session.get("_user_id")  # Flask-Login's key: someone signed in with this session
    if person_id is None:
        return None
    config = current_app.config
    now = utcnow()
    if authenticated:
        reason = why_ended(session, current_user, now, timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                           timedelta(hours=config["SESSION_MAX_HOURS"]))
    else:
        reason = "inactive"  # deactivated (Flask-Login counts an inactive person as signed out) or gone
    if reason is None:
        seen = _moment(session.get(SEEN_AT))
        if seen is None or now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now.isoformat()
        return None
    from lms.audit import record_request
    from lms.extensions import db

    person_id = int(person_id) if str(person_id).isdigit() else None
    record_request("sign_out", actor_id=person_id, subject_id=person_id, detail={"reason": reason})
    db.session.commit()
    end()
    flash(CHANGED_ELSEWHERE if reason == "password" else TIMED_OUT if reason in ("idle", "maximum") else ENDED, "info")
    if request.blueprint == "auth":
        return None  # signing in (or out, or setting a password) goes ahead, now signed out
    # A page asked for by GET is offered again after signing in; a form sent is not re-sent.
    target = None
    if request.method == "GET":
        target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))
