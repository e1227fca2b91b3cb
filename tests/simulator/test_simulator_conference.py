"""Conferences and REST-placed legs: the way to ring seniors in stages (TWILIO.md, "Ringing several
seniors with a delay"). The throw-away app below plays Recours's part by hand — it places legs with
the real ``twilio.rest.Client`` talking to the simulator's REST API — so these tests are about the
simulator's faithfulness, not about Recours."""

from __future__ import annotations

import threading

import pytest
from sim_support import GP, HOTLINE, PUBLIC, TOKEN, twiml
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator import Accepts, Declines, HangUp, NoAnswer, Voicemail

ACCOUNT = "AC" + "0" * 32
A, B = "+33611111111", "+33622222222"
ROOM = "hunt-7f3a"  # opaque: Twilio asks that conference names hold no personal data
EVENTS = ["initiated", "ringing", "answered", "completed"]
SCREEN = "Appel de la ligne, tapez 1."  # 27 characters: 2.7 s at 10 characters a second


def gp_waits(wait_url: str = "/wait", action: str = "/conference-done") -> str:
    return twiml(
        f'<Dial action="{action}"><Conference startConferenceOnEnter="false" endConferenceOnExit="true"'
        f' waitUrl="{wait_url}" beep="false" statusCallback="/conference-status"'
        f' statusCallbackEvent="start end join leave">{ROOM}</Conference></Dial>'
    )


SENIOR_JOINS = twiml(f'<Dial><Conference startConferenceOnEnter="true" endConferenceOnExit="true" beep="false">{ROOM}</Conference></Dial>')


class Hotline:
    """The app's side: places senior legs through the REST API and settles who accepted first."""

    def __init__(self, twiml_app, sim) -> None:
        self.app, self.sim = twiml_app, sim
        self.client = Client(ACCOUNT, TOKEN, http_client=sim.rest)
        self.legs: dict[str, str] = {}  # number -> CallSid
        self.accepted: str | None = None
        self.cancel_others = True
        twiml_app.on("/screen", twiml(f'<Gather action="/screen-key" numDigits="1" timeout="5"><Say>{SCREEN}</Say></Gather><Hangup/>'))
        twiml_app.on("/screen-key", self.screen_key)
        twiml_app.on("/conference-done", twiml("<Say>Au revoir.</Say><Hangup/>"))
        twiml_app.on("/conference-status", ("", 204))
        twiml_app.on("/leg-status", ("", 204))

    def ring(self, number: str, timeout: int = 30, **extra) -> str:
        call = self.client.calls.create(
            to=number,
            from_=HOTLINE,
            url=f"{PUBLIC}/screen",
            timeout=timeout,
            status_callback=f"{PUBLIC}/leg-status",
            status_callback_event=EVENTS,  # a list: the REST API wants the parameter repeated
            **extra,
        )
        self.legs[number] = call.sid
        return call.sid

    def screen_key(self, form) -> str:
        if form.get("Digits") != "1":
            return twiml("<Say>Refusé.</Say><Hangup/>")
        if self.accepted is not None:
            return twiml("<Say>Déjà pris par un collègue.</Say><Hangup/>")
        self.accepted = form["To"]
        if self.cancel_others:
            for number, sid in self.legs.items():
                if number != form["To"]:
                    self.client.calls(sid).update(status="canceled")
        return SENIOR_JOINS


@pytest.fixture
def hotline(twiml_app, sim) -> Hotline:
    return Hotline(twiml_app, sim)


def leg_statuses(result, number: str) -> list[tuple[str, str]]:
    return [(r.params["SequenceNumber"], r.params["CallStatus"]) for r in result.requests_to("/leg-status") if r.params["To"] == number]


