"""Signed-in sessions in a web request: starting one, ending this browser's, and refusing dead cookies.

Each signed-in browser has a row on the server (`session_store`, table `web_sessions`); Flask's
signed cookie carries only the value naming that row (beside Flask-Login's and the CSRF keys).
Before each page the row is read by its primary key (with the person, so Flask-Login reads
nothing more): a cookie whose row is gone — signed out, ended from the sessions page or "sign out
everywhere", a new password, a leaver — or whose row is past the idle (SESSION_IDLE_MINUTES) or
absolute (SESSION_MAX_HOURS) limit is refused and the browser treated as signed out. Nothing in
the cookie decides whether it still works, so a copy taken before signing out opens nothing
afterwards. The API (/api/*) uses tokens, not this session, and is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from lms.auth import session_store
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Person

SESSION_KEY = "session"  # the cookie's key naming this browser's row: "<id>.<secret>"

TIMED_OUT = "Your session timed out; sign in again."
ENDED = "Your session has ended: it was signed out, or your password was changed. Sign in again."
# The row is gone either way and the server keeps no reason for it, so one message serves both.
CHANGED_ELSEWHERE = ENDED


def limits() -> session_store.Limits:
    config = current_app.config
    return session_store.Limits(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                                maximum=timedelta(hours=config["SESSION_MAX_HOURS"]))


def current_id() -> int | None:
    """The id of this browser's session row, once `check_session` has accepted it."""
    return g.get("web_session_id")


def start(person: Person) -> int:
    """A fresh session for `person`: a new row, nothing from before signing in carried over. The caller commits.

    Sessions past their limits are ended first (whoever's), so the table holds live sessions only.
    """
    now = utcnow()
    session_store.end_expired(db.session, now, limits())
    row, value = session_store.start(db.session, person.id, user_agent=request.headers.get("User-Agent"),
                                     address=request.remote_addr, now=now)
    session.clear()
    login_user(person)
    session[SESSION_KEY] = value
    g.web_session_id = row.id
    return row.id


def end(how: str) -> None:
    """Sign this browser out: its row (if it still has one) is ended as `how`; the caller commits."""
    row_id = current_id()
    if row_id is not None:
        person_id = session.get("_user_id")
        session_store.end_one(db.session, row_id, how=how,
                              actor_id=int(person_id) if str(person_id).isdigit() else None)
    g.pop("web_session_id", None)
    logout_user()
    session.clear()


def _refusal(row, person_id: object, now) -> tuple[str, dict | None]:
    """Why this browser's session may not be used ("gone", "inactive", "idle", "maximum"), or ("", None)."""
    if row is None or str(row.person_id) != str(person_id):
        return "gone", None  # ended already (and audited then), or a cookie from before server-side sessions
    if not row.person.active:
        return "inactive", {"how": "deactivated"}  # a leaver is signed out at once
    limit = session_store.why_expired(row, now, limits())
    if limit is not None:
        return limit, {"how": "timeout", "limit": limit}
    return "", None


def check_session():
    """before_request: refuse a session the server no longer holds, or note that it was seen."""
    if request.endpoint == "static" or request.path.startswith("/api/") or request.path == "/healthz":
        return None
    person_id = session.get("_user_id")  # Flask-Login's key: someone signed in with this cookie
    if person_id is None:
        return None  # nobody signed in: nothing to read
    now = utcnow()
    row = session_store.find(db.session, session.get(SESSION_KEY))
    reason, ended = _refusal(row, person_id, now)
    if not reason:
        g.web_session_id = row.id
        # Held for the request: the identity map keeps objects only while referenced, and Flask-Login's
        # loader then finds the person this read brought instead of reading them again.
        g.web_session = row
        if session_store.touch(db.session, row, now):
            db.session.commit()  # at most once a minute per session
        return None
    if ended is not None:
        how, detail = ended["how"], {k: v for k, v in ended.items() if k != "how"} or None
        session_store.end_one(db.session, row.id, how=how, detail=detail)
        db.session.commit()
    else:
        current_app.logger.info("refused a session cookie whose session has ended (person %s)", person_id)
    logout_user()
    session.clear()
    flash(TIMED_OUT if reason in ("idle", "maximum") else ENDED, "info")
    if request.blueprint == "auth":
        return None  # signing in (or out, or setting a password) goes ahead, now signed out
    # A page asked for by GET is offered again after signing in; a form sent is not re-sent.
    target = None
    if request.method == "GET":
        target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))
