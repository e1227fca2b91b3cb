"""Fixtures for the simulator's own tests (helpers live in sim_support.py)."""

from __future__ import annotations

import pytest
from sim_support import PUBLIC, TOKEN, TwimlApp

from simulator import FlaskTransport, Simulator


@pytest.fixture
def twiml_app() -> TwimlApp:
    return TwimlApp()


@pytest.fixture
def sim(twiml_app: TwimlApp) -> Simulator:
    return Simulator(
        FlaskTransport(twiml_app.app),
        public_base_url=PUBLIC,
        auth_token=TOKEN,
        voice_url="/voice",
        status_callback_url="/status",
        fallback_url="/fallback",
        chars_per_second=10.0,  # round numbers: a 30-character <Say> lasts 3 s
    )
