"""Machine interfaces: Open311 GeoReport v2 (``open311/``) and the OpenAPI
document of every JSON endpoint (``openapi.py``). Thin views, as elsewhere:
the answers are built by ``portal.tickets``, ``portal.stats`` and
``portal.partners``."""
