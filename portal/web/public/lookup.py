"""``GET|POST /lookup`` and ``GET /lookup/result``: a resident checks their
household's status.

The POST parses the form, applies the limits and the captcha, calls
``find_household`` once and redirects (303) to ``/lookup/result``, which shows
the result from server-side state: the session holds only a random token whose
proof row (``portal.registry.proofs``) names the household. So Back, a reload
or a language switch shows the result again without another lookup, and no
NIK or name is in a URL or the cookie. "Not found" and "name does not match"
take the same path, leave the same session and render the same page
(SECURITY.md LK2, LK3).
"""

from __future__ import annotations

import datetime as dt
import logging
import math

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from forms.lookup import LookupForm
from portal import captcha, metrics, ratelimit, ratelimit_lookup
from portal.db import keyring, transaction
from portal.i18n import wait_words
from portal.i18n_fold import render_page
from portal.registry import proofs
from portal.registry.lookup import find_household, proven_status
from portal.web.pages import private_page
from portal.web.public import channel
from portal.web.public.desil_why import explain
from portal.web.public.labels import RELATIONSHIP_LABELS, program_lines

bp = Blueprint("lookup", __name__)
log = logging.getLogger("portal.lookup")

#: The session key of the lookup's outcome: the proof's token after a match,
#: ``None`` after a lookup that found nothing (the public channel's; an
#: operator's is ``channel.ASSIST.proof_key``).
SESSION_PROOF = channel.PUBLIC.proof_key


def _log(outcome: str, nik_key: str | None = None) -> None:
    metrics.count_lookup(outcome)
    log.info(
        "lookup", extra={"event": {"event": "lookup", "outcome": outcome, "nik_hmac": nik_key}}
    )


def _page(template: str, http_status: int = 200, **context):
    return private_page(template, http_status, render=render_page, **context)


def _form_page_indexable() -> bool:
    """The empty status check form is what residents search for ("cek
    DTSEN"); every answer to a POST stays out of search engines."""
    return request.method == "GET"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _form_page(form: LookupForm, http_status: int, captcha_reason: str | None, **context):
    g.captcha_on_page = captcha_reason is not None
    return _page(
        "public/lookup.html",
        http_status,
        indexable=_form_page_indexable(),
        form=form,
        captcha=captcha_reason is not None,
        captcha_reason=captcha_reason,
        **context,
    )


@bp.route("/lookup", methods=["GET", "POST"])
@ratelimit.posts_per_address("LOOKUP_LIMIT_PER_IP", captcha_quota=True, in_view=True)
def lookup():
    form = LookupForm()
    ip = ratelimit.address_key()  # the limits' key; the captcha gets the real address
    captcha_on = captcha.captcha_enabled(current_app)
    if not form.validate_on_submit():
        ratelimit.check_address()  # a POST: counted alone (a valid one, with the NIK's)
        if request.method == "POST":
            _log("invalid")
        # only a hint for the form: the POST decides by spending (take_free_lookup)
        shown = "address" if captcha_on and ratelimit.captcha_required(ip) else None
        return _form_page(form, 400 if form.errors else 200, shown)

    ring = keyring()
    key = ratelimit.nik_key(ring.nik_index(form.nik.data))
    needs_captcha = ratelimit_lookup.take_free_lookup(ip, key, captcha_on=captcha_on)
    if needs_captcha:
        result = captcha.verify(request.form.get("h-captcha-response"), ratelimit.client_ip())
        if not result.ok:
            _log("captcha_failed")
            if request.form.get("h-captcha-response"):
                form.form_errors.append(_("Complete the security check, then try again"))
            wait = (
                wait_words(ratelimit_lookup.nik_budget_wait(key))
                if needs_captcha == "nik"
                else None
            )
            return _form_page(form, 400, needs_captcha, wait=wait)
        ratelimit_lookup.take_captcha_lookup(key)

    household_id = find_household(ring, form.nik.data, form.name.data)
    _log("no_match" if household_id is None else "match", key)
    remember_outcome(household_id)
    return redirect(url_for("lookup.result"), code=303)


