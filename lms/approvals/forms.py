"""Forms for making and deciding requests. Lengths match the model columns; the service checks the rules.

Each form names, in FIELD_NAMES, the words the service uses at the start of an ApprovalError
("Purpose: enter this."), so a refusal is shown at the field it is about.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields import DateField
from wtforms.validators import Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.approvals.wording import CONDITION_FLAGS, PLATFORMS
from lms.models import RequestKind
from lms.plain_text import PlainText


def _length(label: str, max_len: int) -> Length:
    return Length(max=max_len, message=f"{label}: at most {max_len} characters.")


def _required(label: str) -> InputRequired:
    return InputRequired(f"{label}: enter this.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _date(label: str, required: bool = True) -> DateField:
    validators = [InputRequired(f"{label}: give a date.")] if required else [Optional()]
    return DateField(label, validators=validators, invalid_value_message=f"{label}: give a date as day, month and year.")


class RequestForm(FlaskForm):
    FIELD_NAMES: dict[str, str] = {}

    def field_for(self, message: str):
        """The field a service message is about (its words before the first colon), or None."""
        head, sep, _ = message.partition(":")
        name = self.FIELD_NAMES.get(head.strip()) if sep else None
        return getattr(self, name) if name else None

    def add_error(self, message: str) -> None:
        field = self.field_for(message)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            self.form_errors.append(message)

    def offer(self, approvers: dict) -> None:
        """Fit the form to who the request can go to (lms.approvals.pages.approver_preview); only a report
        has a choice to fit."""


class BusinessUseForm(RequestForm):
    accounts = StringField("Which accounts", validators=[_required("Which accounts"), _length("Which accounts", 500),
                                                         PlainText("Which accounts")],
                           description="The names or addresses of the accounts, e.g. @OakfieldPrimary.")
    platforms = CheckboxesField("Platforms", choices=[SelectChoice(k, v) for k, v in PLATFORMS.items()],
                                validators=[InputRequired("Platforms: choose at least one.")])
    purpose = TextAreaField("Purpose", validators=[_required("Purpose"), _length("Purpose", 2000),
                                                   PlainText("Purpose", multiline=True)],
                            description="What you will post and why, e.g. news of school events for parents.")
    starts_on = _date("From")
    ends_on = _date("Until", required=False)
    FIELD_NAMES = {"Which accounts": "accounts", "Platforms": "platforms", "Purpose": "purpose",
                   "From": "starts_on", "Until": "ends_on"}


class MediaEnquiryForm(RequestForm):
    enquirer = StringField("Who asked", validators=[_required("Who asked"), _length("Who asked", 200),
                                                    PlainText("Who asked")],
                           description="Their name, and how to reach them.")
    outlet = StringField("Outlet", validators=[_required("Outlet"), _length("Outlet", 200), PlainText("Outlet")],
                         description="The newspaper, site, programme or account it is for.")
    question = TextAreaField("Question", validators=[_required("Question"), _length("Question", 4000),
                                                     PlainText("Question", multiline=True)],
                             description="What they asked, as closely as you can.")
    deadline = _date("Deadline", required=False)
    FIELD_NAMES = {"Who asked": "enquirer", "Outlet": "outlet", "Question": "question", "Deadline": "deadline"}


class ReferenceForm(RequestForm):
    subject_name = StringField("Who the reference is about", validators=[
        _required("Who the reference is about"), _length("Who the reference is about", 200),
        PlainText("Who the reference is about")])
    reference_for = StringField("Where or for whom", validators=[
        _required("Where or for whom"), _length("Where or for whom", 300), PlainText("Where or for whom")],
        description="For example a LinkedIn recommendation, or a named employer.")
    draft = TextAreaField("Draft", validators=[Optional(), _length("Draft", 4000), PlainText("Draft", multiline=True)],
                          description="Optional: what you would like to write.")
    FIELD_NAMES = {"Who the reference is about": "subject_name", "Where or for whom": "reference_for",
                   "Draft": "draft"}


class MisuseReportForm(RequestForm):
    recipient = RadioField("Report to", choices=[SelectChoice("headteacher", "The headteacher"),
                                                 SelectChoice("ceo", "The Chief Executive Officer")],
                           validators=[InputRequired("Report to: choose the headteacher or the CEO.")])
    link = URLField("Link", validators=[Optional(), _length("Link", 1000), PlainText("Link")],
                       description="The web address of the post or page, if you have it.")
    description = TextAreaField("Description", validators=[Optional(), _length("Description", 4000),
                                                           PlainText("Description", multiline=True)],
                                description="What you saw, where and when.")
    withhold_name = BooleanField("Withhold my name from everyone but the recipient")
    FIELD_NAMES = {"Report to": "recipient", "Link": "link", "Description": "description"}

    def offer(self, approvers: dict) -> None:
        """Only the recipients there are, each with the name of the person it would reach."""
        self.recipient.choices = [SelectChoice(c.value, f"{c.label} ({approvers[c.value][0].full_name})")
                                  for c in self.recipient.choices if c.value in approvers]


class ApproveForm(RequestForm):
    conditions = TextAreaField("Conditions and restrictions", validators=[
        Optional(), _length("Conditions", 4000), PlainText("Conditions", multiline=True)])
    condition_flags = CheckboxesField("Common conditions", choices=[SelectChoice(k, v)
                                                                    for k, v in CONDITION_FLAGS.items()])
    expires_on = _date("Review or expiry date", required=False)
    approved_response = TextAreaField("Approved response", validators=[
        Optional(), _length("Approved response", 4000), PlainText("Approved response", multiline=True)],
        description="The response you approve, in writing. The person may give this and nothing else.")
    approve_note = TextAreaField("Note (optional)", validators=[Optional(), _length("Note", 2000),
                                                                PlainText("Note", multiline=True)])
    FIELD_NAMES = {"Conditions": "conditions", "Review or expiry date": "expires_on",
                   "Approved response": "approved_response", "Note": "approve_note"}


class DeclineForm(RequestForm):
    decline_reason = TextAreaField("Reason for declining", validators=[
        _required("Reason"), _length("Reason", 2000), PlainText("Reason", multiline=True)])
    FIELD_NAMES = {"Reason": "decline_reason"}


class RevokeForm(RequestForm):
    revoke_reason = TextAreaField("Reason for revoking", validators=[_required("Reason"), _length("Reason", 2000),
                                                                     PlainText("Reason", multiline=True)])
    FIELD_NAMES = {"Reason": "revoke_reason"}


class RequireTrainingForm(RequestForm):
    training_note = TextAreaField("Note to the person (optional)", validators=[
        Optional(), _length("Note", 2000), PlainText("Note", multiline=True)])
    FIELD_NAMES = {"Note": "training_note"}


class WithdrawForm(RequestForm):
    withdraw_note = TextAreaField("Why (optional)", validators=[
        Optional(), _length("Note", 2000), PlainText("Note", multiline=True)])
    FIELD_NAMES = {"Note": "withdraw_note"}


class MarkAnsweredForm(RequestForm):
    answered_note = TextAreaField("Note (optional)", validators=[
        Optional(), _length("Note", 2000), PlainText("Note", multiline=True)],
                                  description="For example where and when the response was published.")
    FIELD_NAMES = {"Note": "answered_note"}


class CloseForm(RequestForm):
    outcome = TextAreaField("What was done", validators=[_required("What was done"), _length("What was done", 4000),
                                                         PlainText("What was done", multiline=True)])
    FIELD_NAMES = {"What was done": "outcome"}


class DelegateForm(RequestForm):
    email = EmailField("Colleague's email address", validators=[
        _required("Delegate"), Email("Delegate: give an email address."), _length("Delegate", 254),
        PlainText("Delegate")])
    starts_on = _date("From")
    ends_on = _date("Until")
    FIELD_NAMES = {"Delegate": "email", "From": "starts_on", "Until": "ends_on"}


ACTION_FORMS: dict[str, type[RequestForm]] = {
    "approve": ApproveForm, "decline": DeclineForm, "revoke": RevokeForm, "require_training": RequireTrainingForm,
    "withdraw": WithdrawForm, "mark_answered": MarkAnsweredForm, "close": CloseForm,
}

REQUEST_FORMS: dict[RequestKind, type[RequestForm]] = {
    RequestKind.business_use: BusinessUseForm, RequestKind.media_enquiry: MediaEnquiryForm,
    RequestKind.reference: ReferenceForm, RequestKind.misuse_report: MisuseReportForm,
}
