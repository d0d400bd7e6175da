"""Signing in with a school Microsoft 365 or Google Workspace account (lms/sso, docs/sso.md).

/login/sso/<id> sends the browser to the provider; /login/sso/<id>/callback is the redirect URI
the trust registers there. A refusal is a plain page saying what happened and what to do, with
nothing created: no person, no link, no session. Every attempt is in the audit log with the
method and provider.
"""

from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from lms.audit import record_request
from lms.auth import sessions
from lms.auth.blueprint import bp
from lms.auth.redirects import safe_next
from lms.clock import utcnow
from lms.extensions import db, limiter
from lms.sso import client, providers
from lms.sso.claims import Identity, identity
from lms.sso.matching import match

NEXT_KEY = "sso_next"  # where to go after signing in, kept across the trip to the provider


def _provider(provider_id: str) -> providers.Provider:
    provider = providers.find(provider_id)
    if provider is None:
        abort(404)
    return provider


def _refused(provider: providers.Provider, reason: str, message: str, status: int = 403, email: str = "",
             known_id: int | None = None):
    db.session.rollback()  # nothing of this attempt is kept but the record of it
    record_request("sign_in_failed", subject_id=known_id,
                   detail={"method": "sso", "provider": provider.id, "reason": reason, "email": email[:254]})
    db.session.commit()
    response = make_response(render_template("auth/sso_refused.html", provider=provider, message=message,
                                             email=email), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_matched(provider: providers.Provider, problem: str, email: str) -> str:
    who = f"You are signed in to {provider.label} as {email}, but"
    if problem == "leaver":
        return f"{who} that account belongs to someone who has left the trust, so it cannot be used here."
    if problem == "linked_elsewhere":
        return (f"{who} the trust's record for {email} is already linked to a different {provider.label} "
                "account. Sign in with that account, or ask your school office to check your record.")
    return (f"{who} you are not on the trust's staff list — ask your school office to add {email}, "
            "or to correct the address they hold for you.")


def _claims_refusal(provider: providers.Provider, reason: str, email: str) -> str:
    account = f"the {provider.label} account {email}" if email else f"that {provider.label} account"
    return {
        "tenant": f"You signed in with {account}, which is not in one of the trust's organisations. "
                  "Sign in with your school account.",
        "domain": f"You signed in with {account}, which is not a school address the trust accepts. "
                  "Sign in with your school account.",
        "unverified": f"{provider.label} has not confirmed that {email or 'this address'} belongs to you, "
                      "so it cannot be used to sign in. Sign in with your school account.",
        "no_email": f"{provider.label} did not tell us your email address, so we cannot find you on the "
                    "staff list. Ask your IT team to check the app's permissions (docs/sso.md).",
    }.get(reason, f"{provider.label} did not say who you are, so you have not been signed in.")


@bp.get("/login/sso/<provider_id>")
@limiter.limit("30 per minute")
def sso_start(provider_id: str):
    provider = _provider(provider_id)
    if current_user.is_authenticated:
        return redirect(url_for("training.index"))
    redirect_uri = current_app.config["APP_BASE_URL"] + url_for("auth.sso_callback", provider_id=provider.id)
    try:
        response = client.start(provider, redirect_uri)
    except client.SignInFailed as failed:
        return _refused(provider, failed.reason, failed.message, failed.status)
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    return response


@bp.get("/login/sso/<provider_id>/callback")
@limiter.limit("30 per minute")
def sso_callback(provider_id: str):
    provider = _provider(provider_id)
    try:
        claims = client.finish(provider)
    except client.SignInFailed as failed:
        return _refused(provider, failed.reason, failed.message, failed.status)
    found = identity(provider, claims)
    if not isinstance(found, Identity):
        return _refused(provider, found.reason, _claims_refusal(provider, found.reason, found.email), email=found.email)
    result = match(db.session, provider.id, found)
    if result.person is None:
        return _refused(provider, result.problem, _not_matched(provider, result.problem, found.email),
                        email=found.email, known_id=result.known_id)
    person = result.person
    next_url = safe_next(session.get(NEXT_KEY))
    person.last_login_at = utcnow()
    session_id = sessions.start(person)  # an ordinary session of the app: same limits, same sign-out
    record_request("sign_in", actor_id=person.id, subject_id=person.id, object_type="web_session",
                   object_id=session_id, detail={"method": "sso", "provider": provider.id,
                                                 **({"linked": True} if result.linked_now else {})})
    db.session.commit()
    return redirect(next_url)
