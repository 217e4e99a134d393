"""One small gunicorn server for the shedding and crash tests (started once:
starting one costs seconds): one worker, 2 threads, a queue of 1."""

from __future__ import annotations

import pytest

from tests.live_server import SIXTEEN_DIGITS
from tests.serving.gunicorn_server import Gunicorn

THREADS, QUEUE, RETRY_AFTER = 2, 1, 7


@pytest.fixture(scope="package")
def small_server(app, tmp_path_factory):
    server = Gunicorn(
        tmp_path_factory.mktemp("small-server") / "gunicorn.log",
        workers=1,
        threads=THREADS,
        PORTAL_SHED_QUEUE=str(QUEUE),
        PORTAL_SHED_RETRY_AFTER=str(RETRY_AFTER),
    )
    yield server
    server.stop()
    # LG2 over the server's own log (caplog sees only this process); the
    # crash test's proposal carries a NIK, so a logged one would show here.
    text = server.log.read_text(errors="replace")
    assert '"route"' in text  # the request lines were written: not vacuous
    assert not SIXTEEN_DIGITS.search(text), "16-digit run in the gunicorn log"
