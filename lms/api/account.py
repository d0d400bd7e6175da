"""/account/tokens: a person who may see dashboards makes, lists and revokes their API tokens."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from lms.access import allowed, fetch
from lms.api import tokens
from lms.api.blueprint import account_bp as bp
from lms.clock import utcnow
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import ApiToken
from lms.plain_text import PlainText


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TokenForm(FlaskForm):
    name = StringField(
        "Name",
        description="What the token is for, so you can tell your tokens apart: for example “Governors' report”.",
        filters=[_strip],
        validators=[InputRequired("Give the token a name."),
                    Length(min=1, max=tokens.NAME_MAX, message=f"Give a name of 1 to {tokens.NAME_MAX} characters."),
                    PlainText("Name")],
    )
    months = SelectField(
        "Expires after",
        description="The token stops working after this long; make a new one then. At most 12 months.",
        coerce=int,
        validate_choice=True,
    )

    def __init__(self, *args, default_months: int = tokens.MONTHS_MAX, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.months.choices = [(m, f"{m} month{'s' if m > 1 else ''}") for m in tokens.month_choices(default_months)]
        if self.months.data is None or not self.is_submitted():
            self.months.data = min(max(default_months, 1), tokens.MONTHS_MAX)


def _form(**kwargs) -> TokenForm:
    return TokenForm(default_months=current_app.config["API_TOKEN_MONTHS"], **kwargs)


def _rows(listed: list[ApiToken]) -> list[dict]:
    """Each token with its expiry day (Europe/London) and whether it still works."""
    now = utcnow()
    return [{"token": t, "expires_on": tokens.expires_on(t), "expired": tokens.is_expired(t, now)} for t in listed]


def _page(form: TokenForm, status: int = 200, plaintext: str | None = None, created=None):
    rows = _rows(tokens.tokens_of(db.session, current_user))
    response = make_response(render_template(
        "api/tokens.html", form=form, rows=rows, plaintext=plaintext, created=created,
        created_expires_on=tokens.expires_on(created) if created else None,
        active=sum(1 for r in rows if r["token"].revoked_at is None and not r["expired"]), most=tokens.MAX_ACTIVE),
        status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a token in plain text
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@allowed("api.tokens")
def index():
    form = _form()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        token, plaintext = tokens.create_token(db.session, current_user, form.name.data, form.months.data)
    except tokens.TokenError as exc:
        db.session.rollback()
        field = form.months if str(exc).startswith("months:") else form.name
        field.errors = [*field.errors, str(exc).split(": ", 1)[-1] + "."]
        return _page(form, 422)
    db.session.commit()
    # Shown in this response only: never redirected through the session cookie, never stored.
    return _page(_form(formdata=None), 200, plaintext=plaintext, created=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@allowed("api.tokens")
def revoke(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    fetch(ApiToken, token_id, "token.own", refused=404)  # someone else's token, or none: the same answer
    token = tokens.revoke(db.session, current_user, token_id)
    db.session.commit()
    flash(f"The token “{token.name}” is revoked: nothing can use it any more.", "info")
    return redirect(url_for("api_tokens.index"))
