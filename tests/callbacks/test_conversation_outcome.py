"""What came of a conversation: once a bridged call ends, the senior who took it is asked by one SMS
(reply 1…6) or a signed, expiring one-tap page; the answer is stored on the call and counted in the
report by specialty and month. Simulated calls through the real webhooks, the scheduler's job, the real
Twilio client recorded."""

from __future__ import annotations

import html as markup
import re
from datetime import timedelta

from sqlalchemy import select

from calllog.models import Call, ConversationOutcome
from simulator import Accepts, FlaskTransport, Key, NoAnswer, Simulator
from tests.callbacks.test_callback_flow import sms_reply
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import BACKUP, GP_KNOWN, PRIMARY

LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"(/outcome/\S+)$")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def bridged_call(app, session, frozen_clock, callees) -> Call:
    session.rollback()
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees=callees)
    assert result.errors == [] and result.bridged_to is not None, result.transcript()
    session.rollback()
    return session.scalars(select(Call).where(Call.sid == result.call_sid)).one()


def test_the_senior_who_took_the_call_is_asked_once_and_answers_by_sms(app, session, hospital, job, client, twilio, fresh, frozen_clock):
    call = bridged_call(app, session, frozen_clock, {PRIMARY: NoAnswer(), BACKUP: Accepts(after=3, talk=240)})
    call_id = call.id
    job("callbacks")
    [question] = twilio.sms_to(BACKUP)
    assert question.startswith(
        "Recours : suite de l'appel de Dr Alice Renaud (neurologie) à 10:00 ? Répondez 1 conseil seul, 2 consultation programmée, "
        "3 créneau urgent réservé, 4 hospitalisation directe, 5 adressé aux urgences, 6 autre. Ou : "
    )
    assert LINK.search(question) and twilio.sms_to(PRIMARY) == []  # only the one who talked
    job("callbacks")
    assert len(twilio.sms_to(BACKUP)) == 1  # asked once

    help_text = "Recours : répondez par un chiffre, 1 conseil seul, 2 consultation programmée, 3 créneau urgent réservé, "
    assert sms_reply(client, BACKUP, "7").startswith(help_text)
    assert sms_reply(client, BACKUP, "euh, conseil").startswith(help_text)
    assert fresh(Call, call_id).conversation_outcome is None  # a bad reply changes nothing
    assert sms_reply(client, BACKUP, " 2 ") == "Recours : noté, consultation programmée. Merci."
    stored = fresh(Call, call_id)
    assert (stored.conversation_outcome, stored.conversation_via, stored.conversation_answered_at) == (
        ConversationOutcome.CONSULTATION,
        "sms",
        frozen_clock[0],
    )
    # Nothing left to answer: a digit says so; callback commands still work as before.
    assert sms_reply(client, BACKUP, "3").startswith("Recours : aucun appel de votre part n'attend de réponse.")
    assert sms_reply(client, BACKUP, "liste") == "Aucun rappel en cours pour vous."


def test_the_one_tap_page_needs_no_sign_in_shows_no_patient_data_and_expires(
    app, session, hospital, job, client, runner, twilio, fresh, frozen_clock
):
    call = bridged_call(app, session, frozen_clock, {PRIMARY: Accepts(after=2, talk=120)})
    call_id = call.id
    job("callbacks")
    [question] = twilio.sms_to(PRIMARY)
    path = LINK.search(question).group(1)

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = markup.unescape(html).replace("\u00a0", " ").replace("\u202f", " ")
    assert "Qu'est-il advenu de l'appel ?" in text and "hospitalisation directe" in text
    assert "Alice Renaud" not in html and GP_KNOWN not in html  # nothing about the call but the six answers
    token = CSRF.search(html).group(1)
    saved = client.post(path, data={"csrf_token": token, "outcome": "urgent_slot"})
    assert saved.status_code == 200 and "Noté : créneau urgent réservé. Merci." in markup.unescape(saved.get_data(as_text=True)).replace(
        "\u00a0", " "
    )
    assert fresh(Call, call_id).conversation_outcome is ConversationOutcome.URGENT_SLOT
    assert client.post(path, data={"csrf_token": token, "outcome": "nonsense"}).status_code == 422
    assert fresh(Call, call_id).conversation_via == "page"

    assert client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")).status_code == 404  # altered
    frozen_clock[0] += timedelta(days=7, seconds=1)
    expired = client.get(path)
    assert expired.status_code == 410 and "plus d'une semaine" in markup.unescape(expired.get_data(as_text=True))

    # The report counts it, by specialty and month.
    day = frozen_clock[0].date() - timedelta(days=7)
    result = runner.invoke(args=["report", "--from", day.isoformat(), "--to", day.isoformat(), "--table", "follow_up", "--csv"])
    assert result.exit_code == 0, result.output
    header, row = result.output.strip().splitlines()[:2]
    assert header.split(",")[:5] == ["month", "specialty", "connected", "advice only", "consultation booked"]
    assert row.split(",")[:6] == [day.strftime("%Y-%m"), "neurologie", "1", "0", "0", "1"]
