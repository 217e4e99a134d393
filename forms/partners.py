"""The partner API keys page (``/office/admin/partners``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Regexp

from forms.base import BaseForm

#: As ``portal.partners.manage.NAME`` (lowercase: the form lowercases first).
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class NewPartnerForm(BaseForm):
    name = StringField(
        _l("Name of the partner system"),
        description=_l(
            "A short name people recognise, for example desa-app-jabar: lowercase letters, "
            "digits, dots, dashes and underscores"
        ),
        filters=[lambda value: value.lower() if isinstance(value, str) else value],
        validators=[
            InputRequired(message=_l("Enter a name for the partner system")),
            Length(max=64, message=_l("Enter a name of at most 64 characters")),
            Regexp(
                NAME_PATTERN,
                message=_l(
                    "Use only lowercase letters, digits, dots, dashes and underscores, "
                    "at least 2 characters, starting with a letter or digit"
                ),
            ),
        ],
    )


class RevokePartnerForm(BaseForm):
    """Only its CSRF token: the confirmation's one button."""
