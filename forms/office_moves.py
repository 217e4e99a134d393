"""The forms of the office's moves on a ticket (``portal/web/office/moves.py``).

Every move form carries the ``Ticket.version`` it was shown with; the view
compares it before anything else (a stale form changes nothing).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import BaseForm
from forms.submit import MultiCheckboxField

PUBLIC_TEXT_MAX = 2000


class MoveForm(BaseForm):
    """A move that is only a button."""

    version = HiddenField()


def _at_least_one(field) -> None:
    if not field.data:
        raise ValidationError(_l("Select at least one reason"))


class AskForm(MoveForm):
    question = TextAreaField(
        _l("Your question to the resident"),
        description=_l(
            "The resident reads this on the tracking page. Use plain words and say "
            "what they should send or do."
        ),
        validators=[
            DataRequired(message=_l("Enter your question to the resident")),
            Length(
                max=PUBLIC_TEXT_MAX,
                message=_l("Keep it under %(max)d characters", max=PUBLIC_TEXT_MAX),
            ),
        ],
    )


class DecideForm(MoveForm):
    reasons = MultiCheckboxField(
        _l("Reasons for the decision"),
        description=_l("Select all that apply."),
        # Not DataRequired: its "required" flag would mark every checkbox required.
        validators=[lambda form, field: _at_least_one(field)],
    )
    explanation = TextAreaField(
        _l("Explanation for the resident"),
        description=_l("The resident reads this on the tracking page. Use plain words."),
        validators=[
            DataRequired(message=_l("Enter an explanation for the resident")),
            Length(
                max=PUBLIC_TEXT_MAX,
                message=_l("Keep it under %(max)d characters", max=PUBLIC_TEXT_MAX),
            ),
        ],
    )


class TransferForm(MoveForm):
    office = RadioField(
        _l("Office to transfer to"),
        coerce=int,
        validators=[DataRequired(message=_l("Select the office to transfer the request to"))],
        validate_choice=False,  # validate_office says it in plain words
    )
    reason = TextAreaField(
        _l("Why this request is not for your office"),
        description=_l("Internal note: the resident does not see it."),
        validators=[
            DataRequired(message=_l("Enter why the request is not for your office")),
            Length(max=1000, message=_l("Keep it under %(max)d characters", max=1000)),
        ],
    )

    def validate_office(self, field):
        if field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select the office to transfer the request to"))


class DuplicateForm(MoveForm):
    reference = StringField(
        _l("Number of the request it repeats"),
        description=_l("For example, DT-7KQ4-M9XW. It must be about the same household."),
        validators=[
            DataRequired(message=_l("Enter the number of the request it repeats")),
            Length(max=20, message=_l("Enter a request number like DT-7KQ4-M9XW")),
        ],
    )


class TemplatePickForm(BaseForm):
    """A GET form: which template to start the text from."""

    class Meta:
        csrf = False

    template = SelectField(_l("Start from a template"), validate_choice=False)


class OfficeSearchForm(BaseForm):
    """A GET form: find the office to transfer to, by name or code."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Find the office"),
        description=_l("Part of its name or code, for example Bogor or dinsos-32.01"),
        validators=[Length(max=80)],
    )
