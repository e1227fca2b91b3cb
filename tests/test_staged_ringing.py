"""Staged ringing: the GP waits in a conference, the primary's REST leg rings alone for S seconds, then
the backup's joins; the first senior to accept is bridged and the other leg cancelled. Simulated calls
through the real, signed webhooks, with the app's real Twilio client talking to the simulator's REST API.
Sequential ringing stays the default (tests/test_hotline_scenarios.py runs unchanged)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from calllog import writer
from calllog.models import AttemptResult, Call, CallOutcome
from core import clock
from core.actor import SYSTEM
from notify.providers import use_twilio_http_client
from ringing.operations import RingingError, set_ringing
from routing.snapshot import keeper_of
from simulator import Accepts, Busy, Defers, FlaskTransport, Key, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL
from tests.hospital import BACKUP, GP_KNOWN, HEAD, PRIMARY, build_hospital

S = 8


@pytest.fixture
def hospital(session):
    return build_hospital(session, FIXED_NOW)


@pytest.fixture
def staged_app(make_app, session, hospital):
    app = make_app(NOTIFY_BACKEND="live")
    set_ringing(session, SYSTEM, hospital.neurology_id, "staged", S, FIXED_NOW)
    session.commit()
    return app


@pytest.fixture
def phone(staged_app, session):
    def place(**options):
        simulator = Simulator(FlaskTransport(staged_app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
        with clock.use_clock(simulator.now), use_twilio_http_client(lambda: simulator.rest):
            result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1", after=1.0)], **options)
        assert result.errors == [] and result.warnings == [], result.transcript()
        session.rollback()
        call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
        return simulator, result, call

    return place


def menu_key_at(result) -> float:
    [menu] = result.requests_to("/twilio/menu")
    return menu.t


def test_a_primary_who_never_answers_the_backup_rings_at_s_and_the_gp_reaches_a_human_within_30_s(phone):
    simulator, result, call = phone(callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=4, talk=60, key_after=3)})

    primary, backup = result.leg(PRIMARY), result.leg(BACKUP)
    assert primary.direction == backup.direction == "outbound-api"
    [room] = result.conferences
    gp_waits_from = next(t for t, name, who in room.events if name == "participant-join" and who == "gp")
    assert primary.ringing_at == gp_waits_from and backup.ringing_at == pytest.approx(gp_waits_from + S)
    assert result.bridged_to == BACKUP and room.joined() == ["gp", BACKUP]
    assert result.connected_at - menu_key_at(result) <= 30
    # The primary rang until the backup accepted, then Recours cancelled it.
    assert (primary.status, primary.ended_by_api, primary.ended_at) == ("canceled", True, result.connected_at)
    assert call.outcome is CallOutcome.CONNECTED
    assert [(a.number, a.result) for a in call.attempts] == [(PRIMARY, AttemptResult.CANCELLED), (BACKUP, AttemptResult.ACCEPTED)]
    assert (call.attempts[1].started_at - call.attempts[0].started_at).total_seconds() == pytest.approx(S)
    assert result.callee_heard[BACKUP][0].startswith("Appel de la ligne des généralistes, Dr A")  # pressed 1 3 s in
    cancels = [r for r in simulator.rest.requests if r.value("Status") == "canceled"]
    assert [r.path.rsplit("/", 1)[-1] for r in cancels] == [f"{call.attempts[0].child_sid}.json"]


def test_both_accept_at_once_exactly_one_is_bridged_the_other_cancelled(phone):
    # The backup answers exactly when the primary does, S seconds later for it: both press 1 at once.
    _simulator, result, call = phone(
        callees={PRIMARY: Accepts(after=S + 4, talk=30, key_after=2), BACKUP: Accepts(after=4, talk=30, key_after=2)}
    )

    [room] = result.conferences
    assert len([who for who in room.joined() if who != "gp"]) == 1
    keys = result.requests_to("/twilio/staged/screen-answer")
    assert keys and {k.t for k in keys} == {keys[0].t}
    assert result.bridged_to in (PRIMARY, BACKUP)
    other = BACKUP if result.bridged_to == PRIMARY else PRIMARY
    assert result.leg(other).status == "completed" and not result.leg(other).bridged
    by_number = {a.number: a.result for a in call.attempts}
    assert by_number == {result.bridged_to: AttemptResult.ACCEPTED, other: AttemptResult.CANCELLED}
    assert call.outcome is CallOutcome.CONNECTED and call.connected_at is not None


def test_nobody_answers_then_the_head_alone_then_the_callback_offer(phone):
    _simulator, result, call = phone(callees={PRIMARY: NoAnswer(), BACKUP: Busy(), HEAD: NoAnswer()})

    assert [a.number for a in call.attempts] == [PRIMARY, BACKUP, HEAD]
    assert [a.result for a in call.attempts] == [AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.NO_ANSWER]
    # The head rang only once both had ended, and the GP was moved on to the callback offer.
    assert result.leg(HEAD).ringing_at >= result.leg(PRIMARY).ended_at
    assert "Aucun médecin n'a pu répondre." in result.heard_text
    assert call.outcome is CallOutcome.CALLBACK_REQUESTED and call.callback is not None


def test_a_deferral_in_staged_ringing_moves_the_gp_to_the_promise(phone):
    _simulator, result, call = phone(callees={PRIMARY: Defers(after=3, key_after=2), BACKUP: NoAnswer()})

    assert "Le Dr Claire Martin, neurologie, vous rappelle dans les 20 minutes." in result.heard_text
    assert call.outcome is CallOutcome.DEFERRED and call.callback.promised_by_senior_id is not None
    results = {a.number: a.result for a in call.attempts}
    assert results[PRIMARY] is AttemptResult.DEFERRED and results.get(BACKUP) in (None, AttemptResult.CANCELLED)


def test_the_gp_hanging_up_stops_the_phones_still_ringing(phone):
    _simulator, result, call = phone(callees={PRIMARY: NoAnswer(), BACKUP: NoAnswer()}, hang_up_at=14)
    assert result.leg(PRIMARY).ended_at == result.leg(BACKUP).ended_at == 14
    assert {a.result for a in call.attempts} == {AttemptResult.CANCELLED}
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING


def test_with_the_log_written_behind_a_gp_who_hangs_up_is_not_followed_by_the_next_senior(make_app, session, hospital, monkeypatch):
    """CALLLOG_WRITE_BEHIND, with the journal's writer as late as it can be (it applies nothing until
    the call is over). The legs' callbacks read the GP's end from the log: it is stored in the request
    (after the facts journaled before it), so the head is never rung for a GP who has left (seen 6
    times in 8 runs while it was journaled)."""
    app = make_app(NOTIFY_BACKEND="live", CALLLOG_WRITE_BEHIND="true")
    set_ringing(session, SYSTEM, hospital.neurology_id, "staged", S, FIXED_NOW)
    session.commit()
    monkeypatch.setattr(writer.JournalWriter, "start", lambda _self: None)
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    callees = {PRIMARY: NoAnswer(), BACKUP: NoAnswer(), HEAD: NoAnswer()}
    with clock.use_clock(simulator.now), use_twilio_http_client(lambda: simulator.rest):
        result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1", after=1.0)], callees=callees, hang_up_at=14)
    assert result.errors == [], result.transcript()
    # The GP's end, stored in the request, first stored what the journal held before it (catch_up).
    assert not writer.writer_of(app).drain().database_down
    session.rollback()
    call = session.scalars(select(Call).where(Call.sid == result.call_sid)).one()
    session.refresh(call)
    assert [(a.number, a.result) for a in call.attempts] == [(PRIMARY, AttemptResult.CANCELLED), (BACKUP, AttemptResult.CANCELLED)]
    assert [leg.number for leg in result.legs] == [PRIMARY, BACKUP]
    assert call.outcome is CallOutcome.ABANDONED_WHILE_HUNTING


def test_bad_settings_are_refused(session, hospital):
    with pytest.raises(RingingError) as wrong:
        set_ringing(session, SYSTEM, hospital.neurology_id, "staged", 99, FIXED_NOW)
    assert wrong.value.code == "ringing.stage_seconds"
    with pytest.raises(RingingError):
        set_ringing(session, SYSTEM, hospital.neurology_id, "both", None, FIXED_NOW)


def test_automatic_s_comes_from_the_log_and_flask_ringing_show_compares_the_settings(phone, session, hospital, staged_app):
    from ringing import automatic

    # A history where the primary never answers at this hour and the backup answers quickly.
    set_ringing(session, SYSTEM, hospital.neurology_id, "sequential", None, FIXED_NOW)
    session.commit()
    for _ in range(6):
        _simulator, _result, history = phone(callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2, talk=30, key_after=2)})
        assert [a.result for a in history.attempts] == [AttemptResult.NO_ANSWER, AttemptResult.ACCEPTED]
        session.rollback()  # SQLite: no read transaction left open while the next call writes
    settings = staged_app.config["SETTINGS"]
    chosen = automatic.seconds_for(session, settings, hospital.primary_id, hospital.backup_id, FIXED_NOW)
    session.rollback()
    assert 0 <= chosen < settings.ring_timeout  # the backup must not wait for a primary who never answers

    runner = staged_app.test_cli_runner()
    with clock.use_clock(lambda: FIXED_NOW + timedelta(hours=1)):  # the history is of that morning
        shown = runner.invoke(args=["ringing", "show", "neurology"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "neurology: sequential"
    rows = [line.split("\t") for line in lines[2:]]
    assert [row[0] for row in rows] == ["sequential", "staged after 5 s", "staged after 10 s", "staged after 15 s", "automatic"]
    within = [float(row[1].rstrip("%").strip()) for row in rows]
    assert within[-1] >= within[0]  # automatic reaches at least as many GPs within 30 s as sequential
    session.rollback()
    assert runner.invoke(args=["ringing", "set", "neurology", "automatic"]).exit_code == 0
    assert runner.invoke(args=["ringing", "set", "neurology", "staged", "--seconds", "90"]).exit_code != 0
    # The command ran in the test's own application (as it runs in a process of its own): the instance
    # taking the calls learns of the new policy, which its routing snapshot carries, from rota_version.
    assert keeper_of(staged_app).tick()
    _simulator, result, call = phone(callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2, talk=30, key_after=2)})
    assert result.leg(BACKUP).ringing_at - result.leg(PRIMARY).ringing_at == pytest.approx(chosen)
    assert result.bridged_to == BACKUP and call.outcome is CallOutcome.CONNECTED


def test_a_failing_wait_moves_the_gp_to_the_switchboard_not_into_silence(phone, monkeypatch, staged_app, session):
    from ivr import staged
    from tests.conftest import SWITCHBOARD

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(staged, "wait", broken)
    _simulator, result, call = phone(callees={PRIMARY: NoAnswer(), SWITCHBOARD: Accepts(after=2, key=None)})
    assert result.bridged_to == SWITCHBOARD and result.requests_to("/twilio/fallback")
    # The Fallback URL answers without the database: its note reaches the log through the journal.
    from calllog import writer

    session.rollback()  # the test's session must not hold SQLite's write lock while the writer applies
    assert not writer.writer_of(staged_app).drain().database_down
    assert session.get(Call, call.id).error is not None
