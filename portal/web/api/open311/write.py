"""Open311 ``POST requests``: a partner system sends a new request with its key."""

from portal.web.api.open311.blueprint import bp  # noqa: F401
