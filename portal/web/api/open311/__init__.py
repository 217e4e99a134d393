"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under
``/open311``: discovery, services and service definitions, reading requests
(``read.py``), and partners' POST of new requests (``write.py``). The two
formats and the error shape are ``formats.py``."""

from portal.web.api.open311 import read, write  # noqa: F401 - their routes
from portal.web.api.open311.blueprint import bp

__all__ = ["bp"]
