"""The authorising views on the S3 backend: staff get the file through the
app; the bucket itself answers no one without credentials, and no page or
header points a browser at it. (Every evidence test can run this way:
``make test-bucket``; this module keeps the essentials in the ordinary suite.)"""

# ruff: noqa: F811 - fixtures imported from the evidence-view tests

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from portal.extensions import db
from portal.storage import storage
from portal.tickets.models import Evidence
from tests.staff.conftest import clock, log_in, make_staff  # noqa: F401 - fixture
from tests.staff.test_evidence_view import files  # noqa: F401 - fixture
from tests.storage import switch

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.fixture(autouse=True)
def on_s3(monkeypatch):
    monkeypatch.setenv(switch.ENV, "s3")


def test_staff_download_comes_from_the_bucket_through_the_view(app, client, clock, files):
    evidence_id, content = files["bogor"]
    with app.app_context():
        store = storage()
        assert store.describe().startswith("s3://evidence/t-")
        name = db.session.get(Evidence, evidence_id).stored_name
        assert store.get(name) == content
    object_url = f"{store.endpoint}/{store.bucket}/{store.prefix}/{name}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(object_url)
    assert refused.value.code == 403

    assert client.get(f"/office/evidence/{evidence_id}").status_code == 302  # to the login
    log_in(client, make_staff(app, "handler", office="dinsos-32.01"), clock)
    answer = client.get(f"/office/evidence/{evidence_id}")
    assert answer.status_code == 200 and answer.data == content
    assert answer.headers["Cache-Control"] == "no-store"
    assert store.endpoint not in str(answer.headers) and "Location" not in answer.headers
    other, _ = files["jakarta"]
    assert client.get(f"/office/evidence/{other}").status_code == 404


def test_a_stored_file_that_went_missing_is_a_404(app, client, clock, files):
    evidence_id, _ = files["bogor"]
    with app.app_context():
        for name in list(storage().names()):
            storage().delete(name)
    log_in(client, make_staff(app, "handler", office="dinsos-32.01"), clock)
    assert client.get(f"/office/evidence/{evidence_id}").status_code == 404
