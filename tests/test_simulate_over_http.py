"""Fix 6 of issue 12: ``flask call simulate --url …`` against a running server logged impossible times
(the first ring after the connection) because the server stamps webhooks with its own clock while the
simulator's virtual clock raced ahead in Twilio's Timestamps. Over HTTP the call now runs in real time.

A real HTTP server (werkzeug, in a thread) serves the app on a database file; the command runs through
click's runner with the same settings, exactly as README's first example. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import socket
import threading

from sqlalchemy import select

from calllog.models import Call, CallOutcome
from core import db
from tests.web.conftest import build_world


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_call_simulated_over_http_rings_before_it_connects(make_app):
    from werkzeug.serving import make_server

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(PUBLIC_BASE_URL=base)
    with app.app_context():
        world = build_world(db.session())
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = app.test_cli_runner().invoke(
            args=["call", "simulate", "--url", base, "--press", "1@0.5", "--default-callee", "accepts:2:2"]
        )
    finally:
        server.shutdown()
        thread.join(5)
    assert result.exit_code == 0, result.output
    assert "[connected to" in result.output
    with app.app_context():
        call = db.session().scalars(select(Call).where(Call.specialty_id == world.neuro).order_by(Call.id.desc())).first()
        assert call is not None and call.outcome is CallOutcome.CONNECTED
        attempt = call.attempts[0]
        # Ringing (Twilio's Timestamp, whole seconds) comes before the senior's answer and acceptance
        # (the server's clock), and the connection is no earlier than the two seconds of ringing.
        assert call.started_at <= call.first_ringing_at <= attempt.answered_at <= attempt.accepted_at == call.connected_at
        assert (call.connected_at - call.first_ringing_at).total_seconds() >= 1
        assert (call.connected_at - call.started_at).total_seconds() >= 2
        assert call.ended_at >= call.connected_at
