"""Evidence thumbnails on the office's ticket page (issue 10 §3): a small
WebP made when an image becomes a ticket's evidence, none for a PDF, served
inline through the file's own authorisation and headers."""

# The fixtures come from ticket_page_fixtures (no shared conftest): a test's
# parameter of the same name is the fixture, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Evidence
from tests.office.ticket_page_fixtures import (
    PDF_BYTES,
    SAFE,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    image_bytes,
    page_of,
    people,  # noqa: F401 - fixture
    stored,
    thumb_ids,
    tickets,  # noqa: F401 - fixture
    upload_root,  # noqa: F401 - fixture
)
from tests.staff.conftest import log_in
from tests.storage import switch
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")


def evidence_of(app, keyring, *files):
    """Submit a ticket with ``files`` (``stored``); its evidence rows."""
    with app.app_context():
        ticket_id = submit(keyring, answers(), evidence=list(files)).ticket_id
        return db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket_id)).all()


@pytest.mark.parametrize(("name", "fmt"), [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP")])
def test_a_thumbnail_is_made_when_an_image_becomes_evidence(app, keyring, upload_root, name, fmt):
    with app.app_context():
        upload = stored(name, image_bytes(fmt, (1200, 900)))
    assert switch.stored_names(app) == {upload.stored_name}  # not on upload
    (row,) = evidence_of(app, keyring, upload)
    assert row.thumb_name and row.thumb_name.endswith(".webp")
    assert row.thumb_name != row.stored_name
    if not switch.on_s3():
        assert ((upload_root / row.thumb_name).stat().st_mode & 0o777) == 0o600
    thumb = switch.read(app, row.thumb_name)
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.format == "WEBP" and img.size == (320, 240)
    assert len(thumb) < 20_000


def test_no_thumbnail_for_a_pdf(app, keyring, upload_root):
    with app.app_context():
        upload = stored("a.pdf", PDF_BYTES, "village_letter")
    (row,) = evidence_of(app, keyring, upload)
    assert row.thumb_name is None
    assert switch.stored_names(app) == {upload.stored_name}


def test_the_sweep_keeps_thumbnails_of_evidence(app, keyring, upload_root):
    with app.app_context():
        (row,) = evidence_of(app, keyring, stored("a.jpg", image_bytes("JPEG")))
    # No grace: every file counts as old (on S3 too, without waiting).
    result = app.test_cli_runner().invoke(args=["evidence", "sweep", "--older-than-hours", "0"])
    assert "removed 0 orphan file(s)" in result.output
    assert switch.stored_names(app) == {row.stored_name, row.thumb_name}


def test_the_thumbnail_is_served_inline_with_the_files_headers(
    app, client, clock, people, tickets, upload_root
):
    ids = thumb_ids(app, tickets.objection)
    jpeg_id, thumb_name = ids["image/jpeg"]
    pdf_id, pdf_thumb = ids["application/pdf"]
    assert thumb_name and pdf_thumb is None
    log_in(client, people.handler, clock)
    answer = client.get(f"/office/evidence/{jpeg_id}/thumb")
    assert answer.status_code == 200
    assert answer.data == switch.read(app, thumb_name)
    assert answer.headers["Content-Type"] == "image/webp"
    assert answer.headers["Content-Disposition"] == "inline"
    for header, value in SAFE.items():
        assert answer.headers[header] == value
    assert client.get(f"/office/evidence/{pdf_id}/thumb").status_code == 404
    page = page_of(client, tickets.objection).text
    assert f"/office/evidence/{jpeg_id}/thumb" in page
    assert f"/office/evidence/{pdf_id}/thumb" not in page
    assert f"/office/evidence/{pdf_id}" in page  # the file icon's link


def test_another_offices_thumbnail_is_not_found(app, client, clock, people, tickets):
    jpeg_id, _ = thumb_ids(app, tickets.objection)["image/jpeg"]
    log_in(client, people.other_handler, clock)
    assert client.get(f"/office/evidence/{jpeg_id}/thumb").status_code == 404
    assert client.get("/office/evidence/999999/thumb").status_code == 404


def test_a_row_without_a_thumbnail_shows_a_file_link(app, client, clock, people, tickets):
    jpeg_id, _ = thumb_ids(app, tickets.objection)["image/jpeg"]
    with app.app_context():
        from portal.db import transaction

        with transaction():
            db.session.get(Evidence, jpeg_id).thumb_name = None
    log_in(client, people.handler, clock)
    page = page_of(client, tickets.objection).text
    assert f"/office/evidence/{jpeg_id}/thumb" not in page
    assert f'href="/office/evidence/{jpeg_id}"' in page
    assert client.get(f"/office/evidence/{jpeg_id}/thumb").status_code == 404