def remember_outcome(household_id: int | None) -> None:
    """After a lookup (the public one, or an operator's ``/office/assist``):
    the session's proof names ``household_id`` (None: nothing was found, and
    the earlier proof ends), under this channel's session key."""
    key = channel.current().proof_key
    earlier = session.get(key)
    token = None
    if household_id is None:
        if earlier:
            with transaction():
                proofs.forget(earlier)
    else:
        token = proofs.new_token()
        if earlier:
            with transaction():  # durable: an ended proof must stay ended
                proofs.forget(earlier)
        # A resident's first lookup writes this one row and no fsync (SQLite's
        # write lock would queue every lookup behind the disk).
        proofs.prove_unflushed(token, household_id, now=_now())
    if session.get(key, "") != token:
        session[key] = token  # re-signing the cookie costs
    # A draft bound to another household (the last resident at a village
    # office PC) must never continue under this one (SECURITY.md LK7).
    from portal.web.public.journey import discard_drafts  # journey imports this module

    discard_drafts(bound_only=True, keep_household=household_id)


@bp.get("/lookup/result")
def result():
    """The outcome of this session's last lookup, as often as it is asked for
    while the proof lasts (``LOOKUP_PROOF_MINUTES``)."""
    if SESSION_PROOF not in session:
        return redirect(url_for("lookup.lookup"))
    token = session[SESSION_PROOF]
    if token is None:
        return _page("public/lookup_not_found.html")
    status = proven_status(keyring(), token, _now())
    minutes = current_app.config["LOOKUP_PROOF_MINUTES"]
    if status is None:
        return _page("public/lookup_gone.html", minutes=minutes)
    return _page(
        "public/lookup_result.html",
        status=status,
        programs=program_lines(status, current_app.config["PROGRAM_RULES"]),
        relationship_labels=RELATIONSHIP_LABELS,
        why=explain(status, current_app.config.get("DTSEN_NEXT_UPDATE")),
        minutes=minutes,
    )


@bp.post("/lookup/done")
def done():
    """ "I am done": the result and the right to start a request for this
    household end now (a shared phone), and so do the requests this session
    had started and not sent."""
    from portal.web.public.journey import discard_drafts  # journey imports this module

    discard_drafts()
    end_proof()
    return redirect(url_for("public.home"), code=303)


def _retry_after(exc) -> int:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, dt.datetime):
        value = (value - _now()).total_seconds()
    return max(1, math.ceil(value)) if isinstance(value, int | float) else 60


@bp.errorhandler(429)
def limited(exc):
    """Every lookup limit says in words what happened and how long to wait."""
    seconds = _retry_after(exc)
    scope = getattr(exc, "scope", "address")
    metrics.count_lookup("limited")
    log.info("rate limited", extra={"event": {"event": "rate_limited", "limit": scope}})
    response = _page("public/lookup_limited.html", 429, scope=scope, wait=wait_words(seconds))
    response.headers["Retry-After"] = str(seconds)
    return response


# For the submission journey (portal.web.public.journey) -------------------------------


def proven_household_id(*, renew: bool = False) -> int | None:
    """The household this session proved by a lookup in this channel, while
    the proof lasts; ``renew``: a step of a request, which keeps the proof
    alive (``proofs.renew``)."""
    token = session.get(channel.current().proof_key)
    if renew and token:
        with transaction():
            proofs.renew(token, now=_now())
    return proofs.proven_household(token, now=_now())


def end_proof() -> None:
    """Sending a request or finishing ends the proof: on a shared phone the
    next person must check again, and a copied cookie reaches nothing."""
    token = session.pop(channel.current().proof_key, None)
    if token:
        with transaction():
            proofs.forget(token)
