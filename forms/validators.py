"""Field validators shared by several forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from lokal import parse_nik
from wtforms.validators import ValidationError

NIK_SEPARATORS = re.compile(r"[\s.\-]")


def normalise_nik(raw: str | None) -> str:
    """Spaces, dots and dashes are accepted and removed."""
    return NIK_SEPARATORS.sub("", raw or "")


class ValidNik:
    """A syntactically valid NIK (SECURITY.md LK5), with a message that says
    what is wrong. Replaces the field's data with the 16 digits."""

    def __call__(self, form, field) -> None:
        digits = normalise_nik(field.data)
        if not digits:
            raise ValidationError(_l("Enter your NIK"))
        if not digits.isascii() or not digits.isdigit():
            raise ValidationError(_l("NIK must contain only numbers"))
        if len(digits) != 16:
            raise ValidationError(
                _l("NIK must be 16 digits; you entered %(count)d", count=len(digits))
            )
        info = parse_nik(digits)
        codes = {e.code for e in info.errors}
        if "province" in codes:
            raise ValidationError(
                _l(
                    "The first 2 digits of a NIK are a province code; %(code)s is not one",
                    code=digits[:2],
                )
            )
        if "wilayah" in codes:
            raise ValidationError(_l("Digits 3 to 6 of a NIK cannot contain 00"))
        if "birth_date" in codes:
            raise ValidationError(
                _l("Digits 7 to 12 of a NIK are the date of birth; they are not a real date")
            )
        if "serial" in codes:
            raise ValidationError(_l("The last 4 digits of a NIK cannot be 0000"))
        if codes:
            raise ValidationError(_l("This is not a valid NIK"))
        field.data = digits
