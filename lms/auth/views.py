from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from lms.auth.forms import LoginForm
from lms.auth.service import authenticate
from lms.extensions import db, limiter

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the home page."""
    if not target:
        return url_for("training.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("training.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("training.index"))
    form = LoginForm()
    if form.validate_on_submit():
        person = authenticate(db.session, form.email.data, form.password.data)
        if person is None:
            form.form_errors.append("That email address and password do not match an account.")
        else:
            session.clear()  # a fresh session at sign-in
            login_user(person)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
