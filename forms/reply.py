"""The text-and-files form: a resident's reply to the office's question, an
appeal of a decision, and a reply an operator passes on
(``portal.web.text_and_files``).

One form holds the text, the file with its type, the remove buttons and the
send button, so every press keeps what was typed. The text's label and hint
depend on the page; the view sets them. Whether the text is required is the
page's rule too (an appeal needs it; a reply needs text or a file): the view
checks it on "send" only, so uploading a file never complains about the text.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from forms.base import BaseForm
from forms.validators import RESEND, resident_text_length


class TextAndFilesForm(BaseForm):
    text = TextAreaField(_l("Your reply"), validators=[resident_text_length])
    file = FileField(
        _l("Upload a file (optional)"),
        description=_l("A photo (JPG, PNG or WebP) or a PDF, up to 8 MB"),
    )
    doc_type = SelectField(_l("What is in the file?"), validate_choice=False)
    #: The send's idempotency key (``TicketEvent.idempotency_key``).
    key = HiddenField()

    def file_chosen(self) -> bool:
        return self.file.data is not None and bool(getattr(self.file.data, "filename", ""))

    def validate_doc_type(self, field):
        if not self.file_chosen():
            return
        if not field.data or field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select what is in the file"))

    def validate_key(self, field):
        if not field.data or len(field.data) > 64:
            raise ValidationError(RESEND)
