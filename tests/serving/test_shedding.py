"""Load shedding (issue 14 §1, SECURITY.md RE7): a gunicorn server whose
request queue is full answers 503 with Retry-After at once, from the main
loop, instead of queueing the request; what it had queued is still served.

One worker with 2 threads and a queue of 1 (tests/serving/conftest.py):
three clients that send half a request each (a slow phone) take both
threads and the queue's place, and hold them until they finish. While they
hold them, any further request must be answered 503 straight away: a stock
gthread worker would queue it until a thread freed, and the read below
would time out."""

from __future__ import annotations

import http.client
import socket

import pytest
import requests

from tests.serving.conftest import QUEUE, RETRY_AFTER, THREADS
from tests.serving.gunicorn_server import Gunicorn, read_to_end, status_of

#: Seconds to wait for an answer: a bound, not a timing under test.
ANSWER_WAIT = 20
HALF_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: portal.test\r\n"


@pytest.fixture
def server(small_server):
    return small_server


class Holders:
    """Connections holding the worker's threads and queue with half a request."""

    def __init__(self, server: Gunicorn, count: int) -> None:
        # Read to the end: every earlier request is off the worker's books.
        assert status_of(server.port, "/healthz") == 200
        self.socks = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_WAIT)
            sock.sendall(HALF_REQUEST)
            self.socks.append(sock)

    def unanswered(self) -> bool:
        """None of them has had an answer (the worker holds them all)."""
        for sock in self.socks:
            sock.setblocking(False)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    return False
            except BlockingIOError:
                pass
            finally:
                sock.settimeout(ANSWER_WAIT)
        return True

    def finish(self) -> list[int]:
        """Send the rest of each request; the status each gets."""
        statuses = []
        for sock in self.socks:
            sock.sendall(b"Connection: close\r\n\r\n")
            statuses.append(int(read_to_end(sock).split(b" ", 2)[1]))
            sock.close()
        return statuses


def assert_shed(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert response.headers["Connection"] == "close"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    # the app's own busy page, in the default language
    assert "<h1>Layanan sedang sibuk</h1>" in response.text


def test_a_full_queue_answers_503_at_once_and_serves_what_it_queued(server):
    holders = Holders(server, THREADS + QUEUE)

    page = requests.get(server.url + "/", timeout=ANSWER_WAIT)
    upload = requests.post(
        server.url + "/submit/proposal/evidence", data=b"x" * 2_000_000, timeout=ANSWER_WAIT
    )

    assert_shed(page)
    assert_shed(upload)  # a body it never read: drained, not a reset connection
    assert holders.unanswered()
    assert holders.finish() == [200] * (THREADS + QUEUE)
    assert status_of(server.port, "/") == 200


def test_one_request_short_of_full_is_queued_and_served(server):
    holders = Holders(server, THREADS + QUEUE - 1)
    queued = http.client.HTTPConnection("127.0.0.1", server.port, timeout=ANSWER_WAIT)
    queued.request("GET", "/healthz", headers={"Connection": "close"})

    assert holders.finish() == [200] * (THREADS + QUEUE - 1)
    assert queued.getresponse().status == 200
    queued.close()


def test_a_kept_alive_connection_is_shed_on_its_next_request(server):
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=ANSWER_WAIT)
    kept.request("GET", "/healthz")
    first = kept.getresponse()
    first.read()
    assert first.status == 200 and not first.will_close
    holders = Holders(server, THREADS + QUEUE)
    # Accepted after the holders (one listening queue): shed, so they are in.
    # (A request on the kept connection could be seen before them.)
    assert status_of(server.port, "/healthz") == 503

    kept.request("GET", "/healthz")
    second = kept.getresponse()
    body = second.read().decode()

    assert (second.status, second.getheader("Retry-After")) == (503, str(RETRY_AFTER))
    assert second.will_close and "Layanan sedang sibuk" in body
    assert holders.finish() == [200] * (THREADS + QUEUE)
    kept.close()


def test_the_worker_logs_its_bound(server):
    log = server.log.read_text()
    assert "load shedding past 3 pending requests (2 threads + queue of 1)" in log
