"""``GET|POST /lookup``: a resident checks their household's status.

The view parses the form, applies the limits and the captcha, calls
``find_household_status`` once and renders. "Not found" and "name does not
match" take the same path and render the same page (SECURITY.md LK2, LK3).
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, request, session
from flask_babel import gettext as _

from forms.lookup import LookupForm
from portal import captcha, ratelimit
from portal.db import keyring
from portal.i18n_fold import render_page
from portal.registry.lookup import find_household_status
from portal.web.pages import private_page
from portal.web.public.labels import RELATIONSHIP_LABELS, program_lines

bp = Blueprint("lookup", __name__)
log = logging.getLogger("portal.lookup")

#: The session key that carries the household from a lookup into a submission.
SESSION_HOUSEHOLD = "lookup_household"


def _log(outcome: str, nik_key: str | None = None) -> None:
    log.info(
        "lookup", extra={"event": {"event": "lookup", "outcome": outcome, "nik_hmac": nik_key}}
    )


def _page(template: str, http_status: int = 200, **context):
    return private_page(template, http_status, render=render_page, **context)


@bp.route("/lookup", methods=["GET", "POST"])
@ratelimit.posts_per_address("LOOKUP_LIMIT_PER_IP", captcha_quota=True)
def lookup():
    form = LookupForm()
    ip = ratelimit.client_ip()
    needs_captcha = captcha.captcha_enabled(current_app) and ratelimit.captcha_required(ip)
    g.captcha_on_page = needs_captcha
    if not form.validate_on_submit():
        if request.method == "POST":
            _log("invalid")
        return _page(
            "public/lookup.html",
            400 if form.errors else 200,
            form=form,
            captcha=needs_captcha,
        )

    if needs_captcha:
        result = captcha.verify(request.form.get("h-captcha-response"), ip)
        if not result.ok:
            _log("captcha_failed")
            form.form_errors.append(_("Complete the security check, then try again"))
            return _page("public/lookup.html", 400, form=form, captcha=True)
    ring = keyring()
    nik_index = ring.nik_index(form.nik.data)
    key = ratelimit.nik_key(nik_index)
    ratelimit.hit_or_429(
        current_app.config["LOOKUP_LIMIT_PER_NIK"], "lookup-nik", key, spend_free_lookup=ip
    )

    status = find_household_status(ring, form.nik.data, form.name.data)
    if status is None:
        _log("no_match", key)
        session.pop(SESSION_HOUSEHOLD, None)
        return _page("public/lookup_not_found.html", form=LookupForm(formdata=None))
    _log("match", key)
    if session.get(SESSION_HOUSEHOLD) != status.household_id:
        session[SESSION_HOUSEHOLD] = status.household_id  # re-signing the cookie costs
    return _page(
        "public/lookup_result.html",
        status=status,
        programs=program_lines(status, current_app.config["PROGRAM_RULES"]),
        relationship_labels=RELATIONSHIP_LABELS,
    )
