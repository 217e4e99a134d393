"""An overall deadline for one send (issue 11 §5 review).

``OUTBOX_SEND_TIMEOUT`` bounds each socket operation; an SMTP session is
about ten of them, and a server that answers slowly (or a byte at a time)
could keep one send going longer than the lease, so another worker would
take the message and send it at the same time. The worker therefore runs
each send under ``deadline(seconds, channel.abort)``: when it passes, a
timer thread calls ``abort()``, which shuts the channel's socket down, and
the blocked call fails at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def deadline(seconds: float, abort: Callable[[], None]) -> Iterator[threading.Event]:
    """Call ``abort`` if the block is still running after ``seconds``. Yields
    an event that is set once it was called (then the channel is broken:
    close it, whatever the block returned)."""
    fired = threading.Event()

    def fire() -> None:
        fired.set()
        abort()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()  # an abort under way ends before the caller looks at ``fired``


def shut_down(sock: socket.socket | None) -> None:
    """Unblock a call waiting on ``sock`` in another thread. The plain socket's
    ``shutdown`` also on a TLS socket (whose own would drop its TLS state
    under the reading thread)."""
    if sock is not None:
        with contextlib.suppress(OSError, ValueError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
