"""Requests the policy puts in managers' hands: making them, deciding them, and their history.

Each view parses the form, asks lms.access, calls one service function, commits once and
redirects; a refusal from the service (ApprovalError) is rolled back and shown at the field it is
about, with status 422. Emails are queued in the mail outbox in the same commit, so nobody is told
of a change that was not saved, and every saved change is told. What a page shows is gathered in
lms/approvals/pages.py, which service call a form makes is the table in lms/approvals/decisions.py,
and the words are in lms/approvals/wording.py.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from lms import mail
from lms.access import allowed, can, fetch, require
from lms.approvals import decisions, delegation, notify, pages
from lms.approvals.blueprint import bp
from lms.approvals.errors import ApprovalError
from lms.approvals.forms import ACTION_FORMS, REQUEST_FORMS, DelegateForm, RequestForm
from lms.approvals.wording import KINDS
from lms.audit import web as audit
from lms.clock import today, utcnow
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Delegation, Request
from lms.records.settings import app_settings as record_settings


def get_request(request_id: int) -> Request:
    """A request this person may see: 404 if there is none, 403 if it is not theirs to see."""
    return fetch(Request, request_id, "request.view")


def send_safely(send, *args, **kwargs) -> None:
    """Queue the emails in the mail outbox before the commit: they exist exactly when the change is saved."""
    send(mail.send, *args, **kwargs)


def refused(form: RequestForm, exc: ApprovalError) -> None:
    """Nothing the service wrote is kept, and the message is shown at the field it is about."""
    db.session.rollback()
    form.add_error(str(exc))


@bp.get("/")
@allowed("requests.use")
def index():
    return render_template("approvals/index.html", **pages.index_page(db.session, current_user))


@bp.route("/new/<word>", methods=["GET", "POST"])
@allowed("requests.use")
def new(word: str):
    kind = KINDS.get(word) or abort(404)
    form = REQUEST_FORMS[kind]()
    page = pages.new_page(db.session, kind, current_user)
    form.offer(page["preview"]["approvers"])
    problem = page["preview"]["problem"]
    if problem is None and form.validate_on_submit():
        try:
            made = decisions.submit(db.session, kind, current_user._get_current_object(), form.data,
                                    record_settings())
        except ApprovalError as exc:
            refused(form, exc)
        else:
            send_safely(notify.submitted, made, current_app.config["APP_BASE_URL"],
                        delegates=delegation.active_delegates(db.session, made.approver_id, today()))
            db.session.commit()
            flash(f"Your request was sent to {made.approver.full_name}.", "info")
            return redirect(url_for("approvals.detail", request_id=made.id))
    elif form.is_submitted() and problem is not None:
        form.form_errors.append(problem)
    return render_template("approvals/new.html", form=form, word=word, **page), 422 if form.errors else 200


def detail_page(req: Request, forms: dict[str, RequestForm] | None = None) -> dict:
    """The request page, with a form for each move offered (the one just sent, with its errors, if any)."""
    page = pages.detail_page(db.session, current_user, req, record_settings(), today())
    forms = forms or {}
    return {**page, "forms": {a: forms.get(a) or ACTION_FORMS[a](formdata=None) for a in page["actions"]}}


@bp.get("/<int:request_id>")
@allowed("requests.use")
def detail(request_id: int):
    req = get_request(request_id)
    page = render_template("approvals/detail.html", **detail_page(req))
    # The approver or a delegate reading someone's request (the person who asked is never logged).
    audit.viewed("request", [req.requester_id], object_type="request", object_id=req.id)
    return page


@bp.post("/<int:request_id>/<action>")
@allowed("requests.use")
def act(request_id: int, action: str):
    if action not in ACTION_FORMS:
        abort(404)
    req = get_request(request_id)
    require("request.act", (req, action))
    form = ACTION_FORMS[action]()
    if form.validate_on_submit():
        try:
            req = decisions.decide(db.session, req, current_user._get_current_object(), action, form.data,
                                   record_settings())
        except ApprovalError as exc:
            refused(form, exc)
        else:
            send_safely(notify.moved, req, action, current_app.config["APP_BASE_URL"])
            db.session.commit()
            flash(f"Request {req.id} is now {req.state.label.lower()}.", "info")
            return redirect(url_for("approvals.detail", request_id=req.id))
    context = detail_page(get_request(request_id), {action: form})
    if action not in context["actions"]:
        # Not a move this person can make now: say why above the page rather than at a form that is not shown.
        for message in [*form.form_errors, *(e for f in form for e in f.errors)]:
            flash(message, "error")
    return render_template("approvals/detail.html", **context), 422


@bp.route("/delegate", methods=["GET", "POST"])
@allowed("delegations.page")
def delegate():
    form = DelegateForm()
    if form.is_submitted():
        require("requests.delegate")  # a delegate who approves nothing may give theirs up here, not name one
    if form.validate_on_submit():
        try:
            made = delegation.delegate_to(db.session, current_user._get_current_object(), form.email.data,
                                          form.starts_on.data, form.ends_on.data, today=today(),
                                          max_days=current_app.config["DELEGATION_MAX_DAYS"])
        except ApprovalError as exc:
            refused(form, exc)
        else:
            db.session.commit()
            flash(f"{made.delegate.full_name} can decide your requests from {made.starts_on:%-d %b %Y} "
                  f"to {made.ends_on:%-d %b %Y}.", "info")
            return redirect(url_for("approvals.delegate"))
    return render_template("approvals/delegate.html", form=form,
                           max_days=current_app.config["DELEGATION_MAX_DAYS"],
                           **pages.delegate_page(db.session, current_user, today())), 422 if form.errors else 200


@bp.post("/delegate/<int:delegation_id>/end")
@allowed("requests.use")
def end_delegation(delegation_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    made = fetch(Delegation, delegation_id, "delegation.end")  # its approver or its delegate
    person = current_user._get_current_object()
    try:
        delegation.end_delegation(db.session, made, person, utcnow(), today())
    except ApprovalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if person.id == made.approver_id:
            flash(f"{made.delegate.full_name} can no longer decide your requests.", "info")
        else:
            flash(f"You no longer decide requests for {made.approver.full_name}.", "info")
    # A delegate who approves nothing and has given up their last delegation has no delegation page left.
    return redirect(url_for("approvals.delegate" if can(current_user, "delegations.page") else "approvals.index"))
