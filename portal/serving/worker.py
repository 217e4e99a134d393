"""gunicorn's threaded worker, with load shedding (issue 14 §1, SECURITY.md RE7).

Stock ``gthread`` hands every accepted connection, and every kept-alive one
that sends its next request, to a thread pool whose queue has no bound: past
capacity, requests wait longer and longer, clients time out and retry, and the
server does work nobody waits for any more. This worker counts its *pending
work* (connections handed to the pool and not finished: those running plus
those waiting for a thread) and, when that reaches ``threads + queue``,
answers the next request at once, from the main loop, with a prepared 503
and ``Retry-After`` (``portal.serving.shed_page``), and closes the connection.
The served requests then wait for at most ``queue`` others ahead of them.

Settings, read from the environment when the worker starts (deploy/README.md):
``PORTAL_SHED_QUEUE`` requests that may wait for a thread (default: as many
as ``threads``); ``PORTAL_SHED_RETRY_AFTER`` seconds in ``Retry-After``
(default 5). Use it with ``--worker-class portal.serving.worker.SheddingWorker``
(``gunicorn.conf.py`` does).

Closing a socket with unread bytes makes the kernel send a reset, and the
client may then lose the 503 it had not read yet. So a shed connection is
only half-closed: its pending bytes are drained, the answer sent, the write
side shut, and the socket is kept (without a thread) until the client closes
it or ``SHED_LINGER`` seconds pass.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import threading
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

from portal import metrics
from portal.serving import shed_page

#: Seconds a shed connection is kept half-closed for the client to read the 503.
SHED_LINGER = 2.0
#: Seconds between two log lines that count shed requests.
LOG_EVERY = 10.0
DEFAULT_RETRY_AFTER = 5


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    value = int(raw) if raw else default
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, not {value}")
    return value


class SheddingWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue_length = _setting("PORTAL_SHED_QUEUE", self.cfg.threads)
        self.retry_after = max(1, _setting("PORTAL_SHED_RETRY_AFTER", DEFAULT_RETRY_AFTER))
        #: Connections in the thread pool (running or waiting).
        self.pending_work = 0
        self.pending_lock = threading.Lock()
        self.max_pending = self.cfg.threads + self.queue_length
        #: Shed sockets lingering, by when each is closed (oldest first).
        self.shed_conns: dict[socket.socket, float] = {}
        self.shed_response = b""
        self.shed_since_log = 0
        self.last_log = time.monotonic()

    def run(self) -> None:
        # After load_wsgi, before the first connection is accepted.
        self.shed_response = shed_page.render(self.wsgi, self.retry_after)
        started = time.monotonic()
        warm_up(self.wsgi)
        self.log.info("warmed up in %.1f s", time.monotonic() - started)
        self.log.info(
            "load shedding past %d pending requests (%d threads + queue of %d)",
            self.max_pending,
            self.cfg.threads,
            self.queue_length,
        )
        super().run()

    # Every hand-over to the pool goes through enqueue_req (main thread), and
    # the count drops in the pool's thread as soon as handle() is done: not
    # later in the main loop's finish_request, which a busy main thread
    # reaches late, leaving threads idle while the count still says full.
    def enqueue_req(self, conn) -> None:
        with self.pending_lock:
            self.pending_work += 1
        super().enqueue_req(conn)

    def handle(self, conn):
        try:
            return super().handle(conn)
        finally:
            with self.pending_lock:
                self.pending_work -= 1

    def is_full(self) -> bool:
        return self.pending_work >= self.max_pending

    def accept(self, listener) -> None:
        """A new connection waits in the poller, not in a thread, until its
        request starts to arrive (stock gthread gives it a thread that waits
        up to 5 s): a client that connects ahead of time, or a slow one,
        holds neither a thread nor a place in the queue. When its bytes come,
        ``on_pending_socket_readable`` serves it or sheds it."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return  # another worker took it, or the client gave up
            raise
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection sent its next request."""
        if not self.is_full():
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.shed(conn.sock)

    def on_pending_socket_readable(self, conn, client) -> None:
        """A new connection's first bytes arrived."""
        if not self.is_full():
            super().on_pending_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.pending_conns.remove(conn)
        self.shed(conn.sock)

    def shed(self, sock: socket.socket) -> None:
        """Answer 503 now and half-close; the socket lingers without a thread."""
        try:
            sock.setblocking(False)
            if _drain(sock):  # a kept-alive client hanging up: no request to refuse
                self._close_shed(sock)
                return
            metrics.count_shed("queue_full")
            self._count_for_log()
            sent = sock.send(self.shed_response)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sent = -1
        if sent != len(self.shed_response):  # gone, or a send buffer full already
            self._close_shed(sock)
            return
        self.shed_conns[sock] = time.monotonic() + SHED_LINGER
        self.poller.register(sock, selectors.EVENT_READ, self._on_shed_readable)

    def _on_shed_readable(self, sock: socket.socket) -> None:
        try:
            closed = _drain(sock)
        except OSError:
            closed = True
        if closed:
            del self.shed_conns[sock]
            self.poller.unregister(sock)
            self._close_shed(sock)

    def _close_shed(self, sock: socket.socket) -> None:
        self.nr_conns -= 1
        sock.close()

    def murder_pending(self) -> None:
        """Called once per main-loop turn: also ends shed connections' linger."""
        super().murder_pending()
        now = time.monotonic()
        while self.shed_conns:
            sock, deadline = next(iter(self.shed_conns.items()))
            if deadline > now:
                break
            del self.shed_conns[sock]
            self.poller.unregister(sock)
            self._close_shed(sock)

    def _count_for_log(self) -> None:
        self.shed_since_log += 1
        now = time.monotonic()
        if now - self.last_log >= LOG_EVERY:
            self.log.warning(
                "load shedding: %d request(s) answered 503 in the last %.0f s",
                self.shed_since_log,
                now - self.last_log,
            )
            self.shed_since_log = 0
            self.last_log = now


def warm_up(app) -> None:
    """Build what each process keeps in memory before serving: the village
    search index takes seconds, and every thread asking for it meanwhile
    waits, so a worker that built it on its first search (at start, or
    after ``max_requests``) would shed all its traffic for that long."""
    from portal.regions.search import village_index

    with app.app_context():
        village_index()


def _drain(sock: socket.socket) -> bool:
    """Read and drop what the client has sent so far; True at end of stream."""
    while True:
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            return False
        if not chunk:
            return True
