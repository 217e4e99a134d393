"""The household status lookup form (``/lookup``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from forms.base import BaseForm
from forms.validators import ValidNik


class LookupForm(BaseForm):
    class Meta:
        # CSRFProtect already checks every POST before the view runs; a second
        # check in the form would only cost the busiest page another HMAC.
        csrf = False

    nik = StringField(
        _l("NIK (Nomor Induk Kependudukan)"),
        description=_l(
            "16 digits, on your KTP or family card (KK). For example, 3201 0115 0880 0001"
        ),
        validators=[ValidNik()],
    )
    name = StringField(
        _l("Full name"),
        description=_l("As written on your KTP. Capital letters do not matter"),
        validators=[
            InputRequired(message=_l("Enter your full name")),
            Length(max=120, message=_l("Full name must be 120 characters or fewer")),
        ],
    )
