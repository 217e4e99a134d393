"""The page number of the operator's village list (a GET form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from forms.base import BaseForm
from forms.queue import MAX_PAGE


class VillagePageForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that only reads

    page = IntegerField(
        _l("Page"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_PAGE, message=_l("Choose a page number from 1")),
        ],
    )
