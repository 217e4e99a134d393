"""Fixed texts translated at compile time (``portal/i18n_fold.py``) give the
same pages as ``_()`` at run time, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template

from forms.lookup import LookupForm
from portal.i18n_fold import _environment, render_page
from portal.registry.lookup import HouseholdStatus, Member
from portal.web.public.desil_why import explain
from portal.web.public.labels import RELATIONSHIP_LABELS, program_lines

STATUS = HouseholdStatus(
    household_id=1,
    in_registry=True,
    desil=3,
    programs=("PKH",),
    data_as_of=dt.date(2026, 10, 1),
    village_code="32.01.01.2001",
    members=(
        Member("B*** S******", "kepala_keluarga"),
        Member("S*** A****", "istri"),
        Member("D***", "anak"),
    ),
)


def _pages(app):
    return {
        "public/lookup.html": {"form": LookupForm(formdata=None), "captcha": False},
        "public/lookup_not_found.html": {"form": LookupForm(formdata=None)},
        "public/lookup_result.html": {
            "status": STATUS,
            "programs": program_lines(STATUS, app.config["PROGRAM_RULES"]),
            "relationship_labels": RELATIONSHIP_LABELS,
            "why": explain(STATUS, None),
            "minutes": 30,
        },
        "public/home.html": {},
    }


@pytest.mark.parametrize("lang", ["id", "en"])
def test_folded_pages_equal_runtime_translation(app, lang):
    with app.test_request_context(f"/lookup?lang={lang}", method="GET"):
        for name, context in _pages(app).items():
            folded = render_page(name, **context)
            plain = render_template(name, **context)
            assert folded == plain, name
    # and the two languages differ (the fold used each one's catalog)
    with app.test_request_context("/lookup?lang=en"):
        english = render_page(
            "public/lookup_result.html", **_pages(app)["public/lookup_result.html"]
        )
    assert "Aid programmes" in english
    with app.test_request_context("/lookup?lang=id"):
        indonesian = render_page(
            "public/lookup_result.html", **_pages(app)["public/lookup_result.html"]
        )
    assert "Aid programmes" not in indonesian


def test_literal_calls_become_static_text(app):
    with app.test_request_context("/?lang=en"):
        env = _environment("en")
        template = env.from_string('<p>{{ _("Aid programmes") }}</p><p>{{ _("100%%") }}</p>')

        def refuse(*args, **kwargs):
            raise AssertionError("a folded text called _() at run time")

        # no _() left to call: the text is part of the compiled template
        assert template.render(_=refuse) == "<p>Aid programmes</p><p>100%</p>"


def test_calls_with_variables_or_expressions_stay_calls(app):
    with app.test_request_context("/?lang=id"):
        env = _environment("id")
        template = env.from_string(
            '{{ _("Desil %(desil)d", desil=d) }}|{{ _(label) }}|{{ _("a") ~ "<b>" }}'
        )
        out = template.render(d=4, label="Wife")
        assert out.startswith("Desil 4|Istri|")
        assert out.endswith("&lt;b&gt;")


def test_templates_the_app_compiled_first_are_folded_too(app):
    """The per-language environments keep their own template cache: a template
    the normal environment compiled earlier is compiled again, folded."""
    with app.test_request_context("/?lang=id"):
        app.extensions.pop("portal_folded_templates:id", None)
        render_template("public/home.html")  # the app's environment compiles base.html
        env = _environment("id")
        assert env.get_template("base.html").environment is env
