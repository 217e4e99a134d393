"""Probes of the assisted submission's routes (``/office/assist``) for the
route matrix (``route_probes.PROBES``; the table is in
``test_route_permissions.OTHER_ROUTES``).

Each walks the journey as far as its page needs, as the account given
(refused accounts are refused at the first step, and nothing is set up).
The journey's question pages answer a POST with 302, as ``/submit`` does;
for the matrix a 302 to a page of the journey (not the login page) counts
as the view having answered (303)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import secrets

from sqlalchemy import func, select, update

from portal.db import keyring, transaction
from portal.extensions import db
from portal.registry.identity import seal_identity
from portal.registry.models import Household, Person
from portal.staff.models import StaffUser
from portal.tickets.models import Ticket
from portal.web.public.submit import ASKED, KIND
from tests.office import route_permission_fixtures as fx
from tests.staff.test_permissions import BOGOR_A
from tests.tickets import answers, submit
from tests.web.journeys import jpeg

A = "/office/assist"
PIN = re.compile(r'<p class="pin">\d{6}</p>')
IDEMPOTENCY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
#: The head of the registry household made in each operator's village.
NAME = "Dewi Lestari"


def _nik(village: str) -> str:
    """A well-formed NIK of the village's district, one per village."""
    serial = 1 + sum(map(ord, village)) % 9000
    return f"{village[:8].replace('.', '')}150880{serial:04d}"


def _answered(response):
    """A journey page's 302 (not to the login page) as the view's answer."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and not location.endswith("/office/login"):
        response.status_code = 303
    return response


@fx.in_ctx
def _village(w, staff_id: int) -> str:
    staff = db.session.get(StaffUser, staff_id) if staff_id else None
    return (staff.village_code if staff is not None else None) or BOGOR_A


@fx.in_ctx
def _household_under_review(w, village: str) -> None:
    """A registry household in ``village`` (looked up by ``_nik``/``NAME``)
    with an open objection about its ranking: the duplicate pages' set-up."""
    ring = keyring()
    nik = _nik(village)
    if db.session.scalar(select(Person.id).where(Person.nik_index == ring.nik_index(nik))):
        return
    with transaction():
        household = Household(
            kk_index=secrets.token_bytes(16),
            kk_enc=ring.encrypt(nik, b"household.kk"),
            village_code=village,
            address_enc=ring.encrypt("Kp. Uji RT 001/RW 001", b"household.address"),
            desil=5,
            data_as_of=dt.date(2025, 11, 30),
            content_digest=secrets.token_bytes(32),
            changed_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        )
        db.session.add(household)
        db.session.flush()
        db.session.add(
            Person(
                household_id=household.id,
                nik_index=ring.nik_index(nik),
                identity_enc=seal_identity(ring, nik, NAME, "1980-08-15"),
                relationship="kepala_keluarga",
                sex="P",
                data_updated_at=dt.date(2025, 11, 30),
            )
        )
        household_id = household.id
    own = answers(kind="objection", subkind="own_ranking", household_id=household_id)
    own = dataclasses.replace(own, village_code=None, subject_name=None, subject_address=None)
    submit(ring, own)
    _park(w)


@fx.in_ctx
def _park(w) -> None:
    """The tickets these probes made are given to a handler, so claim-next
    (whose probe expects the matrix's own tickets) never hands them out."""
    with transaction():
        db.session.execute(
            update(Ticket)
            .where(Ticket.reference.not_in(list(w.refs.values())), Ticket.assignee_id.is_(None))
            .values(assignee_id=w.target[BOGOR_A])
        )


@fx.in_ctx
def _assisted_tickets(w, staff_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.submitted_by_staff_id == staff_id)
    )


@fx.in_ctx
def _last_assisted(w, staff_id: int) -> int | None:
    return db.session.scalar(
        select(func.max(Ticket.id)).where(Ticket.submitted_by_staff_id == staff_id)
    )


