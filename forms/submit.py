"""The question pages of a submission (``/submit/<kind>/...``).

One form per page. Choices that depend on the kind (what exactly is asked,
the reasons, the regions) are set by the view before validation.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import BaseForm
from forms.validators import RESEND

DETAILS_MAX = 2000
#: Syntax only (``email-validator``): there is no network for a DNS check, and
#: an address that looks right but bounces costs nothing but the message.
EMAIL = Email(
    message=_l("Enter an email address like name@example.com"),
    check_deliverability=False,
    allow_smtputf8=False,
)
PHONE_SEPARATORS = re.compile(r"[\s().\-]")
#: Indonesian mobile or landline: 08…, +62…, 62…; 9 to 13 digits after the 0.
PHONE = re.compile(r"(\+62|62|0)[1-9][0-9]{7,12}")


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (``components/checkboxes.html``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubkindForm(BaseForm):
    subkind = RadioField(
        _l("What do you want to ask for?"),
        validators=[InputRequired(message=_l("Select what you want to ask for"))],
        validate_choice=False,  # validate_subkind says it in the resident's words
    )

    def validate_subkind(self, field):
        if field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select what you want to ask for"))


class SubjectForm(BaseForm):
    subject_name = StringField(
        _l("Full name of the head of the household"),
        description=_l(
            "As written on the KTP. If you do not know it, write the name people know them by"
        ),
        validators=[
            InputRequired(message=_l("Enter the name of the head of the household")),
            Length(max=120, message=_l("The name must be 120 characters or fewer")),
        ],
    )
    subject_address = StringField(
        _l("Address"),
        description=_l("Street, house number, RT/RW"),
        validators=[
            InputRequired(message=_l("Enter the address")),
            Length(max=200, message=_l("The address must be 200 characters or fewer")),
        ],
    )


class VillageForm(BaseForm):
    """Province → regency/city → district → village, one list at a time."""

    province = SelectField(_l("Province"), validate_choice=False)
    regency = SelectField(_l("Regency or city (kabupaten/kota)"), validate_choice=False)
    district = SelectField(_l("District (kecamatan)"), validate_choice=False)
    village = SelectField(_l("Village (desa/kelurahan)"), validate_choice=False)


class ReasonsForm(BaseForm):
    reason_codes = MultiCheckboxField(
        _l("Why? Select all that apply"),
        validate_choice=False,  # validate_reason_codes says it in the resident's words
    )
    details = TextAreaField(
        _l("Tell us more"),
        validators=[
            Length(
                max=DETAILS_MAX,
                message=_l("Write %(max)d characters or fewer", max=DETAILS_MAX),
            )
        ],
    )

    def __init__(
        self,
        *args,
        details_required: bool = False,
        explain_codes: tuple[str, ...] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.details_required = details_required
        #: Reasons that say nothing by themselves ("another reason"): the text must.
        self.explain_codes = explain_codes

    def validate_reason_codes(self, field):
        if self.reason_codes.choices and not field.data:
            raise ValidationError(_l("Select at least one reason"))
        known = {value for value, _label in self.reason_codes.choices or ()}
        if any(code not in known for code in field.data or ()):
            raise ValidationError(_l("Select at least one reason"))

    def validate_details(self, field):
        if self.details_required and not field.data:
            raise ValidationError(_l("Describe what is wrong and what is right"))
        chosen = set(self.reason_codes.data or ())
        if chosen.intersection(self.explain_codes) and not field.data:
            raise ValidationError(_l("You chose another reason: write what it is"))


class EvidenceForm(BaseForm):
    file = FileField(
        _l("Upload a file"),
        description=_l("A photo (JPG, PNG or WebP) or a PDF, up to 8 MB"),
    )
    doc_type = SelectField(_l("What is in the file?"), validate_choice=False)
    keep_gps = BooleanField(
        _l("Keep the place where the photo was taken"),
        description=_l(
            "This helps the officer find the house. Without this, we remove the location."
        ),
    )

    def validate_doc_type(self, field):
        if not field.data or field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select what is in the file"))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose a file to upload"))


class ContactForm(BaseForm):
    contact = StringField(
        _l("Phone number or email (optional)"),
        description=_l(
            "We use it only to tell you about this request. For example, 0812 3456 7890"
        ),
        validators=[
            Optional(),
            Length(max=120, message=_l("Enter a phone number or an email address")),
        ],
    )

    def validate_contact(self, field):
        value = field.data or ""
        if "@" in value:
            EMAIL(self, field)
            return
        digits = PHONE_SEPARATORS.sub("", value)
        if not PHONE.fullmatch(digits):
            raise ValidationError(
                _l("Enter a phone number like 0812 3456 7890, or an email address")
            )
        field.data = digits


class ConsentForm(BaseForm):
    consent = BooleanField(
        _l("I agree that the social office uses this data to check my request"),
        validators=[InputRequired(message=_l("Tick the box to agree, or you cannot send"))],
    )


class CheckAnswersForm(BaseForm):
    idempotency_key = HiddenField(
        validators=[
            InputRequired(message=RESEND),
            Length(max=64, message=RESEND),
        ]
    )


class ConfirmForm(BaseForm):
    """A form with only its CSRF token: one button."""
