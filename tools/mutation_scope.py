"""A pytest plugin for `make mutation`: each mutant runs only its module's tests.

mutmut picks, for a mutant, every test that called the mutated function in its
clean run. Functions that every submission calls (the PIN hash, the due dates)
are reached by a hundred tests of other behaviour, and a surviving mutant there
would cost all of them. SCOPES names, for each module, the tests that are about
it (nodeid patterns, fnmatch); mutmut's own choice is cut down to those. A
mutant whose module has no pattern keeps mutmut's choice.

Loaded only by mutmut (``pytest_add_cli_args`` in pyproject.toml's [tool.mutmut]).
"""

from __future__ import annotations

import fnmatch
import os

import pytest

SERVICE = "tests/tickets/test_service.py::"
LOOKUP_RESULT = "tests/web/test_lookup_result.py::"

SCOPES: dict[str, list[str]] = {
    "portal.crypto": [
        "tests/test_crypto.py::*",
        "tests/tickets/test_confirmations.py::*",
        "tests/tickets/test_references.py::*",
        SERVICE + "test_the_pin_hash_is_keyed",
        SERVICE + "test_personal_data_is_encrypted_and_sla_dates_set",
        SERVICE + "test_drafts_keep_answers_encrypted_until_they_expire",
        "tests/staff/test_login.py::test_password_then_code_logs_in",
        "tests/staff/test_login.py::test_wrong_email_or_password_get_the_same_answer",
    ],
    "portal.tickets.references": [
        "tests/tickets/test_references.py::*",
        SERVICE + "test_references_use_the_unambiguous_alphabet",
        SERVICE + "test_parse_reference_*",
        SERVICE + "test_submission_returns_reference_pin_and_token_once",
        SERVICE + "test_the_pin_hash_is_keyed",
        SERVICE + "test_open_by_*",
        SERVICE + "test_pin_attempts_are_limited_per_ticket",
        SERVICE + "test_a_right_pin_resets_the_count",
        SERVICE + "test_an_unknown_reference_looks_like_a_wrong_pin",
        SERVICE + "test_find_open_duplicate_by_described_subject",
        "tests/web/test_track.py::*",
    ],
    "portal.tickets.sla": [
        "tests/tickets/test_sla.py::*",
        "tests/tickets/test_sla_mutants.py::*",
        SERVICE + "test_personal_data_is_encrypted_and_sla_dates_set",
    ],
    "portal.tickets.workflow": [
        "tests/tickets/test_workflow.py::*",
        "tests/tickets/test_workflow_mutants.py::*",
        "tests/web/test_track.py::test_tracking_link_shows_status_and_public_events_only",
    ],
    "portal.staff.login": [
        "tests/staff/test_login.py::*",
        "tests/staff/test_lockout.py::*",
        "tests/staff/test_login_mutants.py::*",
        "tests/staff/test_known_device.py::*",
    ],
    "portal.staff.permissions": [
        "tests/staff/test_permissions.py::*",
        "tests/staff/test_permissions_mutants.py::*",
    ],
    "portal.registry.lookup": [
        "tests/web/test_lookup.py::*",
        "tests/registry/test_lookup_mutants.py::*",
        # the result after the redirect; not the journeys that go on to send
        LOOKUP_RESULT + "test_reload_*",
        LOOKUP_RESULT + "test_the_result_page_without_a_lookup_*",
        LOOKUP_RESULT + "test_a_household_removed_*",
        LOOKUP_RESULT + "test_a_name_that_is_only_part_*",
        LOOKUP_RESULT + "test_punctuation_and_titles_*",
        LOOKUP_RESULT + "test_every_programme_*",
        LOOKUP_RESULT + "test_the_proof_expires_*",
    ],
    "portal.registry.fullname": [
        "tests/registry/test_fullname.py::*",
        "tests/registry/test_lookup_mutants.py::test_only_the_whole_name_matches*",
        "tests/registry/test_lookup_mutants.py::test_case_spacing_*",
        LOOKUP_RESULT + "test_a_name_that_is_only_part_*",
        LOOKUP_RESULT + "test_punctuation_and_titles_*",
    ],
}


def scope_of(mutant: str) -> list[str] | None:
    """The patterns of the module a mutant (``portal.crypto.x_decrypt__mutmut_3``) is in."""
    for module, patterns in SCOPES.items():
        if mutant.startswith(module + "."):
            return patterns
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    patterns = scope_of(os.environ.get("MUTANT_UNDER_TEST", ""))
    if patterns is None:  # the clean and stats runs, or a module without a scope
        return
    keep, drop = [], []
    for item in items:
        matched = any(fnmatch.fnmatchcase(item.nodeid, p) for p in patterns)
        (keep if matched else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
