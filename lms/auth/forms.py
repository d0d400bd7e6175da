from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.auth import password_rules
from lms.demo import DEMO_PASSWORD
from lms.models import Person
from lms.plain_text import PlainText


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=254),
                                                    PlainText()])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=256)])


class ResetRequestForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address."),
        Length(max=254, message="An email address has at most 254 characters."),
        PlainText(),
    ])


class NewPasswordForm(FlaskForm):
    # The length limits are the policy's (lms/auth/password_rules.py), which names both ends in its message.
    password = PasswordField("New password", validators=[DataRequired("Enter a new password."),
                                                         Length(max=password_rules.MAX_LENGTH, message=password_rules.TOO_LONG)])
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Type the new password again."),
        Length(max=password_rules.MAX_LENGTH, message=password_rules.TOO_LONG),
        EqualTo("password", message="The two new passwords are different; type the same password in both boxes."),
    ])

    def validate_for(self, person: Person, trust_name: str) -> bool:
        """`validate_on_submit` and the password policy, so every problem is shown at once, at its field.

        The words refused are this person's names and address, the names of their unit and of the trust
        (`TRUST_NAME`), and the demo password printed in the README. Other units' names are left out:
        they are no likelier for this person than any word, and a trust may have thousands.
        """
        if not self.is_submitted():
            return False
        valid = self.validate()
        if self.password.data and not self.password.errors:
            found = password_rules.problems(self.password.data, email=person.email, first_name=person.first_name,
                                            last_name=person.last_name, places=(person.unit.name, trust_name),
                                            published=(DEMO_PASSWORD,))
            self.password.errors = [*self.password.errors, *found]
            valid = valid and not found
        return valid


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                            Length(max=256)])
