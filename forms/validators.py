"""Field validators shared by several forms."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from lokal import parse_nik
from wtforms.validators import ValidationError

NIK_SEPARATORS = re.compile(r"[\s.\-]")

#: A form's hidden idempotency key missing or malformed (an old or edited page).
RESEND = _l("The form could not be sent. Please try again")


def resident_text_length(form, field) -> None:
    """A resident's free text (reply, appeal, withdraw reason, rating
    comment): at most ``RESIDENT_TEXT_MAX_CHARS`` characters, read when
    validating; the message says how many were written."""
    limit = int(current_app.config["RESIDENT_TEXT_MAX_CHARS"])
    if field.data and len(field.data) > limit:
        raise ValidationError(
            _l("Write %(max)d characters or fewer; you wrote %(count)d")
            % {"max": limit, "count": len(field.data)}
        )


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


# Free text ------------------------------------------------------------------------------

#: C0/C1 controls (NUL, ESC, …) and the invisible marks that reorder or hide
#: text (bidi embeddings, overrides and isolates, the byte-order mark): an
#: officer must read what the resident wrote, not a line that displays
#: differently from what it holds. Line breaks are handled apart.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")


def clean_text(value: str | None, *, multiline: bool) -> str | None:
    """``value`` without control characters: a tab becomes a space, line
    breaks become ``\\n`` (kept only when ``multiline``, else a space)."""
    if not isinstance(value, str):
        return value
    value = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    if not multiline:
        value = value.replace("\n", " ")
    return _CONTROLS.sub("", value)
