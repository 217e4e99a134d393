"""URL converters: ``<int:…>`` bounded to what a database id can hold.

A path like ``/office/evidence/9999999999999999999999999`` would otherwise
reach the database with a number no BIGINT holds (OverflowError on SQLite,
DataError on PostgreSQL: a 500). Past the bound the route does not match,
so the answer is the ordinary 404.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: The largest signed 64-bit integer: the largest id any table can hold.
MAX_ID = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app) -> None:
    """Replace ``int`` before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntConverter
