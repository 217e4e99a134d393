"""The filter of the supervisors' escalated list (a GET form: a bookmark)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from forms.base import BaseForm
from forms.queue import MAX_PAGE

LEVEL_LABELS = {
    "all": _l("Every level (province and national)"),
    "1": _l("Level 1: the province supervisor"),
    "2": _l("Level 2: the national office"),
}


class EscalatedFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that only reads

    level = SelectField(
        _l("Escalation level"),
        choices=list(LEVEL_LABELS.items()),
        validators=[Optional()],
    )
    page = IntegerField(
        _l("Page"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_PAGE, message=_l("Choose a page number from 1")),
        ],
    )
