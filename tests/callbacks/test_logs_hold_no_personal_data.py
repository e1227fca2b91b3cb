"""Issue 10, finding 7: a simulated day of the hotline — calls through the simulator, callback SMS,
replies, the callback call, an SMS from a stranger, the log notification backend — leaves no full phone
number and no GP name in the logs."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from calllog.models import CallbackRequest
from core import db
from notify.models import Channel
from notify.outbox import deliver_due, enqueue
from notify.providers import current_notifier
from simulator import Accepts, FlaskTransport, Key, Simulator
from tests.callbacks.test_callback_flow import sms_reply
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL, SWITCHBOARD
from tests.hospital import BACKUP, GP_KNOWN, HEAD, PRIMARY

STRANGER = "+33698765432"
NUMBERS = [PRIMARY, BACKUP, HEAD, GP_KNOWN, HOTLINE, SWITCHBOARD, STRANGER]
GP_NAME = "Renaud"


def _national(e164: str) -> str:
    digits = "0" + e164.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def test_a_simulated_day_logs_no_phone_number_and_no_gp_name(app, make_app, hospital, gp_call, job, client, fresh, frozen_clock, caplog):
    caplog.set_level(logging.DEBUG)
    # A GP is put through, another leaves a callback request, the seniors are texted and answer.
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    connected = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], default_callee=Accepts())
    assert connected.errors == [], connected.transcript()
    request_id = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, request_id).code
    assert sms_reply(client, PRIMARY, f"OK {code}").startswith(f"Rappel {code}")
    sms_reply(client, BACKUP, f"R {code}")
    sms_reply(client, STRANGER, f"OK {code}")  # "SMS from unknown number ... ignored"
    job("callbacks")
    # A developer's installation: the log notification backend writes what it would send.
    development = make_app(NOTIFY_BACKEND="log")
    with development.app_context():
        session = db.session()
        enqueue(
            session,
            dedup_key="day",
            channel=Channel.SMS,
            purpose="callback_request",
            recipient=PRIMARY,
            body=f"Recours: rappel demandé par Dr Alice {GP_NAME} (neurologie)",
            now=FIXED_NOW,
            max_attempts=1,
        )
        session.commit()
        deliver_due(session, current_notifier(), PUBLIC_BASE_URL, FIXED_NOW)
        session.commit()
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "SMS to +33 1 •• •• •• 01" in logged and "SMS from unknown number +33 6 •• •• •• 32 ignored" in logged
    for number in NUMBERS:
        assert number not in logged and number[1:] not in logged and _national(number) not in logged, number
    assert re.search(r"\+?\d{10,}", logged.replace(" ", "")) is None or not any(n[1:] in logged.replace(" ", "") for n in NUMBERS)
    assert GP_NAME not in logged
    with app.app_context():
        assert db.session().scalar(select(CallbackRequest.id).where(CallbackRequest.id == request_id)) is not None
