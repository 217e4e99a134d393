"""The two channels of the submission journey: the resident's own
(``/submit``, the ``submit`` blueprint) and a village operator's assisted
submission for a resident (``/office/assist``, on the ``office`` blueprint).

One code path serves both: the question, check, send and confirmation views
are written once and listed in ``ROUTES`` (``route``); ``register`` adds
them to a blueprint under the channel's URL prefix and endpoint names. What
differs is said here, once:

* the session keys of the drafts, the lookup's proof and the confirmation,
  so a resident's own journey in the same browser never mixes with the
  operator's (``Channel``);
* the limits' key: the client address for residents, the operator's account
  for assisted pages (``limit_key``): a village office's address is shared
  by everyone who comes in;
* the village: an operator submits only for their own village
  (``fixed_village``);
* URLs, always built through ``Channel.url`` (``submit_url`` in templates).

The assisted views are wrapped in ``staff_required("operator")`` by
``portal.web.office.assist``, which marks the request with ``use(ASSIST)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, g, url_for

from portal import ratelimit


@dataclass(frozen=True)
class Channel:
    name: str
    #: Prefix of the endpoint names: ``submit.`` + ``check`` → ``submit.check``.
    endpoint_prefix: str
    #: Session keys: ``{kind: draft id}``, the confirmation, the lookup's proof.
    drafts_key: str
    sent_key: str
    proof_key: str
    #: Where a journey starts: choosing the kind (and, for an operator, the lookup).
    home_endpoint: str

    @property
    def assisted(self) -> bool:
        return self.name == "assist"

    def url(self, endpoint: str, **values) -> str:
        return url_for(self.endpoint_prefix + endpoint, **values)

    def endpoint(self, name: str) -> str:
        return self.endpoint_prefix + name

    def home_url(self) -> str:
        return url_for(self.home_endpoint)


PUBLIC = Channel(
    "public", "submit.", "submit_drafts", "sent_confirmation", "lookup_proof", "submit.choose"
)
ASSIST = Channel(
    "assist",
    "office.assist_",
    "assist_drafts",
    "assist_sent",
    "assist_lookup_proof",
    "office.assist",
)


def current() -> Channel:
    """The channel of this request (the public one unless an assisted view said so)."""
    return g.get("journey_channel") or PUBLIC


def use(channel: Channel) -> None:
    g.journey_channel = channel


def operator():
    """The operator submitting for a resident (``g.staff``), None for a resident."""
    return g.get("staff") if current().assisted else None


def fixed_village() -> str | None:
    """The only village the journey may be about: the operator's own."""
    staff = operator()
    return staff.village_code if staff is not None else None


def limit_key() -> str:
    """Whose budget a send or an upload spends: the operator's account, or
    the resident's client address."""
    staff = operator()
    return f"staff-{staff.id}" if staff is not None else ratelimit.address_key()


# The route table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    rule: str
    name: str
    view: Callable
    methods: tuple[str, ...]


ROUTES: list[Route] = []


def route(rule: str, methods: tuple[str, ...] = ("GET",)):
    """A journey view served by both channels; ``rule`` is relative to the
    channel's root (``/submit`` or ``/office/assist``)."""

    def decorate(view):
        ROUTES.append(Route(rule, view.__name__, view, tuple(methods)))
        return view

    return decorate


def register(
    bp: Blueprint,
    prefix: str,
    channel: Channel,
    wrap: Callable[[Callable], Callable] = lambda view: view,
) -> None:
    """Add every journey view to ``bp`` under ``prefix``, named for ``channel``.

    Read when the blueprint is registered on the app, once every module of
    the journey has listed its views (they import each other)."""
    bp_prefix = channel.endpoint_prefix.split(".", 1)[1]

    @bp.record_once
    def _add_routes(state) -> None:
        for r in ROUTES:
            state.add_url_rule(
                prefix + r.rule,
                endpoint=bp_prefix + r.name,
                view_func=wrap(r.view),
                methods=list(r.methods),
            )


def submit_url(name: str, **values) -> str:
    """For templates: the URL of a journey page in this request's channel."""
    return current().url(name, **values)
