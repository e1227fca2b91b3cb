"""Deadlines through a day: the clock moves, the scheduler's job runs every few minutes, and each
message goes out once, at its time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from calllog.models import CallbackRequest
from notify.models import OutboundMessage
from rota.models import DutySlot, Layer, Senior, SeniorPhone
from tests.callbacks.test_callback_flow import sms_reply
from tests.hospital import BACKUP, HEAD, PRIMARY

STEP = timedelta(minutes=5)


def through_the_day(start, *, dense_for=timedelta(minutes=90), until=timedelta(hours=24)):
    """The scheduler's ticks to replay: every 5 minutes while things happen, then every 3 hours to the end
    of the day (to show that nothing else fires), at instants a real tick could fall on."""
    at = start
    while at < start + dense_for:
        yield at
        at += STEP
    while at <= start + until:
        yield at
        at += timedelta(hours=3)


def run_until(job, frozen_clock, until, twilio, job_id: str = "callbacks", dense_for=timedelta(minutes=90)) -> dict:
    """Run ``job_id`` at each tick up to ``until``; returns {number: [(instant, body)]} of the SMS sent."""
    sent: dict[str, list] = {}
    for at in through_the_day(frozen_clock[0], dense_for=dense_for, until=until - frozen_clock[0]):
        frozen_clock[0] = at
        before = len(twilio.sms())
        job(job_id)
        for data in twilio.sms()[before:]:
            sent.setdefault(data["To"], []).append((at, data["Body"]))
    return sent


def test_the_head_is_alerted_once_fifteen_minutes_before_an_unanswered_deadline(
    hospital, gp_call, job, twilio, fresh, runner, frozen_clock
):
    start = frozen_clock[0]
    rid = gp_call()
    sent = run_until(job, frozen_clock, start + timedelta(hours=24), twilio)
    request = fresh(CallbackRequest, rid)
    code = request.code
    assert [at for at, _ in sent[PRIMARY]] == [start] and [at for at, _ in sent[BACKUP]] == [start]
    [(alerted_at, body)] = sent[HEAD]
    assert alerted_at == start + timedelta(minutes=45)  # deadline 11:00 local, lead 15 min
    assert body == (
        f"Recours : le rappel {code} (neurologie, Dr Alice Renaud) demandé à 10:00 n'est pris en charge par personne ; "
        f"échéance 11:00. R {code} pour rappeler vous-même."
    )
    assert request.escalated_at == alerted_at
    overdue = runner.invoke(args=["callbacks", "list", "--overdue"]).output
    assert f"code {code}" in overdue and "OVERDUE by 21 h 30 min" in overdue  # at the day's last tick, 08:30
    assert "head alerted at 10:45" in overdue and "Dr Claire Martin (new: sent)" in overdue


def test_an_acknowledged_request_alerts_the_head_only_when_its_deadline_passes(hospital, gp_call, job, client, twilio, fresh, frozen_clock):
    start = frozen_clock[0]
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    sms_reply(client, PRIMARY, f"OK {code}")
    sent = run_until(job, frozen_clock, start + timedelta(hours=24), twilio)
    [(alerted_at, body)] = sent[HEAD]
    assert alerted_at == start + timedelta(minutes=60)
    assert "pris en charge par Dr Claire Martin n'est pas fait ; échéance 11:00" in body


def test_a_request_called_back_in_time_alerts_nobody(app, hospital, gp_call, job, client, twilio, fresh, frozen_clock):
    from simulator import Accepts, Key
    from tests.callbacks.test_callback_flow import callback_call_simulator
    from tests.conftest import HOTLINE
    from tests.hospital import GP_KNOWN

    start = frozen_clock[0]
    rid = gp_call()
    job("callbacks")
    frozen_clock[0] += timedelta(minutes=20)
    sms_reply(client, BACKUP, f"R {fresh(CallbackRequest, rid).code}")
    [rest_call] = twilio.calls()
    callback_call_simulator(app, frozen_clock, rest_call).call(from_=HOTLINE, to=BACKUP, gp=[Key("1")], callees={GP_KNOWN: Accepts()})
    sent = run_until(job, frozen_clock, start + timedelta(hours=24), twilio, dense_for=timedelta(minutes=70))
    assert HEAD not in sent and PRIMARY not in sent
    assert fresh(CallbackRequest, rid).escalated_at is None


def test_a_senior_coming_on_duty_hears_of_an_open_request_once(hospital, gp_call, job, twilio, session, frozen_clock):
    start = frozen_clock[0]
    night = Senior(full_name="Dr Nina Nuit", phones=[SeniorPhone(e164="+33199000131", preference=0)])
    # Neurology's primary hands over to Dr Nuit 30 minutes after the request.
    session.add_all(
        [
            night,
            DutySlot(
                specialty_id=hospital.neurology_id,
                senior=night,
                layer=Layer.PRIMARY,
                starts_at=start + timedelta(minutes=30),
                ends_at=start + timedelta(hours=12),
            ),
        ]
    )
    slot = session.scalars(select(DutySlot).where(DutySlot.senior_id == hospital.primary_id)).one()
    slot.ends_at = start + timedelta(minutes=30)
    session.commit()
    gp_call()
    sent = run_until(job, frozen_clock, start + timedelta(hours=6), twilio, dense_for=timedelta(minutes=40))
    assert [at for at, _ in sent["+33199000131"]] == [start + timedelta(minutes=30)]
    assert len(sent[PRIMARY]) == 1


def test_a_request_with_nobody_on_duty_goes_to_the_last_resort_at_once(hospital, client, job, twilio, fresh, session, frozen_clock):
    from tests.callbacks.support import ACCOUNT
    from tests.conftest import HOTLINE, signed_post
    from tests.hospital import GP_UNKNOWN

    # Neurology at night: nobody but the head, who is the last resort.
    for slot in session.scalars(select(DutySlot).where(DutySlot.specialty_id == hospital.neurology_id)):
        session.delete(slot)
    session.commit()
    call = {"CallSid": "CA" + "5" * 32, "AccountSid": ACCOUNT, "From": GP_UNKNOWN, "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(client, "/twilio/voice", call)
    signed_post(client, "/twilio/menu", {**call, "Digits": "1"})
    signed_post(client, "/twilio/dial-result?rank=0", {**call, "DialCallStatus": "no-answer"})
    signed_post(client, "/twilio/callback-choice", {**call, "Digits": "1"})
    signed_post(
        client,
        "/twilio/recording",
        {**call, "RecordingUrl": "https://api.twilio.com/x/RE2", "RecordingSid": "RE" + "2" * 32, "RecordingDuration": "12"},
    )
    job("callbacks")
    [body] = twilio.sms_to(HEAD)
    assert "rappel demandé par un médecin non identifié (01 99 00 02 99) (neurologie)" in body


def test_messages_already_queued_for_a_request_called_back_meanwhile_are_dropped(
    hospital, gp_call, job, client, twilio, rows, fresh, frozen_clock
):
    from tests.callbacks.support import twilio_error

    rid = gp_call()
    twilio.then(twilio.default_sms_answer(), twilio_error(500, 20500, "Internal error"))  # the backup's SMS fails once
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    sms_reply(client, PRIMARY, f"OK {code}")
    frozen_clock[0] += timedelta(minutes=2)
    job("callbacks")
    assert len(twilio.sms_to(BACKUP)) == 1  # the failed attempt; not tried again once no longer needed
    statuses = {m.recipient: m.status.value for m in rows(select(OutboundMessage).where(OutboundMessage.callback_request_id == rid))}
    assert statuses == {PRIMARY: "sent", BACKUP: "cancelled"}
