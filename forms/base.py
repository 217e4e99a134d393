"""The base form: strips surrounding whitespace from every text field but
passwords (a space is part of a passphrase), and removes control characters
from every free-text field (``forms.validators.clean_text``)."""

from __future__ import annotations

from functools import partial

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from forms.validators import clean_text


def _strip(value):
    return value.strip() if isinstance(value, str) else value


_clean_line = partial(clean_text, multiline=False)
_clean_lines = partial(clean_text, multiline=True)


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            field_class = unbound_field.field_class
            if _strip not in filters and field_class is not PasswordField:
                unbound_field.kwargs["filters"] = [_strip, *filters]
                filters = unbound_field.kwargs["filters"]
            if issubclass(field_class, StringField) and field_class is not PasswordField:
                multiline = issubclass(field_class, TextAreaField)
                clean = _clean_lines if multiline else _clean_line
                if clean not in filters:
                    # Clean first: a control character may hide surrounding space.
                    unbound_field.kwargs["filters"] = [clean, *filters]
            return unbound_field.bind(form=form, **options)
