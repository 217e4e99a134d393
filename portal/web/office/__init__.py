"""``/office``: the back office.

``auth.py`` finds the logged-in staff member on every request and holds the
permission decorators (every route carries one: ``tests/staff/test_permissions.py``
walks the URL map); ``login.py`` is login and logout; ``queue.py`` the
landing page (the queue); ``assign.py`` claiming and assigning; ``views.py``
evidence downloads.
"""

from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from portal.web.office import (  # noqa: E402, F401 - register the routes
    admin,
    admin_edit,
    assign,
    assist,
    auth,
    escalated,
    exports,
    field,
    field_assign,
    field_record,
    invite,
    login,
    moves,
    nav,
    offline,
    partners,
    performance,
    queue,
    reply,
    reply_templates,
    ticket,
    tickets,
    views,
    village,
    visits,
)

__all__ = ["bp"]
