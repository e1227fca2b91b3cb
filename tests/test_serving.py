"""Serving on a bad day: bodies too large, probes that never hang, webhooks that answer within their
budget while the database refuses or hangs (through the TCP fault proxy), and gunicorn's configuration."""

from __future__ import annotations

import io
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from calllog.models import Call
from core.config import WebhookBudget
from tests.conftest import PUBLIC_BASE_URL, SWITCHBOARD, settings_for, sign, signed_post
from tests.hospital import GP_KNOWN, build_hospital

CALL = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": GP_KNOWN, "To": "+33199000000", "CallStatus": "ringing"}
REPO = Path(__file__).resolve().parent.parent
# A short budget keeps the suite quick; the deadlines are the feature here, so they are measured, with
# a generous margin for a loaded machine (the answer after the deadline takes milliseconds when idle;
# without the deadline these requests would wait for ever). bench.degraded prints the real figures.
BUDGET = 1.0
MARGIN = 3.0


@pytest.fixture
def hospital(session, frozen_clock):
    return build_hospital(session, frozen_clock[0])


@pytest.fixture
def proxied_app(make_app, fault_proxy, database_url, hospital):
    from routing.snapshot import keeper_of

    app = make_app(DATABASE_URL=fault_proxy.url_for(database_url), WEBHOOK_BUDGET_SECONDS=str(BUDGET))
    # An instance that has no routing snapshot yet (its keeper's thread, started by the first webhook,
    # would otherwise race the fault): degraded mode is then the switchboard. tests/test_bad_days.py
    # covers the instance that holds one.
    keeper_of(app).start = lambda: None
    return app


def _calls(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Call))


def _timed_post(client, path: str, params: dict[str, str]):
    started = time.monotonic()
    response = signed_post(client, path, params)
    return response, time.monotonic() - started


# -- bodies ---------------------------------------------------------------------------------------


