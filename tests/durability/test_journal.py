"""The call log loses nothing when the database refuses: the facts wait in the local journal and the
writer stores them once the database answers again. Calls through the simulator and the real, signed
webhooks; the log is read back as a manager would."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from callbacks import operations as callback_operations
from calllog import writer
from calllog.journal import done_offset
from calllog.models import AttemptResult, Call, CallbackRequest, CallOutcome, StatusEvent
from core import clock
from routing.snapshot import keeper_of
from simulator import Accepts, FlaskTransport, Key, Message, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL, SWITCHBOARD
from tests.durability.faults import RefuseAfter, database_refused
from tests.hospital import BACKUP, GP_KNOWN, HEAD, PRIMARY, build_hospital


@pytest.fixture
def hospital(session):
    return build_hospital(session, FIXED_NOW)


@pytest.fixture
def simulator(app):
    return Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)


def call(simulator, **options):
    with clock.use_clock(simulator.now):
        result = simulator.call(from_=GP_KNOWN, to=HOTLINE, **options)
    assert result.errors == [], result.transcript()
    return result


def drain(app, session):
    session.rollback()  # the test's own transaction must not hold SQLite's write lock
    report = writer.writer_of(app).drain()
    assert not report.database_down
    return report


def logged(session, sid: str) -> Call:
    session.rollback()
    return session.scalars(select(Call).where(Call.sid == sid)).one()


def test_a_call_while_the_database_refuses_is_logged_completely_once_it_answers(app, session, hospital, simulator, frozen_clock):
    """The instance has its routing snapshot (it served before); the database then refuses for the
    whole call: the GP reaches the senior on duty, screened, and the log is complete after recovery."""
    session.commit()
    assert keeper_of(app).refresh(FIXED_NOW) is not None
    with database_refused(app):
        result = call(simulator, gp=[Key("1")], callees={PRIMARY: Accepts(after=2, talk=30)})
        assert result.bridged_to == PRIMARY
        assert "Tapez 1 pour accepter" in " ".join(result.callee_heard[PRIMARY])  # screened
        assert writer.writer_of(app).drain().database_down
    report = drain(app, session)  # (the writer's thread may have been quicker)
    assert report.rejected == 0
    logged_call = logged(session, result.call_sid)
    assert logged_call.ended_at is not None and logged_call.outcome is CallOutcome.CONNECTED
    assert [(a.number, a.result) for a in logged_call.attempts] == [(PRIMARY, AttemptResult.ACCEPTED)]
    assert logged_call.attempts[0].ringing_at is not None and logged_call.connected_at is not None
    statuses = session.scalar(select(func.count()).select_from(StatusEvent).where(StatusEvent.call_sid == result.call_sid))
    assert statuses == len([r for r in result.requests if r.url.endswith("/twilio/status")])
    # Drained twice (the writer died between the commit and the .done offset): the same log.
    for path in writer.journal_of(app).files():
        path.with_name(path.name + ".done").unlink(missing_ok=True)
    before = (logged_call.outcome, logged_call.ended_at, logged_call.error, logged_call.menu_failures)
    drain(app, session)
    again = logged(session, result.call_sid)
    assert (again.outcome, again.ended_at, again.error, again.menu_failures) == before


def test_a_message_left_while_the_database_is_down_becomes_a_callback_request_and_is_announced(
    app, session, hospital, simulator, frozen_clock
):
    with database_refused(app):
        result = call(simulator, gp=[Key("1"), Message(seconds=15)], default_callee=NoAnswer())
        assert len(result.recordings) == 1  # recorded once: no loop back to the recording prompt
        assert len([r for r in result.requests if "/twilio/recording" in r.url]) == 1
    drain(app, session)
    logged_call = logged(session, result.call_sid)
    request = session.scalars(select(CallbackRequest).where(CallbackRequest.call_id == logged_call.id)).one()
    assert request.recording_sid == result.recordings[0].sid and request.recording_seconds is not None
    assert logged_call.outcome is CallOutcome.CALLBACK_REQUESTED and logged_call.ended_at is not None
    settings = app.config["SETTINGS"]
    with app.app_context():
        announced = callback_operations.announce_new_requests(session, settings, FIXED_NOW)
        session.commit()
    assert request.id in [r.id for r in announced]


def test_the_database_failing_mid_call_loses_no_status_and_no_attempt(app, session, hospital, frozen_clock):
    """The hunt starts with the database up; it refuses from then on (the seniors' legs, the status
    callbacks, the end of the call): the hunt goes on from memory to the head, who accepts; after
    recovery every attempt, status and the outcome of the window are in the log."""
    with app.app_context():  # the instance holds its routing snapshot before the database fails
        assert keeper_of(app).refresh(FIXED_NOW) is not None
    transport = RefuseAfter(FlaskTransport(app), app, "/twilio/menu")
    simulator = Simulator(transport, public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    try:
        result = call(simulator, gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: NoAnswer(), HEAD: Accepts(after=2, talk=40)})
        assert transport.refusing
    finally:
        transport.close()
    assert result.bridged_to == HEAD
    drain(app, session)
    logged_call = logged(session, result.call_sid)
    assert logged_call.ended_at is not None and logged_call.outcome is CallOutcome.CONNECTED
    assert [(a.number, a.result) for a in logged_call.attempts] == [
        (PRIMARY, AttemptResult.NO_ANSWER),
        (BACKUP, AttemptResult.NO_ANSWER),
        (HEAD, AttemptResult.ACCEPTED),
    ]
    sids = [result.call_sid, *[leg.sid for leg in result.legs]]
    statuses = session.scalar(select(func.count()).select_from(StatusEvent).where(StatusEvent.call_sid.in_(sids)))
    assert statuses == len([r for r in result.requests if r.url.split("?")[0].endswith("/twilio/status")])


def test_every_journal_line_is_json_with_its_kind(app, session, hospital, simulator, frozen_clock):
    with database_refused(app):
        call(simulator, gp=[Key("1")], callees={SWITCHBOARD: Accepts()})
    files = writer.journal_of(app).files()
    assert files
    kinds = {json.loads(line)["kind"] for path in files for line in path.read_text().splitlines()}
    assert kinds <= {"step", "status", "failure"} and "status" in kinds
    drain(app, session)
    assert all(done_offset(p) == p.stat().st_size for p in writer.journal_of(app).files())


def _the_gp_s_end(url: str, params) -> bool:
    return url.split("?")[0].endswith("/twilio/status") and params.get("CallStatus") == "completed" and not params.get("ParentCallSid")


def test_the_gp_s_end_written_after_an_outage_does_not_overtake_the_facts_journaled_during_it(
    app, session, hospital, frozen_clock, monkeypatch
):
    """The database refuses from the menu choice until the GP hangs up: the primary's "no answer", the
    backup's dial and acceptance wait in the journal; the writer's thread is slow (held back). The GP's
    end, which the database takes again, is written after them — not first, which would close the call
    with the primary "caller hung up" and the backup dialled into a call already over."""
    monkeypatch.setattr(writer.JournalWriter, "start", lambda self: None)
    with app.app_context():
        assert keeper_of(app).refresh(FIXED_NOW) is not None
    transport = RefuseAfter(FlaskTransport(app), app, "/twilio/menu", until=_the_gp_s_end)
    simulator = Simulator(transport, public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    try:
        result = call(simulator, gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2, talk=30)})
    finally:
        transport.close()
    assert transport.lifted and result.bridged_to == BACKUP
    session.rollback()
    assert writer.writer_of(app).journal.pending() == 0  # the GP's end had them written first
    logged_call = logged(session, result.call_sid)
    assert [(a.number, a.result) for a in logged_call.attempts] == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.ACCEPTED)]
    assert logged_call.outcome is CallOutcome.CONNECTED and logged_call.ended_at is not None


def test_a_request_catches_up_with_a_small_backlog_only_and_not_while_the_database_just_failed(app, session, hospital, monkeypatch):
    """What a request may write on its own thread before its fact: this process's few journaled facts,
    not a whole outage's backlog (the writer's job), and nothing while the breaker says the database
    failed a moment ago (the request does not wait its budget on it)."""
    from calllog.facts import StepFact

    monkeypatch.setattr(writer.JournalWriter, "start", lambda self: None)
    session.commit()
    journal_writer = writer.writer_of(app)
    assert not writer.behind(app) and journal_writer.catch_up()  # nothing journaled yet
    for n in range(3):
        writer.record(app, StepFact(f"CAcatchup{n}", FIXED_NOW, (), GP_KNOWN, HOTLINE))
    assert writer.behind(app)
    breaker = app.extensions["recours.db"].breaker
    if breaker.seconds > 0:  # (SQLite has no breaker: a local file is never away)
        breaker.trip(RuntimeError("a moment ago"))
        assert not journal_writer.catch_up() and writer.behind(app)
        breaker.close()
    monkeypatch.setattr(writer, "CATCH_UP_BYTES", 100)  # three facts are more than that
    assert not journal_writer.catch_up() and writer.behind(app)
    monkeypatch.setattr(writer, "CATCH_UP_BYTES", 64 * 1024)
    session.rollback()
    assert journal_writer.catch_up() and not writer.behind(app)
    assert journal_writer.journal.pending() == 0
    sids = session.scalars(select(Call.sid).where(Call.sid.like("CAcatchup%")).order_by(Call.sid)).all()
    assert sids == ["CAcatchup0", "CAcatchup1", "CAcatchup2"]


def test_the_writer_sends_a_run_of_facts_of_one_kind_together(app, session, hospital, monkeypatch):
    """Thirty calls' greetings, then a step choosing English on each (and on a call already over), then
    their GP's final status callbacks, journaled while the writer's thread waits: drained, each run is
    one executemany (PostgreSQL pipelines it; SQLite's steps and statuses go one by one), and the log
    holds what the facts one by one would have written."""
    from datetime import timedelta

    from calllog import events as ev
    from calllog.facts import StatusFact, StepFact
    from calllog.operations import StatusReport
    from directory.models import GpPhone
    from tests.statements import statements_of_this_thread

    monkeypatch.setattr(writer.JournalWriter, "start", lambda self: None)
    session.commit()
    ended = FIXED_NOW + timedelta(seconds=12)

    def final_status(sid: str) -> StatusFact:
        return StatusFact(StatusReport(call_sid=sid, status="completed", occurred_at=ended, sequence=2, parent_sid=None, rank=None), ended)

    writer.record(app, StepFact("CAover", FIXED_NOW, (), GP_KNOWN, HOTLINE))
    writer.record(app, final_status("CAover"))
    drain(app, session)
    sids = [f"CArun{n:02}" for n in range(30)]
    for sid in sids:
        writer.record(app, StepFact(sid, FIXED_NOW, (), GP_KNOWN, HOTLINE))
    for sid in [*sids, "CAover"]:
        writer.record(app, StepFact(sid, FIXED_NOW + timedelta(seconds=3), (ev.LanguageChosen("en"),), GP_KNOWN, HOTLINE))
    for sid in sids:
        writer.record(app, final_status(sid))
    session.rollback()
    with statements_of_this_thread(app) as statements:
        report = writer.writer_of(app).drain()
    assert report.applied == 91 and report.rejected == 0
    gp_id = session.scalar(select(GpPhone.gp_id).where(GpPhone.e164 == GP_KNOWN))
    calls = session.scalars(select(Call).where(Call.sid.in_([*sids, "CAover"]))).all()
    assert sorted(c.sid for c in calls) == sorted([*sids, "CAover"])
    assert {(c.gp_id, c.language, c.ended_at, c.outcome) for c in calls} == {(gp_id, "en", ended, CallOutcome.ABANDONED_IN_MENU)}
    assert session.scalar(select(func.count()).select_from(StatusEvent).where(StatusEvent.call_sid.in_(sids))) == 30
    greetings = [s for s in statements if s.words.startswith("INSERT INTO call") and "RETURNING" not in s.sql]
    assert len(greetings) == 1  # thirty greetings (the steps one by one open their call with RETURNING)
    if app.extensions["recours.db"].autocommit_engine is not None:  # PostgreSQL: the steps and statuses too
        assert len([s for s in statements if s.words == "WITH opened_call AS"]) == 1
        assert len([s for s in statements if s.words == "WITH received AS"]) == 1
