"""The hotline as a GP and the seniors meet it: simulated calls through the real, signed webhooks.

Each scenario runs on SQLite and PostgreSQL. The app's clock follows the simulator's virtual clock,
so the call log's times are the simulated ones.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from calllog.models import AttemptResult, Call, CallbackStatus, CallOutcome, StatusEvent
from core import clock
from directory.models import GeneralPractitioner
from simulator import (
    Accepts,
    AnswersWithoutKey,
    Busy,
    Declines,
    FlaskTransport,
    HangUp,
    Key,
    Message,
    NoAnswer,
    Silence,
    Simulator,
    Speech,
    Voicemail,
)
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL, SWITCHBOARD
from tests.hospital import BACKUP, GP_KNOWN, GP_UNKNOWN, HEAD, NEURO_DIRECT, PRIMARY, build_hospital


@pytest.fixture
def hospital(session):
    return build_hospital(session, FIXED_NOW)


@pytest.fixture
def phone(app, session, hospital):
    """Place a simulated call and return (what the simulator saw, the call as logged)."""
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)

    def place(*, from_: str = GP_KNOWN, to: str = HOTLINE, **options):
        with clock.use_clock(simulator.now):
            result = simulator.call(from_=from_, to=to, **options)
        assert result.errors == [], result.transcript()
        assert result.warnings == [], result.transcript()
        session.rollback()  # see what the webhooks committed
        call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
        return result, call

    return place


def results(call: Call) -> list[tuple[str, AttemptResult | None]]:
    return [(a.number, a.result) for a in call.attempts]


def at(seconds: float | None):
    """The instant the log should show for a simulated second. Twilio's callback ``Timestamp`` has
    whole seconds and the log keeps the earliest report, hence the floor."""
    return None if seconds is None else FIXED_NOW + timedelta(seconds=int(seconds))


def test_happy_path_primary_accepts(phone):
    result, call = phone(gp=[Key("1", after=2.0)], callees={PRIMARY: Accepts(after=3, talk=120)})
    assert result.bridged_to == PRIMARY
    assert result.first_ring_at is not None and result.first_ring_at <= 6.0
    assert "Neurologie, je vous mets en relation." in result.heard_text
    whisper = " ".join(result.callee_heard[PRIMARY])
    # The directory keeps "Alice Renaud": the announcement gives her one title, "Dr".
    assert "Dr Alice Renaud, pour neurologie" in whisper and "Tapez 1 pour accepter" in whisper
    assert "docteur" not in whisper.lower()
    assert call.outcome is CallOutcome.CONNECTED
    assert results(call) == [(PRIMARY, AttemptResult.ACCEPTED)]
    attempt = call.attempts[0]
    assert attempt.layer == "primary" and attempt.ringing_at == call.first_ringing_at == at(result.first_ring_at)
    assert call.connected_at == attempt.accepted_at and call.connected_at is not None
    assert call.ended_at == at(result.ended_at)


def test_senior_sees_the_hotline_number_never_the_gp_number(phone):
    result, _ = phone(gp=[Key("1")], callees={PRIMARY: Accepts()})
    dial = next(r for r in result.requests if "<Dial" in r.body).body
    assert f'callerId="{HOTLINE}"' in dial and GP_KNOWN not in dial


def test_primary_no_answer_then_backup_accepts(phone):
    result, call = phone(gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2)})
    assert result.bridged_to == BACKUP
    assert "Pas de réponse, j'appelle un autre médecin." in result.heard_text
    assert results(call) == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.ACCEPTED)]
    assert [a.layer for a in call.attempts] == ["primary", "backup"]
    assert call.outcome is CallOutcome.CONNECTED


def test_voicemail_that_picks_up_is_a_miss_not_an_answer(phone):
    result, call = phone(gp=[Key("1")], callees={PRIMARY: Voicemail(after=8), BACKUP: Accepts()})
    assert result.bridged_to == BACKUP
    first = call.attempts[0]
    assert first.result is AttemptResult.NOT_ACCEPTED and first.answered_at is not None and first.accepted_at is None


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [(Busy(), AttemptResult.BUSY), (Declines(after=2), AttemptResult.DECLINED), (AnswersWithoutKey(after=2), AttemptResult.NOT_ACCEPTED)],
    ids=["busy", "declines", "answers-without-key"],
)
def test_each_kind_of_miss_moves_on_to_the_backup(phone, behaviour, expected):
    result, call = phone(gp=[Key("1")], callees={PRIMARY: behaviour, BACKUP: Accepts()})
    assert result.bridged_to == BACKUP
    assert results(call) == [(PRIMARY, expected), (BACKUP, AttemptResult.ACCEPTED)]


def test_everyone_misses_then_the_gp_records_a_callback_request(phone):
    result, call = phone(
        gp=[Key("1"), Key("1"), Message(seconds=12)],
        callees={PRIMARY: NoAnswer(), BACKUP: Busy(), HEAD: Voicemail(after=5)},
    )
    assert result.bridged_to is None
    assert "Aucun médecin n'a pu répondre." in result.heard_text
    assert "Votre message sera enregistré" in result.heard_text  # announced before recording
    assert [a.layer for a in call.attempts] == ["primary", "backup", "last_resort"]
    assert results(call) == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.BUSY), (HEAD, AttemptResult.NOT_ACCEPTED)]
    assert call.outcome is CallOutcome.CALLBACK_REQUESTED
    callback = call.callback
    assert callback.status is CallbackStatus.OPEN and callback.caller_e164 == GP_KNOWN and callback.gp_id == call.gp_id
    assert callback.specialty_id == call.specialty_id
    gp_message = next(r for r in result.recordings if r.leg == "gp")
    assert callback.recording_url == gp_message.url and callback.recording_seconds == 12


def test_silence_at_the_callback_offer_still_records_a_request(phone):
    _, call = phone(gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: NoAnswer(), HEAD: NoAnswer()})
    assert call.outcome is CallOutcome.CALLBACK_REQUESTED
    assert call.callback is not None and call.callback.recording_url is None


def test_nobody_on_duty_says_so_and_offers_a_callback(phone):
    result, call = phone(gp=[Key("2"), Key("1"), Message(seconds=5)])
    assert "Aucun médecin n'est de garde en cardiologie en ce moment." in result.heard_text
    assert result.first_ring_at is None and call.attempts == [] and call.hunt == []
    assert call.outcome is CallOutcome.CALLBACK_REQUESTED


def test_nobody_on_duty_and_the_gp_hangs_up(phone):
    _, call = phone(gp=[Key("2"), HangUp(after=1)])
    assert call.outcome is CallOutcome.NOBODY_ON_DUTY


def test_three_failed_tries_go_to_the_switchboard(phone):
    result, call = phone(gp=[Key("9"), Silence(), Speech("euh bonjour")], callees={SWITCHBOARD: Accepts(after=2, key=None)})
    assert result.heard_text.count("Je n'ai pas compris.") == 3
    assert result.bridged_to == SWITCHBOARD
    assert call.menu_failures == 3 and call.outcome is CallOutcome.SWITCHBOARD and call.specialty_id is None


def test_switchboard_that_does_not_answer_takes_a_message(phone):
    result, call = phone(gp=[Key("0"), Message(seconds=6)], callees={SWITCHBOARD: NoAnswer()})
    assert "Le standard ne répond pas." in result.heard_text
    assert call.outcome is CallOutcome.CALLBACK_REQUESTED and call.switchboard_at is not None


@pytest.mark.parametrize("said", ["Neurologie.", "la neuro s'il vous plaît", "un neurologue"])
def test_speech_picks_the_specialty(phone, hospital, said):
    result, call = phone(gp=[Speech(said, after=2.5)], callees={PRIMARY: Accepts()})
    assert call.specialty_id == hospital.neurology_id and result.bridged_to == PRIMARY


def test_english_on_request(phone):
    result, call = phone(gp=[Key("*", after=1), Key("1")], callees={PRIMARY: Accepts()})
    assert "Neurology, putting you through." in result.heard_text
    assert any(u.language == "en-GB" for u in result.utterances)
    assert call.language == "en" and result.bridged_to == PRIMARY
    # The senior's announcement stays in French, the hospital's working language.
    assert "pour neurologie" in " ".join(result.callee_heard[PRIMARY])


def test_direct_dial_number_skips_the_menu(phone):
    result, call = phone(to=NEURO_DIRECT, callees={PRIMARY: Accepts()})
    assert not result.requests_to("/twilio/menu")
    assert "Tapez 1" not in result.heard_text
    assert result.bridged_to == PRIMARY and call.outcome is CallOutcome.CONNECTED


@pytest.mark.parametrize("dial_action_after_hangup", [True, False], ids=["dial-action-sent", "no-dial-action"])
def test_caller_hangs_up_mid_hunt(phone, dial_action_after_hangup):
    result, call = phone(
        gp=[Key("1")], callees={PRIMARY: NoAnswer()}, hang_up_at=25.0, dial_action_after_caller_hangup=dial_action_after_hangup
    )
    assert result.bridged_to is None
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING
    assert results(call) == [(PRIMARY, AttemptResult.CALLER_HUNG_UP)]
    assert result.first_ring_at < 25.0 and call.ended_at == at(25.0)


def test_caller_hangs_up_in_the_menu(phone):
    _, call = phone(gp=[HangUp(after=1.5)])
    assert call.outcome is CallOutcome.ABANDONED_IN_MENU and call.ended_at == at(1.5)


@pytest.mark.parametrize("mode", ["duplicated", "reversed", "shuffled"])
def test_status_callbacks_duplicated_or_out_of_order_log_the_same(phone, session, mode):
    _, reference_call = phone(gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=4)})
    expected = [(a.number, a.result, a.ringing_at, a.answered_at, a.accepted_at) for a in reference_call.attempts]
    result, call = phone(gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=4)}, status_callbacks=mode, seed=7)
    assert [(a.number, a.result, a.ringing_at, a.answered_at, a.accepted_at) for a in call.attempts] == expected
    assert call.first_ringing_at == reference_call.first_ringing_at
    assert call.outcome is CallOutcome.CONNECTED and call.ended_at == at(result.ended_at)
    # Each distinct (CallSid, SequenceNumber) is stored once, however often it was delivered.
    distinct = {(r.params["CallSid"], r.params.get("SequenceNumber")) for r in result.status_callbacks}
    stored = session.scalar(select(func.count()).select_from(StatusEvent).where(StatusEvent.call_sid.in_({sid for sid, _ in distinct})))
    assert stored == len(distinct)


@pytest.mark.parametrize("kept_as", ["Dr Alice Renaud", "dr. Alice Renaud", "Docteur Alice Renaud"])
def test_a_gp_whose_name_carries_a_title_is_announced_with_one_title(phone, session, kept_as):
    gp = session.scalars(select(GeneralPractitioner).where(GeneralPractitioner.full_name == "Alice Renaud")).one()
    gp.full_name = kept_as
    session.commit()
    result, _ = phone(gp=[Key("1")], callees={PRIMARY: Accepts()})
    whisper = " ".join(result.callee_heard[PRIMARY])
    assert f"généralistes, {kept_as}, pour neurologie." in whisper
    assert "docteur dr" not in whisper.lower() and "docteur docteur" not in whisper.lower()


def test_unknown_gp_is_announced_by_the_last_digits_of_their_number(phone):
    result, call = phone(from_=GP_UNKNOWN, gp=[Key("1")], callees={PRIMARY: Accepts()})
    whisper = " ".join(result.callee_heard[PRIMARY])
    # Four digits are enough to recognise a number and far shorter to hear than all ten (issue 14).
    assert "un médecin dont le numéro finit par 0 2 9 9 pour neurologie." in whisper and "0 1 9 9 0" not in whisper
    assert call.gp_id is None


def test_hidden_number_is_announced_as_such(phone):
    result, call = phone(from_="anonymous", gp=[Key("1")], callees={PRIMARY: Accepts()})
    assert "numéro masqué" in " ".join(result.callee_heard[PRIMARY])
    assert call.caller == "anonymous" and call.caller_e164 is None and call.outcome is CallOutcome.CONNECTED


def test_at_the_handover_instant_only_the_incoming_senior_is_rung(phone):
    result, call = phone(gp=[Key("3")], callees={"+33199000121": Accepts()})
    assert [a.number for a in call.attempts] == ["+33199000121"]
    assert result.bridged_to == "+33199000121"


def test_gp_number_is_shown_to_the_senior_only_when_configured(make_app, session, hospital):
    app = make_app(SHOW_GP_NUMBER_TO_SENIOR="true")
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with clock.use_clock(simulator.now):
        result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: Accepts()})
    dial = next(r for r in result.requests if "<Dial" in r.body).body
    assert f'callerId="{GP_KNOWN}"' in dial and result.bridged_to == PRIMARY
