"""The outbox: each message sent at most once, failures retried a bounded number of times and shown to
the administrator, Twilio's delivery reports recorded — all through the real Twilio client, recorded."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from core import db
from notify.models import Channel, MessageStatus, OutboundMessage
from notify.outbox import deliver_due, enqueue
from notify.providers import current_notifier
from tests.callbacks.support import ACCOUNT, API, twilio_error
from tests.conftest import FIXED_NOW, PUBLIC_BASE_URL, signed_post

TO = "+33612345678"


@pytest.fixture
def queue(app, session, frozen_clock):
    """Enqueue an SMS as a job would (committed); returns its id."""

    def add(key: str = "test:1", recipient: str = TO, body: str = "Recours: test", **options) -> int:
        session.rollback()
        with app.app_context():
            work = db.session()
            enqueue(
                work,
                dedup_key=key,
                channel=options.pop("channel", Channel.SMS),
                purpose="test",
                recipient=recipient,
                body=body,
                now=frozen_clock[0],
                max_attempts=options.pop("max_attempts", 5),
                **options,
            )
            work.commit()
            return work.scalar(select(OutboundMessage.id).where(OutboundMessage.dedup_key == key))

    return add


def deliver(app, session, frozen_clock):
    session.rollback()
    with app.app_context():
        return deliver_due(db.session(), current_notifier(), PUBLIC_BASE_URL, frozen_clock[0])


def test_enqueueing_twice_queues_once_and_sends_the_exact_request(app, session, queue, twilio, fresh, frozen_clock):
    message_id = queue()
    assert queue() == message_id
    report = deliver(app, session, frozen_clock)
    assert report.sent == [message_id]
    [request] = twilio.requests
    assert (request.method, request.url) == ("POST", f"{API}/Messages.json")
    assert request.data == {
        "To": TO,
        "From": "+33199000000",
        "Body": "Recours: test",
        "StatusCallback": f"{PUBLIC_BASE_URL}/twilio/sms-status?message={message_id}",
    }
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.SENT and message.provider_sid == f"SM{1:032x}" and message.attempts == 1
    deliver(app, session, frozen_clock)
    assert len(twilio.requests) == 1


def test_a_bad_phone_number_is_never_sent_and_shows_up_as_failed(queue, twilio, fresh, runner, app, session, frozen_clock):
    message_id = queue(recipient="06 12")
    deliver(app, session, frozen_clock)
    assert twilio.requests == []
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.FAILED and "invalid phone number" in message.error
    assert f"#{message_id}" in runner.invoke(args=["notifications", "failed"]).output


def test_twilio_errors_are_retried_with_growing_delays_then_given_up(queue, twilio, fresh, app, session, frozen_clock, caplog):
    message_id = queue(max_attempts=3)
    twilio.then(twilio_error(503, 20503, "Busy"), requests.ConnectionError("connection reset"), twilio_error(500, 20500, "Oops"))
    start = frozen_clock[0]
    attempts_at = []
    for minutes in range(0, 10):
        frozen_clock[0] = start + timedelta(minutes=minutes)
        before = len(twilio.requests)
        deliver(app, session, frozen_clock)
        if len(twilio.requests) > before:
            attempts_at.append(minutes)
    assert attempts_at == [0, 1, 3]  # then 1 and 2 minutes later
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.FAILED and message.attempts == 3
    assert message.error == "Twilio 500 error 20500: Unable to create record: Oops"
    assert "gave up on sms" in caplog.text


def test_a_permanent_twilio_error_is_not_retried(queue, twilio, fresh, app, session, frozen_clock):
    message_id = queue()
    twilio.then(twilio_error(400, 21211, "The 'To' number +33612345678 is not a valid phone number."))
    deliver(app, session, frozen_clock)
    frozen_clock[0] += timedelta(hours=1)
    deliver(app, session, frozen_clock)
    message = fresh(OutboundMessage, message_id)
    assert len(twilio.requests) == 1
    assert message.status is MessageStatus.FAILED and message.error_code == "21211"


def test_a_failing_send_never_crashes_the_job(hospital, gp_call, job, twilio, rows, runner):
    gp_call()
    twilio.then(RuntimeError("a bug in a library"), requests.Timeout("read timed out"))
    assert job("callbacks") == "ok"
    statuses = sorted(m.status.value for m in rows(select(OutboundMessage)))
    assert statuses == ["retry", "retry"]
    status = runner.invoke(args=["scheduler", "status"]).output
    assert "callbacks" in status and "ok" in status


def test_a_send_interrupted_by_a_crash_is_not_repeated_and_twilio_settles_it(
    queue, twilio, fresh, app, session, client, runner, frozen_clock
):
    message_id = queue()
    session.rollback()
    # A deliverer claimed it and died before recording what Twilio said.
    session.get(OutboundMessage, message_id).status = MessageStatus.SENDING
    session.get(OutboundMessage, message_id).claimed_at = frozen_clock[0]
    session.commit()
    frozen_clock[0] += timedelta(minutes=6)
    deliver(app, session, frozen_clock)
    assert twilio.requests == []
    assert fresh(OutboundMessage, message_id).status is MessageStatus.UNKNOWN
    assert "may or may not have gone out" in runner.invoke(args=["notifications", "failed"]).output
    # Twilio had it after all: its delivery report arrives.
    report = {"MessageSid": "SM" + "4" * 32, "AccountSid": ACCOUNT, "MessageStatus": "delivered", "To": TO}
    assert signed_post(client, f"/twilio/sms-status?message={message_id}", report).status_code == 200
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.SENT and message.provider_status == "delivered" and message.provider_sid == "SM" + "4" * 32


def test_two_deliverers_at_once_send_each_message_once(make_app, app, queue, twilio, rows, session, frozen_clock):
    ids = [queue(key=f"race:{i}", recipient=f"+3361234567{i}") for i in range(6)]
    other = make_app(NOTIFY_BACKEND="live")
    slow = twilio.request

    def slow_request(*args, **kwargs):
        time.sleep(0.02)  # widen the window between claim and record
        return slow(*args, **kwargs)

    twilio.request = slow_request
    errors = []

    def run(application):
        try:
            with application.app_context():
                deliver_due(db.session(), current_notifier(), PUBLIC_BASE_URL, frozen_clock[0])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    session.rollback()
    threads = [threading.Thread(target=run, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(d["To"] for d in twilio.sms()) == sorted(f"+3361234567{i}" for i in range(6))
    assert {m.status for m in rows(select(OutboundMessage).where(OutboundMessage.id.in_(ids)))} == {MessageStatus.SENT}


def test_delivery_reports_only_move_forward_and_failures_are_shown(queue, app, session, client, fresh, runner, frozen_clock):
    message_id = queue()
    deliver(app, session, frozen_clock)
    url = f"/twilio/sms-status?message={message_id}"
    report = {"MessageSid": f"SM{1:032x}", "AccountSid": ACCOUNT, "To": TO}
    signed_post(client, url, {**report, "MessageStatus": "sent"})
    signed_post(client, url, {**report, "MessageStatus": "queued"})  # late and older: ignored
    assert fresh(OutboundMessage, message_id).provider_status == "sent"
    signed_post(client, url, {**report, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    signed_post(client, url, {**report, "MessageStatus": "undelivered", "ErrorCode": "30003"})  # twice
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.FAILED and message.error == "Twilio reports the SMS undelivered (error 30003)"
    assert "undelivered (error 30003)" in runner.invoke(args=["notifications", "failed"]).output
    # Someone else's SID for our id (a forged or mixed-up report) changes nothing.
    signed_post(client, url, {**report, "MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"})
    assert fresh(OutboundMessage, message_id).provider_status == "undelivered"
    assert client.post(url, data={**report, "MessageStatus": "delivered"}).status_code == 403


def test_the_administrator_can_retry_a_failed_message(queue, twilio, fresh, runner, app, session, frozen_clock):
    message_id = queue()
    twilio.then(twilio_error(401, 20003, "Authenticate"))
    deliver(app, session, frozen_clock)
    assert fresh(OutboundMessage, message_id).status is MessageStatus.FAILED
    result = runner.invoke(args=["notifications", "retry", str(message_id)])
    assert result.exit_code == 0, result.output
    deliver(app, session, frozen_clock)
    assert fresh(OutboundMessage, message_id).status is MessageStatus.SENT
    assert runner.invoke(args=["notifications", "retry", str(message_id)]).exit_code != 0


def test_an_expired_message_is_not_sent(queue, twilio, fresh, app, session, frozen_clock):
    message_id = queue(expires_at=frozen_clock[0] + timedelta(minutes=5))
    twilio.then(twilio_error(503, 20503, "Busy"))
    deliver(app, session, frozen_clock)
    frozen_clock[0] += timedelta(minutes=6)
    deliver(app, session, frozen_clock)
    assert len(twilio.requests) == 1
    assert fresh(OutboundMessage, message_id).status is MessageStatus.EXPIRED


def test_e_mail_goes_through_smtp(queue, smtp_server, fresh, app, session, frozen_clock):
    message_id = queue(
        key="mail:1",
        channel=Channel.EMAIL,
        recipient="a@hopital.example.org,b@hopital.example.org",
        subject="Recours : essai",
        body="Trous de garde : 0\n",
    )
    deliver(app, session, frozen_clock)
    [(sender, recipients, mail)] = smtp_server.received
    assert sender == "recours@hopital.example.org" and recipients == ["a@hopital.example.org", "b@hopital.example.org"]
    assert mail["Subject"] == "Recours : essai" and mail.get_content().replace("\r\n", "\n") == "Trous de garde : 0\n"
    assert fresh(OutboundMessage, message_id).status is MessageStatus.SENT


def test_an_smtp_refusal_is_permanent(queue, smtp_server, fresh, app, session, frozen_clock):
    smtp_server.refuse_recipients = True
    message_id = queue(key="mail:2", channel=Channel.EMAIL, recipient="nobody@hopital.example.org", subject="x", body="x")
    deliver(app, session, frozen_clock)
    message = fresh(OutboundMessage, message_id)
    assert message.status is MessageStatus.FAILED and "SMTP refused" in message.error


def test_no_test_can_reach_the_network():
    import socket

    with pytest.raises(ConnectionRefusedError, match="tests may not reach"):
        socket.create_connection(("api.twilio.com", 443), timeout=1)
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.twilio.com/2010-04-01", timeout=1)


def test_sms_can_go_out_from_a_number_of_their_own(make_app, smtp_server, session, twilio, frozen_clock):
    from tests.callbacks.conftest import live_settings

    app = make_app(**live_settings(smtp_server.port, SMS_FROM="06 00 00 00 01"))
    with app.app_context():
        enqueue(
            db.session(), dedup_key="own", channel=Channel.SMS, purpose="test", recipient=TO, body="x", now=frozen_clock[0], max_attempts=1
        )
        db.session().commit()
        deliver_due(db.session(), current_notifier(), PUBLIC_BASE_URL, frozen_clock[0])
    assert twilio.sms()[0]["From"] == "+33600000001"


def test_in_development_everything_is_only_logged(make_app, session, twilio, caplog):
    app = make_app()  # NOTIFY_BACKEND defaults to "log"
    session.rollback()
    with app.app_context(), caplog.at_level("INFO", logger="notify.providers"):
        enqueue(
            db.session(),
            dedup_key="dev",
            channel=Channel.SMS,
            purpose="test",
            recipient=TO,
            body="Recours: dev",
            now=FIXED_NOW,
            max_attempts=1,
        )
        db.session().commit()
        report = deliver_due(db.session(), current_notifier(), PUBLIC_BASE_URL, FIXED_NOW)
    assert len(report.sent) == 1 and twilio.requests == []
    from core.logmask import mask_phone

    # Logged, with the number masked and without the text (it may name a GP).
    assert f"SMS to {mask_phone(TO)} (12 characters, not logged)" in caplog.text
    assert TO not in caplog.text and "Recours: dev" not in caplog.text
