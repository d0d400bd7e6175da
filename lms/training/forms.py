from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired, Optional


class AnswerForm(FlaskForm):
    verdict = RadioField(
        "Is this post compliant with the policy, or a breach?",
        choices=[SelectChoice("compliant", "Compliant"), SelectChoice("breach", "Breach")],
        validators=[InputRequired("Choose Compliant or Breach.")],
    )
    clause = RadioField("If it is a breach: which clause is most clearly breached?", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.verdict.data == "breach" and not self.clause.data:
            self.clause.errors = [*self.clause.errors,
                                  "You answered Breach: choose the clause that is most clearly breached."]
            return False
        return ok


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