def test_a_gp_waits_in_a_conference_until_a_rest_leg_accepts_and_starts_it(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A)
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Say>Veuillez patienter.</Say><Pause length="30"/>'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=4, talk=20)})

    assert result.errors == [] and result.warnings == [], result.transcript()
    leg = result.leg(A)
    assert leg.direction == "outbound-api" and leg.bridged and not leg.ended_by_api
    # The leg rings from the instant the app placed it; the screening prompt, then the key.
    assert (leg.ringing_at, leg.answered_at) == (0.0, 4.0)
    assert result.connected_at == pytest.approx(4.0 + 2.7) and result.bridged_to == A
    [room] = result.conferences
    assert room.name == ROOM and room.started_at == result.connected_at
    assert room.joined() == ["gp", A]
    # The senior hangs up after 20 s of talk: they end the conference, the GP's Dial action follows.
    assert room.ended_at == pytest.approx(result.connected_at + 20)
    [done] = result.requests_to("/conference-done")
    assert done.params["DialCallStatus"] == "answered" and done.t == room.ended_at
    assert result.heard[0] == (0.0, "Veuillez patienter.")
    assert (result.connected_at, f"[connected to {A}]") in result.heard
    assert result.callee_heard[A] == [SCREEN]
    # A REST leg has its own identity: outbound-api, no parent, From the hotline.
    [answered] = result.requests_to("/screen")
    assert answered.params["Direction"] == "outbound-api" and "ParentCallSid" not in answered.params
    assert answered.params["From"] == HOTLINE and answered.params["CallSid"] == hotline.legs[A]
    assert leg_statuses(result, A) == [("0", "initiated"), ("1", "ringing"), ("2", "in-progress"), ("3", "completed")]
    [rest] = [r for r in sim.rest.requests if r.path.endswith("/Calls.json")]
    assert rest.data["StatusCallbackEvent"] == EVENTS and rest.value("Timeout") == "30"


def test_the_wait_url_is_the_clock_of_staged_ringing_and_a_cancelled_leg_is_reported_as_such(sim, twiml_app, hotline):
    """The primary rings alone; the waitUrl's Redirect after 10 s is when the backup's leg is placed."""

    def voice(form):
        hotline.ring(A)
        return gp_waits()

    def stage_two(form):
        hotline.ring(B)
        return twiml('<Pause length="60"/>')

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="10"/><Redirect>/wait-2</Redirect>'))
    twiml_app.on("/wait-2", stage_two)

    result = sim.call(to=HOTLINE, callees={A: NoAnswer(), B: Accepts(after=3, talk=30)})

    assert result.errors == [], result.transcript()
    assert [r.t for r in result.requests_to("/wait-2")] == [10.0]
    assert result.leg(B).ringing_at == 10.0
    assert result.connected_at == pytest.approx(13.0 + 2.7) and result.bridged_to == B
    a = result.leg(A)
    assert (a.status, a.ended_by_api, a.answered_at) == ("canceled", True, None)
    assert a.ended_at == result.connected_at  # cancelled the moment B accepted, not at its timeout
    assert leg_statuses(result, A) == [("0", "initiated"), ("1", "ringing"), ("2", "canceled")]
    [cancel] = [r for r in sim.rest.requests if r.path.endswith(f"/Calls/{hotline.legs[A]}.json")]
    assert cancel.data == {"Status": ["canceled"]} and cancel.answer["status"] == "ringing"


def test_two_seniors_pressing_1_at_the_same_instant_are_settled_by_the_app(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A)
        hotline.ring(B)
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="60"/>'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=5, talk=30), B: Accepts(after=5, talk=30)})

    keys = result.requests_to("/screen-key")
    assert [r.t for r in keys] == [keys[0].t, keys[0].t]  # the same instant
    [room] = result.conferences
    assert room.joined() == ["gp", A]  # exactly one joined: the first request the app answered
    assert result.callee_heard[B] == [SCREEN, "Déjà pris par un collègue."]
    assert result.leg(B).status == "completed" and not result.leg(B).bridged
    assert result.leg(A).bridged


