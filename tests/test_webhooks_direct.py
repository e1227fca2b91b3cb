"""Webhooks called directly with signed requests: signature enforcement and the failure paths."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from calllog.models import Call
from tests.conftest import AUTH_TOKEN, SWITCHBOARD, sign, signed_post
from tests.hospital import GP_KNOWN, build_hospital
from tests.statements import statements_of_this_thread

CALL = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": GP_KNOWN, "To": "+33199000000", "CallStatus": "ringing"}


def _calls(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Call))


@pytest.fixture
def hospital(session, frozen_clock):
    return build_hospital(session, frozen_clock[0])


def test_signed_incoming_call_gets_the_french_menu(client, session, hospital):
    response = signed_post(client, "/twilio/voice", CALL)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)
    gather = root.find("Gather")
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "fr-FR"
    assert "neurologie, tapez 1" in gather.find("Say").text
    assert _calls(session) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        {"X-Twilio-Signature": sign("https://recours.example.org/twilio/voice", CALL, token="another-account-token")},
        # Signed for http while Twilio (and our public base URL) use https.
        {"X-Twilio-Signature": sign("http://recours.example.org/twilio/voice", CALL)},
    ],
    ids=["unsigned", "garbage", "other-token", "wrong-scheme"],
)
def test_forged_or_unsigned_requests_are_refused_and_change_nothing(client, session, hospital, headers):
    response = client.post("/twilio/voice", data=CALL, headers=headers)
    assert response.status_code == 403
    assert _calls(session) == 0


def test_a_tampered_parameter_breaks_the_signature(client, session, hospital):
    signature = sign("https://recours.example.org/twilio/voice", CALL)
    response = client.post("/twilio/voice", data={**CALL, "From": "+33600000000"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert _calls(session) == 0


def test_no_token_configured_refuses_everything(make_app, hospital):
    app = make_app(TWILIO_AUTH_TOKEN="")
    response = signed_post(app.test_client(), "/twilio/voice", CALL)
    assert response.status_code == 403


def test_secondary_token_is_accepted_during_rotation(make_app, hospital):
    app = make_app(TWILIO_AUTH_TOKEN="new-token", TWILIO_AUTH_TOKEN_SECONDARY=AUTH_TOKEN)
    assert signed_post(app.test_client(), "/twilio/voice", CALL).status_code == 200
    assert signed_post(app.test_client(), "/twilio/voice", {**CALL, "CallSid": "CA" + "2" * 32}, token="new-token").status_code == 200


def test_fallback_url_connects_to_the_switchboard_and_journals_the_error(app, client, session, hospital, caplog):
    from calllog import writer

    response = signed_post(
        client, "/twilio/fallback", {**CALL, "ErrorCode": "11200", "ErrorUrl": "https://recours.example.org/twilio/menu"}
    )
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    assert root.find("Dial").text == SWITCHBOARD
    assert "Twilio fallback for call " + CALL["CallSid"] + ": error 11200" in caplog.text
    # The view itself never waits on the database: the note is stored by the journal's writer.
    session.rollback()
    writer.writer_of(app).drain()
    call = session.scalars(select(Call)).one()
    assert "11200" in call.error and call.switchboard_at is not None


def test_database_down_still_answers_switchboard_twiml(make_app, hospital, caplog):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = signed_post(app.test_client(), "/twilio/voice", CALL)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    assert root.find("Dial").text == SWITCHBOARD
    assert root.find("Dial").get("action") == "https://recours.example.org/twilio/fallback-switchboard"
    # If the switchboard does not answer, a message is still taken — without the database either.
    missed = ElementTree.fromstring(
        signed_post(app.test_client(), "/twilio/fallback-switchboard", {**CALL, "DialCallStatus": "no-answer"}).data
    )
    assert missed.find("Record") is not None and missed.find("Dial") is None
    answered = ElementTree.fromstring(
        signed_post(app.test_client(), "/twilio/fallback-switchboard", {**CALL, "DialCallStatus": "completed"}).data
    )
    assert [child.tag for child in answered] == ["Hangup"]
    assert "sending the caller to the switchboard" in caplog.text


def test_a_bug_in_the_flow_answers_switchboard_twiml(client, session, hospital, monkeypatch):
    from ivr import flow

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(flow, "menu_input", broken)
    response = signed_post(client, "/twilio/menu", {**CALL, "Digits": "1"})
    assert ElementTree.fromstring(response.data).find("Dial").text == SWITCHBOARD
    session.rollback()
    assert "RuntimeError: a bug" in session.scalars(select(Call)).one().error


def test_a_failure_on_the_seniors_leg_hangs_up_instead_of_dialling_the_switchboard(client, session, hospital, monkeypatch):
    # Only Say/Play/Gather/Hangup are allowed on the senior's leg: the switchboard Dial would be an error.
    from ivr import flow

    signed_post(client, "/twilio/voice", CALL)
    signed_post(client, "/twilio/menu", {**CALL, "Digits": "1"})

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in the announcement")

    monkeypatch.setattr(flow, "screen", broken)
    leg = {"CallSid": "CA" + "9" * 32, "ParentCallSid": CALL["CallSid"], "From": "+33199000000", "To": "+33199000101"}
    response = signed_post(client, "/twilio/screen?rank=0", leg)
    root = ElementTree.fromstring(response.data)
    assert [child.tag for child in root] == ["Hangup"]


def _routing_from_memory(app) -> None:
    from routing.snapshot import keeper_of

    with app.app_context():
        assert keeper_of(app).refresh() is not None  # as an instance that has served a while


def test_a_calls_first_webhook_writes_its_row_in_one_statement_outside_a_transaction(app, client, session, hospital):
    """The greeting's whole write is the upsert of the call's row: on PostgreSQL it runs on a connection
    in autocommit (one round trip, no BEGIN or COMMIT sent); on SQLite in the webhook's transaction.
    Either way the row is in the log when Twilio has the menu, and nothing else was written."""
    _routing_from_memory(app)
    with statements_of_this_thread(app) as statements:
        response = signed_post(client, "/twilio/voice", CALL)
    assert response.status_code == 200 and b"<Gather" in response.data
    if app.extensions["recours.db"].autocommit_engine is not None:
        assert [(s.words, s.autocommit) for s in statements] == [("INSERT INTO call", True)]  # its own transaction
    else:
        assert [s.words for s in statements] == ["BEGIN IMMEDIATE", "INSERT INTO call"]
    assert _calls(session) == 1


def test_the_menu_choice_writes_the_specialty_and_the_dial_in_one_statement_on_postgresql(app, client, session, hospital):
    """The GP's key: the specialty, its hunt list and the first Dial. On PostgreSQL one statement in
    autocommit (the call's upsert carrying the specialty, the attempt inserted from it in a WITH clause);
    on SQLite three in one transaction. The log holds the same either way."""
    from calllog.models import Attempt

    _routing_from_memory(app)
    menu = ElementTree.fromstring(signed_post(client, "/twilio/voice", CALL).data).find("Gather").get("action")
    action = urlsplit(menu)
    with statements_of_this_thread(app) as statements:
        response = signed_post(client, f"{action.path}?{action.query}", {**CALL, "Digits": "1"})
    assert ElementTree.fromstring(response.data).find("Dial") is not None
    if app.extensions["recours.db"].autocommit_engine is not None:
        assert [(s.words, s.autocommit) for s in statements] == [("WITH opened_call AS", True)]
    else:
        assert [s.words for s in statements] == ["BEGIN IMMEDIATE", "INSERT INTO call", "UPDATE call SET", "INSERT INTO attempt"]
    session.rollback()
    call = session.scalars(select(Call).where(Call.sid == CALL["CallSid"])).one()
    assert call.specialty_id is not None and call.hunt
    attempts = session.scalars(select(Attempt).where(Attempt.call_id == call.id)).all()
    assert [(a.rank, a.senior_id) for a in attempts] == [(0, call.hunt[0]["senior_id"])]


def test_the_gp_s_status_callbacks_write_in_one_statement_each_on_postgresql(app, client, session, hospital):
    """The GP's call answered, then ended during the hunt, the end delivered twice. On PostgreSQL each
    callback is one statement in autocommit (the status event, and only if it is new, the call moved
    on: its rank, or its end, its outcome and the attempt left ringing); on SQLite a transaction."""
    from calllog.models import Attempt, AttemptResult, CallOutcome, StatusEvent

    _routing_from_memory(app)
    action = urlsplit(ElementTree.fromstring(signed_post(client, "/twilio/voice", CALL).data).find("Gather").get("action"))
    signed_post(client, f"{action.path}?{action.query}", {**CALL, "Digits": "1"})
    ended = {**CALL, "CallStatus": "completed", "SequenceNumber": "3", "Timestamp": "Tue, 10 Mar 2026 09:01:00 +0000"}
    deliveries = [{**CALL, "CallStatus": "in-progress", "SequenceNumber": "1"}, ended, ended]
    sent = []
    for form in deliveries:
        with statements_of_this_thread(app) as statements:
            assert signed_post(client, "/twilio/status", form).status_code == 200
        sent.append([(s.words, s.autocommit) for s in statements])
    if app.extensions["recours.db"].autocommit_engine is not None:
        assert sent == [[("WITH received AS", True)]] * 3
    else:
        assert [words for words, _ in sent[1]][:2] == ["BEGIN IMMEDIATE", "INSERT INTO status_event"]
    session.rollback()
    call = session.scalars(select(Call).where(Call.sid == CALL["CallSid"])).one()
    assert call.status_rank == 4 and call.ended_at is not None
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING
    attempts = session.scalars(select(Attempt).where(Attempt.call_id == call.id)).all()
    assert [a.result for a in attempts] == [AttemptResult.CALLER_HUNG_UP] and attempts[0].ended_at == call.ended_at
    assert len(session.scalars(select(StatusEvent).where(StatusEvent.call_sid == CALL["CallSid"])).all()) == 2
