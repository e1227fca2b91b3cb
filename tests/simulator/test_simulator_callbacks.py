"""Status callbacks of the child legs and of the parent call, in each delivery mode."""

from __future__ import annotations

from collections import Counter
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_support import HOTLINE, twiml

from simulator import Accepts, AnswersWithoutKey, Busy, Declines, Fails, NoAnswer, Voicemail

A, B = "+33611111111", "+33622222222"
ALL_EVENTS = 'statusCallback="/child-status" statusCallbackEvent="initiated ringing answered completed"'
EXPECTED = [("0", "initiated"), ("1", "ringing"), ("2", "in-progress"), ("3", "completed")]


@pytest.fixture
def two_numbers(twiml_app):
    twiml_app.on("/voice", twiml(f'<Dial action="/dial-done"><Number {ALL_EVENTS}>{A}</Number><Number {ALL_EVENTS}>{B}</Number></Dial>'))
    twiml_app.on("/dial-done", twiml(""))
    return twiml_app


def callbacks_by_leg(result) -> dict[str, list[tuple[str, str]]]:
    legs: dict[str, list[tuple[str, str]]] = {}
    for request in result.requests_to("/child-status"):
        legs.setdefault(request.params["To"], []).append((request.params["SequenceNumber"], request.params["CallStatus"]))
    return legs


def test_in_order_callbacks_are_sent_at_their_time_with_all_parameters(sim, two_numbers):
    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=20), B: NoAnswer()})

    assert callbacks_by_leg(result) == {
        A: EXPECTED,
        B: [("0", "initiated"), ("1", "ringing"), ("2", "canceled")],
    }
    a_callbacks = [r for r in result.requests_to("/child-status") if r.params["To"] == A]
    assert [r.t for r in a_callbacks] == [0.0, 0.0, 3.0, 23.0]
    for request in a_callbacks:
        assert request.params["CallbackSource"] == "call-progress-events"
        assert request.params["ParentCallSid"] == result.call_sid
        assert request.params["Direction"] == "outbound-dial"
        sent_at = parsedate_to_datetime(request.params["Timestamp"])
        assert (sent_at - sim.start).total_seconds() == request.t
    assert [r.params.get("CallDuration") for r in a_callbacks] == [None, None, None, "20"]


def test_duplicated_callbacks_arrive_twice_each(sim, two_numbers):
    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=20)}, status_callbacks="duplicated")

    legs = callbacks_by_leg(result)
    assert legs[A] == [event for event in EXPECTED for _ in range(2)]
    assert len(result.requests_to("/status")) == 2  # the parent's final callback too


def test_reversed_callbacks_arrive_newest_first_when_the_leg_ends(sim, two_numbers):
    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=20)}, status_callbacks="reversed")

    assert callbacks_by_leg(result)[A] == EXPECTED[::-1]
    assert {r.t for r in result.requests_to("/child-status") if r.params["To"] == A} == {23.0}


def test_shuffled_callbacks_are_seeded_and_include_duplicates(sim, two_numbers):
    def run(seed):
        return callbacks_by_leg(
            sim.call(
                to=HOTLINE,
                callees={A: Accepts(after=3, talk=20)},
                status_callbacks="shuffled",
                seed=seed,
            )
        )[A]

    first = run(seed=1)
    assert set(first) == set(EXPECTED)
    assert len(first) > len(EXPECTED)  # some arrive twice
    assert run(seed=1) == first
    assert any(run(seed) != sorted(run(seed)) for seed in range(5))  # not in order (for some seed)


def test_only_the_completed_event_without_status_callback_event(sim, twiml_app):
    twiml_app.on("/voice", twiml(f'<Dial><Number statusCallback="/child-status">{A}</Number></Dial>'))

    result = sim.call(to=HOTLINE, callees={A: Busy()})

    assert callbacks_by_leg(result) == {A: [("0", "busy")]}


def test_a_python_list_repr_is_only_a_warning_and_falls_back_to_completed(sim, twiml_app):
    twiml_app.on(
        "/voice",
        twiml(f"<Dial><Number statusCallback=\"/child-status\" statusCallbackEvent=\"['ringing', 'answered']\">{A}</Number></Dial>"),
    )

    result = sim.call(to=HOTLINE, callees={A: NoAnswer()})

    assert any("list repr" in warning.message for warning in result.warnings)
    assert callbacks_by_leg(result) == {A: [("0", "no-answer")]}


def test_callback_answers_do_not_change_the_call(sim, two_numbers):
    two_numbers.on("/child-status", ("boom", 500))
    two_numbers.on("/status", ("boom", 500))

    result = sim.call(to=HOTLINE, callees={A: Accepts(after=3, talk=20)})

    assert result.bridged_to == A
    assert result.errors == []
    assert {r.status for r in result.status_callbacks} == {500}


def test_the_parent_callback_closes_the_call(sim, twiml_app):
    twiml_app.on("/voice", twiml("<Say>Bonjour et au revoir.</Say>"))  # 25 characters: 2.5 s

    result = sim.call(to=HOTLINE)

    [status] = result.requests_to("/status")
    assert status is result.requests[-1]
    assert status.params["CallStatus"] == "completed"
    assert status.params["CallDuration"] == "2"
    assert status.params["Direction"] == "inbound"
    assert (status.params["SequenceNumber"], status.params["CallbackSource"]) == ("0", "call-progress-events")


BEHAVIOURS = st.sampled_from(
    [
        NoAnswer(),
        Busy(),
        Fails(),
        Accepts(after=2, talk=5),
        Accepts(after=8, talk=5),
        Declines(after=4),
        AnswersWithoutKey(after=6),
        Voicemail(after=10),
    ]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    behaviours=st.lists(BEHAVIOURS, min_size=1, max_size=4),
    mode=st.sampled_from(["in-order", "duplicated", "reversed", "shuffled"]),
    hang_up_at=st.one_of(st.none(), st.floats(min_value=0, max_value=40)),
)
def test_invariants_over_random_calls(sim, twiml_app, behaviours, mode, hang_up_at):
    """Whatever the phones do: one bridge at most, every leg ends once, sequence numbers are 0..n."""
    numbers = [f"+3361000000{i}" for i in range(len(behaviours))]
    twiml_app.on(
        "/voice",
        twiml(
            '<Dial action="/dial-done" timeout="15">'
            + "".join(f'<Number url="/whisper" {ALL_EVENTS}>{n}</Number>' for n in numbers)
            + "</Dial>"
        ),
    )
    twiml_app.on("/whisper", twiml('<Gather action="/whisper-key" numDigits="1"><Say>Tapez 1.</Say></Gather><Hangup/>'))
    twiml_app.on("/whisper-key", lambda form: twiml("" if form["Digits"] == "1" else "<Hangup/>"))
    twiml_app.on("/dial-done", twiml(""))

    result = sim.call(to=HOTLINE, callees=dict(zip(numbers, behaviours, strict=True)), hang_up_at=hang_up_at, status_callbacks=mode)

    assert sum(leg.bridged for leg in result.legs) == (result.bridged_to is not None)
    assert all(leg.ended_at is not None and leg.ended_at <= result.ended_at for leg in result.legs)
    for number, events in callbacks_by_leg(result).items():
        sequence_numbers = Counter(seq for seq, _ in events)
        assert sorted(sequence_numbers) == [str(i) for i in range(len(sequence_numbers))], number
        finals = {status for _, status in events if status not in ("initiated", "ringing", "in-progress")}
        assert len(finals) == 1, (number, events)
    assert result.requests[-1].url.endswith("/status")
    assert result.errors == []
