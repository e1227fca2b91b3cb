"""gunicorn's configuration for Recours in production: ``.venv/bin/gunicorn -c gunicorn.conf.py``.

Read by gunicorn at start (README, "Production"). Each value says why; environment variables adjust the
few that depend on the machine. Command-line options still override what is here.
"""

from __future__ import annotations

import os

# The application factory, loaded once in the master *before* the port opens (preload_app): by the time
# a load balancer or Twilio can reach this instance, every module is imported and the app is built, so
# the first call after a start or a deploy is answered within the webhook budget like any other.
wsgi_app = "app:create_app()"
preload_app = True

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not processes, carry the concurrency: a webhook spends its time waiting on the database or
# the network, and a thread waiting costs a few hundred kB where a process costs tens of MB.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# A worker silent this long is killed and replaced. Webhooks end within WEBHOOK_BUDGET_SECONDS (3 s by
# default) even when the database hangs, so only a wedged worker gets here; long report pages stay under it.
timeout = 30
graceful_timeout = 20  # calls in flight finish their webhook on a restart or a deploy

# Keep-alive longer than the idle timeout of the proxy in front (nginx, HAProxy and cloud load
# balancers close idle upstream connections after 60 s or less): the proxy always closes first, so it
# never sends a request on a connection gunicorn has just closed (a 502 for a GP's webhook).
keepalive = 75

# The heartbeat file on tmpfs: a worker's liveness check never waits on a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Requests beyond these are refused by gunicorn before Flask sees them; Flask refuses bodies over
# 32 kB on /twilio/* and over 1 MiB elsewhere (MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Access log on request (the log masks phone numbers: core.logmask); errors always go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def when_ready(server) -> None:
    """In the master, the app loaded, before the first worker is forked: the routing snapshot built and
    the ORM configured once for all workers (``app.prepare_for_workers``), shared copy-on-write."""
    if not server.cfg.preload_app:
        return  # each worker loads its own app: nothing built here would be shared
    from app import prepare_for_workers

    app = server.app.wsgi()
    if "recours.db" in getattr(app, "extensions", {}):  # a Recours app, not another WSGI callable
        prepare_for_workers(app)


def pre_fork(server, worker) -> None:
    """In the master, just before each worker is forked: the objects of the preloaded app go to the
    collector's permanent generation (``gc.freeze``). A collection in a worker then never writes to them
    (their headers hold the collector's bookkeeping), so their pages stay shared with the master and the
    other workers instead of being copied into each worker by its first collections."""
    import gc

    gc.freeze()


def post_fork(server, worker) -> None:
    """In each new worker: drop the database connections the master may have opened while loading the
    app; a pooled connection must never be shared by two processes."""
    from core import db

    db.after_fork()


def post_worker_init(worker) -> None:
    """Before the worker takes its first request: one readiness check opens its first database
    connection (bounded by the readiness timeout), so no GP's call pays for it."""
    with worker.wsgi.test_client() as client:
        client.get("/readyz")
