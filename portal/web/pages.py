"""A page that must not be kept by the browser or any cache."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, make_response, render_template


def private_page(
    template: str,
    http_status: int = 200,
    *,
    render: Callable[..., str] = render_template,
    indexable: bool = False,
    **context,
) -> Response:
    """Render ``template`` with ``Cache-Control: no-store``: pages with
    personal data, a PIN or a tracking link. ``render`` may be another
    renderer (the lookup uses ``i18n_fold.render_page``).

    Not for search engines either (``X-Robots-Tag``): a tracking link
    (``/t/<token>``) pasted somewhere public must not end up in an index.
    ``indexable``: an empty form residents should find by searching (the
    status check), no-store only for its CSRF token."""
    response = make_response(render(template, **context), http_status)
    response.headers["Cache-Control"] = "no-store"
    if not indexable:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
