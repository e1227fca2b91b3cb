"""A senior defers a call from the screening prompt: the GP hears the promise at once, the callback
request is that senior's with that deadline, the GP gets the promise by SMS on a mobile, the head is
alerted when the promise is broken. Simulated calls through the real, signed webhooks; the scheduler's
job as it runs; the real Twilio client recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from calllog.models import AttemptResult, Call, CallbackRequest, CallbackStatus, CallOutcome
from simulator import Accepts, Defers, FlaskTransport, Key, NoAnswer, Simulator
from tests.callbacks.test_callback_flow import sms_reply
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import BACKUP, GP_KNOWN, HEAD, PRIMARY

GP_MOBILE = "+33612345678"  # not in the directory: announced by its last digits


def place(app, session, frozen_clock, *, from_: str, callees) -> tuple:
    session.rollback()
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    result = simulator.call(from_=from_, to=HOTLINE, gp=[Key("1")], callees=callees)
    assert result.errors == [] and result.warnings == [], result.transcript()
    session.rollback()
    call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
    return result, call


def test_defer_promise_heard_assigned_deadline_sms_and_escalation_when_broken(
    app, session, hospital, job, client, runner, twilio, fresh, frozen_clock
):
    result, call = place(app, session, frozen_clock, from_=GP_MOBILE, callees={PRIMARY: Defers(after=3), BACKUP: Accepts()})

    # The senior heard the GP's last four digits, not all ten, and the choice to defer.
    whisper = " ".join(result.callee_heard[PRIMARY])
    assert "un médecin dont le numéro finit par 5 6 7 8" in whisper and "0 6 1 2" not in whisper
    assert "3 pour rappeler dans les 20 minutes" in whisper
    assert "C'est noté : vous rappelez ce médecin dans les 20 minutes." in whisper
    # The GP hears the promise as soon as the senior's leg ends; nobody else is rung, the call ends.
    promise = "Le Dr Claire Martin, neurologie, vous rappelle dans les 20 minutes. Vous recevrez cette promesse par SMS. Au revoir."
    assert promise in result.heard_text
    [dial_action] = result.requests_to("/twilio/dial-result")
    assert result.heard[-1][0] == dial_action.t and result.leg(PRIMARY).ended_at == dial_action.t
    assert result.bridged_to is None and [leg.number for leg in result.legs] == [PRIMARY]
    assert call.outcome is CallOutcome.DEFERRED
    assert [(a.number, a.result) for a in call.attempts] == [(PRIMARY, AttemptResult.DEFERRED)]
    request = call.callback
    assert request.promised_by_senior_id == hospital.primary_id and request.promised_minutes == 20
    request_id = request.id

    job("callbacks")
    request = fresh(CallbackRequest, request_id)
    code = request.code
    assert request.deadline_at == request.requested_at + timedelta(minutes=20)
    assert request.acknowledged_by_senior_id == hospital.primary_id and request.status is CallbackStatus.OPEN
    deadline = request.deadline_at
    assert twilio.sms_to(PRIMARY) == [
        f"Recours : vous avez promis de rappeler un médecin non identifié (06 12 34 56 78) (neurologie) avant 10:20, code {code}. "
        f"R {code} pour être mis en relation."
    ]
    assert twilio.sms_to(GP_MOBILE) == ["Recours : le Dr Claire Martin (neurologie) vous rappellera avant 10:20."]
    assert twilio.sms_to(BACKUP) == [] and twilio.sms_to(HEAD) == []  # the promise is hers alone

    # Kept or not, the head hears of it only when the deadline comes.
    frozen_clock[0] = deadline - timedelta(minutes=1)
    job("callbacks")
    assert twilio.sms_to(HEAD) == []
    frozen_clock[0] = deadline
    job("callbacks")
    [alert] = twilio.sms_to(HEAD)
    assert f"rappel {code}" in alert and "pris en charge par Dr Claire Martin" in alert
    assert fresh(CallbackRequest, request_id).escalated_at == deadline
    # The broken promise is the senior's, in the report: taken 0, deferred 1, kept 0, broken 1, not due 0.
    day = deadline.date().isoformat()
    table = runner.invoke(args=["report", "--from", day, "--to", day, "--table", "promises", "--csv"])
    assert table.exit_code == 0, table.output
    assert table.output.strip().splitlines() == ["senior,taken,deferred,kept,broken,not due yet", "Dr Claire Martin,0,1,0,1,0"]

    # The SMS gave her the code: "R code" puts her through, as for any callback.
    reply = sms_reply(client, PRIMARY, f"R {code}")
    assert reply == f"Recours vous appelle pour le rappel {code} : décrochez, puis tapez 1 pour joindre le médecin."
    assert twilio.calls()[-1]["To"] == PRIMARY


def test_a_fixed_line_gp_hears_the_promise_without_an_sms_and_the_specialty_sets_its_minutes(
    app, session, hospital, job, runner, twilio, fresh, frozen_clock
):
    outcome = runner.invoke(args=["callbacks", "defer", "neurology", "45"])
    assert outcome.exit_code == 0, outcome.output
    assert runner.invoke(args=["callbacks", "defer", "neurologie"]).output.strip() == "neurology: 45 min"
    assert runner.invoke(args=["callbacks", "defer", "neurology", "500"]).exit_code != 0

    result, call = place(app, session, frozen_clock, from_=GP_KNOWN, callees={PRIMARY: NoAnswer(), BACKUP: Defers()})

    assert "3 pour rappeler dans les 45 minutes" in " ".join(result.callee_heard[BACKUP])
    assert "Le Dr Hugo Bernard, neurologie, vous rappelle dans les 45 minutes. Au revoir." in result.heard_text
    assert "SMS" not in result.heard_text
    assert [(a.number, a.result) for a in call.attempts] == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.DEFERRED)]
    request_id = call.callback.id
    job("callbacks")
    request = fresh(CallbackRequest, request_id)
    assert request.deadline_at == request.requested_at + timedelta(minutes=45)
    assert request.acknowledged_by_senior_id == hospital.backup_id
    assert twilio.sms_to(GP_KNOWN) == []  # a landline gets no SMS
    assert len(twilio.sms_to(BACKUP)) == 1 and twilio.sms_to(PRIMARY) == []


def test_a_gp_who_hangs_up_before_hearing_the_promise_is_still_called_back_by_that_senior(app, session, hospital, fresh, frozen_clock):
    def run(hang_up_at=None):
        simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
        return simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: Defers(key_after=2)}, hang_up_at=hang_up_at)

    session.rollback()
    probe = run()
    [key] = [r for r in probe.requests_to("/twilio/screen-answer")]
    # Again, the GP hanging up while the senior hears the confirmation of the promise.
    result = run(hang_up_at=key.t + 1)
    assert result.errors == [], result.transcript()
    session.rollback()
    call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
    assert "vous rappelle" not in result.heard_text
    assert call.outcome is CallOutcome.DEFERRED and call.callback.promised_by_senior_id == hospital.primary_id
