"""Staff administration forms (``/office/admin``) and the invitation pages
(``/office/invite/<token>``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp

from forms.base import BaseForm

MAX_PAGE = 10_000


class AccountFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that only reads

    q = StringField(
        _l("Name or email"),
        description=_l("Part of it is enough, for example siti or @dinsos"),
        validators=[Optional(), Length(max=100, message=_l("Enter at most 100 characters"))],
    )
    role = SelectField(_l("Role"), validate_choice=False)
    active = SelectField(
        _l("Status"),
        choices=[("", _l("Active and deactivated")), ("1", _l("Active")), ("0", _l("Deactivated"))],
        validate_choice=False,
    )
    office = SelectField(_l("Office"), validate_choice=False)


class _Identity(BaseForm):
    """Who the new account is for: declared before the placement, so the
    fields (and the error summary) come in the page's order."""

    email = EmailField(
        _l("Email address"),
        description=_l("Their work email, for example siti@dinsos.bogorkab.go.id"),
        validators=[
            InputRequired(message=_l("Enter their email address")),
            Length(max=254, message=_l("Enter an email address of at most 254 characters")),
            Email(message=_l("Enter an email address like name@example.go.id")),
        ],
    )
    name = StringField(
        _l("Full name"),
        validators=[
            InputRequired(message=_l("Enter their full name")),
            Length(max=120, message=_l("Enter a name of at most 120 characters")),
        ],
    )


class PlacementForm(BaseForm):
    """Role and place: shared by creating and changing an account."""

    #: The account as the page showed it (``portal.staff.admin.fingerprint``).
    seen = HiddenField()
    role = RadioField(
        _l("Role"), validators=[InputRequired(message=_l("Choose the role"))], choices=[]
    )
    office = SelectField(
        _l("Office"),
        description=_l("For a handler, supervisor or field officer (and optionally an admin)."),
        choices=[],
        validate_choice=False,
    )
    village = StringField(
        _l("Village code (operators only)"),
        description=_l("The desa/kelurahan code, for example 32.01.01.2001"),
        validators=[Length(max=13, message=_l("Enter a village code like 32.01.01.2001"))],
    )
    districts = StringField(
        _l("Kecamatan codes (field officers only)"),
        description=_l(
            "One or more kecamatan of the office's kab/kota, separated by commas, "
            "for example 32.01.01, 32.01.02"
        ),
        validators=[Length(max=400, message=_l("Enter at most 400 characters"))],
    )

    def district_codes(self) -> list[str]:
        return [c.strip() for c in (self.districts.data or "").split(",") if c.strip()]


class NewAccountForm(_Identity, PlacementForm):
    #: A random key: a second click of "Create" creates nothing more.
    key = HiddenField()


class ActionForm(BaseForm):
    """One button on an account's page (deactivate, reset TOTP, …)."""

    seen = HiddenField()


class InvitePasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        description=_l(
            "At least 12 characters. A phrase of 4 or more unrelated words is "
            "easy to remember and hard to guess, for example: sawah hijau kopi tebal"
        ),
        validators=[
            InputRequired(message=_l("Enter a password")),
            Length(max=200, message=_l("Enter a password of at most 200 characters")),
        ],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            InputRequired(message=_l("Enter the password again")),
            EqualTo("password", message=_l("The two passwords are not the same")),
        ],
    )


class InviteCodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6 digits your authenticator app shows now, for example 123456"),
        validators=[
            InputRequired(message=_l("Enter the 6-digit code")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the 6-digit code")),
        ],
    )
