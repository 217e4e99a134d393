"""Editing reply templates (``/office/templates``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from forms.base import BaseForm

PURPOSE_LABELS = {
    "needs_info": _l("Question to the resident"),
    "accepted": _l("Explanation of an acceptance"),
    "rejected": _l("Explanation of a rejection"),
}
LANG_LABELS = {"id": "Bahasa Indonesia", "en": "English"}


class TemplateForm(BaseForm):
    title = StringField(
        _l("Title"),
        description=_l("What handlers see in the list, for example Missing document"),
        validators=[
            DataRequired(message=_l("Enter a title")),
            Length(max=120, message=_l("Keep it under %(max)d characters", max=120)),
        ],
    )
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Plain words. {reference} becomes the request number and {due_date} the "
            "date that applies (the end of the appeal period for a decision)."
        ),
        validators=[
            DataRequired(message=_l("Enter the text")),
            Length(max=2000, message=_l("Keep it under %(max)d characters", max=2000)),
        ],
    )


class EditTemplateForm(TemplateForm):
    #: ``replies.fingerprint`` of the row as it was shown.
    seen = HiddenField()


class NewTemplateForm(TemplateForm):
    purpose = SelectField(
        _l("Used for"),
        choices=list(PURPOSE_LABELS.items()),
        validators=[DataRequired(message=_l("Select what the template is used for"))],
    )
    code = StringField(
        _l("Short name"),
        description=_l("Lower-case letters, digits and _, for example missing_kk"),
        validators=[
            DataRequired(message=_l("Enter a short name")),
            Regexp(
                r"^[a-z0-9_]{1,32}$",
                message=_l("Use only lower-case letters, digits and _ (at most 32)"),
            ),
        ],
    )
    lang = SelectField(
        _l("Language"),
        choices=list(LANG_LABELS.items()),
        validators=[DataRequired(message=_l("Select the language"))],
    )
