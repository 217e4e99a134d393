"""``flask metrics serve``: the metrics on a port of their own (issue 14 §4).

For deployments that keep ``/metrics`` off the public port: run this beside
the app servers of one machine, bound to a private address, with the same
``PROMETHEUS_MULTIPROC_DIR`` as gunicorn. It sums every worker's counts from
that directory and adds the database gauges; it serves nothing else. Without
the directory it would only see its own (empty) counts, so it refuses to start.
When ``METRICS_TOKEN`` is set the scrape must carry it here too.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler, make_server

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.wrappers import Request

from portal import metrics
from portal.metrics_gauges import DatabaseGauges
from portal.web.ops import token_matches

metrics_cli = AppGroup("metrics", help="Prometheus metrics (docs/operations.md).")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        """Scrapes every few seconds: not a line each."""


def metrics_wsgi_app(app):
    """A WSGI app answering ``GET /metrics`` with every worker's counts."""
    gauges = DatabaseGauges(app)

    def serve(environ, start_response):
        request = Request(environ)
        if request.path != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        token = app.config.get("METRICS_TOKEN")
        if token and not token_matches(request.headers.get("Authorization"), token):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"metrics need the bearer token\n"]
        body = metrics.exposition([gauges])
        start_response(
            "200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Cache-Control", "no-store")]
        )
        return [body]

    return serve


@metrics_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="A private address.")
@click.option("--port", default=9464, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve /metrics (all workers' counts, the database gauges) on HOST:PORT."""
    if not metrics.multiprocess_dir():
        raise click.ClickException(
            "set PROMETHEUS_MULTIPROC_DIR to the app servers' directory (docs/operations.md)"
        )
    server = make_server(
        host, port, metrics_wsgi_app(current_app._get_current_object()), handler_class=_QuietHandler
    )
    click.echo(f"metrics on http://{host}:{server.server_port}/metrics")
    server.serve_forever()
