"""Staff login: email and password, then the authenticator code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms.base import BaseForm


class LoginForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(message=_l("Enter your email address")),
            Length(max=254, message=_l("Enter your email address")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Enter your password")),
            Length(max=200, message=_l("Enter your password")),
        ],
    )


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6 digits your authenticator app shows now, for example 123456"),
        validators=[
            InputRequired(message=_l("Enter the 6-digit code")),
            Length(max=12, message=_l("Enter the 6-digit code")),
        ],
    )
