"""Following a request: ticket reference + PIN (``/track``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from forms.base import BaseForm
from portal.tickets.references import PIN_DIGITS, parse_reference


class TrackForm(BaseForm):
    reference = StringField(
        _l("Ticket number"),
        description=_l("On your receipt, for example DT-7KQ4-M9XW"),
    )
    pin = StringField(
        _l("PIN"),
        description=_l("The 6 digits you got when you sent the request"),
    )

    def validate_reference(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the ticket number"))
        canonical = parse_reference(field.data)
        if canonical is None:
            raise ValidationError(_l("Enter the ticket number like DT-7KQ4-M9XW"))
        field.data = canonical

    def validate_pin(self, field):
        pin = (field.data or "").replace(" ", "")
        if not pin:
            raise ValidationError(_l("Enter the PIN"))
        if not (pin.isascii() and pin.isdigit() and len(pin) == PIN_DIGITS):
            raise ValidationError(_l("The PIN is 6 digits"))
        field.data = pin