class _CountingStream(io.RawIOBase):
    """A request body that says how much of it the app read."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def test_a_huge_webhook_body_is_refused_before_a_byte_of_it_is_read(client, session, hospital):
    body = _CountingStream(100 * 1024 * 1024)
    response = client.post(
        "/twilio/voice",
        headers={"X-Twilio-Signature": "x"},
        environ_overrides={
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.size),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert _calls(session) == 0


def test_a_webhook_body_over_32_kb_is_refused_even_when_signed(client, session, hospital):
    params = {**CALL, "SpeechResult": "neurologie " * 4000}
    response = signed_post(client, "/twilio/menu", params)
    assert response.status_code == 413
    assert _calls(session) == 0


def test_a_long_speech_result_within_the_limit_is_served(client, session, hospital):
    signed_post(client, "/twilio/voice", CALL)
    response = signed_post(client, "/twilio/menu", {**CALL, "SpeechResult": "euh " * 100 + "neurologie", "UnknownParameter": "x" * 20_000})
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).find("Dial") is not None


# -- probes ---------------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(make_app):
    make_app()  # the first app empties the tables: on the real database
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and body["checks"]["database"]["ok"] is True
    assert body["journal"] == {"pending_bytes": 0}
    assert body["database_breaker"]["open"] is False
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_shows_the_routing_snapshots_age_and_horizon(app, hospital, frozen_clock):
    from routing.snapshot import keeper_of

    client = app.test_client()
    assert client.get("/readyz").get_json()["routing_snapshot"]["held"] is False  # never built: nothing to fall back on
    assert keeper_of(app).refresh(frozen_clock[0]) is not None
    shown = client.get("/readyz").get_json()["routing_snapshot"]
    assert shown["held"] is True and shown["stale"] is False and shown["last_error"] is None
    assert shown["age_seconds"] == 0 and shown["hours_ahead"] >= 24  # the 24 h at least


def test_readyz_is_not_ready_when_the_database_refuses_and_shows_what_waits_in_the_journal(proxied_app, fault_proxy):
    fault_proxy.refuse()
    signed_post(proxied_app.test_client(), "/twilio/status", {**CALL, "CallStatus": "completed", "SequenceNumber": "4"})
    response = proxied_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["ok"] is False and body["journal"]["pending_bytes"] > 0
    assert body["database_breaker"]["open"] is True and body["database_breaker"]["reason"]


def test_readyz_never_hangs_on_a_hung_database(proxied_app, fault_proxy):
    client = proxied_app.test_client()
    assert client.get("/readyz").status_code == 200  # a pooled connection, then the database hangs
    fault_proxy.hang()
    timeout = WebhookBudget(BUDGET).readiness_timeout
    for _ in range(2):  # the pooled connection, then a new one
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert elapsed < timeout + MARGIN, elapsed


# -- webhooks within the budget ---------------------------------------------------------------------


def test_a_webhook_answers_the_switchboard_within_the_budget_when_the_database_hangs(proxied_app, fault_proxy):
    client = proxied_app.test_client()
    response, _ = _timed_post(client, "/twilio/voice", CALL)  # healthy: the menu, a pooled connection
    assert ElementTree.fromstring(response.data).find("Gather") is not None
    fault_proxy.hang()
    for path, params in [("/twilio/menu", {**CALL, "Digits": "1"}), ("/twilio/voice", {**CALL, "CallSid": "CA" + "6" * 32})]:
        response, elapsed = _timed_post(client, path, params)
        assert response.status_code == 200
        dial = ElementTree.fromstring(response.data).find("Dial")
        assert dial is not None and dial.text == SWITCHBOARD, (path, response.data)
        assert elapsed < BUDGET + MARGIN, (path, elapsed)
    breaker = proxied_app.extensions["recours.db"].breaker
    assert breaker.opened == 1  # the first webhook's wait opened it: the second did not wait at all
    fault_proxy.restore()
    # The breaker lets a webhook try again after its cool-down (twice the budget), or closes as soon as
    # the journal's writer reaches the database: the menu comes back, on a new connection.
    give_up = time.monotonic() + 30
    while True:
        response, _ = _timed_post(client, "/twilio/voice", {**CALL, "CallSid": "CA" + secrets.token_hex(16)})
        if ElementTree.fromstring(response.data).find("Gather") is not None or time.monotonic() > give_up:
            break
        time.sleep(0.2)
    assert ElementTree.fromstring(response.data).find("Gather") is not None
    assert not breaker.is_open


def test_a_webhook_answers_within_the_budget_when_the_database_crawls(proxied_app, fault_proxy):
    client = proxied_app.test_client()
    fault_proxy.slow(BUDGET)  # one round trip eats the whole budget
    response, elapsed = _timed_post(client, "/twilio/voice", CALL)
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).find("Dial").text == SWITCHBOARD
    assert elapsed < BUDGET + MARGIN, elapsed


def test_the_fallback_url_answers_without_the_database(proxied_app, fault_proxy, caplog):
    fault_proxy.hang()
    params = {**CALL, "ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_BASE_URL}/twilio/menu"}
    with caplog.at_level(logging.ERROR, logger="webhooks.views"):
        response, elapsed = _timed_post(proxied_app.test_client(), "/twilio/fallback", params)
    root = ElementTree.fromstring(response.data)
    assert root.find("Dial").text == SWITCHBOARD and root.find("Dial").get("action").endswith("/twilio/fallback-switchboard")
    assert elapsed < BUDGET, elapsed  # nothing waited on the (hung) database
    [line] = [r.getMessage() for r in caplog.records if "Twilio fallback" in r.getMessage()]
    assert "CA" + "5" * 32 in line and "11200" in line and GP_KNOWN not in line


def test_the_budget_is_configurable_and_checked(make_app):
    assert make_app(WEBHOOK_BUDGET_SECONDS="1.5").config["SETTINGS"].budget.seconds == 1.5
    from core.config import ConfigError, load_settings

    for bad in ("0.1", "20", "three"):
        with pytest.raises(ConfigError, match="WEBHOOK_BUDGET_SECONDS"):
            load_settings(settings_for("sqlite://", WEBHOOK_BUDGET_SECONDS=bad), "/tmp")


def test_every_database_wait_is_derived_from_the_budget():
    budget = WebhookBudget(3.0)
    assert (budget.statement_timeout_ms, budget.lock_timeout_ms) == (3000, 1500)
    assert budget.pool_timeout < budget.seconds and budget.sqlite_busy_timeout < budget.seconds
    assert budget.readiness_timeout <= 1.0
    assert budget.database_seconds == 2.7 and WebhookBudget(1.0).database_seconds == 0.9  # the rest: answering
    assert WebhookBudget(0.5).connect_timeout == 2  # libpq's floor; core.pgdeadline cuts at the deadline


def test_postgresql_enforces_the_derived_statement_timeout(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statement_timeout")
    app = make_app(WEBHOOK_BUDGET_SECONDS="2")
    from sqlalchemy import text

    with app.extensions["recours.db"].webhook_engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "2s"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "1s"
    with app.extensions["recours.db"].engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "0"  # pages, CLI: not cut


# -- gunicorn ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_the_app_with_the_repository_configuration(database_url, hospital, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough to start gunicorn")
    port = _free_port()
    local = {"ROUTING_SNAPSHOT_DIR": str(tmp_path / "snapshot"), "JOURNAL_DIR": str(tmp_path / "journal")}
    env = {**os.environ, **settings_for(database_url, **local), "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        import requests

        deadline = time.monotonic() + 60  # starting on a loaded 2-core machine
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not open its port"
                time.sleep(0.2)
        assert health.text == "ok"
        # The master built the routing snapshot before forking (when_ready): the worker holds it
        # before its first call, in memory or from the disk copy the master left.
        before_any_call = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
        assert before_any_call["routing_snapshot"]["held"] is True, before_any_call
        assert (tmp_path / "snapshot").is_dir() and any((tmp_path / "snapshot").iterdir())
        # preload_app: the port opened once the app was built, so the first call is served at once.
        response = requests.post(
            f"http://127.0.0.1:{port}/twilio/voice",
            data=CALL,
            headers={"X-Twilio-Signature": sign(f"{PUBLIC_BASE_URL}/twilio/voice", CALL)},
            timeout=15,
        )
        assert response.status_code == 200 and "<Gather" in response.text
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["status"] == "ready"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "Using worker: gthread" in output, output


def test_the_snapshot_keeper_gives_up_on_a_hung_database_and_keeps_the_snapshot_it_holds(proxied_app, fault_proxy, frozen_clock):
    import threading

    from routing.snapshot import keeper_of

    keeper = keeper_of(proxied_app)
    held = keeper.refresh(frozen_clock[0])
    assert held is not None
    fault_proxy.hang()
    outcome: list[object] = []
    rebuild = threading.Thread(target=lambda: outcome.append(keeper.refresh(frozen_clock[0])), daemon=True)
    rebuild.start()
    # Bounded by ten budgets (routing.snapshot): without it the keeper's thread would wait for ever.
    rebuild.join(BUDGET * 10 + MARGIN * 3)
    assert not rebuild.is_alive() and outcome == [None]
    assert keeper.current() is held and keeper.last_error
