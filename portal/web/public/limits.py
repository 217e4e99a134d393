"""Words for a limit met on the public pages: what happened and how long to
wait (issue 9 §2), and the page that says it with ``Retry-After``."""

from __future__ import annotations

import math

from flask_babel import gettext as _

from portal.web.pages import private_page


def wait_text(seconds: int) -> str:
    """ "5 minutes", "2 hours": rounded up, so the resident never comes back
    too early. (No ngettext: Indonesian has one form, and 90 minutes and
    more are always at least two hours.)"""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes == 1:
        return _("1 minute")
    if minutes < 90:
        return _("%(num)d minutes", num=minutes)
    return _("%(num)d hours", num=math.ceil(minutes / 60))


def limit_page(template: str, seconds: int, **context):
    """A 429 page naming the wait, with ``Retry-After``; never cached."""
    response = private_page(template, 429, wait=wait_text(seconds), **context)
    response.headers["Retry-After"] = str(max(1, seconds))
    return response
