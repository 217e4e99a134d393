"""gunicorn settings for production (`make serve`, deploy/systemd/dtsen-portal.service).

Every value can be changed from the environment (deploy/README.md has the
table); command-line flags win over this file (`make serve` passes --bind).
The worker is gunicorn's threaded worker with load shedding
(portal/serving/worker.py): past `threads + PORTAL_SHED_QUEUE` pending
requests a process answers 503 with Retry-After at once.
"""

import os

from portal import metrics

# Where nginx (deploy/nginx/dtsen-portal.conf) reaches this server.
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
# One process per core; each serves `threads` requests at once (the app
# waits on PostgreSQL and Redis, so a few threads keep a core busy).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("PORTAL_THREADS", "4"))
worker_class = "portal.serving.worker.SheddingWorker"
# A request running this long is stuck: the worker is restarted.
timeout = 30
graceful_timeout = 30
# Longer than nginx's idle upstream connections (keepalive_timeout 4s in
# the site), so gunicorn never closes one nginx is about to reuse.
keepalive = 5
# Recycle a process now and then: a slow leak never grows without bound.
max_requests = 20000
max_requests_jitter = 2000
# The heartbeat file on tmpfs: a slow disk must not get workers killed
# (gunicorn makes it with mkstemp and unlinks it at once).
SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
# gunicorn's control socket is one per user: two servers would clash.
control_socket_disable = True
# The app logs one JSON line per request itself (portal/logs.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("PORTAL_GUNICORN_LOGLEVEL", "info")
proc_name = "dtsen-portal"

# Prometheus in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, docs/operations.md):
# the directory is emptied before the first worker starts, and a dead
# worker's live gauges are dropped.
on_starting = metrics.on_starting
child_exit = metrics.child_exit
