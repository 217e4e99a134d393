"""Open311 reads: discovery, services, service definitions, requests, tokens."""

from portal.web.api.open311.blueprint import bp  # noqa: F401
