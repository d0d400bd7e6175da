"""/account/sessions: the browsers a person is signed in on, and ending any of them (rule account.manage)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from lms.access import allowed, fetch
from lms.auth import session_store, sessions
from lms.auth.blueprint import bp
from lms.auth.user_agents import describe
from lms.clock import shown_at, utcnow
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import WebSession


@bp.get("/account/sessions")
@allowed("account.manage")
def sessions_page():
    here = sessions.current_id()
    rows = session_store.list_for(db.session, current_user.id, utcnow(), sessions.limits())
    listed = [{"id": r.id, "started": shown_at(r.created_at), "seen": shown_at(r.last_seen_at), "browser": describe(r.user_agent),
               "address": r.address or "Not known", "here": r.id == here}
              for r in sorted(rows, key=lambda r: r.id != here)]  # this browser first, then the most recently seen
    response = make_response(render_template("auth/sessions.html", sessions=listed,
                                              others=sum(1 for s in listed if not s["here"])))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/sessions/<int:session_id>/end")
@allowed("account.manage")
def end_session(session_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    fetch(WebSession, session_id, "session.own", refused=404)  # someone else's session, or none: the same answer
    if session_id == sessions.current_id():
        sessions.end("ended_from_list")  # ending this browser's own session is signing out
        db.session.commit()
        flash("You have signed out.", "info")
        return redirect(url_for("auth.login"))
    session_store.end_one(db.session, session_id, how="ended_from_list", actor_id=current_user.id)
    db.session.commit()
    flash("That session has ended: the browser it was on is signed out.", "info")
    return redirect(url_for("auth.sessions_page"))


@bp.post("/account/sessions/end-others")
@allowed("account.manage")
def end_other_sessions():
    if not EmptyForm().validate_on_submit():
        abort(400)
    ended = session_store.end_all_for(db.session, [current_user.id], except_id=sessions.current_id(),
                                      how="everywhere", actor_id=current_user.id)
    db.session.commit()
    flash(f"Signed out everywhere else ({ended} {'session' if ended == 1 else 'sessions'} ended). "
          "This browser stays signed in.", "info")
    return redirect(url_for("auth.sessions_page"))
