"""Thumbnails are made before the transaction's first write (SQLite holds one
write lock: image decoding and fsyncs must not run under it), and a
thumbnail whose insert then failed is an orphan the sweep removes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.tickets import evidence
from portal.tickets.models import Evidence, FieldVisit, Ticket
from tests.office import ticket_page_fixtures as tpf
from tests.office import visit_fixtures as vf
from tests.storage import switch
from tests.tickets import answers, submit
from tests.tickets.evidence_files import phone_jpeg

clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene
image_bytes, stored, upload_root = tpf.image_bytes, tpf.stored, tpf.upload_root
pytestmark = pytest.mark.usefixtures("db_clean")


def rows_when_thumbnailing(monkeypatch, model) -> list[int]:
    """Wrap ``store_thumbnail``: how many ``model`` rows the transaction had
    written (flushed) each time a thumbnail was made."""
    seen: list[int] = []
    real = evidence.store_thumbnail

    def counting(*args, **kwargs):
        with db.session.no_autoflush:
            seen.append(db.session.scalar(select(func.count()).select_from(model)))
        return real(*args, **kwargs)

    monkeypatch.setattr(evidence, "store_thumbnail", counting)
    return seen


def test_a_submission_makes_its_thumbnails_before_inserting_the_ticket(
    app, keyring, upload_root, monkeypatch
):
    with app.app_context():
        upload = stored("a.jpg", image_bytes("JPEG", (1200, 900)))
        seen = rows_when_thumbnailing(monkeypatch, Ticket)
        ticket_id = submit(keyring, answers(), evidence=[upload]).ticket_id
        (row,) = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket_id))
    assert seen == [0]
    assert row.thumb_name and row.thumb_name in switch.stored_names(app)


def test_a_visit_makes_its_thumbnails_before_inserting_the_visit(
    app, client, scene, clock, monkeypatch
):
    assert vf.log_in(client, scene.handler, clock).status_code == 303
    url = f"/office/tickets/{scene.reference}/visit"
    body = vf.filled(client, url, scene)
    body["photo_1"] = (io.BytesIO(phone_jpeg()), "rumah.jpg")
    with app.app_context():
        seen = rows_when_thumbnailing(monkeypatch, FieldVisit)
    answer = client.post(url, data=body, content_type="multipart/form-data")
    assert answer.status_code == 303
    assert seen == [0]
    with app.app_context():
        (photo,) = db.session.scalars(select(Evidence).where(Evidence.ticket_id == scene.ticket_id))
        assert photo.thumb_name and photo.field_visit_id is not None


def test_the_sweep_removes_an_old_thumbnail_of_a_failed_insert(app, upload_root):
    with app.app_context():
        upload = stored("a.jpg", image_bytes("JPEG", (1200, 900)))
        thumb = evidence.store_thumbnail(upload.stored_name, upload.media_type)
    assert switch.stored_names(app) == {upload.stored_name, thumb}
    # No grace: both files are older than now (on S3 too, without waiting).
    result = app.test_cli_runner().invoke(args=["evidence", "sweep", "--older-than-hours", "0"])
    assert "removed 2 orphan file(s)" in result.output
    assert switch.stored_names(app) == set()
