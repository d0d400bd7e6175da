"""/account/tokens: a person who may see dashboards makes, lists and revokes their API tokens."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from lms.access import allowed, fetch
from lms.api import tokens
from lms.api.blueprint import account_bp as bp
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


def _page(form: TokenForm, status: int = 200, plaintext: str | None = None, created=None):
    listed = tokens.tokens_of(db.session, current_user)
    response = make_response(render_template(
        "api/tokens.html", form=form, tokens=listed, plaintext=plaintext, created=created,
        active=sum(1 for t in listed if t.revoked_at is None), most=tokens.MAX_ACTIVE), status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a token in plain text
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@allowed("api.tokens")
def index():
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        token, plaintext = tokens.create_token(db.session, current_user, form.name.data)
    except tokens.TokenError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(exc).split(": ", 1)[-1] + "."]
        return _page(form, 422)
    db.session.commit()
    # Shown in this response only: never redirected through the session cookie, never stored.
    return _page(TokenForm(formdata=None), 200, plaintext=plaintext, created=token)


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
