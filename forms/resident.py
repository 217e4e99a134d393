"""The resident's moves on the tracking page: withdraw, rate (issue 11 §3-4)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from forms.base import BaseForm
from forms.validators import RESEND, resident_text_length


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("Why do you withdraw it? (optional)"),
        description=_l("For example: the household's situation has improved"),
        validators=[resident_text_length],
    )
    #: Set when the page is shown: a second click finds the first withdrawal (RE1).
    idempotency_key = HiddenField(
        validators=[InputRequired(message=RESEND), Length(max=64, message=RESEND)]
    )


#: Each score with words, best first (as GOV.UK's satisfaction questions).
SCORE_CHOICES = [
    ("5", _l("5 – Very good")),
    ("4", _l("4 – Good")),
    ("3", _l("3 – Neither good nor poor")),
    ("2", _l("2 – Poor")),
    ("1", _l("1 – Very poor")),
]


class RatingForm(BaseForm):
    score = RadioField(
        _l("How well did the office handle your request?"),
        choices=SCORE_CHOICES,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose how well the office handled your request"))],
    )
    comment = TextAreaField(
        _l("Anything you want to tell the office? (optional)"),
        description=_l("Only the office sees it. Do not write your NIK or your PIN."),
        validators=[resident_text_length],
    )

    def validate_score(self, field) -> None:
        if field.data not in {value for value, _label in SCORE_CHOICES}:
            raise ValidationError(_l("Choose a score from 1 to 5"))
