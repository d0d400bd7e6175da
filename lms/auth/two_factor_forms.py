"""The forms of two-factor sign-in (lms/auth/two_factor_views.py): a code from the app, or a recovery code."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.plain_text import PlainText

CODE_LABEL = "6-digit code from your authenticator app"


class CodeForm(FlaskForm):
    """The code the app shows now: on the code page, at set-up, and to make new recovery codes."""

    code = StringField(CODE_LABEL, validators=[
        DataRequired("Enter the 6-digit code from your authenticator app."),
        Length(max=20, message="A code from the app has 6 digits; type just those."),
        PlainText(),
    ], render_kw={"inputmode": "numeric", "spellcheck": "false"})


class RecoveryCodeForm(FlaskForm):
    """One of the recovery codes saved at set-up, instead of a code from the app."""

    recovery_code = StringField("Recovery code", validators=[
        DataRequired("Enter one of your recovery codes."),
        Length(max=40, message="A recovery code has 10 letters and numbers; type just one code."),
        PlainText(),
    ], render_kw={"autocapitalize": "none", "spellcheck": "false"})
