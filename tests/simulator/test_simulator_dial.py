"""Dial: timeouts, simultaneous Numbers, whispers, voicemail, busy lines and GP hang-ups."""

from __future__ import annotations

import pytest
from sim_support import GP, HOTLINE, twiml

from simulator import Accepts, AnswersWithoutKey, Busy, Declines, Fails, NoAnswer, Voicemail

A, B, C = "+33611111111", "+33622222222", "+33633333333"
WHISPER_TEXT = "Appel urgent, tapez 1."  # 22 characters: 2.2 s


def number(phone: str, whisper: bool = True) -> str:
    url = ' url="/whisper"' if whisper else ""
    return f'<Number{url} statusCallback="/child-status" statusCallbackEvent="initiated ringing answered completed">{phone}</Number>'


@pytest.fixture
def screening(twiml_app):
    """The usual screening whisper: key 1 accepts (empty document: bridge), anything else hangs up."""
    twiml_app.on(
        "/whisper",
        twiml(
            f'<Gather action="/whisper-key" numDigits="1" timeout="4"><Say>{WHISPER_TEXT}</Say></Gather><Say>Sans réponse.</Say><Hangup/>'
        ),
    )
    twiml_app.on("/whisper-key", lambda form: twiml("" if form["Digits"] == "1" else "<Hangup/>"))
    twiml_app.on("/dial-done", twiml("<Say>Fin.</Say>"))
    return twiml_app


def dial(*numbers: str, attributes: str = 'action="/dial-done"') -> str:
    return twiml(f"<Dial {attributes}>{''.join(numbers)}</Dial><Say>Jamais.</Say>")


def test_no_answer_ends_at_the_timeout_and_posts_the_action(sim, screening):
    screening.on("/voice", dial(number(A), attributes='action="/dial-done" timeout="12"'))

    result = sim.call(to=HOTLINE, callees={A: NoAnswer()})

    [done] = result.requests_to("/dial-done")
    assert done.t == 12
    assert (done.params["DialCallStatus"], done.params["DialBridged"]) == ("no-answer", "false")
    assert "DialCallDuration" not in done.params
    assert "Jamais." not in result.heard_text  # with an action, verbs after the Dial are never reached
    assert result.heard == [(0.0, "[ringing]"), (12.0, "Fin.")]
    assert result.first_ring_at == 0.0
    assert result.connected_at is None


def test_dial_timeout_is_clamped_to_five_seconds(sim, screening):
    screening.on("/voice", dial(number(A), attributes='action="/dial-done" timeout="2"'))

    result = sim.call(to=HOTLINE)  # default callee: no answer

    assert result.requests_to("/dial-done")[0].t == 5


def test_without_action_the_call_goes_on_to_the_next_verb(sim, screening):
    screening.on("/voice", twiml(f'<Dial timeout="10">{A}</Dial><Say>Occupé.</Say>'))

    result = sim.call(to=HOTLINE, callees={A: Busy(after=1)})

    assert result.heard == [(1.0, "Occupé.")]  # a busy line never rings
    assert result.legs[0].status == "busy"
    assert result.first_ring_at is None


@pytest.mark.parametrize(("behaviour", "status"), [(Busy(), "busy"), (Fails(), "failed")])
def test_busy_and_failed_lines(sim, screening, behaviour, status):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: behaviour})

    assert result.requests_to("/dial-done")[0].params["DialCallStatus"] == status
    finals = [r.params["CallStatus"] for r in result.requests_to("/child-status")]
    assert finals == ["initiated", status]  # no ringing, no answer


def test_accepting_the_whisper_bridges_and_the_talk_sets_the_duration(sim, screening):
    screening.on("/voice", dial(number(A), attributes='action="/dial-done" answerOnBridge="true"'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=60)})

    assert result.callee_heard == {A: [WHISPER_TEXT]}
    assert result.connected_at == pytest.approx(3 + 2.2)
    assert result.bridged_to == A
    [done] = result.requests_to("/dial-done")
    assert done.t == pytest.approx(3 + 2.2 + 60)
    assert done.params["DialCallStatus"] == "completed"
    assert done.params["DialBridged"] == "true"
    assert done.params["DialCallDuration"] == "62"  # from the answer: whisper + talk
    assert done.params["DialCallSid"] == result.legs[0].sid
    # answerOnBridge: ringback until the bridge, no silence in between.
    assert [text for _, text in result.heard] == ["[ringing]", f"[connected to {A}]", f"[{A} hung up]", "Fin."]


