"""Record on the GP's leg: message ended by a key, by silence, by maxLength, by a hang-up; no audio."""

from __future__ import annotations

import pytest
from sim_support import HOTLINE, twiml

from simulator import HangUp, Message, Silence

RECORD = twiml(
    '<Say>Laissez un message !</Say><Record action="/recorded" timeout="3" maxLength="30"/><Say>Rien enregistré.</Say>'
)  # the Say lasts 2 s


@pytest.fixture
def recorder(twiml_app):
    twiml_app.on("/voice", RECORD)
    twiml_app.on("/recorded", twiml("<Say>Merci.</Say>"))
    return twiml_app


def test_a_message_ended_by_a_key_is_posted_with_the_recording(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Message(seconds=8, digits="#")])

    [recorded] = result.requests_to("/recorded")
    assert recorded.t == 2 + 8
    assert recorded.params["RecordingDuration"] == "8"
    assert recorded.params["Digits"] == "#"
    [recording] = result.recordings
    assert recorded.params["RecordingSid"] == recording.sid
    assert recorded.params["RecordingUrl"] == (f"https://api.twilio.com/2010-04-01/Accounts/{sim.account_sid}/Recordings/{recording.sid}")
    assert recording.sid.startswith("RE") and len(recording.sid) == 34
    assert result.heard == [(0.0, "Laissez un message !"), (2.0, "[beep]"), (10.0, "Merci.")]


def test_a_message_ended_by_silence_waits_for_the_timeout(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Message(seconds=8, digits="")])

    [recorded] = result.requests_to("/recorded")
    assert recorded.t == 2 + 8 + 3
    assert recorded.params["RecordingDuration"] == "8"  # trailing silence trimmed
    assert "Digits" not in recorded.params


def test_max_length_cuts_the_message(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Message(seconds=50)])

    [recorded] = result.requests_to("/recorded")
    assert (recorded.t, recorded.params["RecordingDuration"]) == (2 + 30, "30")


def test_silence_at_a_record_skips_the_action_and_goes_on(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Silence()])

    assert result.requests_to("/recorded") == []
    assert result.heard[-1] == (5.0, "Rien enregistré.")
    assert result.recordings == []


def test_the_action_on_silence_is_a_switch(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Silence()], record_action_on_silence=True)

    [recorded] = result.requests_to("/recorded")
    assert recorded.params["RecordingDuration"] == "0"


def test_hanging_up_after_the_message_posts_digits_hangup(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Message(seconds=6, hang_up=True)])

    [recorded] = result.requests_to("/recorded")
    assert (recorded.params["Digits"], recorded.params["RecordingDuration"]) == ("hangup", "6")
    assert recorded.params["CallStatus"] == "completed"
    assert "Merci." not in result.heard_text
    assert result.ended_at == 8.0


def test_hang_up_at_during_the_message_keeps_what_was_said(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[Message(seconds=20, digits="#")], hang_up_at=7.0)

    [recorded] = result.requests_to("/recorded")
    assert (recorded.params["Digits"], recorded.params["RecordingDuration"]) == ("hangup", "5")


def test_hanging_up_in_silence_records_nothing(sim, recorder):
    result = sim.call(to=HOTLINE, gp=[HangUp(after=1)])

    assert result.requests_to("/recorded") == []
    assert result.ended_at == 3.0