def test_conference_status_callbacks_carry_twilios_parameters(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A)
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="60"/>'))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=2, talk=10)})

    callbacks = result.requests_to("/conference-status")
    assert [(r.params["StatusCallbackEvent"], r.params.get("CallSid")) for r in callbacks] == [
        ("participant-join", result.call_sid),
        ("participant-join", hotline.legs[A]),
        ("conference-start", None),
        ("participant-leave", hotline.legs[A]),
        ("participant-leave", result.call_sid),
        ("conference-end", None),
    ]
    assert [r.params["SequenceNumber"] for r in callbacks] == [str(n) for n in range(6)]
    assert {r.params["FriendlyName"] for r in callbacks} == {ROOM}
    assert {r.params["ConferenceSid"] for r in callbacks} == {result.conferences[0].sid}
    assert callbacks[1].params["StartConferenceOnEnter"] == "true" and callbacks[0].params["StartConferenceOnEnter"] == "false"
    assert callbacks[3].params["ReasonParticipantLeft"] == "participant_hung_up"
    assert callbacks[4].params["ReasonParticipantLeft"] == "conference_ended"
    assert callbacks[5].params["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert callbacks[5].params["CallSidEndingConference"] == hotline.legs[A]


def test_canceling_an_answered_leg_does_nothing_and_completing_it_hangs_it_up(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A)
        return gp_waits()

    def hang_up_senior(form):
        sid = hotline.legs[A]
        canceled = hotline.client.calls(sid).update(status="canceled")
        completed = hotline.client.calls(sid).update(status="completed")
        hang_up_senior.statuses = (canceled.status, completed.status)
        return twiml('<Pause length="60"/>')

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="60"/>'))
    twiml_app.on(
        "/conference-status", lambda form: hang_up_senior(form) if form["StatusCallbackEvent"] == "conference-start" else ("", 204)
    )

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=2, talk=300)})

    assert hang_up_senior.statuses == ("in-progress", "in-progress")  # the resource as it stood
    leg = result.leg(A)
    assert leg.status == "completed" and leg.ended_by_api and leg.ended_at == result.connected_at
    assert result.conferences[0].ended_at == result.connected_at  # A ended the conference on exit
    assert result.requests_to("/conference-done")[0].t == result.connected_at


def test_a_leg_the_app_forgets_to_cancel_starts_a_conference_of_its_own(sim, twiml_app, hotline):
    """The GP hung up while the senior's phone rang; the room ended with the GP; the senior then
    answers and, if the app lets them join, is alone in a new room: the app must check first."""

    def voice(form):
        hotline.ring(A)
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="60"/>'))

    result = sim.call(to=HOTLINE, gp=[], callees={A: Accepts(after=8, talk=5)}, hang_up_at=4)

    first, second = result.conferences
    assert first.ended_at == 4.0 and first.started_at is None
    assert second.joined() == [A] and second.started_at is not None
    assert result.connected_at is None


def test_a_wait_url_may_only_play(sim, twiml_app, hotline):
    twiml_app.on("/voice", gp_waits())
    twiml_app.on("/wait", twiml('<Gather numDigits="1"><Say>Tapez 1.</Say></Gather>'))

    result = sim.call(to=HOTLINE, hang_up_at=20)

    assert result.error_codes == [13238]


def test_without_a_wait_url_the_gp_hears_twilios_hold_music(sim, twiml_app, hotline):
    twiml_app.on("/voice", twiml(f'<Dial><Conference startConferenceOnEnter="false" endConferenceOnExit="true">{ROOM}</Conference></Dial>'))

    result = sim.call(to=HOTLINE, hang_up_at=20)

    assert result.heard == [(0.0, "[hold music]")]
    assert result.requests_to("/wait") == [] and result.conferences[0].ended_at == 20.0


def test_answering_machine_detection_is_a_hint_given_to_the_url(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A, machine_detection="Enable")
        hotline.ring(B, machine_detection="Enable")
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Pause length="60"/>'))

    # A human whom the detector takes for a machine can still accept: only the key counts.
    result = sim.call(to=HOTLINE, callees={A: Voicemail(after=3), B: Accepts(after=6, amd="machine_start")}, hang_up_at=40)

    answered = {r.params["To"]: r.params["AnsweredBy"] for r in result.requests_to("/screen")}
    assert answered == {A: "machine_start", B: "machine_start"}
    assert result.bridged_to == B and result.leg(A).answered_by == "machine_start"


