"""The base form: strips surrounding whitespace from every text field but
passwords (a space is part of a passphrase)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if _strip not in filters and unbound_field.field_class is not PasswordField:
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)
