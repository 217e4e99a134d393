"""Tickets for the ticket-page tests: a registry household with named
members, an objection about it with a photo and a PDF, a confidential
report sent by an operator, and the staff who look at them."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.registry.identity import seal_identity
from portal.registry.models import Household, Person
from portal.tickets import evidence
from portal.tickets.models import Evidence, Ticket
from tests.factories import VILLAGE
from tests.staff.conftest import clean_limits, clock, make_staff  # noqa: F401 - fixtures
from tests.storage import switch
from tests.tickets import answers, submit

MEMBERS = (
    ("Bambang Suryadi Wicaksono", "kepala_keluarga", "L", "1970-05-04"),
    ("Sri Rahayu Lestari", "istri", "P", "1974-09-12"),
)
CONTACT = "0812-3456-7890"
REPORTER_CONTACT = "whistle@contoh.id"
DETAILS = "Rumah kami berlantai tanah, bukan keramik."


def image_bytes(fmt: str, size=(800, 600)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (180, 120, 60)).save(buf, fmt)
    return buf.getvalue()


#: A tiny valid PDF with nothing active in it.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def stored(name: str, data: bytes, doc_type: str = "house_front") -> evidence.StoredFile:
    return evidence.store(evidence.process_upload(name, data, doc_type=doc_type, keep_gps=False))


def make_registry_household(keyring) -> int:
    with transaction():
        household = Household(
            kk_index=secrets.token_bytes(16),
            kk_enc=keyring.encrypt("3201010101100001", b"household.kk"),
            village_code=VILLAGE,
            address_enc=keyring.encrypt("Kp. Cibodas RT 002/RW 005", b"household.address"),
            desil=7,
            programs="PKH;SEMBAKO",
            floor_material="keramik",
            roof_material="genteng",
            floor_area_m2=36,
            data_as_of=dt.date(2025, 11, 30),
            content_digest=secrets.token_bytes(32),
            changed_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        )
        db.session.add(household)
        db.session.flush()
        for i, (name, relationship, sex, born) in enumerate(MEMBERS):
            db.session.add(
                Person(
                    household_id=household.id,
                    nik_index=secrets.token_bytes(16),
                    identity_enc=seal_identity(keyring, f"320101050570000{i}", name, born),
                    relationship=relationship,
                    sex=sex,
                    data_updated_at=dt.date(2025, 11, 30),
                )
            )
        return household.id


@dataclass(frozen=True)
class Tickets:
    #: An objection about the registry household, with a JPEG and a PDF.
    objection: str
    #: Its PIN and tracking token, for the resident's pages.
    pin: str
    tracking_token: str
    #: A proposal for a household outside the registry.
    proposal: str
    #: A confidential report (ineligible recipient) sent by ``operator``, with a photo.
    confidential: str
    #: A ticket in Jakarta: another office's.
    jakarta: str


@dataclass(frozen=True)
class Staff:
    handler: object
    supervisor: object
    operator: object
    other_operator: object
    other_handler: object


@pytest.fixture
def people(app) -> Staff:
    return Staff(
        handler=make_staff(app, "handler", office="dinsos-32.01"),
        supervisor=make_staff(app, "supervisor", office="dinsos-32.01"),
        operator=make_staff(app, "operator", village=VILLAGE),
        other_operator=make_staff(app, "operator", village=VILLAGE),
        other_handler=make_staff(app, "handler", office="dinsos-32.73"),
    )


@pytest.fixture
def upload_root(app, tmp_path, monkeypatch):
    """The test's evidence directory, or a bucket prefix of its own when
    ``PORTAL_TEST_EVIDENCE_STORAGE=s3`` (read it with ``tests.storage.switch``)."""
    root = tmp_path / "uploads"
    switch.point_app(app, root, monkeypatch)
    return root


@pytest.fixture
def tickets(app, keyring, people, upload_root, db_clean) -> Tickets:
    from lokal import wilayah

    jakarta_village = min(code for code in wilayah._desa() if code.startswith("31.71."))
    with app.app_context():
        household_id = make_registry_household(keyring)
        objection = submit(
            keyring,
            answers(
                kind="objection",
                subkind="own_ranking",
                household_id=household_id,
                village_code=None,
                subject_name=None,
                subject_address=None,
                reason_codes=("house_data_wrong", "desil_too_high"),
                details=DETAILS,
                reporter_contact=CONTACT,
            ),
            evidence=[
                stored("rumah.jpg", image_bytes("JPEG")),
                stored("surat.pdf", PDF_BYTES, "village_letter"),
            ],
        )
        proposal = submit(keyring, answers(subject_name="Siti Aminah Nurhaliza"))
        confidential = submit(
            keyring,
            answers(
                kind="objection",
                subkind="ineligible_recipient",
                household_id=household_id,
                village_code=None,
                subject_name=None,
                subject_address=None,
                reason_codes=("well_off",),
                reporter_contact=REPORTER_CONTACT,
                reporter_confidential=True,
                # An operator's submission always records the resident's consent.
                consent_method="in_person_verbal",
                consent_by="Warga Pelapor",
            ),
            evidence=[stored("mobil.png", image_bytes("PNG"))],
            staff_id=people.operator.id,
        )
        jakarta = submit(keyring, answers(village_code=jakarta_village))
    return Tickets(
        objection.reference,
        objection.pin,
        objection.tracking_token,
        proposal.reference,
        confidential.reference,
        jakarta.reference,
    )


def ticket_row(reference: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


SAFE = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page_of(client, reference):
    return client.get(f"/office/tickets/{reference}")


def thumb_ids(app, reference):
    with app.app_context():
        rows = db.session.scalars(
            select(Evidence).where(Evidence.ticket_id == ticket_row(reference).id)
        )
        return {row.media_type: (row.id, row.thumb_name) for row in rows}