def _walk(client, csrf, upto: str):
    """A proposal for a household outside the registry, answered up to ``upto``."""
    data = {"csrf_token": csrf}
    client.post("/office/assist/done", data=data)
    client.post(A, data={**data, "kind": "proposal"})
    steps = [
        ("", {"subkind": "other_household"}),
        ("/subject", {"subject_name": "Siti Uji", "subject_address": "Jl. Uji 1"}),
        ("/reasons", {"reason_codes": ["no_income"], "details": ""}),
        ("/evidence", {"action": "upload", "doc_type": "house_front"}),
        ("/evidence", {"action": "continue"}),
        ("/contact", {"contact": ""}),
        ("/consent", {"consent": "y", "consent_method": "in_person_verbal", "consent_by": "Siti"}),
    ]
    for path, answer in steps:
        if path == upto:
            return
        extra = {}
        if answer.get("action") == "upload":
            answer = {**answer, "file": (io.BytesIO(jpeg()), "rumah.jpg")}
            extra = {"content_type": "multipart/form-data"}
        client.post(f"{A}/proposal{path}", data={**data, **answer}, **extra)


def _send(w, client, csrf):
    _walk(client, csrf, "end")
    page = client.get(f"{A}/proposal/check")
    key = IDEMPOTENCY.search(page.text) if page.status_code == 200 else None
    data = {"csrf_token": csrf, "idempotency_key": key.group(1) if key else "x"}
    response = client.post(f"{A}/proposal/check", data=data)
    _park(w)
    return response


def _start_page(w, client, csrf, account, village):
    return client.get(A), True, []


def _lookup(w, client, csrf, account, village):
    data = {"csrf_token": csrf, "kind": "objection", "nik": _nik(BOGOR_A), "name": "Bukan Dia"}
    response = client.post(A, data=data)
    took = response.status_code == 200 and "warning" in response.text
    return response, took, [("assist_lookup", None, None)]


def _subkind_page(w, client, csrf, account, village):
    client.post("/office/assist/done", data={"csrf_token": csrf})
    return client.get(f"{A}/proposal"), True, []


def _subkind(w, client, csrf, account, village):
    _walk(client, csrf, "")
    response = client.post(f"{A}/proposal", data={"csrf_token": csrf, "subkind": "own_household"})
    took = response.headers.get("Location", "").endswith("/proposal/subject")
    return _answered(response), took, []


def _question_page(w, client, csrf, account, village):
    _walk(client, csrf, "/subject")
    return client.get(f"{A}/proposal/subject"), True, []


def _question(w, client, csrf, account, village):
    _walk(client, csrf, "/subject")
    data = {"csrf_token": csrf, "subject_name": "Siti Uji", "subject_address": "Jl. Uji 1"}
    response = client.post(f"{A}/proposal/subject", data=data)
    took = response.headers.get("Location", "").endswith("/proposal/reasons")
    return _answered(response), took, []


def _check_page(w, client, csrf, account, village):
    _walk(client, csrf, "end")
    return client.get(f"{A}/proposal/check"), True, []


def _check(w, client, csrf, account, village):
    before = _assisted_tickets(w, account.id)
    response = _send(w, client, csrf)
    took = _assisted_tickets(w, account.id) == before + 1
    ticket = _last_assisted(w, account.id)
    return response, took, [("assisted_submission", ticket, None)]


def _sent_page(w, client, csrf, account, village):
    _send(w, client, csrf)
    ticket = _last_assisted(w, account.id)
    return client.get(f"{A}/sent"), True, [("assisted_submission", ticket, None)]


def _sent(w, client, csrf, account, village):
    """ "Next resident": the confirmation with its PIN is gone."""
    _send(w, client, csrf)
    shown = PIN.search(client.get(f"{A}/sent").text) is not None
    response = client.post(f"{A}/sent", data={"csrf_token": csrf})
    took = shown and PIN.search(client.get(f"{A}/sent").text) is None
    ticket = _last_assisted(w, account.id)
    return response, took, [("assisted_submission", ticket, None)]


