"""The page shell, the home page, error pages and the form components."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from flask import render_template, render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField, SubmitField
from wtforms.validators import InputRequired, Length

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}


class Page(HTMLParser):
    """Just enough of the document to check its structure."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data):
        for tag in self._open:
            self.text.setdefault(tag, []).append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    def ids(self) -> Counter:
        return Counter(attrs["id"] for _, attrs in self.tags if "id" in attrs)

    def first_focusable(self) -> tuple[str, dict]:
        return next((t, a) for t, a in self.tags if t in FOCUSABLE and a.get("type") != "hidden")


def _check_shell(html: str, lang: str) -> Page:
    page = Page(html)
    assert html.startswith("<!doctype html>")
    assert page.all("html") == [{"lang": lang}]
    assert any(a.get("name") == "viewport" for a in page.all("meta"))
    tag, attrs = page.first_focusable()
    assert (tag, attrs.get("href"), attrs.get("class")) == ("a", "#main", "skip-link")
    assert [a.get("id") for a in page.all("main")] == ["main"]
    assert len(page.all("header")) == len(page.all("footer")) == 1
    assert [a.get("aria-label") for a in page.all("nav")], "the language switch is a nav"
    assert len(page.all("h1")) == 1
    for script in page.all("script"):  # enhancements only: every page works without them
        assert script.get("src", "").startswith("/static/js/") and "defer" in script, script
    duplicated = [i for i, n in page.ids().items() if n > 1]
    assert not duplicated
    return page


@pytest.mark.parametrize("lang", ["id", "en"])
def test_home_page_shell(client, lang):
    r = client.get("/", query_string={"lang": lang})
    _check_shell(r.text, lang)


def test_home_links_to_the_actions(client):
    page = Page(client.get("/").text)
    hrefs = {a.get("href") for a in page.all("a")}
    assert {"/lookup", "/submit/proposal", "/submit/objection", "/submit/correction"} <= hrefs


def test_home_in_indonesian_says_what_and_how_to_get_help(client):
    text = client.get("/").text
    for phrase in ("Cek status", "Usulkan rumah tangga", "Sanggahan", "Perbaikan data"):
        assert phrase in text
    assert "desa/kelurahan" in text
    assert "gratis" in text
    assert "Jangan pernah membayar" in text


def test_home_in_english(client):
    text = client.get("/?lang=en").text
    for phrase in ("Check status", "Propose a household", "Objection", "Data correction"):
        assert phrase in text
    assert "free of charge" in text


def test_home_is_small(client):
    assert len(client.get("/").data) < 15_000
    assert len(client.get("/static/css/portal.css").data) < 15_000


@pytest.mark.parametrize(
    ("lang", "title"),
    [("id", "Halaman tidak ditemukan"), ("en", "Page not found")],
)
def test_404_page_shell(client, lang, title):
    r = client.get("/missing", query_string={"lang": lang})
    page = _check_shell(r.text, lang)
    assert page.text["title"][0].startswith(title)


@pytest.mark.parametrize(("lang", "heading"), [("id", "Terjadi kesalahan"), ("en", "went wrong")])
def test_500_page_is_translated(app, lang, heading):
    with app.test_request_context(f"/?lang={lang}"):
        html = render_template("errors/500.html", incident="ab12cd34ef56")
    page = _check_shell(html, lang)
    assert heading in page.text["h1"][0]
    assert "ab12cd34ef56" in html


@pytest.mark.parametrize("code", [400, 403, 405, 413, 429, 503])
def test_other_error_pages_have_one_heading(client, app, code):
    with app.test_request_context("/"):
        html = render_template("errors/http.html", code=code)
    _check_shell(html, "id")


def test_every_template_compiles(app):
    names = [n for n in app.jinja_env.list_templates() if n.endswith((".html", ".txt"))]
    assert "base.html" in names
    for name in names:
        app.jinja_env.get_template(name)


# --- components ----------------------------------------------------------------


class LookupForm(Form):
    nik = StringField(
        "NIK",
        validators=[InputRequired("Enter your NIK"), Length(16, 16, "NIK has 16 digits")],
        description="16 digits, on your KTP",
    )
    name = StringField("Full name", validators=[InputRequired("Enter your full name")])
    submit = SubmitField("Check")


def _render(app, source: str, lang: str = "id", **context) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return render_template_string(source, **context)


SUMMARY = '{% from "components/error-summary.html" import error_summary %}{{ error_summary(form) }}'
INPUT = '{% from "components/text-input.html" import text_input %}'
BUTTON = '{% from "components/button.html" import button %}'


def test_error_summary_links_each_error_to_its_field(app):
    form = LookupForm(MultiDict({"nik": "123"}))
    form.validate()
    html = _render(app, SUMMARY, form=form)
    page = Page(html)
    assert [a.get("role") for a in page.all("div")] == [None, "alert"]
    assert page.text["h2"] == ["Ada masalah"]
    assert [a["href"] for a in page.all("a")] == ["#nik", "#name"]
    assert "Enter your full name" in html
    assert "NIK has 16 digits" in html
    assert "There is a problem" in _render(app, SUMMARY, lang="en", form=form)


def test_error_summary_shows_form_wide_errors(app):
    form = LookupForm(MultiDict({"nik": "1" * 16, "name": "Budi"}))
    assert form.validate()
    form.form_errors.append("These details do not match")
    html = _render(app, SUMMARY, form=form)
    assert "These details do not match" in html
    assert 'role="alert"' in html


def test_error_summary_is_empty_without_errors(app):
    assert _render(app, SUMMARY, form=LookupForm()).strip() == ""


def test_text_input_wires_label_hint_and_error(app):
    form = LookupForm(MultiDict({"nik": "123"}))
    form.validate()
    html = _render(app, INPUT + '{{ text_input(form.nik, inputmode="numeric") }}', form=form)
    page = Page(html)
    assert page.all("label") == [{"for": "nik", "class": "label"}]
    (field,) = page.all("input")
    assert field["id"] == "nik"
    assert field["aria-describedby"] == "nik-hint nik-error"
    assert field["aria-invalid"] == "true"
    assert field["inputmode"] == "numeric"
    assert field["value"] == "123"
    assert "input-error" in field["class"]
    assert set(page.ids()) == {"nik", "nik-hint", "nik-error"}
    assert "16 digits, on your KTP" in html
    assert "NIK has 16 digits" in html
    assert "Kesalahan:" in html  # the visually hidden prefix, translated


def test_text_input_without_hint_or_error(app):
    html = _render(app, INPUT + '{{ text_input(form.name, width="medium") }}', form=LookupForm())
    (field,) = Page(html).all("input")
    assert "aria-describedby" not in field
    assert "aria-invalid" not in field
    assert field["class"] == "input input-medium"


def test_button_submits_a_form(app):
    html = _render(app, BUTTON + '{{ button("Lanjut") }}')
    assert Page(html).all("button") == [{"type": "submit", "class": "button"}]
    assert ">Lanjut</button>" in html


def test_button_renders_a_submit_field(app):
    html = _render(app, BUTTON + "{{ button(form.submit, secondary=True) }}", form=LookupForm())
    (attrs,) = Page(html).all("button")
    assert attrs["name"] == "submit"
    assert attrs["class"] == "button button-secondary"
    assert ">Check</button>" in html


def test_button_as_a_start_link(app):
    html = _render(app, BUTTON + '{{ button("Cek status", href="/lookup") }}')
    (attrs,) = Page(html).all("a")
    assert attrs["href"] == "/lookup"
    assert "button-start" in attrs["class"]
