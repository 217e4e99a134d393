"""The field-visit form (``/office/tickets/<reference>/visit``).

Built per ticket by ``visit_form``: one select per house-condition variable
(pre-selected "same as the registry" when the registry holds a value), the
numbers as text pre-filled with the registry's, and ``max_photos`` file
inputs each with what the photo shows. ``observed()`` gives the findings in
the registry's codes for ``portal.tickets.visits.record_visit``.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from forms.base import BaseForm
from portal.registry.schema import CONDITION_VALUES
from portal.tickets.visits import NOTES_MAX, NUMERIC, NUMERIC_MAX, PHOTO_TYPES, VARIABLES
from portal.web.office.visit_labels import (
    PHOTO_TYPE_LABELS,
    RECOMMENDATION_LABELS,
    REFUSALS,
    VALUE_LABELS,
    VARIABLE_LABELS,
    value_label,
)

SAME = "same"
UNCHECKED = "unchecked"


class VisitForm(BaseForm):
    #: Hidden: the same key on a second click finds the visit the first made.
    key = HiddenField()
    version = HiddenField()
    visited_on = StringField(
        _l("Date of the visit"),
        description=_l("Year-month-day, for example 2026-03-20"),
        validators=[InputRequired(message=_l("Enter the date of the visit"))],
    )
    officer = SelectField(_l("Officer who visited"), validate_choice=False)
    notes = TextAreaField(
        _l("Notes (optional)"),
        description=_l(
            "What the officer saw that the list does not say. Never shown to the resident."
        ),
        validators=[Length(max=NOTES_MAX, message=REFUSALS["notes_too_long"])],
    )
    #: A field officer's choice (``/office/visits/<reference>/record``): keep
    #: where the photos were taken; otherwise no position is kept.
    keep_gps = BooleanField(
        _l("Keep where the photos were taken"),
        description=_l(
            "Only if the phone saved the place in the photo. Leave it unticked to keep no place."
        ),
    )
    recommendation = RadioField(
        _l("Recommendation"),
        choices=list(RECOMMENDATION_LABELS.items()),
        validators=[InputRequired(message=REFUSALS["bad_recommendation"])],
    )

    #: Set by ``visit_form``: the registry's values, the allowed dates, the photo fields.
    registry: dict = {}
    earliest: dt.date = dt.date.min
    latest: dt.date = dt.date.max
    photo_names: list[str] = []

    def validate_visited_on(self, field):
        try:
            day = dt.date.fromisoformat(field.data or "")
        except ValueError:
            raise ValidationError(
                _l("Enter the date of the visit as year-month-day, for example 2026-03-20")
            ) from None
        if day > self.latest:
            raise ValidationError(REFUSALS["future_date"])
        if day < self.earliest:
            raise ValidationError(REFUSALS["before_submission"])

    def validate_officer(self, field):
        if field.data not in dict(field.choices or ()):
            raise ValidationError(REFUSALS["bad_officer"])

    def finding_fields(self):
        return [(name, self[f"obs_{name}"]) for name in VARIABLES]

    def photo_fields(self):
        return [(self[name], self[f"{name}_type"]) for name in self.photo_names]

    def observed(self) -> dict[str, str | int | None]:
        """What the officer saw, in the registry's codes (None: not checked)."""
        out: dict[str, str | int | None] = {}
        for name, field in self.finding_fields():
            value = (field.data or "").strip()
            if name in NUMERIC:
                out[name] = int(value) if value else None
            elif value == SAME:
                out[name] = self.registry.get(name)
            else:
                out[name] = None if value in (UNCHECKED, "") else value
        return out


class _Number:
    """A whole number in range, or nothing (not checked)."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if value and not (value.isascii() and value.isdigit() and int(value) <= self.maximum):
            raise ValidationError(
                _l("Enter a whole number up to %(max)d, or leave it empty", max=self.maximum)
            )


class _Choice:
    def __call__(self, form, field):
        if field.data not in dict(field.choices or ()):
            raise ValidationError(REFUSALS["bad_value"])


def visit_form(
    registry: dict,
    officers: list[tuple[str, str]],
    max_photos: int,
    *,
    earliest: dt.date,
    latest: dt.date,
    defaults: dict | None = None,
    formdata=None,
) -> VisitForm:
    """A form for one ticket: ``registry`` from ``visits.registry_values``,
    ``officers`` as (id, name) choices. ``formdata`` None reads the request."""

    class Form(VisitForm):
        pass

    for name in VARIABLES:
        label = VARIABLE_LABELS[name]
        if name in NUMERIC:
            field = StringField(label, validators=[_Number(NUMERIC_MAX[name])])
        else:
            field = SelectField(
                label, choices=_choices(name, registry.get(name)), validators=[_Choice()]
            )
        setattr(Form, f"obs_{name}", field)
    Form.photo_names = [f"photo_{i}" for i in range(1, max_photos + 1)]
    for i, photo in enumerate(Form.photo_names, start=1):
        setattr(Form, photo, FileField(_l("Photo %(number)d (optional)", number=i)))
        setattr(
            Form,
            f"{photo}_type",
            SelectField(
                _l("What photo %(number)d shows", number=i),
                choices=[(t, PHOTO_TYPE_LABELS[t]) for t in PHOTO_TYPES],
                validators=[_Choice()],
            ),
        )
    data = {
        "key": secrets.token_urlsafe(24),
        **{f"obs_{n}": _default(n, registry.get(n)) for n in VARIABLES},
        **{
            f"{p}_type": "house_front" if i == 0 else "house_inside"
            for i, p in enumerate(Form.photo_names)
        },
        **(defaults or {}),
    }
    kwargs = {} if formdata is None else {"formdata": formdata}
    form = Form(data=data, **kwargs)
    form.registry, form.earliest, form.latest = registry, earliest, latest
    form.officer.choices = officers
    return form


def _choices(name: str, registry_value: str | None) -> list[tuple[str, str]]:
    first = []
    if registry_value is not None:
        first.append(
            (SAME, _l("Same as the registry (%(value)s)", value=value_label(name, registry_value)))
        )
    first.append((UNCHECKED, _l("Not checked")))
    return first + [(code, VALUE_LABELS[name][code]) for code in CONDITION_VALUES[name]]


def _default(name: str, registry_value) -> str:
    if name in NUMERIC:
        return "" if registry_value is None else str(registry_value)
    return UNCHECKED if registry_value is None else SAME
