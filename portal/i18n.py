"""Language: Indonesian by default, English second.

``?lang=id|en`` on any URL switches the language and is remembered in a
cookie; an unsupported value is ignored. Strings in the source are English
msgids; ``translations/`` holds the catalogs (see ``docs/translations.md``).
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import flask_babel
from flask import Flask, Response, current_app, has_request_context, request
from flask.globals import _cv_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

ONE_YEAR = 365 * 24 * 3600

# Each language is named in itself on the switch link, so a reader who does not
# understand the current page can still find their own language.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def wait_words(seconds: float) -> str:
    """A wait in words, "5 minutes", "2 hours", for every limit page (issue 9
    §2: each says how long to wait). Rounded up, so nobody comes back too
    early. (No ngettext: Indonesian has one form, and 90 minutes and more are
    always at least two hours.)"""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes == 1:
        return _("1 minute")
    if minutes < 90:
        return _("%(num)d minutes", num=minutes)
    return _("%(num)d hours", num=math.ceil(minutes / 60))


def _supported(code: str | None) -> str | None:
    """``code`` normalised when it names a supported locale, else ``None``."""
    if not code:
        return None
    code = code.strip().lower()
    return code if code in current_app.config["BABEL_SUPPORTED_LOCALES"] else None


def select_locale() -> str:
    """Flask-Babel's locale selector: ``?lang=``, then the cookie, then the default.

    Outside a request (CLI, worker) the default; wrap work for a known reader in
    ``flask_babel.force_locale``.
    """
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return (
        _supported(request.args.get("lang"))
        or _supported(request.cookies.get(current_app.config["LANG_COOKIE"]))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def lang_switch_href(code: str) -> str:
    """A query-only relative link to this page in ``code``.

    Keeps the other query arguments and never repeats the path, so a crafted
    path (``//elsewhere.example``) cannot turn the switch into an off-site link.
    """
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return "?" + urlencode([*args, ("lang", code)])


def _translations():
    """The request's translations, found once per request and locale.

    Flask-Babel looks them up through several context proxies on every
    ``_()`` call; a result page makes dozens of calls, and that lookup was a
    measurable part of the lookup page's time. The cache lives on Flask-Babel's
    own per-request namespace and is keyed by the locale object, so
    ``force_locale`` (receipts in the ticket's language) still switches.
    """
    ctx = _cv_app.get(None)
    ns = getattr(ctx.g, "_flask_babel", None) if ctx is not None else None
    locale = getattr(ns, "babel_locale", None) if ns is not None else None
    if locale is None:
        return flask_babel.get_translations()
    cached = getattr(ns, "portal_translations", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    translations = flask_babel.get_translations()
    ns.portal_translations = (locale, translations)
    return translations


def _template_gettext(msgid: str, **variables) -> Markup:
    """``_()`` in templates: Jinja's new-style gettext without its per-call context.

    Jinja's i18n extension reaches the catalog through two context-passing
    wrappers per ``_()`` call; the result page makes dozens of calls and the
    wrappers cost more than the lookups. Same semantics as Jinja's new style:
    the translation is trusted markup (every template autoescapes, they are all
    ``.html``) and the variables are escaped into it with ``%``.
    """
    return Markup(_translations().ugettext(msgid)) % variables  # noqa: S704 - our catalog  # nosec B704


def _template_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return Markup(_translations().ungettext(singular, plural, num)) % variables  # noqa: S704 # nosec B704


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        newstyle=True,
    )
    # Replace the extension's context-passing wrappers with the plain functions
    # (same calling convention: msgid plus keyword variables).
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )
    # `{% trans %}` blocks collapse their whitespace, as babel.cfg extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.after_request
    def _remember_language(response: Response) -> Response:
        from portal.web.api.open311.formats import is_api_request

        if is_api_request():  # an API answers each request in its own ?lang, sets no cookie
            return response
        asked = _supported(request.args.get("lang"))
        cookie_name = app.config["LANG_COOKIE"]
        if asked and asked != request.cookies.get(cookie_name):
            response.set_cookie(
                cookie_name,
                asked,
                max_age=ONE_YEAR,
                httponly=True,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        if response.mimetype == "text/html":
            # The same URL answers in two languages: caches must key on the cookie.
            response.vary.add("Cookie")
            response.headers["Content-Language"] = current_lang()
        return response

    @app.context_processor
    def _language() -> dict:
        return {
            "current_lang": current_lang(),
            "language_names": LANGUAGE_NAMES,
            "lang_switch_href": lang_switch_href,
        }
