"""Templates with their fixed texts translated once, at compile time.

A page like the lookup result makes a few dozen ``_("…")`` calls with a
literal msgid and no variables. At run time each is a context lookup, a
catalog lookup and a ``Markup`` built again on every request, and on the
busiest page they cost more than the database query. ``render_page`` renders a
template from a per-language copy of the Jinja environment whose
``FoldTranslations`` extension replaces each such call with the translated
text while the template compiles, so it becomes part of the template's static
HTML. Calls with variables (``_("Desil %(desil)d", desil=…)``) stay calls.

The result is the same text ``_()`` gives at run time (the translation is
trusted markup, as with Jinja's new-style gettext); ``test_i18n_fold`` renders
pages both ways and compares them. Templates still reload in development: each
language's environment keeps Flask's ``auto_reload``.
"""

from __future__ import annotations

import flask_babel
from flask import current_app, render_template
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from portal.extensions import once_per_app
from portal.i18n import current_lang


class FoldTranslations(Extension):
    """``_("literal")`` → the literal's translation, marked safe, at compile time."""

    def filter_stream(self, stream: TokenStream):
        tokens = list(stream)
        translations = self._translations()
        i = 0
        while i < len(tokens):
            folded = self._fold(tokens, i, translations)
            if folded is None:
                yield tokens[i]
                i += 1
                continue
            yield from folded
            i += 4

    def _translations(self):
        with flask_babel.force_locale(self.environment.portal_locale):
            return flask_babel.get_translations()

    @staticmethod
    def _fold(tokens: list[Token], i: int, translations) -> list[Token] | None:
        window = tokens[i : i + 4]
        if len(window) < 4 or [t.type for t in window] != ["name", "lparen", "string", "rparen"]:
            return None
        if window[0].value != "_" or (i and tokens[i - 1].type == "dot"):
            return None
        try:  # exactly what _() returns at run time, "%%" included
            text = str(Markup(translations.ugettext(window[2].value)) % {})  # noqa: S704 # nosec B704
        except (TypeError, ValueError):
            return None  # leave the call as it is; it behaves at run time as before
        line = window[0].lineno
        return [Token(line, "string", text), Token(line, "pipe", "|"), Token(line, "name", "safe")]


def _environment(locale: str) -> Environment:
    def build() -> Environment:
        # its own template cache: overlay() would otherwise copy the parent's,
        # and templates the parent compiled first would stay unfolded
        env = current_app.jinja_env.overlay(extensions=[FoldTranslations], cache_size=400)
        env.portal_locale = locale
        return env

    return once_per_app(f"portal_folded_templates:{locale}", build)


def render_page(template_name: str, **context) -> str:
    """``render_template`` with the fixed texts folded for the current language."""
    template = _environment(current_lang()).get_template(template_name)
    return render_template(template, **context)
