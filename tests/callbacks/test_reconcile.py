"""No call in progress forever: the reconcile-calls job closes calls whose final status never arrived,
from Twilio's REST Call resource (the recorded client, or the simulator's account), else as "ended,
outcome unknown"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from twilio.http.response import Response

from calllog.models import AttemptResult, Call, CallOutcome
from notify.providers import use_twilio_http_client
from scheduler.models import SchedulerRun
from simulator import Accepts, FlaskTransport, Key, NoAnswer, Simulator
from tests.callbacks.support import API
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, signed_post
from tests.hospital import GP_KNOWN, PRIMARY

ACCOUNT = "AC" + "0" * 32


def _lost_final_status(app, frozen_clock, **call):
    """A call played through the simulator with the number's status callback lost (the database was
    down when Twilio sent it): the GP hangs up while the primary's phone rings."""
    simulator = Simulator(
        FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0], status_callback_url=None
    )
    result = simulator.call(from_=GP_KNOWN, to=HOTLINE, **({"gp": [Key("1")], "default_callee": NoAnswer(), "hang_up_at": 40.0} | call))
    assert result.errors == [], result.transcript()
    return simulator, result


@dataclass(frozen=True)
class Logged:
    ended_at: datetime | None
    outcome: CallOutcome | None
    results: list[AttemptResult | None]
    last_attempt_at: datetime | None


def _logged(session, sid: str) -> Logged:
    """The call as committed; no transaction is left open (SQLite's write lock)."""
    session.rollback()
    session.expire_all()
    call = session.scalars(select(Call).where(Call.sid == sid)).one()
    instants = [a.ringing_at for a in call.attempts] + [a.ended_at for a in call.attempts]
    logged = Logged(call.ended_at, call.outcome, [a.result for a in call.attempts], max(filter(None, instants), default=None))
    session.rollback()
    return logged


def test_a_call_left_open_is_closed_from_twilios_call_resource(app, hospital, job, session, rows, frozen_clock):
    simulator, result = _lost_final_status(app, frozen_clock)
    assert _logged(session, result.call_sid).ended_at is None
    with use_twilio_http_client(lambda: simulator.rest):
        job("reconcile-calls")  # too young: nothing asked
        assert simulator.rest.requests == []
        frozen_clock[0] += timedelta(minutes=61)
        job("reconcile-calls")
    [asked] = simulator.rest.requests
    assert (asked.method, asked.path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{result.call_sid}.json")
    call = _logged(session, result.call_sid)
    assert call.ended_at == (simulator.start + timedelta(seconds=int(result.ended_at)))  # Twilio's end_time, whole seconds
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING
    assert call.results == [AttemptResult.NO_ANSWER, AttemptResult.CALLER_HUNG_UP]  # the primary rang out, then the backup
    assert "1 closed from Twilio" in rows(select(SchedulerRun).where(SchedulerRun.job_id == "reconcile-calls"))[-1].detail


def test_a_call_twilio_still_reports_in_progress_is_left_open(app, hospital, job, twilio, session, rows, frozen_clock):
    sid = "CA" + "7" * 32
    params = {"CallSid": sid, "AccountSid": ACCOUNT, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(app.test_client(), "/twilio/voice", params)
    signed_post(app.test_client(), "/twilio/menu", {**params, "Digits": "1"})
    signed_post(
        app.test_client(), "/twilio/screen-answer?rank=0", {**params, "CallSid": "CA" + "8" * 32, "ParentCallSid": sid, "Digits": "1"}
    )
    frozen_clock[0] += timedelta(minutes=90)  # a long conversation
    twilio.then(Response(200, json.dumps({"sid": sid, "status": "in-progress", "end_time": None})))
    job("reconcile-calls")
    assert twilio.requests[-1].method == "GET" and twilio.requests[-1].url == f"{API}/Calls/{sid}.json"
    assert _logged(session, sid).ended_at is None
    twilio.then(Response(200, json.dumps({"sid": sid, "status": "completed", "end_time": "Tue, 10 Mar 2026 10:20:00 +0000"})))
    frozen_clock[0] += timedelta(minutes=5)
    job("reconcile-calls")
    call = _logged(session, sid)
    assert call.outcome is CallOutcome.CONNECTED and call.ended_at.isoformat() == "2026-03-10T10:20:00+00:00"
    assert call.results == [AttemptResult.ACCEPTED]


def test_a_network_error_leaves_the_call_for_the_next_run_and_an_unknown_call_ends_unknown(
    app, hospital, job, twilio, session, rows, frozen_clock
):
    _, result = _lost_final_status(app, frozen_clock)
    frozen_clock[0] += timedelta(hours=2)
    twilio.then(ConnectionError("network down"))
    job("reconcile-calls")
    assert _logged(session, result.call_sid).ended_at is None
    job("reconcile-calls")  # Twilio answers 404: it does not know the call (the recorder's default)
    call = _logged(session, result.call_sid)
    assert call.outcome is CallOutcome.UNKNOWN
    assert call.results == [AttemptResult.NO_ANSWER, AttemptResult.CALLER_HUNG_UP]  # known from the legs' own callbacks
    assert call.ended_at == call.last_attempt_at  # the last instant the log knows of


def test_without_twilio_credentials_calls_end_with_outcome_unknown_keeping_what_is_known(make_app, hospital, session, rows, frozen_clock):
    app = make_app(NOTIFY_BACKEND="log")  # development: no REST API to ask
    _, abandoned = _lost_final_status(app, frozen_clock)
    # Hangs up mid-conversation, and Twilio does not post the Dial action after that (unverified either way).
    _, connected = _lost_final_status(
        app, frozen_clock, callees={PRIMARY: Accepts(after=2, talk=60)}, hang_up_at=30.0, dial_action_after_caller_hangup=False
    )
    assert _logged(session, connected.call_sid).ended_at is None
    frozen_clock[0] += timedelta(hours=1, minutes=1)
    from scheduler.jobs import run_job

    with app.app_context():
        assert run_job("reconcile-calls") == "ok"
    assert _logged(session, abandoned.call_sid).outcome is CallOutcome.UNKNOWN
    call = _logged(session, connected.call_sid)
    assert call.outcome is CallOutcome.CONNECTED and call.ended_at is not None  # the GP did reach the senior
    open_calls = rows(select(Call).where(Call.ended_at.is_(None)))
    assert open_calls == []


def test_a_late_status_callback_still_corrects_a_call_closed_as_unknown(make_app, hospital, session, rows, frozen_clock):
    app = make_app(NOTIFY_BACKEND="log")
    _, result = _lost_final_status(app, frozen_clock)
    frozen_clock[0] += timedelta(hours=2)
    from scheduler.jobs import run_job

    with app.app_context():
        run_job("reconcile-calls")
    assert _logged(session, result.call_sid).outcome is CallOutcome.UNKNOWN
    params = {"CallSid": result.call_sid, "AccountSid": ACCOUNT, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "completed"}
    signed_post(app.test_client(), "/twilio/status", {**params, "SequenceNumber": "9", "Timestamp": "Tue, 10 Mar 2026 09:00:40 +0000"})
    call = _logged(session, result.call_sid)
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING
