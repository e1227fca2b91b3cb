"""Transports: public URLs mapped onto the app, in-process and over real HTTP."""

from __future__ import annotations

import socket
import threading

import pytest
from sim_support import HOTLINE, PUBLIC, TOKEN, TwimlApp, twiml
from werkzeug.serving import make_server

from simulator import FlaskTransport, HttpTransport, Key, Simulator
from simulator.transport import local_target


@pytest.mark.parametrize(
    ("public_url", "base", "target"),
    [
        ("https://recours.example.org/twilio/voice?x=1", "https://recours.example.org", "/twilio/voice?x=1"),
        ("https://h.org/recours/twilio/voice", "https://h.org/recours", "/twilio/voice"),
        ("https://h.org/recours", "https://h.org/recours/", "/"),
        ("https://h.org/recoursbis/voice", "https://h.org/recours", "/recoursbis/voice"),  # not the prefix
    ],
)
def test_local_target_strips_scheme_host_and_base_path(public_url, base, target):
    assert local_target(public_url, base) == target


def test_a_base_url_with_a_path_prefix_is_signed_in_full_and_stripped_for_the_app():
    public = "https://hopital.example.org/recours"
    app = TwimlApp(public=public)  # checks signatures against the prefixed public URL
    app.on("/voice", twiml('<Gather action="menu" numDigits="1"><Say>Tapez.</Say></Gather>'))
    app.on("/menu", twiml("<Say>Reçu.</Say>"))
    sim = Simulator(FlaskTransport(app.app), public, TOKEN, voice_url="/voice", status_callback_url=None)

    result = sim.call(to=HOTLINE, gp=[Key("1")])

    assert [(r.url, r.status) for r in result.requests] == [
        (f"{public}/voice", 200),
        (f"{public}/menu", 200),  # relative action resolved against the document URL
    ]
    assert result.heard_text.endswith("Reçu.")


@pytest.fixture
def live_server():
    app = TwimlApp()
    server = make_server("127.0.0.1", 0, app.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_http_transport_talks_to_a_running_server(live_server):
    app, base_url = live_server
    app.on("/voice", twiml('<Gather action="/menu" numDigits="1"><Say>Tapez.</Say></Gather>'))
    app.on("/menu", twiml("<Say>Reçu par HTTP.</Say>"))
    sim = Simulator(HttpTransport(base_url), PUBLIC, TOKEN, voice_url="/voice", status_callback_url="/status")

    result = sim.call(to=HOTLINE, gp=[Key("9")])

    assert [r.status for r in result.requests] == [200, 200, 204]
    assert result.heard_text.endswith("Reçu par HTTP.")
    assert result.errors == []


def test_an_unreachable_server_is_a_retrieval_failure():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = Simulator(HttpTransport(f"http://127.0.0.1:{port}", timeout=2), PUBLIC, TOKEN, fallback_url=None)

    result = sim.call(to=HOTLINE)

    assert result.error_codes == [11200]
    assert "ConnectionError" in result.requests[0].body
