"""The pages of two-factor sign-in; lms/auth/two_factor.py says who needs it and how codes are checked.

- /login/code/setup: half signed in, no app yet: a QR code and the key as text, confirmed by the
  app's first code; that signs the person in, and the answer shows the recovery codes, once.
- /login/code: half signed in: the app's code, or a recovery code instead.
- /account/two-factor (rule account.manage): whether it is set up, how many recovery codes are
  left, and a new set of them for a code from the app (the old set stops working).

A code or recovery code that is wrong or used already counts against one limit per person, shared
by the three pages (failures only, as the sign-in limit), and is audited as `two_factor_failed`.
Something that is not a code at all (letters, too few digits) is only told so: it cannot be a guess.
"""

from __future__ import annotations

import segno
from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from lms.access import allowed
from lms.audit import record_request
from lms.auth import two_factor
from lms.auth.blueprint import bp
from lms.auth.two_factor import Pending, Verdict
from lms.auth.two_factor_forms import CodeForm, RecoveryCodeForm
from lms.clock import shown_at, utcnow
from lms.extensions import db, limiter

WRONG_CODE = "That code is not right, or has expired. Type the 6-digit code your authenticator app shows now."
REUSED_CODE = ("That code has been used already. Wait for your authenticator app to show a new one (codes change "
               "every 30 seconds), then type that.")
MALFORMED_CODE = "A code from the app has 6 digits, like 123456. Type just those digits."
WRONG_RECOVERY = "That recovery code is not right. Check it against the list you saved, and type one code."
USED_RECOVERY = "That recovery code has been used already: each one works once. Type another from your list."
MALFORMED_RECOVERY = "A recovery code has 10 letters and numbers, like 7kq2m-x9dh4. Type one code from your list."
TOO_MANY = "Too many wrong codes. Wait 15 minutes, then try again."
EXPIRED = (f"More than {two_factor.PENDING_MINUTES} minutes passed after you typed your password. "
           "Sign in again, then give the code.")
SIGN_IN_FIRST = "Sign in with your email address and password first."
REPLACED = ("The set-up was started again in another browser, so that QR code no longer works. "
            "Scan this one instead (remove the old entry from your app).")
LOST_PHONE = " If you have lost your phone, ask your IT manager to reset two-factor sign-in, then set up the app again."
CODE_MESSAGES = {Verdict.wrong: WRONG_CODE, Verdict.reused: REUSED_CODE, Verdict.malformed: MALFORMED_CODE}
RECOVERY_MESSAGES = {Verdict.wrong: WRONG_RECOVERY, Verdict.reused: USED_RECOVERY, Verdict.malformed: MALFORMED_RECOVERY}
QR_PIXELS = 256  # at most, so the page does not scroll sideways at 320 px


@bp.app_context_processor
def _account_link() -> dict:
    """base.html links the account page for the people who sign in with a code."""
    return {"two_factor_applies": two_factor.required_for}


def _limit_key() -> str:
    """Guesses count per person: the one signed in, or the one half signed in in this browser."""
    if current_user.is_authenticated:
        return f"two-factor:{current_user.get_id()}"
    found = session.get(two_factor.PENDING_KEY)
    return f"two-factor:{found.get('id') if isinstance(found, dict) else '-'}"


def _failed(_response) -> bool:
    return bool(g.get("two_factor_failed"))


def _too_many(_limit):
    if request.endpoint == "auth.two_factor_account" and current_user.is_authenticated:
        form = CodeForm()
        form.form_errors.append(TOO_MANY)
        return _account_page(form, 429)
    pending, leave = _pending_or_leave()
    if pending is None:
        return leave
    form = CodeForm()
    form.form_errors.append(TOO_MANY)
    if request.endpoint == "auth.two_factor_setup":
        return _setup_page(pending, form, 429)
    return _code_page(pending, form, RecoveryCodeForm(), 429)


