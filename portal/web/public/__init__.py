"""Public pages: no login, Indonesian first."""

from portal.web.public.views import bp

__all__ = ["bp"]
