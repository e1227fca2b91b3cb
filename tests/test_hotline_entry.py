"""The hotline's own entry point (``app:create_hotline_app()``): the webhooks and nothing else, for lean
webhook workers. A call placed through it goes as through the full app; it serves no page; and building
it imports no page, API, report or command module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask import request
from sqlalchemy import select

from app import create_hotline_app
from calllog.models import Call, CallOutcome
from core import clock
from ivr import links
from simulator import Accepts, FlaskTransport, Key, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL, settings_for, signed_post
from tests.hospital import BACKUP, GP_KNOWN, PRIMARY, build_hospital

ROOT = Path(__file__).resolve().parent.parent


def test_a_call_through_the_hotline_entry_reaches_a_senior(app, session, database_url):
    build_hospital(session, FIXED_NOW)
    session.commit()
    hotline = create_hotline_app(settings_for(database_url))
    try:
        simulator = Simulator(FlaskTransport(hotline), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
        with clock.use_clock(simulator.now):
            result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2)})
        assert result.errors == [], result.transcript()
        assert result.bridged_to == BACKUP
        session.rollback()
        call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
        assert call.outcome is CallOutcome.CONNECTED and [a.number for a in call.attempts] == [PRIMARY, BACKUP]

        client = hotline.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 404  # pages are the full app's
        assert client.get("/api/specialties").status_code == 404
    finally:
        hotline.extensions["recours.db"].engine.dispose()


def test_the_hotline_entry_imports_no_page_api_report_or_command_module(database_url):
    settings = settings_for(database_url)
    probe = (
        "import json, sys\n"
        "from app import create_hotline_app\n"
        f"app = create_hotline_app({settings!r})\n"
        "app.extensions['recours.db'].engine.dispose()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    heavy = {"web", "api", "reports", "alembic", "apscheduler", "simulator", "wtforms", "flask_wtf", "icalendar", "pydantic", "scheduler"}
    assert {name.split(".")[0] for name in loaded} & heavy == set()
    assert "webhooks.views" in loaded and "rota.queries" in loaded


def test_twilio_s_requests_open_no_session_and_the_pages_still_do(app, session):
    """A webhook neither reads nor sets Flask's session cookie (building its signing serializer cost every
    webhook); a page's session is untouched, even on the same client."""
    build_hospital(session, FIXED_NOW)
    session.commit()
    client = app.test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200 and "recours_session=" in page.headers.get("Set-Cookie", "")
    # The page's cookie travels with the webhook's request too: it is neither read nor renewed.
    call = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "ringing"}
    answer = signed_post(client, "/twilio/voice", call)
    assert answer.status_code == 200 and b"<Gather" in answer.data
    assert "Set-Cookie" not in answer.headers
    # The page's cookie is left as it was, for the pages.
    assert client.get_cookie("recours_session") is not None
    with app.test_request_context(links.VOICE, method="POST"):
        assert app.session_interface.open_session(app, request) is None
    # The session is told apart by path (Flask opens it before it matches the route): every webhook's
    # path must carry the prefix, or its request would open one again.
    webhook_paths = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("twilio.")]
    assert len(webhook_paths) >= 10 and all(path.startswith(links.PREFIX) for path in webhook_paths), webhook_paths
