"""Gather, Say and Redirect on the GP's leg: timing, barge-in, input types, fall-through."""

from __future__ import annotations

import pytest
from sim_support import HOTLINE, twiml

from simulator import HangUp, Key, Message, Silence, Speech

# 40 characters at 10 characters per second: a 4-second prompt.
MENU = "Tapez 1 pour la cardiologie, 2 sinon..."
assert len(MENU) == 39


def test_barge_in_cuts_the_prompt_and_posts_the_digits_at_once(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu" numDigits="1"><Say>{MENU}</Say></Gather>'))
    twiml_app.on("/menu", twiml("<Say>Cardiologie.</Say>"))

    result = sim.call(to=HOTLINE, gp=[Key("1", after=1.5)])

    [menu] = result.requests_to("/menu")
    assert menu.t == 1.5
    assert menu.params["Digits"] == "1"
    assert result.heard[0] == (0.0, "Tapez 1 pour la…")  # 15 characters heard, then cut
    assert result.utterances[0].cut
    assert result.heard[1] == (1.5, "Cardiologie.")
    assert result.ended_at == pytest.approx(1.5 + 1.2)


def test_a_key_without_time_comes_a_second_after_the_prompt(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu" numDigits="1"><Say>{MENU}</Say></Gather>'))
    twiml_app.on("/menu", twiml(""))

    result = sim.call(to=HOTLINE, gp=[Key("2")])

    [menu] = result.requests_to("/menu")
    assert menu.t == pytest.approx(3.9 + 1.0)
    assert result.heard == [(0.0, MENU)]
    assert not result.utterances[0].cut


def test_no_input_goes_on_to_the_next_verb_without_requesting_the_action(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu" timeout="3"><Say>{MENU}</Say></Gather><Say>Pas de choix.</Say>'))

    result = sim.call(to=HOTLINE, gp=[Silence()])

    assert result.requests_to("/menu") == []
    assert result.heard[-1] == (pytest.approx(3.9 + 3), "Pas de choix.")
    assert result.final_status == "completed"


def test_no_input_and_nothing_after_the_gather_ends_the_call(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu"><Say>{MENU}</Say></Gather>'))

    result = sim.call(to=HOTLINE)  # an exhausted script is silence

    assert result.requests_to("/menu") == []
    assert result.ended_at == pytest.approx(3.9 + 5)  # default timeout 5 s


def test_action_on_empty_result_posts_empty_digits_at_the_timeout(sim, twiml_app):
    twiml_app.on(
        "/voice",
        twiml(f'<Gather action="/menu" timeout="2" actionOnEmptyResult="true"><Say>{MENU}</Say></Gather><Say>Jamais entendu.</Say>'),
    )
    twiml_app.on("/menu", twiml("<Say>Relance.</Say>"))

    result = sim.call(to=HOTLINE, gp=[Silence()])

    [menu] = result.requests_to("/menu")
    assert menu.params["Digits"] == ""
    assert menu.t == pytest.approx(3.9 + 2)
    assert "Jamais entendu." not in result.heard_text
    assert "Relance." in result.heard_text


@pytest.mark.parametrize(
    ("gather_attributes", "pressed", "digits", "posted_at"),
    [
        ('numDigits="2"', "123", "12", 0.5),  # numDigits reached: at once, extra key dropped
        ("", "12#", "12", 0.5),  # finishOnKey ends it and is not reported
        ('finishOnKey="*"', "4*", "4", 0.5),
        ("", "12", "12", 0.5 + 5),  # nothing ends it: Twilio waits `timeout` after the last key
    ],
)
def test_digits_follow_num_digits_and_finish_on_key(sim, twiml_app, gather_attributes, pressed, digits, posted_at):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu" {gather_attributes}><Say>{MENU}</Say></Gather>'))
    twiml_app.on("/menu", twiml(""))

    result = sim.call(to=HOTLINE, gp=[Key(pressed, after=0.5)])

    [menu] = result.requests_to("/menu")
    assert (menu.params["Digits"], menu.t) == (digits, pytest.approx(posted_at))


def test_a_key_after_the_timeout_is_no_input(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu" timeout="2"><Say>{MENU}</Say></Gather>'))

    result = sim.call(to=HOTLINE, gp=[Key("1", after=3.9 + 2.5)])

    assert result.requests_to("/menu") == []
    assert result.ended_at == pytest.approx(3.9 + 2)


def test_speech_counts_only_where_the_gather_listens_for_speech(sim, twiml_app):
    twiml_app.on(
        "/voice",
        twiml(
            '<Gather action="/dtmf-only" timeout="1"><Say>Tapez.</Say></Gather>'
            '<Gather action="/spoken" input="dtmf speech" language="fr-FR" timeout="1"><Say>Dites.</Say></Gather>'
        ),
    )
    twiml_app.on("/spoken", twiml(""))

    result = sim.call(
        to=HOTLINE,
        gp=[Speech("cardiologie", after=0.2), Speech("Neurologie.", after=0.2, confidence=0.75)],
    )

    assert result.requests_to("/dtmf-only") == []
    [spoken] = result.requests_to("/spoken")
    assert spoken.params["SpeechResult"] == "Neurologie."
    assert spoken.params["Confidence"] == "0.75"
    assert "Digits" not in spoken.params
    # Second Gather started after 0.6 s + 1 s timeout; speech 1.1 s long, then 1 s (speechTimeout = timeout).
    assert spoken.t == pytest.approx(1.6 + 0.2 + 1.1 + 1.0)


def test_a_message_given_at_a_gather_is_no_input(sim, twiml_app):
    twiml_app.on("/voice", twiml('<Gather action="/menu" timeout="1"><Say>Tapez.</Say></Gather>'))

    result = sim.call(to=HOTLINE, gp=[Message(seconds=3)])

    assert result.requests_to("/menu") == []


def test_redirect_replaces_the_document_and_the_default_action_is_the_current_url(sim, twiml_app):
    twiml_app.on("/voice", twiml("<Say>Un.</Say><Redirect>/menu?step=2</Redirect><Say>Jamais.</Say>"))
    twiml_app.on(
        "/menu", lambda form: twiml("<Say>Fini.</Say>" if form.get("Digits") else '<Gather numDigits="1"><Say>Deux.</Say></Gather>')
    )

    result = sim.call(to=HOTLINE, gp=[Key("7")])

    assert [r.url for r in result.requests] == [
        "https://recours.example.org/voice",
        "https://recours.example.org/menu?step=2",
        "https://recours.example.org/menu?step=2",  # Gather without action: the current URL, query kept
        "https://recours.example.org/status",
    ]
    assert result.requests[2].params["Digits"] == "7"
    assert [text for _, text in result.heard] == ["Un.", "Deux.", "Fini."]


def test_gp_hangs_up_during_a_gather(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Gather action="/menu"><Say>{MENU}</Say></Gather><Say>Jamais.</Say>'))

    result = sim.call(to=HOTLINE, gp=[HangUp(after=1.0)])

    assert result.requests_to("/menu") == []
    assert result.ended_at == 1.0
    assert result.heard == [(0.0, "Tapez 1 po…")]
    [status] = result.requests_to("/status")
    assert (status.params["CallStatus"], status.params["CallDuration"]) == ("completed", "1")


def test_hang_up_at_interrupts_a_say(sim, twiml_app):
    twiml_app.on("/voice", twiml(f"<Say>{MENU}</Say><Say>Jamais.</Say>"))

    result = sim.call(to=HOTLINE, hang_up_at=2.0)

    assert result.heard == [(0.0, "Tapez 1 pour la card…")]
    assert result.ended_at == 2.0


def test_say_keeps_language_voice_and_ssml_text(sim, twiml_app):
    twiml_app.on(
        "/voice",
        twiml(
            '<Say language="fr-FR" voice="Polly.Lea">Appelez le '
            '<say-as interpret-as="telephone">01 40 00 00 00</say-as>.</Say><Pause length="2"/><Play>https://x/a.mp3</Play>'
        ),
    )

    result = sim.call(to=HOTLINE)

    [say] = result.utterances
    assert (say.text, say.language, say.voice) == ("Appelez le 01 40 00 00 00.", "fr-FR", "Polly.Lea")
    assert result.heard[1] == (pytest.approx(2.6 + 2), "[play https://x/a.mp3]")
    assert result.ended_at == pytest.approx(2.6 + 2 + 3)
