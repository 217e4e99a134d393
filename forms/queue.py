"""The office queue's filters (a GET form: a filtered queue is a bookmark) and
the bulk assignment under its table."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from forms.base import BaseForm
from forms.submit import MultiCheckboxField
from portal.tickets.labels import OFFICE_STATUS_LABELS
from portal.tickets.models import KINDS
from portal.tickets.queue import QueueFilters
from portal.web.converters import MAX_ID
from portal.web.public.ticket_labels import KIND_TITLES

VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")
#: Far beyond any office's queue; keeps the offset a small number.
MAX_PAGE = 10_000


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that only reads

    status = MultiCheckboxField(
        _l("Status"),
        choices=[(code, label) for code, label in OFFICE_STATUS_LABELS.items()],
        validate_choice=False,
    )
    kind = SelectField(
        _l("Kind of request"),
        choices=[("", _l("Any kind")), *((k, KIND_TITLES[k]) for k in KINDS)],
        validate_choice=False,
    )
    overdue = SelectField(
        _l("Deadline"),
        choices=[("", _l("Any deadline")), ("1", _l("Overdue only"))],
        validate_choice=False,
    )
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    village = StringField(
        _l("Village code"), description=_l("For example 32.01.01.2001"), validators=[Optional()]
    )
    q = StringField(
        _l("Go to a ticket number"),
        description=_l("For example DT-7KQ4-M9XW"),
        validators=[Optional()],
    )
    page = IntegerField(
        _l("Page"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_PAGE, message=_l("Choose a page number from 1")),
        ],
    )

    def validate_status(self, field):
        if any(value not in OFFICE_STATUS_LABELS for value in field.data or ()):
            raise ValidationError(_l("Choose statuses from the list"))

    def validate_kind(self, field):
        if field.data and field.data not in KINDS:
            raise ValidationError(_l("Choose a kind of request from the list"))

    def validate_overdue(self, field):
        if field.data not in ("", "1", None):
            raise ValidationError(_l("Choose a deadline from the list"))

    def validate_assignee(self, field):
        if field.data in ("me", "none") or not field.data:
            return
        if not (field.data.isascii() and field.data.isdigit() and int(field.data) <= MAX_ID):
            raise ValidationError(_l("Choose who the tickets are assigned to from the list"))

    def validate_village(self, field):
        if field.data and not VILLAGE_CODE.fullmatch(field.data):
            raise ValidationError(_l("Enter a village code like 32.01.01.2001"))

    def filters(self) -> QueueFilters:
        assignee = self.assignee.data or None
        return QueueFilters(
            statuses=tuple(dict.fromkeys(self.status.data or ())),
            kind=self.kind.data or None,
            overdue=self.overdue.data == "1",
            assignee=int(assignee) if assignee and assignee.isdecimal() else assignee,
            village=self.village.data or None,
        )


class BulkAssignForm(BaseForm):
    """Checked tickets of the queue, and to whom: a staff id, or nobody."""

    ticket = MultiCheckboxField(_l("Select"), validate_choice=False)
    assignee = SelectField(_l("Assign the selected tickets to"), validate_choice=False)
    back = StringField(validators=[Optional()])

    def validate_ticket(self, field):
        if not field.data:
            raise ValidationError(_l("Select at least one ticket"))
