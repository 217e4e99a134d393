"""The lookup's limits (SECURITY.md LK4, LK6): the NIK's budget, its
ceiling and the address's captcha quota, spent together in one atomic step
(``take_free_lookup``), one storage round trip per lookup.

Apart from ``portal.ratelimit`` (the limits of every other page) so each
reads in one sitting; the storage, the limit parsing and the address hook
are shared from there.
"""

from __future__ import annotations

import math
import time

from flask import current_app, g
from werkzeug.exceptions import TooManyRequests

from portal import ratelimit_steps
from portal.ratelimit import captcha_quota, check_address, limit_step, limiter, storage_ids
from portal.ratelimit_steps import HIT, Step


class LookupLimited(TooManyRequests):
    """A lookup limit is spent; ``scope`` says which (the page says it in words)."""

    def __init__(self, scope: str, retry_after: int):
        super().__init__(retry_after=retry_after)
        self.scope = scope


def _seconds_until_free(step: Step) -> int:
    reset = limiter.limiter.get_window_stats(step.item, *step.identifiers).reset_time
    return max(1, math.ceil(reset - time.time()))


def take_free_lookup(ip: str, nik_key_: str, *, captcha_on: bool) -> str | None:
    """Spend one lookup without a captcha, in one atomic step (SECURITY.md LK6):
    the address's captcha quota (when the captcha is on), the NIK's budget
    (``LOOKUP_LIMIT_PER_NIK``) and its ceiling (``LOOKUP_CEILING_PER_NIK``),
    all or none. ``None`` when spent; otherwise why the captcha is needed,
    ``"address"`` or ``"nik"``.

    Parallel requests cannot all pass a check made before any of them
    spends: exactly the quota passes. Raises ``LookupLimited`` when the
    ceiling is reached, or when the NIK's budget is and there is no captcha
    to ask for."""
    config = current_app.config
    budget = limit_step(HIT, config["LOOKUP_LIMIT_PER_NIK"], "lookup-nik", nik_key_)
    ceiling = limit_step(HIT, config["LOOKUP_CEILING_PER_NIK"], "lookup-nik-max", nik_key_)
    steps = [budget]
    if captcha_on:
        quota = captcha_quota()
        if quota is None:
            check_address()
            return "address"  # every lookup needs one
        steps += [ceiling, Step(HIT, quota, storage_ids("captcha-free", ip))]
    address = g.pop("address_step", None)  # the view's own address limit, counted first
    first = [address] if address is not None else []
    answers = ratelimit_steps.take_all(limiter.limiter, steps, first=first)
    if first and not answers[0]:
        raise TooManyRequests(retry_after=_seconds_until_free(address))
    answers = answers[len(first) :]
    if all(answers):
        return None
    if not captcha_on:
        raise LookupLimited("nik", _seconds_until_free(budget))
    if not answers[1]:
        raise LookupLimited("nik-ceiling", _seconds_until_free(ceiling))
    return "nik" if not answers[0] else "address"


def take_captcha_lookup(nik_key_: str) -> None:
    """Spend one lookup made with a solved captcha: only the NIK's ceiling
    counts it (``LookupLimited`` once it is reached)."""
    ceiling = limit_step(
        HIT, current_app.config["LOOKUP_CEILING_PER_NIK"], "lookup-nik-max", nik_key_
    )
    if not ratelimit_steps.take_all(limiter.limiter, [ceiling])[0]:
        raise LookupLimited("nik-ceiling", _seconds_until_free(ceiling))


def nik_budget_wait(nik_key_: str) -> int:
    """Seconds until the NIK's budget allows a lookup without a captcha again."""
    return _seconds_until_free(
        limit_step(HIT, current_app.config["LOOKUP_LIMIT_PER_NIK"], "lookup-nik", nik_key_)
    )