def test_without_answer_on_bridge_the_gp_hears_silence_during_the_whisper(sim, screening):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3)})

    assert result.heard[:3] == [(0.0, "[ringing]"), (3.0, "[silence]"), (pytest.approx(5.2), f"[connected to {A}]")]


def test_whisper_requests_carry_the_child_leg_parameters(sim, screening):
    screening.on("/voice", dial(number(A), attributes='action="/dial-done" callerId="+33140000000"'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=2, key_after=0.5)})

    [whisper] = result.requests_to("/whisper")
    [key] = result.requests_to("/whisper-key")
    for request in (whisper, key):
        assert request.params["Direction"] == "outbound-dial"
        assert request.params["ParentCallSid"] == result.call_sid
        assert request.params["CallSid"] == result.legs[0].sid != result.call_sid
        assert (request.params["From"], request.params["To"]) == ("+33140000000", A)
        assert request.params["CallStatus"] == "in-progress"
    assert key.t == 2.5  # key_after: barge-in into the whisper
    assert result.callee_heard[A] == ["Appel…"]
    assert result.requests_to("/voice")[0].params["From"] == GP


def test_simultaneous_numbers_first_accepted_wins_the_others_end(sim, screening):
    screening.on("/voice", dial(number(A), number(B), number(C)))

    result = sim.call(to=HOTLINE, callees={A: NoAnswer(), B: Accepts(after=4), C: Accepts(after=5)})

    assert result.bridged_to == B
    assert result.connected_at == pytest.approx(4 + 2.2)
    legs = {leg.number: leg for leg in result.legs}
    assert legs[A].status == "canceled"  # still ringing when B was bridged
    assert legs[C].status == "completed"  # had answered: its whisper is cut
    assert legs[A].ended_at == legs[C].ended_at == result.connected_at
    assert result.callee_heard[C] == ["Appel urgent…"]  # 1.2 s of it
    finals = {r.params["To"]: r.params["CallStatus"] for r in result.requests_to("/child-status") if "CallDuration" in r.params}
    assert finals == {A: "canceled", B: "completed", C: "completed"}
    assert result.requests_to("/dial-done")[0].params["DialCallSid"] == legs[B].sid


def test_a_whisper_hangup_does_not_bridge_and_other_numbers_keep_ringing(sim, screening):
    screening.on("/voice", dial(number(A), number(B)))

    result = sim.call(to=HOTLINE, callees={A: Declines(after=2), B: Accepts(after=10)})

    legs = {leg.number: leg for leg in result.legs}
    assert not legs[A].bridged
    assert legs[A].ended_at == pytest.approx(2 + 2.2)
    assert [r.params["Digits"] for r in result.requests_to("/whisper-key")] == ["2", "1"]
    assert result.bridged_to == B


@pytest.mark.parametrize("switch", ["completed", "no-answer"])
def test_dial_status_after_a_whisper_hangup_is_a_switch(sim, screening, switch):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Declines()}, whisper_hangup_dial_status=switch)

    [done] = result.requests_to("/dial-done")
    assert (done.params["DialCallStatus"], done.params["DialBridged"]) == (switch, "false")
    assert result.connected_at is None


def test_answering_without_a_key_hangs_up_at_the_end_of_the_prompt(sim, screening):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: AnswersWithoutKey(after=3)})

    assert result.requests_to("/whisper-key") == []
    assert result.legs[0].ended_at == pytest.approx(3 + 2.2)
    assert result.legs[0].status == "completed"
    assert result.bridged_to is None


def test_a_voicemail_never_presses_and_the_whisper_falls_through(sim, screening):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Voicemail(after=15)})

    assert result.callee_heard[A] == [WHISPER_TEXT, "Sans réponse."]
    assert result.requests_to("/whisper-key") == []
    assert result.bridged_to is None
    [recording] = result.recordings
    assert (recording.leg, recording.duration) == (A, pytest.approx(2.2 + 4 + 1.3))