def _receipt(w, client, csrf, account, village):
    _send(w, client, csrf)
    ticket = _last_assisted(w, account.id)
    response = client.get(f"{A}/sent/receipt.pdf")
    return response, True, [("assisted_submission", ticket, None)]


def _done(w, client, csrf, account, village):
    _walk(client, csrf, "/subject")
    started = client.get(f"{A}/proposal/subject").status_code == 200
    response = client.post(f"{A}/done", data={"csrf_token": csrf})
    took = started and client.get(f"{A}/proposal/subject").status_code == 302
    return response, took, []


def _under_review(w, client, csrf, account):
    """The household found, and the objection about it already under review."""
    village = _village(w, account.id)
    _household_under_review(w, village)
    client.post(f"{A}/done", data={"csrf_token": csrf})
    data = {"csrf_token": csrf, "kind": "objection", "nik": _nik(village), "name": NAME}
    client.post(A, data=data)
    client.post(f"{A}/objection", data={"csrf_token": csrf, "subkind": "own_ranking"})


def _already(w, client, csrf, account, village):
    _under_review(w, client, csrf, account)
    return client.get(f"{A}/objection/already"), True, [("assist_lookup", None, None)]


def _add_to_existing(w, client, csrf, account, village):
    _under_review(w, client, csrf, account)
    response = client.post(f"{A}/objection/add-to-existing", data={"csrf_token": csrf})
    # Adding: the next question is asked, not the "already under review" page.
    took = client.get(f"{A}/objection/reasons").status_code == 200
    return _answered(response), took, [("assist_lookup", None, None)]


def _send_as_new(w, client, csrf, account, village):
    _under_review(w, client, csrf, account)
    data = {"csrf_token": csrf}
    client.post(f"{A}/objection/add-to-existing", data=data)
    client.post(f"{A}/objection/reasons", data={**data, "reason_codes": ["excluded"]})
    client.post(f"{A}/objection/evidence", data={**data, "action": "continue"})
    response = client.post(f"{A}/objection/send-as-new", data=data)
    # Sent as new: the contact question, not asked while adding, is asked again.
    took = client.get(f"{A}/objection/contact").status_code == 200
    return _answered(response), took, [("assist_lookup", None, None)]


def _preview(w, client, csrf, account, village):
    _walk(client, csrf, "/evidence")
    client.post(
        f"{A}/proposal/evidence",
        data={
            "csrf_token": csrf,
            "action": "upload",
            "doc_type": "house_front",
            "file": (io.BytesIO(jpeg()), "rumah.jpg"),
        },
        content_type="multipart/form-data",
    )
    return client.get(f"{A}/proposal/evidence/0/preview"), True, []


ASSIST_PROBES = {
    ("GET", A): _start_page,
    ("POST", A): _lookup,
    ("GET", f"{A}/sent/receipt.pdf"): _receipt,
    ("POST", f"{A}/done"): _done,
    ("GET", f"{A}/{KIND}"): _subkind_page,
    ("POST", f"{A}/{KIND}"): _subkind,
    ("GET", f"{A}/{KIND}/{ASKED}"): _question_page,
    ("POST", f"{A}/{KIND}/{ASKED}"): _question,
    ("GET", f"{A}/{KIND}/check"): _check_page,
    ("POST", f"{A}/{KIND}/check"): _check,
    ("GET", f"{A}/sent"): _sent_page,
    ("POST", f"{A}/sent"): _sent,
    ("GET", f"{A}/{KIND}/already"): _already,
    ("POST", f"{A}/{KIND}/add-to-existing"): _add_to_existing,
    ("POST", f"{A}/{KIND}/send-as-new"): _send_as_new,
    ("GET", f"{A}/{KIND}/evidence/<int:index>/preview"): _preview,
}
