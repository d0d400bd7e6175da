from datetime import timedelta

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from lms.access import allowed
from lms.audit import record_request
from lms.auth import session_store, sessions, two_factor
from lms.auth.blueprint import bp
from lms.auth.forms import ChangePasswordForm, LoginForm, NewPasswordForm, ResetRequestForm
from lms.auth.passwords import verify_password
from lms.auth.redirects import safe_next
from lms.auth.service import check_sign_in, set_password
from lms.auth.tokens import read_reset_token
from lms.extensions import db, limiter
from lms.outbox.queue import enqueue_password_reset
from lms.people.directory import normalise_email
from lms.sso import providers

bp.before_app_request(sessions.check_session)  # every page, every blueprint: the server's row decides (sessions.py)

BAD_SIGN_IN = "That email address and password do not match an account."
# Whether an account exists is never told: the limits count typed addresses, known or not.
TOO_MANY_FROM_ADDRESS = "Too many sign-in attempts from your network. Wait a minute and try again."
TOO_MANY_FOR_ACCOUNT = "Too many failed sign-ins with this email address. Wait 15 minutes and try again."
TOO_MANY_RESETS = "Too many requests to set a password. Wait an hour and try again."


def use_school_account(email: str) -> str:
    """What someone in an SSO_ONLY_DOMAINS domain is told instead of signing in or resetting with a password."""
    buttons = " or ".join(f"“Sign in with {provider.label}”" for provider in providers.configured())
    how = f"use {buttons} above" if buttons else "use your school account"
    return (f"Staff with an address at {providers.email_domain(email)} sign in with their school account, "
            f"not a password: {how}.")


def _typed_email(prefix: str):
    """A rate-limit key from the address typed in the form, so guesses spread over many networks still count."""
    return lambda: f"{prefix}:{normalise_email(request.form.get('email'))[:254]}"


def _failed(_response) -> bool:
    """Only failures count against an account: its owner signing in now and then is never held up."""
    return bool(g.get("auth_failed"))


def _refused_sign_in(message: str):
    def respond(_limit):
        form = LoginForm()
        form.form_errors.append(message)
        return make_response(render_template("auth/login.html", form=form, providers=providers.configured()), 429)
    return respond


def _refused_reset(_limit):
    form = ResetRequestForm()
    form.form_errors.append(TOO_MANY_RESETS)
    return make_response(render_template("auth/reset_request.html", form=form), 429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], on_breach=_refused_sign_in(TOO_MANY_FROM_ADDRESS))
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_typed_email("sign-in"), deduct_when=_failed,
               on_breach=_refused_sign_in(TOO_MANY_FOR_ACCOUNT))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("training.index"))
    form = LoginForm()
    valid = form.validate_on_submit()
    if valid and providers.sso_only(form.email.data):
        # Said of the domain, whoever typed it: it tells nothing about whether the account exists.
        form.email.errors = [*form.email.errors, use_school_account(form.email.data)]
    elif valid:
        result = check_sign_in(db.session, form.email.data, form.password.data)
        if result.person is None:
            g.auth_failed = True
            # Committed on its own: a refusal changes nothing else, and must still be on record.
            record_request("sign_in_failed", subject_id=result.known_id, detail={"email": form.email.data[:254]})
            db.session.commit()
            form.form_errors.append(BAD_SIGN_IN)
        else:
            person = result.person
            if two_factor.required_for(person):
                # Not signed in yet: the last sign-in time and any rehash wait until the code is given.
                db.session.rollback()
                return two_factor.begin(person, safe_next(request.args.get("next")))
            session_id = sessions.start(person)  # a fresh session, and its row on the server
            record_request("sign_in", actor_id=person.id, subject_id=person.id, object_type="web_session",
                           object_id=session_id, detail={"method": "password"})
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, providers=providers.configured())


@bp.post("/logout")
def logout():
    sessions.end("sign_out")  # the row goes: a copy of this cookie opens nothing from now on
    db.session.commit()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))


def _reset_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])


def _send_reset_link(email: str) -> None:
    """Queue "a link was asked for this address": the same insert whether or not it has an account.

    The mail worker looks the address up, audits `password_reset_requested` and sends the link to
    an active account (lms/outbox/reset.py), so this request does the same work for every address.
    """
    link_start = current_app.config["APP_BASE_URL"] + url_for("auth.reset_password", token="")
    enqueue_password_reset(db.session, email, link_start, request.remote_addr)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], on_breach=_refused_reset)
@limiter.limit("5 per hour", methods=["POST"], key_func=_typed_email("reset"), on_breach=_refused_reset)
def reset_request():
    form = ResetRequestForm()
    valid = form.validate_on_submit()
    if valid and providers.sso_only(form.email.data):
        form.email.errors = [*form.email.errors, use_school_account(form.email.data)]  # and no email is sent
    elif valid:
        email = normalise_email(form.email.data)
        _send_reset_link(email)
        db.session.commit()
        # The same answer for every address: this page must not tell who has an account.
        flash(f"If {email} belongs to an account here, we have emailed it a link to set a password. "
              f"The link works once, within {current_app.config['PASSWORD_RESET_HOURS']} hours.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    link = read_reset_token(db.session, current_app.config["SECRET_KEY"], token, _reset_lifetime())
    if link.person is None:
        response = make_response(render_template("auth/reset_password.html", problem=link.problem, form=None), 400)
    else:
        person = link.person
        form = NewPasswordForm()
        if form.validate_for(person, current_app.config["TRUST_NAME"]):
            if set_password(db.session, person, form.password.data):
                # Every browser signed in as them ends, and this one whoever it was signed in as.
                session_store.end_all_for(db.session, [person.id], how="password", actor_id=person.id)
                sessions.end("password")
                record_request("password_changed", actor_id=person.id, subject_id=person.id, detail={"how": "reset"})
                db.session.commit()
                flash("Your password is set. Sign in with it now.", "info")
                return redirect(url_for("auth.login"))
            db.session.rollback()
            form.form_errors.append("This link has just been used to set a password; ask for a new one if you need it.")
        status = 422 if form.errors or form.form_errors else 200
        response = make_response(render_template("auth/reset_password.html", problem=None, form=form), status)
    response.headers["Cache-Control"] = "no-store"  # the page's address is the key to an account
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"], deduct_when=_failed,
               key_func=lambda: f"password-change:{current_user.get_id()}")
@allowed("account.manage")
def change_password():
    form = ChangePasswordForm()
    person = current_user._get_current_object()  # the Person itself: set_password refreshes it
    valid = form.validate_for(person, current_app.config["TRUST_NAME"])
    if form.is_submitted() and form.current.data and not form.current.errors:
        if not verify_password(person.password_hash, form.current.data):
            g.auth_failed = True  # guessing the current password from a borrowed session is limited too
            form.current.errors = [*form.current.errors, "That is not your current password."]
            valid = False
        if valid:
            if set_password(db.session, person, form.password.data):
                # This browser, which has just proved it knows the password, stays signed in; every other ends.
                session_store.end_all_for(db.session, [person.id], except_id=sessions.current_id(), how="password",
                                          actor_id=person.id)
                record_request("password_changed", subject_id=person.id, detail={"how": "changed"})
                db.session.commit()
                flash("Your password has been changed. Any other sessions you had open have been signed out.", "info")
                return redirect(url_for("training.index"))
            db.session.rollback()
            form.form_errors.append("Your password was changed somewhere else just now; sign in again.")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/change_password.html", form=form), status
