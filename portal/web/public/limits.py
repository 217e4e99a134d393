"""Words for a limit met on the public pages: what happened and how long to
wait (issue 9 §2), and the page that says it with ``Retry-After``."""

from __future__ import annotations

from portal.i18n import wait_words
from portal.web.pages import private_page


def limit_page(template: str, seconds: int, **context):
    """A 429 page naming the wait, with ``Retry-After``; never cached."""
    response = private_page(template, 429, wait=wait_words(seconds), **context)
    response.headers["Retry-After"] = str(max(1, seconds))
    return response
