"""The export forms (``/office/exports``): the decisions CSV (office and
period) and the village meeting list (office, village and period).

The office choices are the offices the account may export
(``portal.tickets.exports.exportable_offices``), set by the view; an office
outside them never reaches validation (the view answers 404 first).
"""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from forms.base import BaseForm
from portal.tickets.exports import MAX_DAYS, Period

VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def _date(field, missing, bad):
    if not field.data:
        raise ValidationError(missing)
    try:
        return dt.date.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(bad) from None


class PeriodForm(BaseForm):
    office = SelectField(
        _l("Office"),
        validate_choice=False,
        validators=[InputRequired(message=_l("Select the office"))],
    )
    start = StringField(
        _l("From"),
        description=_l("Year-month-day, for example 2026-03-01"),
    )
    end = StringField(
        _l("To (inclusive)"),
        description=_l("Year-month-day, for example 2026-03-31"),
    )

    def validate_start(self, field):
        _date(
            field,
            _l("Enter the first day of the period"),
            _l("Enter the first day as year-month-day, for example 2026-03-01"),
        )

    def validate_end(self, field):
        end = _date(
            field,
            _l("Enter the last day of the period"),
            _l("Enter the last day as year-month-day, for example 2026-03-31"),
        )
        try:
            start = dt.date.fromisoformat(self.start.data or "")
        except ValueError:
            return  # the first day's own error says it
        if end < start:
            raise ValidationError(_l("The last day must be on or after the first day"))
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError(
                _l("A period covers at most %(days)d days: choose a shorter one", days=MAX_DAYS)
            )

    def period(self) -> Period:
        return Period(dt.date.fromisoformat(self.start.data), dt.date.fromisoformat(self.end.data))


class DecisionsForm(PeriodForm):
    pass


class MusdesForm(PeriodForm):
    village = StringField(
        _l("Village code"),
        description=_l("The Kemendagri code of the desa or kelurahan, for example 32.01.01.2001"),
    )

    def validate_village(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the village code"))
        if not VILLAGE_CODE.fullmatch(field.data):
            raise ValidationError(
                _l("Enter the village code as four groups of digits, for example 32.01.01.2001")
            )
