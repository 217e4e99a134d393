"""Fixtures for the field-visit tests: a registry household, a ticket about
it in the field check, the office's staff, and the visit form's fields.

Import the fixtures into the test module (``from tests.office.visit_fixtures
import *``-style, by name). ``office.ticket`` (the ticket page) is another
module's page: until it exists, a stand-in with the same URL is added so
the redirect after saving can be built; it does nothing once the real page
is there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from werkzeug.routing import Rule

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.registry.importer import import_snapshot
from portal.registry.models import Household
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.service import TicketAnswers, submit_ticket
from portal.web.office.auth import staff_required
from tests.factories import household, write_csv
from tests.staff import conftest as staff
from tests.staff.conftest import Account, log_in, make_staff

__all__ = ["clean_limits", "clock", "filled", "log_in", "make_staff", "scene"]
clean_limits, clock = staff.clean_limits, staff.clock

KK = "3201011503100007"
FORM_TOKEN = re.compile(r'name="(csrf_token|key|version)"[^>]*?value="([^"]*)"')


def _ticket_page_stand_in(reference: str):  # pragma: no cover - replaced by the real page
    return f"ticket {reference}"


def ensure_ticket_page(app) -> None:
    if "office.ticket" in app.view_functions:
        return
    app.view_functions["office.ticket"] = staff_required()(_ticket_page_stand_in)
    app.url_map.add(Rule("/office/tickets/<reference>", endpoint="office.ticket"))


@dataclass
class Scene:
    ticket_id: int
    reference: str
    office_code: str
    handler: Account
    visited_on: dt.date


@pytest.fixture
def scene(app, tmp_path, db_clean, clock) -> Scene:
    """An objection about a registry household (3 members, 36 m², cement
    floor …), sent three days ago, now in the field check; and a handler of
    its office."""
    ensure_ticket_page(app)
    sent = clock.now - dt.timedelta(days=3)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", household(KK, 7)), None)
        household_id = db.session.scalar(select(Household.id))
        with transaction():
            result = submit_ticket(
                TicketAnswers(
                    kind="objection",
                    subkind="own_ranking",
                    consent_version="2026-01",
                    household_id=household_id,
                    reason_codes=("income_dropped",),
                ),
                idempotency_key="visit-test",
                keyring=app.extensions["keyring"],
                now=sent,
            )
        with transaction():
            ticket = db.session.get(Ticket, result.ticket_id)
            ticket.status = "field_check"
            office_code = db.session.get(Office, ticket.office_id).code
    handler = make_staff(app, "handler", office=office_code)
    return Scene(
        result.ticket_id,
        result.reference,
        office_code,
        handler,
        sla.local_date(clock.now) - dt.timedelta(days=1),
    )


def visit_form_fields(client, url: str) -> dict[str, str]:
    """The hidden values of the visit form (CSRF token, idempotency key, version)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    return dict(FORM_TOKEN.findall(page.text))


def filled(client, url: str, scene: Scene, **over) -> dict:
    """A complete visit: the floor seen as earth (the registry says cement),
    everything else as in the registry, 30 m² instead of 36."""
    data = visit_form_fields(client, url)
    data.update(
        {
            "visited_on": scene.visited_on.isoformat(),
            "officer": str(scene.handler.id),
            "obs_floor_area_m2": "30",
            "obs_floor_material": "tanah",
            "obs_wall_material": "same",
            "obs_roof_material": "same",
            "obs_drinking_water": "same",
            "obs_lighting_source": "same",
            "obs_cooking_fuel": "same",
            "obs_toilet_facility": "same",
            "obs_home_ownership": "unchecked",
            "obs_household_size": "3",
            "recommendation": "request_right",
            "notes": "Lantai tanah di dapur dan kamar.",
            "photo_1_type": "house_front",
            "photo_2_type": "house_inside",
            "photo_3_type": "other",
            "photo_4_type": "other",
            "photo_5_type": "other",
        }
    )
    data.update(over)
    return data
