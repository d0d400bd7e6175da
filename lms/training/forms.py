from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lms.plain_text import PlainText
from lms.training.service import CONTEST_MAX, CONTEST_MIN


class AnswerForm(FlaskForm):
    verdict = RadioField(
        "Is this post compliant with the policy, or a breach?",
        choices=[SelectChoice("compliant", "Compliant"), SelectChoice("breach", "Breach")],
        validators=[InputRequired("Choose Compliant or Breach.")],
    )
    clause = RadioField("If it is a breach: which clause is most clearly breached?", validators=[Optional()])
    sure = RadioField(
        "How sure are you of your answer?",
        choices=[SelectChoice("sure", "Sure"), SelectChoice("unsure", "Not sure")],
        validators=[InputRequired("Say how sure you are: Sure or Not sure.")],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.verdict.data == "breach" and not self.clause.data:
            self.clause.errors = [*self.clause.errors,
                                  "You answered Breach: choose the clause that is most clearly breached."]
            return False
        return ok


class ContestForm(FlaskForm):
    reason = TextAreaField(
        "Why do you think this answer is wrong?",
        validators=[InputRequired("Say why you think the answer is wrong."),
                    Length(min=CONTEST_MIN, max=CONTEST_MAX,
                           message=f"Say why in {CONTEST_MIN} to {CONTEST_MAX} characters."),
                    PlainText("Why you think the answer is wrong", multiline=True)],
    )
