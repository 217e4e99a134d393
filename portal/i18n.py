"""Language: Indonesian by default, English second. ``?lang=id|en`` switches
and is remembered in a cookie."""

from __future__ import annotations

from flask import Flask, current_app, g, request

ONE_YEAR = 365 * 24 * 3600


def select_locale() -> str:
    supported = current_app.config["BABEL_SUPPORTED_LOCALES"]
    asked = request.args.get("lang")
    if asked in supported:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(current_app.config["LANG_COOKIE"])
    if cookie in supported:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    @app.after_request
    def _remember_language(response):
        lang = g.pop("set_lang_cookie", None)
        if lang:
            response.set_cookie(
                app.config["LANG_COOKIE"],
                lang,
                max_age=ONE_YEAR,
                httponly=True,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response

    @app.context_processor
    def _language():
        from flask_babel import get_locale

        return {"current_lang": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])}
