"""Language selection and the translation catalogs (docs/translations.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("id", "en")


def _po(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def _msgids(catalog) -> set:
    """Every message as (context, msgid), the header left out."""
    return {(m.context, m.id) for m in catalog if m.id}


def _translations(catalog) -> dict:
    """(context, msgid) -> msgstr, plural forms (msgids and msgstrs) as tuples."""
    return {
        (m.context, m.id if isinstance(m.id, str) else tuple(m.id)): (
            m.string if isinstance(m.string, str) else tuple(m.string)
        )
        for m in catalog
        if m.id
    }


def _lang_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("lang="):
            return header
    return None


# --- choosing the language ---------------------------------------------------


def test_home_is_indonesian_by_default(client):
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="id">' in r.text
    assert "Cek status" in r.text
    assert "Usulkan rumah tangga" in r.text
    assert r.headers["Content-Language"] == "id"
    assert _lang_cookie(r) is None


def test_lang_en_switches_and_is_remembered(client):
    r = client.get("/?lang=en")
    assert '<html lang="en">' in r.text
    assert "Check status" in r.text
    assert "Cek status" not in r.text
    cookie = _lang_cookie(r)
    assert cookie is not None
    assert cookie.startswith("lang=en;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie

    later = client.get("/")
    assert '<html lang="en">' in later.text
    assert "Check status" in later.text
    assert _lang_cookie(later) is None  # already remembered, not set again


def test_lang_id_switches_back(client):
    client.get("/?lang=en")
    r = client.get("/?lang=id")
    assert '<html lang="id">' in r.text
    assert _lang_cookie(r).startswith("lang=id;")
    assert '<html lang="id">' in client.get("/").text


@pytest.mark.parametrize("asked", ["xx", "", "en-US", "../en", "fr"])
def test_unsupported_lang_is_ignored(client, asked):
    r = client.get("/", query_string={"lang": asked})
    assert r.status_code == 200
    assert '<html lang="id">' in r.text
    assert _lang_cookie(r) is None


def test_unsupported_lang_keeps_the_remembered_one(client):
    client.get("/?lang=en")
    r = client.get("/?lang=xx")
    assert '<html lang="en">' in r.text


def test_lang_parameter_is_case_insensitive(client):
    assert '<html lang="en">' in client.get("/?lang=EN").text


def test_unsupported_cookie_is_ignored(client):
    client.set_cookie("lang", "xx")
    assert '<html lang="id">' in client.get("/").text


def test_outside_a_request_the_default_language_is_used(app):
    from flask_babel import force_locale, gettext

    with app.app_context():
        assert gettext("Page not found") == "Halaman tidak ditemukan"
        with force_locale("en"):
            assert gettext("Page not found") == "Page not found"


def test_html_varies_on_cookie(client):
    r = client.get("/")
    assert "cookie" in r.headers.get("Vary", "").lower()


def test_language_switch_links_to_the_other_language(client):
    r = client.get("/")
    assert 'href="?lang=en"' in r.text
    assert 'href="?lang=id"' not in r.text  # the current language is not a link
    r = client.get("/?lang=en")
    assert 'href="?lang=id"' in r.text


def test_language_switch_keeps_other_arguments_and_the_path(client):
    # A query-only href: the browser keeps the path, whatever it is.
    r = client.get("/no-such-page?page=2&lang=en")
    assert 'href="?page=2&amp;lang=id"' in r.text


@pytest.mark.parametrize(
    ("lang", "heading"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")]
)
def test_404_is_translated(client, lang, heading):
    r = client.get("/no-such-page", query_string={"lang": lang})
    assert r.status_code == 404
    assert f'<html lang="{lang}">' in r.text
    assert f"<h1>{heading}</h1>" in r.text


def test_404_uses_the_remembered_language(client):
    client.get("/?lang=en")
    assert "<h1>Page not found</h1>" in client.get("/no-such-page").text


# --- the catalogs ------------------------------------------------------------


def test_indonesian_catalog_translates_every_msgid():
    with POT.open("rb") as f:
        template = read_po(f)
    catalog = _po("id")
    assert not catalog.fuzzy, "the id catalog header is marked fuzzy: pybabel compile skips it"
    problems = []
    for context, msgid in sorted(_msgids(template), key=str):
        key = msgid if context is None else (context, msgid)
        message = catalog.get(msgid, context=context)
        if message is None:
            problems.append(f"missing: {key!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif not all(message.string if message.pluralizable else [message.string]):
            problems.append(f"untranslated: {key!r}")
    assert not problems, (
        "translations/id/LC_MESSAGES/messages.po is incomplete "
        "(see docs/translations.md):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogs_match_the_template(locale):
    with POT.open("rb") as f:
        template = read_po(f)
    catalog = _po(locale)
    assert _msgids(catalog) == _msgids(template), (
        f"run pybabel update for {locale} (docs/translations.md)"
    )
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"fuzzy entries in {locale}"


def test_template_is_up_to_date_with_the_sources(tmp_path):
    """Catches a string added to the code without updating the catalogs."""
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-o",
            str(fresh),
            str(ROOT),
        ]
    )
    with fresh.open("rb") as f:
        extracted = _msgids(read_po(f))
    with POT.open("rb") as f:
        stored = _msgids(read_po(f))
    assert extracted, "extraction found nothing: is babel.cfg right?"
    assert extracted == stored, (
        "translations/messages.pot is out of date; run the pybabel extract and update "
        f"commands in docs/translations.md.\nnew: {sorted(extracted - stored, key=str)}"
        f"\ngone: {sorted(stored - extracted, key=str)}"
    )


def test_compiled_indonesian_catalog_matches_the_po():
    """The app reads the .mo: a stale one would show outdated or English text."""
    mo_path = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run: pybabel compile -d translations"
    with mo_path.open("rb") as f:
        compiled = _translations(read_mo(f))
    assert compiled == _translations(_po("id")), (
        "translations/id/LC_MESSAGES/messages.mo is stale: run pybabel compile -d translations"
    )
