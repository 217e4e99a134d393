"""SECURITY.md PD5: no personal data in any public API or statistics response.

A NIK, a name and a phone number go into every free field a partner's POST
(and the web journey) takes: the description, first and last name, email,
phone, the subject's name and address, the household's NIK and name. Then
every public response is fetched, in JSON and XML and both languages:
Open311 discovery, services, each service definition, the request list
(public, and as another partner), each request, each token; /healthz,
/readyz; /stats, /stats.json, /stats.csv; /api/openapi.json. None of the
three may appear in a body or a header, in any spelling the portal keeps
(the phone without its 0 or as +62…, the name in any case).

Each URL the application routes must answer 2xx; a URL no route of this
branch serves yet is still fetched and searched (its 404 too) and listed in
``NOT_ROUTED`` (printed), so the merge that adds the route makes it checked
for real.
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from portal.web.api.open311.formats import FORMATS
from tests.api import open311_fixtures as fx
from tests.api.open311_fixtures import HEAD_NAME, HEAD_NIK, fields, make_partner, parsed, post
from tests.web.journeys import choose_village, get, send
from tests.web.journeys import post as page_post

clean_limits, registry = fx.clean_limits, fx.registry
NIK, NAME, PHONE = HEAD_NIK, HEAD_NAME, "081234567890"
ALL_THREE = f"{NAME} {NIK} {PHONE}"
#: Every spelling of the three a response could carry.
FORBIDDEN = (NIK, NAME.lower(), NAME.lower().replace(" ", ""), PHONE[1:], "+62" + PHONE[1:])
SERVICES = ("proposal", "objection", "correction")
HOUSEHOLD = {"attribute[household_nik]": NIK, "attribute[household_name]": NAME}
NOT_ROUTED: list[str] = []


def _partner_posts(client, key: str) -> list:
    """Three requests with the three strings in every field each service takes."""
    everywhere = {
        "description": ALL_THREE,
        "first_name": ALL_THREE,
        "last_name": ALL_THREE,
        "phone": PHONE,
    }
    described = fields(
        key,
        email=f"{NAME.replace(' ', '.').lower()}.{NIK}@example.com",
        **everywhere,
        **{"attribute[subject_name]": ALL_THREE, "attribute[subject_address]": ALL_THREE},
    )
    objection = fields(
        key,
        service_code="objection",
        email=f"{PHONE}@example.com",
        **everywhere,
        **HOUSEHOLD,
        **{"attribute[subkind]": "own_ranking", "attribute[reason]": "income_dropped"},
        **{"attribute[subject_name]": None, "attribute[subject_address]": None},
    )
    correction = fields(
        key,
        service_code="correction",
        **everywhere,
        **HOUSEHOLD,
        **{"attribute[subkind]": "member_died", "attribute[reason]": None},
        **{"attribute[subject_name]": None, "attribute[subject_address]": None},
    )
    answers = []
    for number, data in enumerate((described, objection, correction)):
        response = post(client, data, FORMATS[number % 2])
        assert response.status_code == 201, response.data
        answers.append(response)
    return answers


def _web_journey(client) -> None:
    """The same strings through the resident's pages: subject, details, contact."""
    kind = "proposal"
    assert page_post(client, f"/submit/{kind}", {"subkind": "other_household"}).status_code == 302
    subject = {"subject_name": ALL_THREE, "subject_address": ALL_THREE}
    assert page_post(client, f"/submit/{kind}/subject", subject).status_code == 302
    choose_village(client, kind)
    reasons = {"reason_codes": ["no_income"], "details": ALL_THREE}
    assert page_post(client, f"/submit/{kind}/reasons", reasons).status_code == 302
    assert page_post(client, f"/submit/{kind}/evidence", {"action": "continue"}).status_code == 302
    assert page_post(client, f"/submit/{kind}/contact", {"contact": PHONE}).status_code == 302
    assert page_post(client, f"/submit/{kind}/consent", {"consent": "y"}).status_code == 302
    confirmation, _ = send(client, kind, get(client, f"/submit/{kind}/check"))
    assert confirmation.status_code == 200, confirmation.text


def _public_urls(refs: list[str], tokens: list[str], other_key: str) -> list[str]:
    urls = ["/healthz", "/readyz", "/stats", "/stats.json", "/stats.csv", "/api/openapi.json"]
    for fmt in FORMATS:
        urls += [f"/open311/discovery.{fmt}", f"/open311/v2/services.{fmt}"]
        urls += [f"/open311/v2/services/{code}.{fmt}" for code in SERVICES]
        urls += [
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests.{fmt}?service_request_id={','.join(refs)}",
            f"/open311/v2/requests.{fmt}?status=open",
            # Another partner's key reads the others' requests as the public does.
            f"/open311/v2/requests.{fmt}?api_key={other_key}",
        ]
        urls += [f"/open311/v2/requests/{ref}.{fmt}" for ref in refs]
        urls += [f"/open311/v2/requests/{ref}.{fmt}?api_key={other_key}" for ref in refs]
        urls += [f"/open311/v2/tokens/{token}.{fmt}" for token in tokens]
    return urls + [url + ("&" if "?" in url else "?") + "lang=en" for url in urls]


def _routed(app, url: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(url.split("?")[0], method="GET")
    except (NotFound, MethodNotAllowed):
        return False
    return True


def _found(response) -> list[str]:
    text = response.get_data().decode("utf-8", "replace").lower()
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
    return [s for s in FORBIDDEN if s in text or s in headers]


def _refresh_statistics(app) -> None:
    """Whatever keeps the public figures: run each refresh command there is."""
    runner = app.test_cli_runner()
    for group, command in (("tickets", "performance-refresh"), ("stats", "refresh")):
        known = app.cli.commands.get(group)
        if known is not None and command in getattr(known, "commands", {}):
            result = runner.invoke(args=[group, command])
            assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("db_clean")
def test_no_nik_name_or_phone_in_any_public_response(app, registry, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    partner = app.test_client()
    _, key = make_partner(app, "desa-app-jabar")
    _, other_key = make_partner(app, "peneliti-ui")
    answers = _partner_posts(partner, key)
    _web_journey(app.test_client())
    refs, tokens = [], []
    for number, response in enumerate(answers):
        [item] = parsed(response, FORMATS[number % 2])
        refs.append(item["service_request_id"])
        tokens.append(item["token"])
        assert _found(response) == [], "the POST's own answer"
    _refresh_statistics(app)
    public = app.test_client()
    leaks = []
    for url in _public_urls(refs, tokens, other_key):
        response = public.get(url)
        if _routed(app, url):
            assert 200 <= response.status_code < 300, (url, response.status_code)
            api = url.startswith(("/open311/", "/api/"))
            assert not api or "Set-Cookie" not in response.headers, url
        else:
            NOT_ROUTED.append(url)
        if found := _found(response):
            leaks.append((url, found))
    paths = sorted({url.split("?")[0] for url in NOT_ROUTED})
    print(f"not routed in this branch ({len(paths)} paths):", *paths, sep="\n  ")
    assert leaks == []