def test_a_whisper_that_forgets_the_hangup_bridges_the_voicemail(sim, screening):
    screening.on("/whisper", twiml(f'<Gather action="/whisper-key" numDigits="1"><Say>{WHISPER_TEXT}</Say></Gather>'))
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Voicemail(after=15, max_message=30)})

    assert result.bridged_to == A  # the bug this simulator exists to catch
    assert result.requests_to("/dial-done")[0].params["DialCallDuration"] == str(round(2.2 + 5 + 30))


def test_without_whisper_the_first_answer_is_bridged(sim, screening):
    screening.on("/voice", dial(number(A, whisper=False), number(B, whisper=False)))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=6, talk=10), B: Accepts(after=2, talk=10)})

    assert (result.bridged_to, result.connected_at) == (B, 2.0)
    assert result.requests_to("/whisper") == []


def test_gp_hanging_up_mid_ring_cancels_the_legs_then_posts_the_dial_action(sim, screening):
    screening.on("/voice", dial(number(A), number(B)))

    result = sim.call(to=HOTLINE, callees={A: NoAnswer(), B: Accepts(after=3)}, hang_up_at=4.0)

    legs = {leg.number: leg for leg in result.legs}
    assert (legs[A].status, legs[B].status) == ("canceled", "completed")
    [done] = result.requests_to("/dial-done")
    assert (done.t, done.params["DialCallStatus"], done.params["CallStatus"]) == (4.0, "canceled", "completed")
    assert "Fin." not in result.heard_text  # the action's TwiML is ignored
    kinds = [r.kind for r in result.requests if r.t == 4.0]
    assert kinds == ["status-callback", "status-callback", "action", "status-callback"]
    assert result.requests[-1].url.endswith("/status")
    assert result.ended_at == 4.0


def test_the_dial_action_after_a_caller_hangup_is_a_switch(sim, screening):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, hang_up_at=4.0, dial_action_after_caller_hangup=False)

    assert result.requests_to("/dial-done") == []
    assert result.legs[0].status == "canceled"
    assert result.requests[-1].params["CallStatus"] == "completed"


def test_gp_hanging_up_while_bridged_completes_the_dial(sim, screening):
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=100)}, hang_up_at=20.0)

    [done] = result.requests_to("/dial-done")
    assert (done.params["DialCallStatus"], done.params["DialBridged"]) == ("completed", "true")
    assert done.params["DialCallDuration"] == "17"
    assert result.legs[0].status == "completed"


def test_a_plain_number_body_and_unknown_callees_use_the_default(sim, screening):
    screening.on("/voice", twiml(f'<Dial action="/dial-done">{A}</Dial>'))

    result = sim.call(to=HOTLINE, default_callee=Accepts(after=1, talk=5))

    assert result.bridged_to == A
    assert result.connected_at == 1.0


def test_a_disallowed_verb_in_the_whisper_is_an_error_and_prevents_the_bridge(sim, screening):
    screening.on("/whisper", twiml("<Say>Bonjour.</Say><Record/>"))
    screening.on("/voice", dial(number(A)))

    result = sim.call(to=HOTLINE, callees={A: Accepts()})

    assert result.bridged_to is None
    assert any("not allowed in a whisper" in error.message for error in result.errors)


def test_unsupported_dial_nouns_are_reported(sim, screening):
    screening.on("/voice", twiml('<Dial action="/dial-done"><Queue>support</Queue></Dial>'))

    result = sim.call(to=HOTLINE)

    assert result.requests_to("/dial-done")[0].params["DialCallStatus"] == "failed"
    assert "Queue" in result.errors[0].message


def test_dial_record_and_time_limit(sim, screening):
    screening.on("/voice", dial(number(A, whisper=False), attributes='action="/dial-done" record="record-from-answer" timeLimit="20"'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=300)})

    [done] = result.requests_to("/dial-done")
    assert done.t == 3 + 20  # timeLimit ends the bridged call
    [recording] = result.recordings
    assert (recording.leg, recording.duration) == ("dial", 20)
    assert done.params["RecordingSid"] == recording.sid
    assert done.params["RecordingDuration"] == "20"


def test_a_bridged_voicemail_records_until_it_hangs_up(sim, screening):
    screening.on("/voice", dial(number(A, whisper=False)))

    result = sim.call(to=HOTLINE, callees={A: Voicemail(after=10, max_message=45)})

    assert (result.bridged_to, result.connected_at) == (A, 10)
    [recording] = result.recordings
    assert (recording.leg, recording.started_at, recording.duration) == (A, 10, 45)
