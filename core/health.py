"""``/healthz`` and ``/readyz`` for load balancers, orchestrators and IT's monitoring.

``/healthz`` (liveness) says the process answers HTTP: it touches nothing else, so a database outage
never gets the workers restarted for nothing. ``/readyz`` (readiness) says whether this instance can
serve calls well: the database answers within a short timeout. Neither ever hangs: the database check
runs under a deadline (:mod:`core.deadline`) on the webhooks' engine, whose every wait respects it.

``/readyz`` also shows the operator what degraded mode would route from — the routing snapshot's age
and horizon (from memory or this instance's disk, never the database) — the database breaker
(:mod:`core.breaker`) and the bytes waiting in the call-log journal. Those inform; only the database
decides readiness: an instance whose database answers routes right even without a snapshot.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from core import db, deadline

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[str, int]:
    """Liveness: the process is up. No database, no template, no session."""
    return "ok", 200


def _database_check(timeout: float) -> dict[str, object]:
    started = time.monotonic()
    try:
        with deadline.within(timeout), db.database().webhook_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - whatever the failure, the answer is "not ready"
        log.warning("readiness: the database did not answer within %.1f s: %s", timeout, str(error).splitlines()[0])
        return {"ok": False, "seconds": round(time.monotonic() - started, 3), "error": type(error).__name__}
    return {"ok": True, "seconds": round(time.monotonic() - started, 3)}


def _journal_pending() -> int | None:
    try:
        from calllog import writer

        return writer.journal_of(current_app).pending()
    except Exception:  # a probe never fails on what it only reports
        log.exception("readiness: the journal could not be read")
        return None


def _routing_snapshot() -> dict[str, object]:
    try:
        from core import clock
        from routing.snapshot import keeper_of

        keeper = keeper_of(current_app)
        snapshot = keeper.current()
        if snapshot is None:
            return {"held": False, "last_error": keeper.last_error}
        now = clock.now()
        age = snapshot.age_seconds(now)
        return {
            "held": True,
            "age_seconds": round(age, 1),
            "hours_ahead": round(max(0.0, (snapshot.ends_at - now).total_seconds()) / 3600, 1),
            "rota_version": snapshot.rota_version,
            # Rebuilt every ROUTING_REFRESH_SECONDS: three periods without a rebuild mean it fails.
            "stale": age > 3 * keeper.refresh_seconds or not snapshot.covers(now),
            "last_error": keeper.last_error,
        }
    except Exception:  # a probe never fails on what it only reports
        log.exception("readiness: the routing snapshot could not be read")
        return {"held": None}


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: 200 when the database answers within the readiness timeout, else 503 (the instance
    still answers calls in degraded mode, but a balancer should prefer another)."""
    settings = current_app.config["SETTINGS"]
    checks = {"database": _database_check(settings.budget.readiness_timeout)}
    ready = all(check["ok"] for check in checks.values())
    # For the operator, not for the decision: call-log facts waiting in this instance's journal.
    response = jsonify(
        status="ready" if ready else "not ready",
        checks=checks,
        journal={"pending_bytes": _journal_pending()},
        routing_snapshot=_routing_snapshot(),
        database_breaker=db.database().breaker.state(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503
