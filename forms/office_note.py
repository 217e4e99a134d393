"""The office's internal note on a ticket (never shown to the resident)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.base import BaseForm

NOTE_MAX = 2000


class NoteForm(BaseForm):
    note = TextAreaField(
        _l("Internal note"),
        description=_l("Only the office sees this note. The resident never does."),
        validators=[
            DataRequired(message=_l("Write the note")),
            Length(
                max=NOTE_MAX,
                message=_l("The note must be %(max)d characters or fewer", max=NOTE_MAX),
            ),
        ],
    )
    #: The ``Ticket.version`` the page was shown with (``expect_version``).
    version = HiddenField()