def test_rest_errors_come_back_with_twilios_codes(sim, twiml_app, hotline):
    with pytest.raises(TwilioRestException) as missing_to:
        hotline.client.calls.create(to="", from_=HOTLINE, url=f"{PUBLIC}/screen")
    with pytest.raises(TwilioRestException) as bad_to:
        hotline.client.calls.create(to="06 11 11 11 11", from_=HOTLINE, url=f"{PUBLIC}/screen")
    with pytest.raises(TwilioRestException) as unknown:
        hotline.client.calls("CA" + "f" * 32).update(status="canceled")
    with pytest.raises(TwilioRestException) as forged:
        Client(ACCOUNT, "wrong-token", http_client=sim.rest).calls.create(to=A, from_=HOTLINE, url=f"{PUBLIC}/screen")
    assert (missing_to.value.code, bad_to.value.code, unknown.value.code, forged.value.code) == (21201, 21211, 20404, 20003)
    assert (unknown.value.status, forged.value.status) == (404, 401)


def test_events_written_as_one_string_are_reported(sim, twiml_app, hotline):
    hotline.client.calls.create(
        to=A, from_=HOTLINE, url=f"{PUBLIC}/screen", status_callback=f"{PUBLIC}/leg-status", status_callback_event="initiated ringing"
    )
    assert "repeat the parameter once per event" in sim.issues[0].message


def test_calls_placed_between_runs_ring_in_run_outbound_and_may_dial_numbers(sim, twiml_app, hotline):
    """The callback call: Recours rings the senior, who presses 1 to ring the GP (a Number with a whisper)."""
    twiml_app.on("/senior", twiml('<Gather action="/senior-key" numDigits="1"><Say>Rappel, tapez 1.</Say></Gather>'))
    twiml_app.on(
        "/senior-key",
        twiml('<Dial action="/gp-done" callerId="+33140000000"><Number url="/gp-whisper">+33612345678</Number></Dial>'),
    )
    twiml_app.on("/gp-whisper", twiml('<Gather action="/gp-key" numDigits="1"><Say>Le service vous rappelle.</Say></Gather><Hangup/>'))
    twiml_app.on("/gp-key", lambda form: twiml("" if form["Digits"] == "1" else "<Hangup/>"))
    twiml_app.on("/gp-done", twiml("<Hangup/>"))
    sid = hotline.client.calls.create(
        to=A, from_=HOTLINE, url=f"{PUBLIC}/senior", status_callback=f"{PUBLIC}/leg-status", status_callback_event=EVENTS
    ).sid
    assert hotline.client.calls(sid).fetch().status == "queued"

    result = sim.run_outbound(callees={A: Accepts(after=2, talk=0), GP: Accepts(after=4, talk=45)})

    assert result.call_sid == sid and result.errors == [], result.transcript()
    gp_leg = result.leg(GP)
    assert gp_leg.direction == "outbound-dial" and gp_leg.bridged
    [whisper] = result.requests_to("/gp-whisper")
    assert whisper.params["ParentCallSid"] == sid and whisper.params["From"] == HOTLINE
    assert result.callee_heard[GP] == ["Le service vous rappelle."]
    # From the GP's pick-up: the 2.5 s whisper, then 45 s of talk.
    assert result.requests_to("/gp-done")[0].params["DialCallDuration"] == str(round(2.5 + 45))
    assert hotline.client.calls(sid).fetch().status == "completed"
    with pytest.raises(RuntimeError):
        sim.run_outbound()  # nothing more was placed


def test_a_call_cancelled_before_it_rang_never_rings(sim, twiml_app, hotline):
    sid = hotline.ring(A)
    hotline.client.calls(sid).update(status="canceled")
    with pytest.raises(RuntimeError):
        sim.run_outbound(callees={A: Accepts()})
    assert hotline.client.calls(sid).fetch().status == "canceled"


def test_a_leg_cancelled_by_the_request_that_placed_it_ends_without_ringing(sim, twiml_app, hotline):
    def voice(form):
        sid = hotline.ring(A)
        hotline.client.calls(sid).update(status="canceled")
        return twiml('<Pause length="3"/>')

    twiml_app.on("/voice", voice)

    result = sim.call(to=HOTLINE, callees={A: Accepts()})

    leg = result.leg(A)
    assert (leg.status, leg.ringing_at, leg.ended_by_api) == ("canceled", None, True)


