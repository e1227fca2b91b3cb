"""Webhooks decide from the signed URL state and the routing snapshot: no database read in the common
case, two instances sharing one call decide right, a worker killed after its answer loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import select

from calllog import events as ev
from calllog import writer
from calllog.facts import StepFact
from calllog.models import AttemptResult, Call, CallOutcome
from core import clock
from routing.snapshot import keeper_of
from simulator import Accepts, Declines, FlaskTransport, Key, NoAnswer, Simulator
from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL
from tests.durability.faults import database_refused
from tests.hospital import BACKUP, GP_KNOWN, HEAD, NEURO_DIRECT, PRIMARY, build_hospital
from tests.statements import statements_of_this_thread


class Alternating:
    """A load balancer without stickiness: each request goes to the next instance in turn."""

    def __init__(self, *apps):
        self.transports = [FlaskTransport(app) for app in apps]
        self.count = 0

    def request(self, *args):
        transport = self.transports[self.count % len(self.transports)]
        self.count += 1
        return transport.request(*args)


def _call(transport, **options):
    simulator = Simulator(transport, public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with clock.use_clock(simulator.now):
        result = simulator.call(from_=GP_KNOWN, to=options.pop("to", HOTLINE), **options)
    assert result.errors == [], result.transcript()
    return result


def _logged(session, sid) -> Call:
    session.rollback()
    return session.scalars(select(Call).where(Call.sid == sid)).one()


@pytest.fixture
def two_instances(make_app, session):
    first, second = make_app(), make_app()
    with first.app_context():
        build_hospital(session, FIXED_NOW)
    session.commit()
    return first, second


@pytest.mark.parametrize(
    ("callees", "bridged", "results"),
    [
        ({PRIMARY: Accepts(after=2, talk=30)}, PRIMARY, [AttemptResult.ACCEPTED]),
        ({PRIMARY: NoAnswer(), BACKUP: Accepts(after=1, talk=30)}, BACKUP, [AttemptResult.NO_ANSWER, AttemptResult.ACCEPTED]),
        ({PRIMARY: Declines(after=2), BACKUP: Accepts(after=1)}, BACKUP, [AttemptResult.DECLINED, AttemptResult.ACCEPTED]),
        (
            {PRIMARY: Declines(after=2), BACKUP: NoAnswer(), HEAD: Accepts()},
            HEAD,
            [AttemptResult.DECLINED, AttemptResult.NO_ANSWER, AttemptResult.ACCEPTED],
        ),
    ],
    ids=["accepts", "no-answer-then-backup", "declines-then-backup", "down-to-the-head"],
)
@pytest.mark.parametrize("offset", [0, 1], ids=["first-on-A", "first-on-B"])
def test_two_instances_alternating_the_webhooks_of_one_call_decide_right(
    two_instances, session, callees, bridged, results, offset, frozen_clock
):
    balancer = Alternating(*two_instances)
    balancer.count = offset
    result = _call(balancer, gp=[Key("1")], callees=callees)
    assert result.bridged_to == bridged
    logged = _logged(session, result.call_sid)
    assert [a.result for a in logged.attempts] == results
    assert logged.outcome is CallOutcome.CONNECTED and logged.ended_at is not None


def _writer_quick_for_the_dials_only(monkeypatch) -> None:
    """The writer's thread held back, except that it stores each fact that dials a senior as soon as
    it is journaled: when the GP hangs up, the attempts are in the log, how they went is not yet."""
    monkeypatch.setattr(writer.JournalWriter, "start", lambda self: None)
    journal_it = writer.record

    def record(app, fact):
        journal_it(app, fact)
        if isinstance(fact, StepFact) and any(isinstance(event, ev.AttemptDialled) for event in fact.events):
            drained = []  # on a thread of its own, as the writer's: not the request's statements
            journal_writer = writer.writer_of(app)
            thread = threading.Thread(target=lambda: drained.append(journal_writer.drain()))
            thread.start()
            thread.join()
            assert not drained[0].database_down

    monkeypatch.setattr(writer, "record", record)


@pytest.mark.parametrize("writer_thread", ["running", "slower-than-the-call"])
def test_the_webhooks_of_a_call_read_nothing_from_the_database(make_app, session, frozen_clock, monkeypatch, writer_thread):
    """Written behind (CALLLOG_WRITE_BEHIND): the webhooks of a whole call, the snapshot being
    current, run no statement but the GP's final status callback, whose end others read back from the
    log (one statement on PostgreSQL); the writer's thread stores the other facts; the log is complete.
    A writer's thread slower than the call does not let the GP's end overtake the attempts' own facts
    (closing the call would mark the backup's acceptance "caller hung up"): the final status callback
    first writes what the journal still holds."""
    if writer_thread == "slower-than-the-call":
        _writer_quick_for_the_dials_only(monkeypatch)
    app = make_app(CALLLOG_WRITE_BEHIND="true")
    with app.app_context():
        build_hospital(session, FIXED_NOW)
    session.commit()
    assert keeper_of(app).refresh(FIXED_NOW) is not None
    with statements_of_this_thread(app) as statements:
        result = _call(FlaskTransport(app), gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2, talk=20)})
    assert result.bridged_to == BACKUP
    assert {s.path for s in statements} == {"/twilio/status"}
    if app.extensions["recours.db"].autocommit_engine is not None:
        assert statements[-1].words == "WITH received AS"
        if writer_thread == "slower-than-the-call":
            assert len(statements) > 1  # the journal's facts first, in the writer's transaction
    session.rollback()
    assert not writer.writer_of(app).drain().database_down  # (its thread may have been quicker)
    logged = _logged(session, result.call_sid)
    assert [(a.number, a.result) for a in logged.attempts] == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.ACCEPTED)]
    assert logged.outcome is CallOutcome.CONNECTED and logged.connected_at is not None


def test_a_staged_specialty_s_first_webhooks_read_nothing_either(make_app, session, frozen_clock):
    """The ringing policy comes with the routing snapshot: the new call and the menu choice of a
    staged specialty (the GP then waits in a conference) run no SELECT; its facts are still written in
    the request (CALLLOG_WRITE_BEHIND false), and the staged hunt reaches the backup."""
    from core.actor import SYSTEM
    from notify.providers import use_twilio_http_client
    from ringing.operations import set_ringing

    app = make_app(NOTIFY_BACKEND="live")
    with app.app_context():
        hospital = build_hospital(session, FIXED_NOW)
        set_ringing(session, SYSTEM, hospital.neurology_id, "staged", 15, FIXED_NOW)
    session.commit()
    assert keeper_of(app).refresh(FIXED_NOW).ringing == {hospital.neurology_id: ("staged", 15)}
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with statements_of_this_thread(app) as statements, clock.use_clock(simulator.now), use_twilio_http_client(lambda: simulator.rest):
        result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2)})
    assert result.errors == [], result.transcript()
    assert result.bridged_to == BACKUP and result.requests_to("/twilio/staged/wait")
    first_webhooks = [s.sql for s in statements if s.path in ("/twilio/voice", "/twilio/menu")]
    assert first_webhooks and not [sql for sql in first_webhooks if sql.lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize(
    ("to", "gp", "callees", "bridged"),
    [
        (NEURO_DIRECT, [], {PRIMARY: Accepts()}, PRIMARY),  # a specialty's own number
        (HOTLINE, [Key("*"), Key("1")], {PRIMARY: Accepts()}, PRIMARY),  # in English
        (HOTLINE, [Key("9"), Key("1")], {PRIMARY: NoAnswer(), BACKUP: Accepts()}, BACKUP),  # a wrong key first
    ],
    ids=["direct-number", "english", "wrong-key-then-neurology"],
)
def test_with_the_database_refused_the_gp_still_reaches_the_senior_on_duty_screened(
    make_app, session, to, gp, callees, bridged, frozen_clock
):
    app = make_app()
    with app.app_context():
        build_hospital(session, FIXED_NOW)
    session.commit()
    assert keeper_of(app).refresh(FIXED_NOW) is not None
    with database_refused(app):
        result = _call(FlaskTransport(app), to=to, gp=gp, callees=callees)
    assert result.bridged_to == bridged
    assert any("1" in line for line in result.callee_heard[bridged])  # the announcement asked for the key
    session.rollback()
    assert not writer.writer_of(app).drain().database_down
    logged = _logged(session, result.call_sid)
    assert logged.outcome is CallOutcome.CONNECTED and logged.attempts[-1].number == bridged


def test_a_new_worker_without_database_routes_from_the_snapshot_on_disk(make_app, session, frozen_clock):
    first = make_app()
    with first.app_context():
        build_hospital(session, FIXED_NOW)
    session.commit()
    assert keeper_of(first).refresh(FIXED_NOW) is not None  # written to the instance's disk
    restarted = make_app()  # same disk, nothing in memory
    with database_refused(restarted):
        result = _call(FlaskTransport(restarted), gp=[Key("1")], callees={PRIMARY: Accepts()})
    assert result.bridged_to == PRIMARY


_WORKER = textwrap.dedent(
    """
    import sys
    from app import create_app
    from calllog import writer
    from simulator import FlaskTransport, Key, Accepts, NoAnswer, Simulator
    from core import clock
    from tests.conftest import AUTH_TOKEN, FIXED_NOW, HOTLINE, PUBLIC_BASE_URL, settings_for
    from tests.hospital import BACKUP, GP_KNOWN, PRIMARY

    app = create_app(settings_for(sys.argv[1], CALLLOG_WRITE_BEHIND="true", JOURNAL_DIR=sys.argv[2], ROUTING_SNAPSHOT_DIR=sys.argv[3]))
    # The worker answers every webhook, then dies before its writer stores anything: hold the writer
    # (its thread, and the requests that would write what it holds before their own fact).
    writer.writer_of(app)._lock.acquire()
    writer.JournalWriter.catch_up = lambda self: False
    simulator = Simulator(FlaskTransport(app), public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, start=FIXED_NOW)
    with clock.use_clock(simulator.now):
        result = simulator.call(from_=GP_KNOWN, to=HOTLINE, gp=[Key("1")], callees={PRIMARY: NoAnswer(), BACKUP: Accepts(after=2, talk=20)})
    print(result.call_sid, result.bridged_to, flush=True)
    sys.stdin.read()  # killed here
    """
)


def test_a_worker_killed_right_after_its_answers_loses_no_fact(make_app, session, database_url, tmp_path, frozen_clock):
    app = make_app()
    with app.app_context():
        build_hospital(session, FIXED_NOW)
    session.commit()
    journal_dir, snapshot_dir = app.config["SETTINGS"].local.journal_dir, app.config["SETTINGS"].local.snapshot_dir
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, database_url, journal_dir, snapshot_dir],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=os.getcwd(),
        text=True,
    )
    try:
        line = worker.stdout.readline().split()
        assert len(line) == 2, "the worker did not answer the call"
        call_sid, bridged = line
        assert bridged == BACKUP
        session.rollback()
        assert session.scalars(select(Call).where(Call.sid == call_sid)).first() is None  # nothing stored yet
        session.rollback()
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    # Another instance on the same disk finds the dead worker's journal and stores it.
    report = writer.writer_of(app).drain()
    assert report.applied > 0 and report.rejected == 0
    logged = _logged(session, call_sid)
    assert [(a.number, a.result) for a in logged.attempts] == [(PRIMARY, AttemptResult.NO_ANSWER), (BACKUP, AttemptResult.ACCEPTED)]
    assert logged.outcome is CallOutcome.CONNECTED and logged.ended_at is not None
    assert not writer.journal_of(app).files()  # drained and removed
