"""The forms of an operator's assisted submission (``/office/assist``).

The start page (the kind and the operator's own household lookup), and the
two questions whose words differ from the resident's own journey: the
resident's contact and the operator's record of the resident's consent.
The other question pages use ``forms.submit`` as they are.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from forms.base import BaseForm
from forms.submit import ContactForm
from forms.validators import ValidNik
from portal.tickets.models import CONSENT_METHODS


class AssistStartForm(BaseForm):
    """The kind, and the household looked up by the resident's NIK and full
    name (both left empty: a household not in the registry)."""

    kind = RadioField(
        _l("What does the resident want to ask for?"),
        validators=[InputRequired(message=_l("Select what the resident wants to ask for"))],
        validate_choice=False,
    )
    nik = StringField(
        _l("The resident's NIK (optional for a household not in the registry)"),
        description=_l("16 digits, from the resident's KTP or family card (KK)"),
    )
    name = StringField(
        _l("The resident's full name"),
        description=_l("As written on the KTP. Capital letters do not matter"),
        validators=[Length(max=120, message=_l("Full name must be 120 characters or fewer"))],
    )

    def validate_kind(self, field):
        if field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select what the resident wants to ask for"))

    def validate_nik(self, field):
        if field.data:
            ValidNik()(self, field)
        elif self.name.data:
            raise ValidationError(_l("Enter the resident's NIK, or leave the full name empty"))

    def validate_name(self, field):
        if self.nik.data and not field.data:
            raise ValidationError(_l("Enter the resident's full name as on the KTP"))

    @property
    def wants_lookup(self) -> bool:
        return bool(self.nik.data)


class AssistContactForm(ContactForm):
    contact = StringField(
        _l("The resident's own phone number or email (optional)"),
        description=_l(
            "Not the village office's: messages about this request go to it. "
            "For example, 0812 3456 7890"
        ),
        validators=ContactForm.contact.kwargs["validators"],
    )


class AssistConsentForm(BaseForm):
    """In the order of the page (the error summary follows it)."""

    consent_by = StringField(
        _l("Full name of the person who gave consent"),
        description=_l("As written on their KTP. Usually the resident who came in"),
        validators=[
            InputRequired(message=_l("Enter the name of the person who gave consent")),
            Length(max=120, message=_l("The name must be 120 characters or fewer")),
        ],
    )
    consent_method = RadioField(
        _l("How was consent given?"),
        validators=[InputRequired(message=_l("Select how the resident gave consent"))],
        validate_choice=False,
    )
    file = FileField(
        _l("Photo of the signed consent form (optional)"),
        description=_l("A photo (JPG, PNG or WebP) or a PDF, up to 8 MB"),
    )
    consent = BooleanField(
        _l(
            "The person named above gave me their consent to send this request and for "
            "their data to be used as described on this page"
        ),
        validators=[InputRequired(message=_l("Tick the box to record the resident's consent"))],
    )

    def validate_consent_method(self, field):
        # Against the model's list, not only the choices the view set: a
        # forged value must never reach the send (the service refuses it).
        if field.data not in CONSENT_METHODS or field.data not in dict(field.choices or ()):
            raise ValidationError(_l("Select how the resident gave consent"))