guesses = limiter.shared_limit("5 per 15 minutes", scope="two-factor", methods=["POST"], key_func=_limit_key,
                               deduct_when=_failed, on_breach=_too_many)


def _page(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"  # a key, a QR code or recovery codes: never kept by a cache
    return response


def _pending_or_leave():
    """(who is half signed in, None), or (None, where to go instead): home when signed in, else sign-in, saying why."""
    if current_user.is_authenticated:
        return None, redirect(url_for("training.index"))
    found, why = two_factor.read_pending()
    if found is None:
        flash(EXPIRED if why == "expired" else SIGN_IN_FIRST, "info")
        return None, redirect(url_for("auth.login"))
    return found, None


def _failure(person_id: int, second_factor: str, verdict: Verdict, page: str) -> None:
    """A wrong or used code: counted against the limit, and committed to the audit log on its own."""
    if verdict is Verdict.malformed:
        return  # not a guess at the secret: the form says what a code looks like
    g.two_factor_failed = True
    db.session.rollback()  # nothing of this try is kept but the record of it
    two_factor.record_failure(person_id, second_factor, verdict, page)
    db.session.commit()


def _issuer() -> str:
    return f"{current_app.config['TRUST_NAME']} training"


def _qr_code(uri: str) -> dict:
    """The QR code for the page to draw as inline SVG (templates/auth/two_factor_setup.html): no image is
    fetched and no style attribute is used, which the CSP would refuse. Each run of dark modules in a row
    is one line of the path, so the template writes numbers only and escaping stays on."""
    rows = [list(row) for row in segno.make(uri, error="m").matrix_iter(scale=1, border=4)]
    size = len(rows)
    lines = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            lines.append(f"M{start} {y}.5h{x - start}")
    return {"size": size, "pixels": max(2, QR_PIXELS // size) * size, "path": "".join(lines)}


def _setup_page(pending: Pending, form: CodeForm, status: int = 200):
    row = two_factor.secret_for_setup(db.session, pending.person.id, pending.shown)
    if row is None:
        return redirect(url_for("auth.two_factor_code"))  # set up in another browser meanwhile
    two_factor.remember_shown(row.secret)
    db.session.commit()  # the secret shown is the one kept
    email = pending.person.email
    return _page("auth/two_factor_setup.html", status, form=form, email=email, issuer=_issuer(),
                 qr=_qr_code(two_factor.otpauth_uri(row.secret, email, _issuer())), key=two_factor.grouped(row.secret),
                 minutes=two_factor.PENDING_MINUTES)


def _codes_page(codes: list[str], next_url: str, first: bool):
    return _page("auth/two_factor_recovery_codes.html", codes=codes, next_url=next_url, first=first,
                 made_at=shown_at(utcnow()))


@bp.route("/login/code/setup", methods=["GET", "POST"])
@guesses
def two_factor_setup():
    pending, leave = _pending_or_leave()
    if pending is None:
        return leave
    person = pending.person
    if two_factor.is_set_up(db.session, person.id):
        return redirect(url_for("auth.two_factor_code"))
    form = CodeForm()
    if request.method == "POST":
        row = two_factor.secret_of(db.session, person.id)
        if row is None or not pending.shown or two_factor.fingerprint(row.secret) != pending.shown:
            flash(REPLACED, "info")
            return redirect(url_for("auth.two_factor_setup"))
        if form.validate_on_submit():
            now = utcnow()
            verdict = two_factor.confirm(db.session, row, form.code.data, now)
            if verdict is Verdict.ok:
                codes = two_factor.make_recovery_codes(db.session, person.id, now)
                next_url = pending.next_url
                two_factor.finish(pending, "totp")
                record_request("two_factor_set_up", subject_id=person.id, detail={"recovery_codes": len(codes)})
                db.session.commit()
                return _codes_page(codes, next_url, first=True)
            _failure(person.id, "totp", verdict, "set_up")
            form.code.errors = [*form.code.errors, CODE_MESSAGES[verdict]]
    return _setup_page(pending, form, 422 if form.errors else 200)


def _recovery_message(left: int) -> str:
    if left == 0:
        return ("You signed in with your last recovery code. Make a new set now on your Two-factor sign-in page "
                "(the link beside your name)." + LOST_PHONE)
    if left <= 3:
        return (f"You signed in with a recovery code, and have only {left} left. Make a new set on your Two-factor "
                "sign-in page (the link beside your name) before they run out." + LOST_PHONE)
    return f"You signed in with a recovery code, and have {left} left; each one works once." + LOST_PHONE


def _code_page(pending: Pending, form: CodeForm, recovery_form: RecoveryCodeForm, status: int = 200):
    return _page("auth/two_factor_code.html", status, form=form, recovery_form=recovery_form, issuer=_issuer())


@bp.route("/login/code", methods=["GET", "POST"])
@guesses
def two_factor_code():
    pending, leave = _pending_or_leave()
    if pending is None:
        return leave
    person = pending.person
    if not two_factor.is_set_up(db.session, person.id):
        return redirect(url_for("auth.two_factor_setup"))
    form, recovery_form = CodeForm(), RecoveryCodeForm()
    if request.method == "POST" and recovery_form.recovery_code.raw_data:  # the recovery code's form was sent
        if recovery_form.validate_on_submit():
            verdict = two_factor.use_recovery_code(db.session, person.id, recovery_form.recovery_code.data, utcnow())
            if verdict is Verdict.ok:
                left = two_factor.recovery_codes_left(db.session, person.id)
                next_url = pending.next_url
                two_factor.finish(pending, "recovery_code")
                db.session.commit()
                flash(_recovery_message(left), "info")
                return redirect(next_url)
            _failure(person.id, "recovery_code", verdict, "sign_in")
            recovery_form.recovery_code.errors = [*recovery_form.recovery_code.errors, RECOVERY_MESSAGES[verdict]]
    elif form.validate_on_submit():
        verdict = two_factor.check_code(db.session, person.id, form.code.data, utcnow())
        if verdict is Verdict.ok:
            next_url = pending.next_url
            two_factor.finish(pending, "totp")
            db.session.commit()
            return redirect(next_url)
        _failure(person.id, "totp", verdict, "sign_in")
        form.code.errors = [*form.code.errors, CODE_MESSAGES[verdict]]
    return _code_page(pending, form, recovery_form, 422 if form.errors or recovery_form.errors else 200)


def _account_page(form: CodeForm, status: int = 200):
    person = current_user._get_current_object()
    row = two_factor.secret_of(db.session, person.id)
    set_up = row is not None and row.confirmed_at is not None
    return _page("auth/two_factor_account.html", status, form=form, set_up=set_up,
                 needed=two_factor.required_for(person), since=shown_at(row.confirmed_at) if set_up else "",
                 left=two_factor.recovery_codes_left(db.session, person.id) if set_up else 0,
                 count=two_factor.RECOVERY_CODE_COUNT)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@guesses
@allowed("account.manage")
def two_factor_account():
    person = current_user._get_current_object()
    form = CodeForm()
    if request.method == "POST":
        if not two_factor.is_set_up(db.session, person.id):
            return redirect(url_for("auth.two_factor_account"))  # nothing to make codes for
        if form.validate_on_submit():
            verdict = two_factor.check_code(db.session, person.id, form.code.data, utcnow())
            if verdict is Verdict.ok:
                codes = two_factor.make_recovery_codes(db.session, person.id, utcnow())
                record_request("two_factor_codes_made", subject_id=person.id, detail={"recovery_codes": len(codes)})
                db.session.commit()
                return _codes_page(codes, url_for("auth.two_factor_account"), first=False)
            _failure(person.id, "totp", verdict, "account")
            form.code.errors = [*form.code.errors, CODE_MESSAGES[verdict]]
    return _account_page(form, 422 if form.errors else 200)
