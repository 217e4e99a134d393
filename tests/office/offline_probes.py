"""Probes of the offline drafts' routes (portal/web/office/offline.py) for
the route matrix (``route_probes.PROBES``; the table is in
``test_route_permissions.OTHER_ROUTES``): the service worker, for the staff
whose pages work offline, and a question's shell, for operators."""

from __future__ import annotations

SHELL = "/office/assist/shell/<any(proposal, objection, correction):kind>/<subkind>/<name>"


def _worker(w, client, csrf, account, village):
    return client.get("/office/sw.js"), True, []


def _shell(w, client, csrf, account, village):
    return client.get("/office/assist/shell/proposal/other_household/contact"), True, []


OFFLINE_PROBES = {
    ("GET", "/office/sw.js"): _worker,
    ("GET", SHELL): _shell,
}
