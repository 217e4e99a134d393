"""Reply templates (issue 10 §5): seeding the national defaults, the safe
placeholders, offices' overrides, the editing pages and who may use them,
and the move pages starting from a template."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import replies
from portal.tickets.models import ReplyTemplate
from portal.tickets.reply_defaults import DEFAULTS, TemplateText
from tests.factories import VILLAGE
from tests.office.moves_fixtures import (
    BOGOR,
    audit_rows,
    desk_fixture,  # noqa: F401 - the desk fixture
    in_app,
    load,
    move_url,
    office_id,
    ticket_in,
    ticket_page_fixture,  # noqa: F401
)
from tests.staff.conftest import clean_limits, token  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean", "ticket_page")
NOW = dt.datetime(2026, 7, 6, 3, tzinfo=dt.UTC)


@in_app
def seed() -> int:
    with transaction():
        return replies.seed_defaults(NOW)


@in_app
def rows(office_code: str | None = None) -> list[tuple]:
    office = office_id(office_code) if office_code else None
    query = select(
        ReplyTemplate.purpose, ReplyTemplate.code, ReplyTemplate.lang, ReplyTemplate.body
    ).order_by(ReplyTemplate.id)
    if office is None:
        query = query.where(ReplyTemplate.office_id.is_(None))
    else:
        query = query.where(ReplyTemplate.office_id == office)
    return list(db.session.execute(query).all())


@in_app
def template_id(purpose: str, code: str, lang: str, office_code: str | None = None) -> int:
    office = office_id(office_code) if office_code else None
    where = (
        ReplyTemplate.office_id.is_(None) if office is None else ReplyTemplate.office_id == office
    )
    return db.session.scalar(
        select(ReplyTemplate.id).where(
            where,
            ReplyTemplate.purpose == purpose,
            ReplyTemplate.code == code,
            ReplyTemplate.lang == lang,
        )
    )


@in_app
def effective_bodies(office_code: str, purpose: str) -> dict[tuple[str, str], str]:
    office = db.session.get(Office, office_id(office_code))
    return {(r.code, r.lang): r.body for r in replies.effective(office, purpose)}


# --- seeding and rendering --------------------------------------------------------


def test_seed_is_idempotent_and_never_overwrites(app, desk):
    assert seed() == len(DEFAULTS)
    purposes = {(r[0], r[2]) for r in rows()}
    assert purposes == {(p, lang) for p in replies.PURPOSES for lang in ("id", "en")}
    with app.app_context(), transaction():
        row = db.session.get(ReplyTemplate, template_id("needs_info", "missing_document", "id"))
        row.body = "Diubah oleh supervisor"
    assert seed() == 0
    assert ("needs_info", "missing_document", "id", "Diubah oleh supervisor") in rows()
    assert len(rows()) == len(DEFAULTS)


def test_the_seed_command(app, desk):
    result = app.test_cli_runner().invoke(args=["templates", "seed"])
    assert result.exit_code == 0 and f"{len(DEFAULTS)} added" in result.output
    result = app.test_cli_runner().invoke(args=["templates", "seed"])
    assert "0 added" in result.output


def test_only_the_two_placeholders_are_replaced(app):
    text = "No {reference}, batas {due_date}; {nama} {0} {due_date.year} {{reference}} %(x)s"
    with app.app_context():
        out = replies.render(
            text, reference="DT-7KQ4-M9XW", due_date=dt.date(2026, 7, 20), lang="id"
        )
        english = replies.render(
            "{due_date}", reference="R", due_date=dt.date(2026, 7, 20), lang="en"
        )
    assert out == (
        "No DT-7KQ4-M9XW, batas 20 Juli 2026; {nama} {0} {due_date.year} {DT-7KQ4-M9XW} %(x)s"
    )
    assert english == "July 20, 2026"


def test_overrides_apply_to_the_office_and_those_under_it(app, desk):
    """The nearest office wins, whichever row was made first."""
    seed()
    with app.app_context(), transaction():
        text = TemplateText("rejected", "not_confirmed", "id", "Versi Bogor", "Bogor {reference}")
        replies.save(text, office_id=office_id(BOGOR), staff_id=None, now=NOW)
        text = TemplateText(
            "rejected", "not_confirmed", "id", "Versi provinsi", "Provinsi {reference}"
        )
        replies.save(text, office_id=office_id("prov-32"), staff_id=None, now=NOW)
    assert effective_bodies(BOGOR, "rejected")[("not_confirmed", "id")] == "Bogor {reference}"
    bekasi = effective_bodies("dinsos-32.16", "rejected")
    assert bekasi[("not_confirmed", "id")] == "Provinsi {reference}"
    jakarta = effective_bodies("dinsos-31.71", "rejected")
    assert jakarta[("not_confirmed", "id")].startswith("Petugas kami sudah memeriksa")
    assert len(jakarta) == len(bekasi) == 4  # one per code and language, never both
    assert [r[3] for r in audit_rows("template_changed")] == [
        "rejected:not_confirmed:id",
        "rejected:not_confirmed:id",
    ]


# --- the editing pages ----------------------------------------------------------------


def save_page(client, path: str, **data):
    """Post the form as the page shows it (with the fingerprint it carries)."""
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', client.get(path).text)
    if seen and "seen" not in data:
        data["seen"] = seen.group(1)
    return client.post(path, data={"csrf_token": token(client, "/office/templates/new"), **data})


def test_a_kab_kota_supervisor_edits_a_default_as_their_own_copy(app, desk):
    seed()
    client, me = desk.log_in("supervisor", office=BOGOR)
    listing = client.get("/office/templates")
    assert listing.status_code == 200 and "Dokumen kurang" in listing.text
    default = template_id("needs_info", "missing_document", "id")
    page = client.get(f"/office/templates/{default}")
    assert "versi milik kantor Anda sendiri" in page.text
    response = save_page(
        client,
        f"/office/templates/{default}",
        title="Dokumen kurang (Bogor)",
        body="Baru {reference}",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/office/templates"
    assert rows(BOGOR) == [("needs_info", "missing_document", "id", "Baru {reference}")]
    assert ("needs_info", "missing_document", "id", DEFAULTS[0].body) in rows()  # default kept
    assert audit_rows("template_changed")[-1][0] == me.id
    # editing their copy again changes it in place
    own = template_id("needs_info", "missing_document", "id", BOGOR)
    assert f"/office/templates/{own}" in client.get("/office/templates").text
    save_page(client, f"/office/templates/{own}", title="t", body="Lagi")
    assert rows(BOGOR) == [("needs_info", "missing_document", "id", "Lagi")]
    # another office's copy is not theirs to open
    other, _ = desk.log_in("supervisor", office="dinsos-32.16")
    assert other.get(f"/office/templates/{own}").status_code == 404


def test_admins_and_national_supervisors_edit_the_defaults(app, desk):
    seed()
    default = template_id("accepted", "data_updated", "en")
    for role, office in (("admin", "national"), ("supervisor", "national")):
        client, _ = desk.log_in(role, office=office)
        response = save_page(client, f"/office/templates/{default}", title="T", body=f"By {role}")
        assert response.status_code == 303
        assert ("accepted", "data_updated", "en", f"By {role}") in rows()
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ReplyTemplate))
    assert count == len(DEFAULTS)  # no copies made


def test_creating_a_template_and_its_checks(app, desk):
    client, _ = desk.log_in("supervisor", office=BOGOR)
    new = dict(purpose="needs_info", lang="en", code="Bad Code!", title="T", body="")
    response = save_page(client, "/office/templates/new", **new)
    assert response.status_code == 400
    assert "Gunakan hanya huruf kecil" in response.text and "Masukkan teks" in response.text
    assert 'href="#code"' in response.text
    new.update(code="missing_kk", body="Please send your KK for {reference}.")
    assert save_page(client, "/office/templates/new", **new).status_code == 303
    assert rows(BOGOR) == [("needs_info", "missing_kk", "en", new["body"])]
    assert audit_rows("template_changed")[-1][3] == "needs_info:missing_kk:en"


def test_who_may_edit_templates(app, desk):
    seed()
    default = template_id("needs_info", "missing_document", "id")
    handler, _ = desk.log_in("handler")
    operator, _ = desk.log_in("operator", office=None, village=VILLAGE)
    for client in (handler, operator):
        for path in ("/office/templates", f"/office/templates/{default}", "/office/templates/new"):
            assert client.get(path).status_code == 403
    assert app.test_client().get("/office/templates").status_code == 302  # to the login


# --- the move pages start from a template -------------------------------------------


def test_the_question_page_starts_from_the_first_indonesian_template(app, desk):
    seed()
    client, _ = desk.log_in()
    ref = ticket_in(app.extensions["keyring"], "in_review")
    page = client.get(move_url(ref, "ask")).text
    assert f"Permohonan {ref} belum bisa kami periksa" in page
    assert "(English)" in page and "(Bahasa Indonesia)" in page  # both languages offered
    english = template_id("needs_info", "unclear_details", "en")
    page = client.get(move_url(ref, "ask") + f"?template={english}").text
    assert f"Thank you for request {ref}. We need to know more" in page


def test_a_decision_page_fills_in_the_appeal_date(app, desk):
    seed()
    desk.clock.now = NOW  # Monday 6 July 2026: the appeal period ends Monday 20 July
    client, _ = desk.log_in()
    ref = ticket_in(app.extensions["keyring"], "verified")
    english = template_id("rejected", "criteria_not_met", "en")
    page = client.get(move_url(ref, "reject") + f"?template={english}").text
    assert "you can appeal until July 20, 2026" in page
    assert f"request {ref} because" in page


def test_the_move_pages_work_without_templates(app, desk):
    client, _ = desk.log_in()
    ref = ticket_in(app.extensions["keyring"], "in_review")
    page = client.get(move_url(ref, "ask"))
    assert page.status_code == 200
    assert 'name="template"' not in page.text
    assert re.search(r'<textarea[^>]* id="question"[^>]*>\s*</textarea>', page.text)
    assert load(ref).status == "in_review"


def test_two_supervisors_editing_one_template_the_second_is_told(app, desk):
    seed()
    default = template_id("needs_info", "missing_document", "id")
    first, _ = desk.log_in("admin", office="national")
    second, _ = desk.log_in("supervisor", office="national")
    path = f"/office/templates/{default}"
    opened = re.search(r'name="seen" type="hidden" value="([^"]*)"', second.get(path).text)
    assert save_page(first, path, title="T", body="Yang pertama").status_code == 303
    late = save_page(second, path, title="T", body="Yang kedua", seen=opened.group(1))
    assert late.status_code == 409
    assert "Seseorang mengubah templat ini" in late.text
    assert "Yang pertama" in late.text  # the page shows it as it is now
    assert ("needs_info", "missing_document", "id", "Yang pertama") in rows()
    again = save_page(second, path, title="T", body="Yang kedua")  # re-opened: saved
    assert again.status_code == 303
    assert ("needs_info", "missing_document", "id", "Yang kedua") in rows()


def test_adding_a_template_that_exists_is_refused_not_overwritten(app, desk):
    client, _ = desk.log_in("supervisor", office=BOGOR)
    new = dict(purpose="needs_info", lang="en", code="missing_kk", title="T", body="Pertama")
    assert save_page(client, "/office/templates/new", **new).status_code == 303
    again = save_page(client, "/office/templates/new", **{**new, "body": "Kedua"})
    assert again.status_code == 409
    assert "sudah punya templat" in again.text and 'href="#code"' in again.text
    assert rows(BOGOR) == [("needs_info", "missing_kk", "en", "Pertama")]
