"""/stats, /stats.csv and /stats.json on the world of
``performance_fixtures`` (hand-computed numbers: ``test_refresh``), with
suppression at exactly 4 and 5 and no personal data."""

from __future__ import annotations

import csv
import io
import re

from jsonschema import Draft202012Validator

from portal.stats.schema import STATS_JSON
from tests.office import performance_fixtures as pf
from tests.office.test_performance import Tables
from tests.stats.conftest import refresh

VALIDATOR = Draft202012Validator(STATS_JSON, format_checker=Draft202012Validator.FORMAT_CHECKER)


def tables(html: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def figures_table(html: str) -> dict[str, str]:
    return {row[0]: row[1] for row in tables(html)[0]}


def test_before_the_first_refresh(client, db_clean):
    page = client.get("/stats")
    assert page.status_code == 200
    assert "belum dihitung" in page.text or "not been calculated" in page.text
    assert client.get("/stats.json").status_code == 503
    assert client.get("/stats.csv").status_code == 503


def test_national_page_no_login_in_indonesian_and_english(client, refreshed):
    page = client.get("/stats")
    assert page.status_code == 200
    assert 'lang="id"' in page.text
    cells = figures_table(page.text)
    # 11 submitted; share 1 of 6 = 16.7 %; 4 overdue and 4 decided: suppressed
    assert cells["Permohonan masuk"] == "11"
    assert cells["Persentase yang diputus sebelum batas waktu"] == "16,7 %"
    assert cells["Terbuka dan lewat tenggat saat ini"] == "kurang dari 5"
    assert cells["Diputuskan"] == "kurang dari 5"
    assert "Angka per " in page.text
    english = client.get("/stats?lang=en")
    cells = figures_table(english.text)
    assert cells["Requests submitted"] == "11"
    assert cells["Share decided within the deadline"] == "16.7 %"
    assert cells["Open and past their deadline now"] == "fewer than 5"
    assert cells["Working days to triage (median)"] == "2"  # of 9 triaged
    assert cells["Working days to decision (median)"] == "fewer than 5"  # of 4 decided
    assert cells["Average rating (1 to 5)"] == "fewer than 5"  # 4 ratings
    assert "Figures as of 10:00 WIB on 15 April 2026" in english.text


def test_charts_are_accessible_svg_with_tables(client, refreshed):
    html = client.get("/stats?lang=en").text
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "<script" not in html and "@font-face" not in html
    # kind, status, trend and ranking tables follow the figures
    assert len(tables(html)) == 5


def test_suppression_at_4_and_5(client, refreshed):
    """prov-32: counted for the share exactly 5 (shown, and the share with
    it), overdue exactly 4 and decided 3 (suppressed, and the decision
    median of those 3)."""
    cells = figures_table(client.get("/stats?scope=prov-32&lang=en").text)
    assert cells["Requests counted for that share"] == "5"
    assert cells["Share decided within the deadline"] == "20.0 %"
    assert cells["Open and past their deadline now"] == "fewer than 5"
    assert cells["Working days to decision (median)"] == "fewer than 5"
    data = client.get("/stats.json?scope=prov-32").json
    assert data["figures"]["counted"] == {"value": 5, "suppressed": False}
    assert data["figures"]["on_time_share"] == {"value": 20.0, "suppressed": False}
    assert data["figures"]["overdue"] == {"value": None, "suppressed": True}
    assert data["figures"]["ratings"] == {"value": None, "suppressed": True}  # 3


def test_kind_count_at_4_then_5(app, client, refreshed):
    from tests.stats.conftest import add_tickets

    add_tickets(app, refreshed, pf.JAKARTA_OFFICE, pf.JAKARTA, "correction", 4)
    refresh(app)
    kinds = {
        k["key"]: k["count"] for k in client.get("/stats.json?scope=dinsos-31.71").json["by_kind"]
    }
    assert kinds["correction"] == {"value": None, "suppressed": True}
    add_tickets(app, refreshed, pf.JAKARTA_OFFICE, pf.JAKARTA, "correction", 1)
    refresh(app)
    data = client.get("/stats.json?scope=dinsos-31.71").json
    kinds = {k["key"]: k["count"] for k in data["by_kind"]}
    assert kinds["correction"] == {"value": 5, "suppressed": False}
    assert data["figures"]["submitted"] == {"value": 6, "suppressed": False}


def test_a_lone_suppressed_cell_takes_another_with_it(app, client, refreshed):
    """Jakarta: 1 proposal, 5 objections, 6 corrections, total 12 shown. The
    proposal alone hidden would be 12 - 5 - 6: the 5 objections go too."""
    from tests.stats.conftest import add_tickets

    add_tickets(app, refreshed, pf.JAKARTA_OFFICE, pf.JAKARTA, "objection", 5)
    add_tickets(app, refreshed, pf.JAKARTA_OFFICE, pf.JAKARTA, "correction", 6)
    refresh(app)
    html = client.get("/stats?scope=dinsos-31.71&lang=en").text
    kind_table = {row[0]: row[1] for row in tables(html)[1][1:]}
    assert kind_table == {
        "Proposals": "fewer than 5",
        "Objections": "fewer than 5",
        "Data corrections": "6",
        "Total": "12",
    }


def test_json_matches_schema_and_csv_has_the_same_numbers(client, refreshed):
    for scope in ("national", "prov-32", pf.BOGOR, pf.JAKARTA_OFFICE):
        data = client.get(f"/stats.json?scope={scope}").json
        VALIDATOR.validate(data)
        assert data["scope"]["code"] == scope
        answer = client.get(f"/stats.csv?scope={scope}")
        assert answer.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        from_csv = {
            (r["section"], r["key"], r["measure"]): (r["value"], r["suppressed"]) for r in rows
        }
        assert from_csv[("figures", scope, "submitted")][1] in ("true", "false")
        expected = {("figures", scope, k): v for k, v in data["figures"].items()}
        expected |= {("by_kind", k["key"], "count"): k["count"] for k in data["by_kind"]}
        expected |= {("by_status", k["key"], "count"): k["count"] for k in data["by_status"]}
        for m in data["trend"]:
            for measure in ("submitted", "decided", "decided_on_time"):
                expected[("trend", m["month"], measure)] = m[measure]
        for r in data["ranking"]:
            expected[("ranking", r["code"], "on_time_share")] = r["on_time_share"]
            expected[("ranking", r["code"], "counted")] = r["counted"]
        assert len(rows) == len(expected)
        for key, cell in expected.items():
            value = "" if cell["value"] is None else str(cell["value"])
            assert from_csv[key] == (value, "true" if cell["suppressed"] else "false"), key


def test_ranking_and_scope_links(client, refreshed):
    data = client.get("/stats.json").json
    assert data["ranking"][0]["code"] == "prov-32"  # 20.0 % of 5, the only one ranked
    assert data["ranking"][0]["rank"] == 1
    assert all(r["rank"] is None for r in data["ranking"][1:])
    assert len(data["ranking"]) == 38  # every province
    html = client.get("/stats?lang=en").text
    assert 'href="/stats?scope=prov-32"' in html
    bogor = client.get(f"/stats?scope={pf.BOGOR}&lang=en").text
    assert 'href="/stats?scope=national"' in bogor and 'href="/stats?scope=prov-32"' in bogor
    assert 'aria-current="page"' in bogor  # itself, in its province's ranking


def test_unknown_scope_is_not_found(client, refreshed):
    for url in ("/stats", "/stats.json", "/stats.csv"):
        assert client.get(f"{url}?scope=nowhere").status_code == 404
        assert client.get(f"{url}?scope=" + "x" * 300).status_code == 404


def test_no_personal_data(client, refreshed):
    """No reference of any ticket (the oldest open one is on the office
    page, not here), no village."""
    bodies = [
        client.get(f"{url}?scope={scope}&lang={lang}").text
        for url in ("/stats", "/stats.json", "/stats.csv")
        for scope in ("national", "prov-32", pf.BOGOR, pf.BANDUNG_OFFICE)
        for lang in ("id", "en")
    ]
    for body in bodies:
        for ref in refreshed.refs.values():
            assert ref not in body
        assert pf.BOGOR_A not in body


def test_linked_from_every_public_page(client, db_clean):
    assert 'href="/stats"' in client.get("/").text
