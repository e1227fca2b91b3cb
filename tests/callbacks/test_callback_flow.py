"""A callback request from the GP's call to the senior's callback call, through signed webhooks, the
simulator and the scheduler's job, with the real Twilio client recorded."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from sqlalchemy import select

from callbacks.models import CallbackCall
from calllog.models import CallbackRequest, CallbackStatus
from notify.models import MessageStatus, OutboundMessage
from simulator import Accepts, FlaskTransport, Key, Simulator, Voicemail
from tests.callbacks.support import ACCOUNT, API
from tests.conftest import AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, signed_post
from tests.hospital import BACKUP, GP_KNOWN, HEAD, PRIMARY


def sms_reply(client, sender: str, body: str) -> str | None:
    """What Recours answers to an SMS from ``sender`` (None: no answer at all)."""
    response = signed_post(
        client, "/twilio/sms", {"MessageSid": "SM" + "9" * 32, "AccountSid": ACCOUNT, "From": sender, "To": HOTLINE, "Body": body}
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    message = ElementTree.fromstring(response.data).find("Message")
    return None if message is None else message.text


def test_the_seniors_on_duty_get_one_sms_with_the_code_and_deadline_once_the_call_ended(
    hospital, gp_call, job, twilio, fresh, rows, frozen_clock
):
    rid = gp_call()
    job("callbacks")
    request = fresh(CallbackRequest, rid)
    code = request.code
    assert code is not None and len(code) == 4 and code.isdigit()
    assert request.announced_at == frozen_clock[0]
    assert request.deadline_at == request.requested_at + timedelta(minutes=60)

    expected = (
        f"Recours : rappel demandé par Dr Alice Renaud (neurologie), code {code}, avant 11:00. "
        f"R {code} pour être mis en relation, OK {code} pour le prendre en charge."
    )
    assert twilio.sms_to(PRIMARY) == [expected] and twilio.sms_to(BACKUP) == [expected]
    assert twilio.sms_to(HEAD) == []  # the head is for escalation, not for every request
    first = twilio.requests[0]
    [message] = rows(select(OutboundMessage).where(OutboundMessage.recipient == first.data["To"]))
    message_id = message.id
    assert first.method == "POST" and first.url == f"{API}/Messages.json" and first.auth == (ACCOUNT, AUTH_TOKEN)
    assert first.data == {
        "To": first.data["To"],
        "From": HOTLINE,
        "Body": expected,
        "StatusCallback": f"{PUBLIC_BASE_URL}/twilio/sms-status?message={message_id}",
    }
    assert "Recording" not in expected and "RE" not in expected.replace("Recours", "")  # no message, no patient data

    job("callbacks")
    frozen_clock[0] += timedelta(minutes=5)
    job("callbacks")
    assert len(twilio.sms()) == 2  # idempotent: nobody hears twice


def test_a_request_is_announced_when_its_call_ends_not_while_the_gp_records(hospital, client, job, twilio, fresh, rows, frozen_clock):
    call = {"CallSid": "CA" + "7" * 32, "AccountSid": ACCOUNT, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(client, "/twilio/voice", call)
    signed_post(client, "/twilio/menu", {**call, "Digits": "1"})
    for rank in range(3):  # primary, backup, head: nobody answers
        signed_post(client, f"/twilio/dial-result?rank={rank}", {**call, "DialCallStatus": "no-answer"})
    signed_post(client, "/twilio/callback-choice", {**call, "Digits": "1"})  # the request exists from here
    job("callbacks")
    [request] = rows(select(CallbackRequest))
    assert request.announced_at is None and twilio.sms() == []

    signed_post(
        client,
        "/twilio/recording",
        {**call, "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingSid": "RE" + "1" * 32, "RecordingDuration": "30"},
    )
    job("callbacks")
    assert fresh(CallbackRequest, request.id).announced_at is not None
    assert len(twilio.sms()) == 2


def test_a_call_whose_end_was_never_reported_is_announced_after_the_longest_message(
    hospital, client, job, twilio, fresh, rows, frozen_clock
):
    call = {"CallSid": "CA" + "8" * 32, "AccountSid": ACCOUNT, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(client, "/twilio/voice", call)
    signed_post(client, "/twilio/menu", {**call, "Digits": "1"})
    for rank in range(3):
        signed_post(client, f"/twilio/dial-result?rank={rank}", {**call, "DialCallStatus": "no-answer"})
    signed_post(client, "/twilio/callback-choice", {**call, "Digits": "1"})
    frozen_clock[0] += timedelta(seconds=120 + 59)
    job("callbacks")
    assert twilio.sms() == []
    frozen_clock[0] += timedelta(seconds=1)
    job("callbacks")
    assert len(twilio.sms()) == 2


def test_a_specialty_deadline_set_from_the_cli_applies_to_new_requests(hospital, runner, french_cli, session, gp_call, job, fresh, rows):
    result = runner.invoke(args=["callbacks", "deadline", "neurology", "30"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["callbacks", "deadline", "neurologie"]).output.strip() == "neurology: 30 min"
    rid = gp_call()
    job("callbacks")
    request = fresh(CallbackRequest, rid)
    assert request.deadline_at == request.requested_at + timedelta(minutes=30)
    refused = runner.invoke(args=["callbacks", "deadline", "neurology", "2"])
    assert refused.exit_code != 0 and "a callback deadline is between 5 minutes and 24 hours" in refused.output
    session.rollback()  # (the refused command's transaction: SQLite's write lock, for the other app below)
    refused = french_cli("callbacks", "deadline", "neurology", "2")  # found by its code, said in French
    assert refused.exit_code != 0 and "Un délai de rappel est compris entre 5 minutes et 24 heures." in refused.output
    runner.invoke(args=["callbacks", "deadline", "neurology", "--default"])
    assert "60 min (default)" in runner.invoke(args=["callbacks", "deadline", "neurology"]).output


def test_a_senior_acknowledges_by_sms_and_a_colleague_is_told_who_has_it(hospital, gp_call, job, client, fresh, rows, frozen_clock):
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    frozen_clock[0] += timedelta(minutes=4)
    assert sms_reply(client, PRIMARY, f"ok {code}") == f"Rappel {code} pris en charge. R {code} pour être mis en relation avec le médecin."
    assert sms_reply(client, PRIMARY, f"OK{code}").startswith(f"Rappel {code} pris en charge")  # idempotent
    assert (
        sms_reply(client, BACKUP, code)
        == f"Rappel {code} déjà pris en charge par Dr Claire Martin à 10:04. R {code} pour rappeler quand même."
    )
    request = fresh(CallbackRequest, rid)
    assert request.acknowledged_at == frozen_clock[0] and request.acknowledged_by_senior_id == hospital.primary_id
    assert request.status is CallbackStatus.OPEN  # acknowledged is not called back


def test_sms_replies_that_cannot_act(hospital, gp_call, job, client, fresh, rows):
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    assert sms_reply(client, "+33199000555", f"OK {code}") is None  # not a senior: no answer at all
    assert sms_reply(client, HEAD, f"OK {code}") == f"Le rappel {code} ne vous a pas été adressé."
    assert sms_reply(client, PRIMARY, "OK 99999") == "Aucun rappel en cours avec le code 99999."
    assert sms_reply(client, PRIMARY, "bonjour").startswith("Recours : OK <code> pour prendre en charge")
    assert sms_reply(client, PRIMARY, "liste") == f"Rappels en cours : {code} neurologie avant 11:00."
    assert sms_reply(client, PRIMARY, "ok") == f"Rappel {code} pris en charge. R {code} pour être mis en relation avec le médecin."
    assert fresh(CallbackRequest, rid).acknowledged_by_senior_id == hospital.primary_id


def test_an_unsigned_sms_is_refused(hospital, client, fresh, rows):
    response = client.post("/twilio/sms", data={"From": PRIMARY, "Body": "OK 1234"})
    assert response.status_code == 403


def callback_call_simulator(app, frozen_clock, rest_call: dict) -> Simulator:
    """Twilio's side of the outbound call created by ``rest_call`` (the recorded calls.create): the
    simulator places it to the senior and fetches its ``Url`` once the senior answers."""
    return Simulator(
        FlaskTransport(app),
        public_base_url=PUBLIC_BASE_URL,
        auth_token=AUTH_TOKEN,
        voice_url=rest_call["Url"],
        status_callback_url=rest_call["StatusCallback"],
        fallback_url=None,
        start=frozen_clock[0],
    )


def test_r_code_rings_the_senior_then_bridges_the_gp_with_the_hotline_number(
    app, hospital, gp_call, job, client, twilio, fresh, rows, frozen_clock
):
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    frozen_clock[0] += timedelta(minutes=12)
    reply = sms_reply(client, BACKUP, f"R {code}")
    assert reply == f"Recours vous appelle pour le rappel {code} : décrochez, puis tapez 1 pour joindre le médecin."

    [rest_call] = twilio.calls()
    [callback_call] = rows(select(CallbackCall))
    assert rest_call == {
        "To": BACKUP,
        "From": HOTLINE,
        "Url": f"{PUBLIC_BASE_URL}/twilio/callback-call?cc={callback_call.id}",
        "Method": "POST",
        "StatusCallback": f"{PUBLIC_BASE_URL}/twilio/callback-call/status?cc={callback_call.id}&leg=senior",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": "POST",
        "Timeout": 25,
    }

    result = callback_call_simulator(app, frozen_clock, rest_call).call(
        from_=HOTLINE, to=BACKUP, gp=[Key("1")], callees={GP_KNOWN: Accepts(after=4, talk=90)}
    )
    assert result.errors == [] and result.warnings == [], result.transcript()
    heard = result.heard_text
    assert f"Rappel {' '.join(code)}, demandé par Dr Alice Renaud, pour neurologie." in heard
    assert "Pour écouter son message, tapez 2." in heard
    assert result.bridged_to == GP_KNOWN
    whisper = " ".join(result.callee_heard[GP_KNOWN])
    assert "le service de neurologie vous rappelle. Tapez 1 pour prendre l'appel." in whisper
    dial = next(r for r in result.requests if "/callback-call/choice" in r.url)
    assert f'callerId="{HOTLINE}"' in dial.body

    request = fresh(CallbackRequest, rid)
    assert request.status is CallbackStatus.DONE
    assert request.done_by_senior_id == hospital.backup_id and request.done_via == "callback_call"
    assert request.done_at == frozen_clock[0]
    callback_call = fresh(CallbackCall, callback_call.id)
    assert (
        callback_call.bridged_at == frozen_clock[0]
        and callback_call.senior_status == "completed"
        and callback_call.gp_status == "completed"
    )
    assert sms_reply(client, PRIMARY, f"OK {code}") == f"Rappel {code} déjà fait par Dr Hugo Bernard à 10:12."


def test_the_gps_voicemail_does_not_count_as_called_back(app, hospital, gp_call, job, client, twilio, fresh, rows, frozen_clock):
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    sms_reply(client, PRIMARY, f"R {code}")
    [rest_call] = twilio.calls()
    result = callback_call_simulator(app, frozen_clock, rest_call).call(
        from_=HOTLINE, to=PRIMARY, gp=[Key("1")], callees={GP_KNOWN: Voicemail()}
    )
    assert result.errors == [], result.transcript()
    assert result.bridged_to is None
    assert f"Le médecin n'a pas pris l'appel. Le rappel reste à faire : répondez R {' '.join(code)} pour réessayer." in result.heard_text
    request = fresh(CallbackRequest, rid)
    assert request.status is CallbackStatus.OPEN and request.acknowledged_by_senior_id == hospital.primary_id


def test_the_senior_can_hear_the_gps_message_before_calling(app, hospital, gp_call, job, client, twilio, fresh, rows, frozen_clock):
    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    sms_reply(client, PRIMARY, f"R {code}")
    [rest_call] = twilio.calls()
    result = callback_call_simulator(app, frozen_clock, rest_call).call(
        from_=HOTLINE, to=PRIMARY, gp=[Key("2"), Key("1")], callees={GP_KNOWN: Accepts()}
    )
    assert result.errors == [], result.transcript()
    played = next(r for r in result.requests if "/callback-call/choice" in r.url).body
    assert "<Play>https://api.twilio.com/2010-04-01/Accounts/" in played
    assert result.bridged_to == GP_KNOWN
    assert fresh(CallbackRequest, rid).status is CallbackStatus.DONE


def test_a_failed_call_start_is_retried_once_then_shown_to_the_administrator(
    hospital, gp_call, job, client, twilio, runner, fresh, rows, frozen_clock
):
    from tests.callbacks.support import twilio_error

    rid = gp_call()
    job("callbacks")
    code = fresh(CallbackRequest, rid).code
    twilio.then(twilio_error(503, 20503, "Service unavailable"))
    assert (
        sms_reply(client, PRIMARY, f"R {code}")
        == f"Recours n'a pas pu vous appeler tout de suite pour le rappel {code} ; nouvel essai dans la minute."
    )
    twilio.then(twilio_error(503, 20503, "Service unavailable"))
    frozen_clock[0] += timedelta(minutes=1)
    job("callbacks")
    assert len(twilio.calls()) == 2
    [message] = rows(select(OutboundMessage).where(OutboundMessage.purpose == "callback_call"))
    assert message.status is MessageStatus.FAILED and message.attempts == 2
    output = runner.invoke(args=["notifications", "failed"]).output
    assert f"#{message.id}" in output and "Twilio 503 error 20503" in output


def test_a_gp_with_a_hidden_number_can_only_be_heard_not_rung(app, hospital, client, job, twilio, fresh, rows, frozen_clock):
    call = {"CallSid": "CA" + "6" * 32, "AccountSid": ACCOUNT, "From": "anonymous", "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(client, "/twilio/voice", call)
    signed_post(client, "/twilio/menu", {**call, "Digits": "1"})
    for rank in range(3):
        signed_post(client, f"/twilio/dial-result?rank={rank}", {**call, "DialCallStatus": "no-answer"})
    signed_post(client, "/twilio/callback-choice", {**call, "Digits": "1"})
    recording = {
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE3",
        "RecordingSid": "RE" + "3" * 32,
        "RecordingDuration": "40",
    }
    signed_post(client, "/twilio/recording", {**call, **recording})
    job("callbacks")
    [request] = rows(select(CallbackRequest))
    code = request.code
    assert twilio.sms_to(PRIMARY) == [
        f"Recours : rappel demandé par un médecin au numéro masqué (neurologie), code {code}, avant 11:00. "
        f"Numéro masqué : R {code} pour écouter son message, OK {code} pour le prendre en charge."
    ]
    sms_reply(client, PRIMARY, f"R {code}")
    [rest_call] = twilio.calls()
    result = callback_call_simulator(app, frozen_clock, rest_call).call(from_=HOTLINE, to=PRIMARY, gp=[Key("1")])
    assert "Le numéro du médecin est masqué : Recours ne peut pas le rappeler. Pour écouter son message, tapez 2." in result.heard_text
    assert "Rappel non lancé." in result.heard_text and result.bridged_to is None
    assert fresh(CallbackRequest, request.id).status is CallbackStatus.OPEN


def test_a_request_without_specialty_goes_to_the_configured_numbers(make_app, smtp_server, session, job, twilio, frozen_clock):
    from tests.callbacks.conftest import live_settings

    app = make_app(**live_settings(smtp_server.port, CALLBACK_UNROUTED_NUMBERS="01 99 00 00 77"))
    client = app.test_client()
    call = {"CallSid": "CA" + "4" * 32, "AccountSid": ACCOUNT, "From": GP_KNOWN, "To": HOTLINE, "CallStatus": "in-progress"}
    signed_post(client, "/twilio/fallback", {**call, "ErrorCode": "11200", "ErrorUrl": f"{PUBLIC_BASE_URL}/twilio/menu"})
    signed_post(
        client,
        "/twilio/recording",
        {**call, "RecordingUrl": "https://api.twilio.com/x/RE4", "RecordingSid": "RE" + "4" * 32, "RecordingDuration": "9"},
    )
    session.rollback()
    with app.app_context():
        from scheduler.jobs import run_job

        assert run_job("callbacks") == "ok"
    [body] = twilio.sms_to("+33199000077")
    assert body.startswith("Recours : rappel demandé par ") and "sans spécialité choisie" in body


def test_seniors_who_missed_a_screened_call_can_be_told(make_app, smtp_server, hospital, session, twilio, frozen_clock):
    from scheduler.jobs import run_job
    from simulator import Declines
    from tests.callbacks.conftest import live_settings

    app = make_app(**live_settings(smtp_server.port, NOTIFY_MISSED_CALLS="true"))
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=frozen_clock[0])
    session.rollback()
    simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: Voicemail(), BACKUP: Declines(), HEAD: Accepts()})
    with app.app_context():
        assert run_job("callbacks") == "ok"
        assert run_job("callbacks") == "ok"
    assert twilio.sms_to(PRIMARY) == ["Recours : appel manqué de la ligne des généralistes (neurologie) à 10:00. Un collègue a répondu."]
    assert twilio.sms_to(BACKUP) == []  # declining is not missing
    # The head took the call: no missed-call notice, only the question of what came of it.
    [question] = twilio.sms_to(HEAD)
    assert question.startswith("Recours : suite de l'appel de Dr Alice Renaud (neurologie)")


def test_a_request_can_be_closed_by_hand(hospital, gp_call, job, runner, fresh):
    rid = gp_call()
    job("callbacks")
    result = runner.invoke(args=["callbacks", "done", str(rid)])
    assert result.exit_code == 0, result.output
    request = fresh(CallbackRequest, rid)
    assert request.status is CallbackStatus.DONE and request.done_via == "manual" and request.done_by_senior_id is None
    assert runner.invoke(args=["callbacks", "done", str(rid)]).exit_code != 0
    assert "no open callback request" in runner.invoke(args=["callbacks", "list"]).output
    assert "by hand via manual" in runner.invoke(args=["callbacks", "list", "--all"]).output


def test_a_senior_whose_account_is_in_english_gets_their_sms_in_english(hospital, gp_call, job, client, twilio, session, frozen_clock):
    """SMS speak the senior's language (their web account's), the others stay in the hotline's French."""
    from accounts.models import Role, User

    session.add(
        User(
            email="hugo.bernard@hopital.example.org",
            full_name="Dr Hugo Bernard",
            role=Role.SENIOR,
            senior_id=hospital.backup_id,
            language="en",
            password_hash="-",
            created_at=frozen_clock[0],
        )
    )
    session.commit()
    gp_call()
    job("callbacks")
    [english] = twilio.sms_to(BACKUP)
    assert english.startswith("Recours: callback asked for by Dr Alice Renaud (neurology), code ") and "before 11:00" in english
    [french] = twilio.sms_to(PRIMARY)
    assert french.startswith("Recours : rappel demandé par Dr Alice Renaud (neurologie)")
    assert "\u00a0" not in french and "«" not in french  # kept to the GSM alphabet: one or two segments
    assert sms_reply(client, BACKUP, "list").startswith("Open callbacks: ")
    assert sms_reply(client, PRIMARY, "liste").startswith("Rappels en cours : ")
