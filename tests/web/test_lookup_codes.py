"""``/lookup`` with codes the portal does not know (issue 9 §5): a household
with an unknown house-condition code can look up its status, and a programme
code outside the configured rules is shown as given, escaped, never hidden."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.registry.importer import import_snapshot
from portal.registry.lookup import HouseholdStatus
from portal.registry.models import Household
from portal.web.public.labels import ProgramLine, program_lines
from tests.factories import household, write_csv
from tests.web.conftest import post_lookup

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.fixture
def odd_household(app, tmp_path):
    rows = household("3201011503100001", 1, roof_material="3", lighting_source="PLN 450 VA")
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    return rows


def test_household_with_unknown_condition_codes_finds_its_status(client, odd_household):
    head = odd_household[0]
    page = post_lookup(client, head["nik"], head["full_name"])
    assert page.status_code == 200
    body = page.data.decode()
    assert "Terdaftar di DTSEN" in body and "Desil 2" in body
    assert "B*** S******" in body


def test_a_programme_outside_the_rules_is_shown_as_given_and_escaped(app, client, odd_household):
    with app.app_context():
        db.session.execute(update(Household).values(programs="PKH;<b>BLT</b>"))
        db.session.commit()
    head = odd_household[0]
    body = post_lookup(client, head["nik"], head["full_name"]).data.decode()
    assert "&lt;b&gt;BLT&lt;/b&gt;" in body and "<b>BLT</b>" not in body
    assert body.count("PKH (Program Keluarga Harapan)") == 1


def test_program_lines_keep_received_codes_the_rules_do_not_list():
    status = HouseholdStatus(1, True, 3, ("SEMBAKO", "X9"), None, "32.01.01.2001", ())
    assert program_lines(status, {"PKH": 4}) == [
        ProgramLine("PKH", "PKH (Program Keluarga Harapan)", False, 4),
        ProgramLine("SEMBAKO", "Sembako / BPNT (food aid)", True, None),
        ProgramLine("X9", None, True, None),
    ]
