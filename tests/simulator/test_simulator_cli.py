"""``flask call simulate`` against the throw-away TwiML app."""

from __future__ import annotations

from types import SimpleNamespace

import click
import pytest
from sim_support import HOTLINE, PUBLIC, TOKEN, TwimlApp, twiml

from simulator import Accepts, AnswersWithoutKey, Key, NoAnswer, Speech, Voicemail
from simulator.cli import call_cli, gp_script, parse_behaviour

A = "+33611111111"


@pytest.fixture
def cli_app():
    app = TwimlApp()
    app.app.config["SETTINGS"] = SimpleNamespace(
        twilio_auth_tokens=(TOKEN, "next-token"),
        public_base_url=PUBLIC,
        hotline_number=HOTLINE,
    )
    app.app.cli.add_command(call_cli)
    app.on("/twilio/voice", twiml('<Gather action="/twilio/menu" numDigits="1"><Say>Tapez.</Say></Gather>'))
    app.on(
        "/twilio/menu",
        lambda form: twiml('<Gather action="/twilio/spoken" input="speech"><Say>Dites.</Say></Gather>' if form.get("Digits") else ""),
    )
    app.on("/twilio/spoken", twiml(f'<Dial action="/twilio/done"><Number url="/twilio/whisper">{A}</Number></Dial>'))
    app.on("/twilio/whisper", twiml(""))
    app.on("/twilio/done", twiml("<Say>Au revoir.</Say>"))
    app.on("/twilio/status", ("", 204))
    return app


def test_simulate_prints_the_transcript(cli_app):
    runner = cli_app.app.test_cli_runner()

    outcome = runner.invoke(
        args=[
            "call",
            "simulate",
            "--press",
            "1@0.5",
            "--say",
            "cardiologie",
            "--callee",
            f"{A}=accepts:2:30",
        ]
    )

    assert outcome.exit_code == 0, outcome.output
    assert "Call CA" in outcome.output and f"to {HOTLINE}" in outcome.output
    assert "first senior ringing after" in outcome.output
    assert f"[connected to {A}]" in outcome.output
    assert "Au revoir." in outcome.output


def test_simulate_refuses_to_run_without_a_token(cli_app):
    cli_app.app.config["SETTINGS"].twilio_auth_tokens = ()

    outcome = cli_app.app.test_cli_runner().invoke(args=["call", "simulate"])

    assert outcome.exit_code != 0
    assert "no Twilio auth token configured" in outcome.output


def test_simulate_exits_non_zero_when_twilio_would_log_errors(cli_app):
    cli_app.on("/twilio/voice", ("broken", 500))

    outcome = cli_app.app.test_cli_runner().invoke(args=["call", "simulate", "--hang-up-at", "30"])

    assert outcome.exit_code == 1
    assert "11200" in outcome.output


def test_press_and_say_keep_their_command_line_order():
    order = ["say", "press", "callee", "say", "press"]

    script = gp_script(order, presses=("1@2.5", "#"), says=("neurologie", "oui@1"))

    assert script == [Speech("neurologie"), Key("1", after=2.5), Speech("oui", after=1.0), Key("#")]


@pytest.mark.parametrize(
    ("text", "behaviour"),
    [
        ("accepts", Accepts()),
        ("accepts:5", Accepts(after=5)),
        ("accepts:5:90", Accepts(after=5, talk=90)),
        ("no-answer", NoAnswer()),
        ("voicemail:12", Voicemail(after=12)),
        ("silent", AnswersWithoutKey()),
    ],
)
def test_parse_behaviour(text, behaviour):
    assert parse_behaviour(text) == behaviour


@pytest.mark.parametrize("text", ["accept", "busy:3", "accepts:soon"])
def test_parse_behaviour_rejects_nonsense(text):
    with pytest.raises(click.BadParameter):
        parse_behaviour(text)
