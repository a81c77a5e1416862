"""The pages' forms: each carries a CSRF token, checked when it is submitted."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.signin import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class PasswordForm(FlaskForm):
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(
                MIN_PASSWORD_LENGTH,
                MAX_PASSWORD_LENGTH,
                f"Use at least {MIN_PASSWORD_LENGTH} characters: length makes a password strong.",
            ),
        ],
    )
    confirmation = PasswordField(
        "Confirm password",
        validators=[
            DataRequired("Enter the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )


class SignOutForm(FlaskForm):
    """Signing out is a POST with a token: a link elsewhere cannot sign anyone out."""
