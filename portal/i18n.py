"""Language: Indonesian by default, English second.

``?lang=id|en`` on any URL switches the language and is remembered in a
cookie; an unsupported value is ignored. Strings in the source are English
msgids; ``translations/`` holds the catalogs (see ``docs/translations.md``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import get_locale

ONE_YEAR = 365 * 24 * 3600

# Each language is named in itself on the switch link, so a reader who does not
# understand the current page can still find their own language.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


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


def init_app(app: Flask) -> None:
    # `{% trans %}` blocks collapse their whitespace, as babel.cfg extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.after_request
    def _remember_language(response: Response) -> Response:
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
