"""The ``/open311`` blueprint: CSRF-exempt (partners send a key, not a
session cookie), every error in the specification's format."""

from __future__ import annotations

from flask import Blueprint

from portal.extensions import csrf
from portal.web.api.open311.formats import Open311Error, error_reply

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    return error_reply(exc.status, exc.description)
