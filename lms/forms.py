"""Forms that belong to no one package."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST (start a module, send a reminder, revoke a token)."""
