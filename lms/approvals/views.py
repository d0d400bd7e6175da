"""Requests the policy puts in managers' hands: making them, deciding them, and their history.

Views parse the form, call one service function, commit once and redirect; a refusal from the
service (ApprovalError) is rolled back and shown at the field it is about, with status 422.
Emails go out after the commit, so nobody is told of a change that was not saved.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from lms import mail
from lms.access import allowed, fetch, require
from lms.approvals import notify, routing, service
from lms.approvals.blueprint import bp
from lms.approvals.forms import (
    ACTION_FORMS,
    PLATFORMS,
    BusinessUseForm,
    DelegateForm,
    MediaEnquiryForm,
    MisuseReportForm,
    ReferenceForm,
    RequestForm,
)
from lms.approvals.service import CONDITION_FLAGS, ApprovalError
from lms.audit import web as audit
from lms.clock import today
from lms.extensions import db
from lms.models import Delegation, Module, ModuleProgress, Person, Request, RequestKind, Role
from lms.records.settings import app_settings as record_settings
from lms.records.status import Standing, standing

K = RequestKind
KINDS = {"business-use": K.business_use, "media-enquiry": K.media_enquiry, "reference": K.reference,
         "misuse-report": K.misuse_report}
WORDS = {kind: word for word, kind in KINDS.items()}
FORMS: dict[RequestKind, type[RequestForm]] = {
    K.business_use: BusinessUseForm, K.media_enquiry: MediaEnquiryForm, K.reference: ReferenceForm,
    K.misuse_report: MisuseReportForm,
}
POLICY = {
    K.business_use: "Policy 5.1: before you speak for the school or the trust on social media, your manager must "
                    "approve it, and may require training first and set conditions.",
    K.media_enquiry: "Policy 5.2: an enquiry for comment about the school or trust goes to the headteacher or the "
                     "CEO, and you must not respond without their written approval.",
    K.reference: "Policy 2.2 and 2.3: a professional reference on behalf of the school or the trust needs the "
                 "express authority of the headteacher (school staff) or the CEO (central team).",
    K.misuse_report: "Policy 4.5 and 6.5: report misuse of social media, or content that disparages the school or "
                     "the trust, to the headteacher or the CEO.",
}
TITLES = {
    K.business_use: "Ask to speak for the school or trust on social media",
    K.media_enquiry: "Record a media enquiry",
    K.reference: "Ask for authority to give a reference",
    K.misuse_report: "Report misuse or disparaging content",
}
BUTTONS = {"approve": "Approve", "decline": "Decline", "require_training": "Require training first",
           "revoke": "Revoke", "withdraw": "Withdraw my request", "mark_answered": "Mark as answered",
           "close": "Close the report"}



def get_request(request_id: int) -> Request:
    """A request this person may see: 404 if there is none, 403 if it is not theirs to see."""
    return fetch(Request, request_id, "request.view")


def relation(kind: RequestKind, approver: Person, requester: Person) -> str:
    """Who the approver is to the person asking, in words (as the policy names them for this kind)."""
    manager = approver.id == requester.line_manager_id
    if kind is K.business_use and manager:
        return "your line manager"
    if approver.has_role(Role.headteacher) and approver.unit_id == requester.unit_id:
        return "your headteacher"
    if approver.has_role(Role.ceo):
        return "the Chief Executive Officer"
    return "your line manager" if manager else "the approver"


def send_safely(send, *args, **kwargs) -> None:
    """Email after the commit: a mail failure is logged and told, never undoes the saved change."""
    try:
        send(mail.send, *args, **kwargs)
    except mail.MailError:
        current_app.logger.exception("request email failed")
        flash("Your change was saved, but the email about it could not be sent. "
              "Please let the person concerned know.", "error")


def delegates_today(approver_id: int) -> list[Person]:
    ids = service.delegates_of(db.session, approver_id, today())
    return list(db.session.scalars(select(Person).where(Person.id.in_(ids), Person.active))) if ids else []


def business_use_standing(person: Person) -> Standing:
    progress = db.session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                                 .where(Module.slug == service.BUSINESS_USE_MODULE,
                                        ModuleProgress.person_id == person.id))
    return standing(progress, today(), record_settings())


def page_context(req: Request, forms: dict[str, RequestForm] | None = None) -> dict:
    actions = service.actions_for(db.session, current_user, req)
    forms = forms or {}
    context = dict(
        req=req, actions=actions, buttons=BUTTONS, platforms=PLATFORMS, condition_labels=CONDITION_FLAGS,
        forms={a: forms.get(a) or ACTION_FORMS[a](formdata=None) for a in actions},
        name_visible=service.requester_name_visible(current_user, req),
        is_requester=current_user.id == req.requester_id, training=None,
    )
    if req.kind is K.business_use and req.state.value == "training_required":
        if current_user.id == req.requester_id:
            context["training"] = {"standing": business_use_standing(current_user)}
        else:
            context["training"] = {"holds_pass": service.business_use_pass(db.session, req.requester,
                                                                           record_settings()) is not None}
    return context


# --- lists ------------------------------------------------------------------------------

@bp.get("/")
@allowed("requests.use")
def index():
    deciding = service.to_decide(db.session, current_user)
    return render_template(
        "approvals/index.html", mine=service.my_requests(db.session, current_user), deciding=deciding,
        kinds=[(word, kind) for word, kind in KINDS.items()], titles=TITLES, policy=POLICY,
        visible={r.id: service.requester_name_visible(current_user, r) for r in deciding},
    )


# --- making a request -------------------------------------------------------------------

def approver_preview(kind: RequestKind) -> dict:
    """Who the request will go to (for a report: to each choice), or why it cannot be made."""
    recipients = ["headteacher", "ceo"] if kind is K.misuse_report else [None]
    found, problem = {}, None
    for recipient in recipients:
        try:
            approver = routing.route(db.session, kind, current_user, recipient)
        except routing.RoutingError as exc:
            problem = str(exc)
        else:
            found[recipient] = (approver, relation(kind, approver, current_user))
    return {"approvers": found, "problem": problem if not found else None}


def submit(kind: RequestKind, form: RequestForm) -> Request:
    person = current_user._get_current_object()
    if kind is K.business_use:
        return service.submit_business_use(
            db.session, person, accounts=form.accounts.data, platforms=form.platforms.data,
            purpose=form.purpose.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            settings=record_settings())
    if kind is K.media_enquiry:
        return service.submit_media_enquiry(db.session, person, enquirer=form.enquirer.data, outlet=form.outlet.data,
                                            question=form.question.data, deadline=form.deadline.data)
    if kind is K.reference:
        return service.submit_reference(db.session, person, subject_name=form.subject_name.data,
                                        reference_for=form.reference_for.data, draft=form.draft.data)
    return service.submit_misuse_report(db.session, person, recipient=form.recipient.data, link=form.link.data,
                                        description=form.description.data, withhold_name=form.withhold_name.data)


@bp.route("/new/<word>", methods=["GET", "POST"])
@allowed("requests.use")
def new(word: str):
    kind = KINDS.get(word) or abort(404)
    form = FORMS[kind]()
    preview = approver_preview(kind)
    if kind is K.misuse_report:
        found = preview["approvers"]
        if "headteacher" in found and "ceo" in found and found["headteacher"][0].id == found["ceo"][0].id:
            del found["headteacher"]  # no headteacher to choose (central team, or none in the school)
        form.recipient.choices = [SelectChoice(c.value, f"{c.label} ({found[c.value][0].full_name})")
                                  for c in form.recipient.choices if c.value in found]
    if preview["problem"] is None and form.validate_on_submit():
        try:
            made = submit(kind, form)
        except ApprovalError as exc:
            db.session.rollback()
            form.add_error(str(exc))
        else:
            db.session.commit()
            flash(f"Your request was sent to {made.approver.full_name}.", "info")
            send_safely(notify.submitted, made, current_app.config["APP_BASE_URL"],
                        delegates=delegates_today(made.approver_id))
            return redirect(url_for("approvals.detail", request_id=made.id))
    elif form.is_submitted() and preview["problem"] is not None:
        form.form_errors.append(preview["problem"])
    return render_template("approvals/new.html", form=form, kind=kind, word=word, policy=POLICY[kind], title=TITLES[kind],
                           preview=preview, platforms=PLATFORMS), 422 if form.errors else 200


# --- one request ------------------------------------------------------------------------

@bp.get("/<int:request_id>")
@allowed("requests.use")
def detail(request_id: int):
    req = get_request(request_id)
    page = render_template("approvals/detail.html", **page_context(req))
    # The approver or a delegate reading someone's request (the person who asked is never logged).
    audit.viewed("request", [req.requester_id], object_type="request", object_id=req.id)
    return page


def decide(action: str, req: Request, form: RequestForm) -> Request:
    person = current_user._get_current_object()
    if action == "approve":
        return service.approve(db.session, req, person, record_settings(), note=form.approve_note.data or "",
                               conditions=form.conditions.data, condition_flags=form.condition_flags.data,
                               expires_on=form.expires_on.data, approved_response=form.approved_response.data)
    if action == "decline":
        return service.decline(db.session, req, person, form.decline_reason.data)
    if action == "revoke":
        return service.revoke(db.session, req, person, form.revoke_reason.data)
    if action == "require_training":
        return service.require_training(db.session, req, person, form.training_note.data or "")
    if action == "withdraw":
        return service.withdraw(db.session, req, person, form.withdraw_note.data or "")
    if action == "mark_answered":
        return service.mark_answered(db.session, req, person, form.answered_note.data or "")
    return service.close(db.session, req, person, form.outcome.data)


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
            req = decide(action, req, form)
        except ApprovalError as exc:
            db.session.rollback()
            form.add_error(str(exc))
        else:
            db.session.commit()
            flash(f"Request {req.id} is now {req.state.label.lower()}.", "info")
            base = current_app.config["APP_BASE_URL"]
            if action in ("withdraw", "mark_answered"):
                send_safely(notify.requester_acted, req, base)
            else:
                send_safely(notify.decided, req, base, note=req.events[-1].note)
            return redirect(url_for("approvals.detail", request_id=req.id))
    req = get_request(request_id)
    context = page_context(req, {action: form})
    if action not in context["actions"]:
        # Not a move this person can make now: say why above the page rather than at a form that is not shown.
        for message in [*form.form_errors, *(e for f in form for e in f.errors)]:
            flash(message, "error")
    return render_template("approvals/detail.html", **context), 422


# --- delegation -------------------------------------------------------------------------

def delegations_of(person: Person) -> tuple[list[Delegation], list[Delegation]]:
    """(who stands in for this person, for whom this person stands in), current and future."""
    live = Delegation.ends_on >= today()
    given = db.session.scalars(select(Delegation).where(Delegation.approver_id == person.id, live)
                               .order_by(Delegation.starts_on, Delegation.id))
    taken = db.session.scalars(select(Delegation).where(Delegation.delegate_id == person.id, live)
                               .order_by(Delegation.starts_on, Delegation.id))
    return list(given), list(taken)


@bp.route("/delegate", methods=["GET", "POST"])
@allowed("requests.delegate")
def delegate():
    form = DelegateForm()
    if form.validate_on_submit():
        colleague = db.session.scalar(select(Person).where(func.lower(Person.email) == form.email.data.strip().lower()))
        try:
            if colleague is None:
                raise ApprovalError("Delegate: there is nobody with that email address.")
            made = service.set_delegate(db.session, current_user._get_current_object(), colleague,
                                        form.starts_on.data, form.ends_on.data)
        except ApprovalError as exc:
            db.session.rollback()
            form.add_error(str(exc))
        else:
            db.session.commit()
            flash(f"{colleague.full_name} can decide your requests from {made.starts_on:%-d %b %Y} "
                  f"to {made.ends_on:%-d %b %Y}.", "info")
            return redirect(url_for("approvals.delegate"))
    given, taken = delegations_of(current_user)
    return render_template("approvals/delegate.html", form=form, given=given, taken=taken,
                           today=today()), 422 if form.errors else 200
