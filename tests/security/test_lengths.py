"""Every text field has a maximum length, no larger than the column it is stored in (issue 7).

The forms are found by walking every FlaskForm subclass in lms/, so a new form or field fails
here until it is given a limit and an entry in STORED_IN below, which says where its value
ends up: a model column (the form's max must fit it), or why it is not stored as typed.

Text columns (unbounded in the database) still get a form limit: 2,000 characters for a note or
a reason, 4,000 for a description, question or draft, and never more than TEXT_FORM_MAX.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import String, Text
from sqlalchemy.orm.attributes import InstrumentedAttribute

from lms.config import PROJECT_ROOT
from lms.models import ApiToken, Contest, Person, Request, RequestEvent
from lms.plain_text import PlainText
from tests.security.discover import FieldInfo, fields_of, form_classes

TEXT_FORM_MAX = 5000  # the longest text a form takes for a Text column (a scenario's text is capped the same)

# "Form.field": the column its value is stored in, or why it is not stored as typed.
STORED_IN: dict[str, InstrumentedAttribute | str] = {
    "LoginForm.email": Person.email,  # compared with it
    "LoginForm.password": "compared with an Argon2 hash, never stored",
    "ResetRequestForm.email": Person.email,  # compared with it
    "NewPasswordForm.password": "stored only as an Argon2 hash",
    "NewPasswordForm.confirm": "compared with the new password, never stored",
    "ChangePasswordForm.password": "stored only as an Argon2 hash",
    "ChangePasswordForm.confirm": "compared with the new password, never stored",
    "ChangePasswordForm.current": "compared with an Argon2 hash, never stored",
    "TokenForm.name": ApiToken.name,
    "ContestForm.reason": Contest.reason,
    "BusinessUseForm.accounts": Request.accounts,
    "BusinessUseForm.purpose": Request.purpose,
    "MediaEnquiryForm.enquirer": Request.enquirer,
    "MediaEnquiryForm.outlet": Request.outlet,
    "MediaEnquiryForm.question": Request.question,
    "ReferenceForm.subject_name": Request.subject_name,
    "ReferenceForm.reference_for": Request.reference_for,
    "ReferenceForm.draft": Request.draft,
    "MisuseReportForm.link": Request.link,
    "MisuseReportForm.description": Request.description,
    "ApproveForm.conditions": Request.conditions,
    "ApproveForm.approved_response": Request.approved_response,
    "ApproveForm.approve_note": RequestEvent.note,
    "DeclineForm.decline_reason": RequestEvent.note,
    "RevokeForm.revoke_reason": RequestEvent.note,
    "RequireTrainingForm.training_note": RequestEvent.note,
    "WithdrawForm.withdraw_note": RequestEvent.note,
    "MarkAnsweredForm.answered_note": RequestEvent.note,
    "CloseForm.outcome": Request.outcome,  # and the closing event's note
    "DelegateForm.email": Person.email,  # looked up, the delegate's id is stored
    "CodeForm.code": "compared with the codes the authenticator app makes, never stored",
    "RecoveryCodeForm.recovery_code": "compared with the SHA-256 of each recovery code, never stored",
}


def text_fields() -> list[FieldInfo]:
    return [f for form in form_classes() for f in fields_of(form) if f.is_text]


TEXT_FIELDS = text_fields()


def test_the_walk_finds_the_forms_it_must():
    # The walk is what every other test here relies on: it must see forms across the packages.
    names = {f.key for f in TEXT_FIELDS}
    assert {"LoginForm.email", "ContestForm.reason", "TokenForm.name", "DelegateForm.email",
            "MisuseReportForm.link"} <= names


def test_every_text_field_has_a_maximum_length():
    missing = [f.key for f in TEXT_FIELDS if f.max_length is None]
    assert not missing, f"text fields without Length(max=...): {', '.join(missing)}"


def test_every_text_field_says_where_it_is_stored():
    unknown = [f.key for f in TEXT_FIELDS if f.key not in STORED_IN]
    assert not unknown, ("text fields missing from STORED_IN in this test (say which column each is stored in, "
                         f"or why it is not stored): {', '.join(unknown)}")
    gone = sorted(set(STORED_IN) - {f.key for f in TEXT_FIELDS})
    assert not gone, f"STORED_IN names fields that no longer exist: {', '.join(gone)}"


@pytest.mark.parametrize("field", [f for f in TEXT_FIELDS if isinstance(STORED_IN.get(f.key), InstrumentedAttribute)],
                         ids=lambda f: f.key)
def test_a_field_fits_its_column(field: FieldInfo):
    column = STORED_IN[field.key]
    kind = column.property.columns[0].type
    limit = field.max_length
    assert limit is not None, f"{field.key} has no maximum length"
    where = f"{column.class_.__name__}.{column.key}"
    if isinstance(kind, String) and not isinstance(kind, Text) and kind.length is not None:
        assert limit <= kind.length, f"{field.key} takes {limit} characters but {where} holds {kind.length}"
    else:
        assert limit <= TEXT_FORM_MAX, f"{field.key} takes {limit} characters into the Text column {where}"


def test_every_text_field_refuses_control_characters():
    """A password is only hashed, so any character is harmless there; everything else is stored or looked up."""
    missing = [f.key for f in TEXT_FIELDS if not f.is_password
               and not any(isinstance(v, PlainText) for v in f.validators)]
    assert not missing, f"text fields without lms.plain_text.PlainText: {', '.join(missing)}"


def test_multi_line_fields_are_the_textareas():
    """Line breaks are allowed exactly where a person can type them: a textarea."""
    wrong = []
    for f in TEXT_FIELDS:
        for v in f.validators:
            if isinstance(v, PlainText) and v.multiline != (f.field_class.__name__ == "TextAreaField"):
                wrong.append(f.key)
    assert not wrong, f"PlainText(multiline=...) does not match the widget: {', '.join(wrong)}"


HAND_PARSED = re.compile(r"request\.(form|values|data|get_data|get_json|json)\b")
# (file, the code that reads it): why it needs no form.
READ_BY_HAND = {
    ("lms/auth/views.py", "normalise_email(request.form.get('email'))[:254]"):
        "a rate-limit key, cut to 254 characters, compared in memory (or Redis) and never stored",
}


def test_no_view_reads_posted_text_without_a_form():
    """Posted text is read only through a form, so the two checks above cover all of it."""
    found = []
    for path in sorted((PROJECT_ROOT / "lms").rglob("*.py")):
        name = str(path.relative_to(PROJECT_ROOT))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HAND_PARSED.search(line) and not any(f == name and code in line for f, code in READ_BY_HAND):
                found.append(f"{name}:{n}")
    assert not found, f"request bodies read by hand (use a FlaskForm with lengths and PlainText): {found}"


def test_the_check_is_a_real_one():
    """PlainText refuses what it must and keeps what is ordinary text, with a message naming the field."""
    from werkzeug.datastructures import MultiDict

    from lms import create_app
    from lms.approvals.forms import ReferenceForm

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context(method="POST"):
        def errors(**data) -> dict:
            form = ReferenceForm(formdata=MultiDict({"subject_name": "Alex", "reference_for": "LinkedIn", **data}))
            form.validate()
            return form.errors

        assert errors() == {}
        assert errors(draft="Line one\r\nLine two\twith a tab") == {}
        assert errors(subject_name="Zoë 👩\u200d💻 S\u0302\u0337") == {}  # composed, joined and combining characters
        assert errors(subject_name="A\x00B") == {
            "subject_name": ["Who the reference is about: remove the invisible control character U+0000; "
                             "it cannot be saved."]}
        assert errors(subject_name="A\r\nB") == {
            "subject_name": ["Who the reference is about: keep this on one line; remove a line break."]}
        assert errors(draft="gpj.\u202eexe") == {
            "draft": ["Draft: remove the invisible direction override character U+202E; it cannot be saved."]}
        assert errors(draft="bell \x07 and DEL \x7f") == {
            "draft": ["Draft: remove the invisible control character U+0007; it cannot be saved."]}