def test_sms_sent_and_received(sim, twiml_app, hotline):
    def voice(form):
        hotline.client.messages.create(to=GP, from_=HOTLINE, body="Le Dr Martin vous rappelle dans les 20 minutes.")
        return twiml("<Say>Au revoir.</Say>")

    twiml_app.on("/voice", voice)
    twiml_app.on("/twilio/sms", lambda form: twiml(f"<Message>Reçu: {form['Body']} de {form['From']}</Message>"))

    result = sim.call(to=HOTLINE)

    assert result.sms_to(GP) == ["Le Dr Martin vous rappelle dans les 20 minutes."]
    assert sim.sms[0].from_ == HOTLINE and sim.sms[0].at == sim.start
    assert sim.reply_sms(GP, "ANNULER 4821") == f"Reçu: ANNULER 4821 de {GP}"


def test_a_rest_call_from_another_thread_is_reported(sim, twiml_app, hotline):
    def voice(form):
        worker = threading.Thread(target=hotline.ring, args=(A,))
        worker.start()
        worker.join()
        return twiml("<Say>Au revoir.</Say>")

    twiml_app.on("/voice", voice)

    result = sim.call(to=HOTLINE)

    assert any("another thread" in error.message for error in result.errors)


def test_a_declining_senior_and_a_gp_hanging_up_in_the_hold_music(sim, twiml_app, hotline):
    def voice(form):
        hotline.ring(A)
        return gp_waits()

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", twiml('<Say>Veuillez patienter.</Say><Pause length="2"/>'))  # loops (unverified)

    result = sim.call(to=HOTLINE, gp=[HangUp()], callees={A: Declines(after=2)}, hang_up_at=15)

    assert result.callee_heard[A] == [SCREEN, "Refusé."]
    assert len(result.requests_to("/wait")) > 1  # the hold TwiML was requested again when it ran out
    assert result.conferences[0].ended_at == 15.0 and result.connected_at is None
    assert [key.params["Digits"] for key in result.requests_to("/screen-key")] == ["2"]


def test_a_rest_url_update_takes_the_gp_out_of_the_conference_wait_without_the_dial_action(sim, twiml_app, hotline):
    """How Recours moves a waiting GP on (to the callback offer, to a senior's promise): the app
    modifies the GP's live call with ``Url``; the GP leaves the room and hears the new TwiML."""

    def voice(form):
        hotline.ring(A, timeout=10)
        return gp_waits()

    def leg_status(form):
        if form.get("CallStatus") == "no-answer":
            hotline.client.calls(result_sid[0]).update(url=f"{PUBLIC}/moved", method="POST")
        return ("", 204)

    result_sid: list[str] = []

    def wait(form):
        result_sid[:] = [form["CallSid"]]
        return twiml('<Pause length="60"/>')

    twiml_app.on("/voice", voice)
    twiml_app.on("/wait", wait)
    twiml_app.on("/leg-status", leg_status)
    twiml_app.on("/moved", twiml("<Say>Personne ne répond.</Say><Hangup/>"))

    result = sim.call(to=HOTLINE, callees={A: NoAnswer()})

    assert result.errors == [] and result.warnings == [], result.transcript()
    [moved] = result.requests_to("/moved")
    assert moved.t == 10.0 and moved.params["CallSid"] == result.call_sid
    assert (10.0, "Personne ne répond.") in result.heard
    assert result.requests_to("/conference-done") == []  # the Dial was abandoned, not ended
    [room] = result.conferences
    assert room.ended_at == 10.0 and result.ended_at == pytest.approx(10.0 + len("Personne ne répond.") / 10)
    assert result.bridged_to is None
    # Once the call is over, a redirect is refused as Twilio refuses it.
    with pytest.raises(TwilioRestException) as refused:
        hotline.client.calls(result.call_sid).update(url=f"{PUBLIC}/moved")
    assert refused.value.code in (20404, 21220)
