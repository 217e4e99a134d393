"""SECURITY.md IV1–IV3 over the whole app, not route by route.

IV1: bandit finds nothing of medium or high severity in portal/ and forms/,
and random form input POSTed to every POST route never gives a 500 (as a
visitor: the office's forms answer a logged-out visitor with the login page).
IV2: every route's answer carries the security headers (a loop over
``app.url_map``). IV3: an exception in a route gives the generic, translated
500 page whose incident id is the one in the log, and never the error itself.
"""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import BuildError

from tests.web.conftest import CSRF

ROOT = Path(__file__).resolve().parents[1]
#: A value each converter accepts, tried in turn until the URL builds.
SAMPLE_VALUES = ("1", "x", "file.css")


def _rules(app, method: str) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods),
        key=lambda r: r.rule,
    )


def _url(app, rule, method: str) -> str:
    """``rule``'s address with a plausible value for every argument."""
    adapter = app.url_map.bind("localhost")
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        items = getattr(converter, "items", None)
        values[name] = sorted(items)[0] if items else None
    for sample in SAMPLE_VALUES:
        filled = {k: (v if v is not None else sample) for k, v in values.items()}
        try:
            return adapter.build(rule.endpoint, filled, method=method)
        except (BuildError, ValueError):
            continue
    raise AssertionError(f"no sample builds {rule.rule}")


# -- IV1 ----------------------------------------------------------------------


def test_bandit_finds_nothing_of_medium_or_high_severity():
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "portal", "forms", "-ll", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it did scan the code
    found = [f"{r['filename']}:{r['line_number']} {r['test_id']}" for r in report["results"]]
    assert found == []


def _form_field_names() -> list[str]:
    """Every field name the portal's forms declare (the fuzz's vocabulary)."""
    from wtforms import Form

    import forms

    names = set()
    for info in __import__("pkgutil").iter_modules(forms.__path__):
        module = __import__(f"forms.{info.name}", fromlist=["_"])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Form):
                names.update(name for name, _ in cls._unbound_fields or ())
                names.update(n for n, v in vars(cls).items() if hasattr(v, "field_class"))
    return sorted(names)


NASTY_TEXT = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\d{1,20}", fullmatch=True),
    st.sampled_from(["", " ", "0", "-1", "9" * 40, "'; DROP TABLE tickets;--", "\x00", "ä" * 300]),
)


def test_random_form_input_never_gives_a_500(app, db_clean):
    """Each example is a new visitor with a valid CSRF token (from the lookup
    page), so random input gets past the token to every form's validation."""
    fuzz_app = app
    rules = _rules(fuzz_app, "POST")
    assert len(rules) > 30
    urls = [_url(fuzz_app, rule, "POST") for rule in rules]
    fields = _form_field_names()
    assert {"nik", "name", "reference", "pin"} <= set(fields)
    seen: dict[int, int] = {}

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        data=st.dictionaries(st.sampled_from(fields), NASTY_TEXT, min_size=len(fields) // 2),
        lang=st.sampled_from(["id", "en"]),
    )
    def post(url, data, lang):
        client = fuzz_app.test_client()
        client.set_cookie("lang", lang)
        token = CSRF.search(client.get("/lookup").data).group(1).decode()
        answer = client.post(url, data={**data, "csrf_token": token})
        seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        assert answer.status_code < 500 or answer.status_code == 503, (url, data)

    for url in urls:  # every POST route gets its own examples
        post(url)
    # Not vacuous: forms were answered (400 with their errors, 303 on), not only refused.
    assert seen.get(400, 0) + seen.get(200, 0) + seen.get(303, 0) > 60, seen


# -- IV2 ----------------------------------------------------------------------

CSP_MUST_HAVE = ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'")


def _check_headers(answer, where: str) -> None:
    headers = answer.headers
    csp = headers.get("Content-Security-Policy", "")
    for part in CSP_MUST_HAVE:
        assert part in csp, (where, part)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "no-referrer", where


def test_every_route_sends_the_security_headers(app, client, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "HSTS", True)  # as in production (IV2: HSTS)
    answered = 0
    for method in ("GET", "POST"):
        for rule in _rules(app, method):
            url = _url(app, rule, method)
            answer = client.open(url, method=method)
            where = f"{method} {rule.rule} -> {answer.status_code}"
            _check_headers(answer, where)
            assert answer.headers.get("Strict-Transport-Security", "").startswith("max-age="), where
            answered += answer.status_code != 404
    assert answered > 60  # most routes reached their view, not a 404


# -- IV3 ----------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "heading"), [("id", "Terjadi kesalahan"), ("en", "went wrong")])
def test_an_exception_in_a_route_gives_the_generic_page_with_its_incident(
    app, client, monkeypatch, caplog, lang, heading
):
    def broken():
        raise RuntimeError("secret detail: SELECT * FROM persons")

    monkeypatch.setitem(app.view_functions, "public.home", broken)
    client.set_cookie("lang", lang)
    caplog.set_level(logging.ERROR, logger="portal")
    answer = client.get("/")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 500
    assert heading in body
    assert "secret detail" not in body and "Traceback" not in body and "RuntimeError" not in body
    incidents = [
        r.event["incident"] for r in caplog.records if isinstance(getattr(r, "event", None), dict)
    ]
    assert len(incidents) == 1 and incidents[0] in body
    _check_headers(answer, "500")


def test_production_never_runs_the_debugger():
    from portal.config import CONFIGS

    assert CONFIGS["production"].DEBUG is False
    assert CONFIGS["development"].DEBUG is False
