"""The call log's hot path in Core statements (calllog.operations.record_step, record_status) writes the
rows the ORM rules write: each case runs twice, once through the statements, once through the ORM
(open_call + apply, close_call) on a twin call, and the two rows must agree column for column. The
single statements a webhook sends in autocommit on PostgreSQL (record_step_at_once,
record_status_at_once) make a third twin."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from calllog import events as ev
from calllog import operations
from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallOutcome
from rota.queries import HuntEntry
from tests.conftest import FIXED_NOW, HOTLINE
from tests.hospital import GP_KNOWN, build_hospital

AT = FIXED_NOW


@pytest.fixture
def seniors(session):
    hospital = build_hospital(session, FIXED_NOW)
    session.commit()
    return (
        HuntEntry(hospital.primary_id, "Dr Primary", "+33199000301", "primary", "on duty"),
        HuntEntry(hospital.backup_id, "Dr Backup", "+33199000302", "backup", "on duty"),
    )


def _row(session, sid: str) -> dict:
    session.expire_all()
    call = session.scalars(select(Call).where(Call.sid == sid)).one()
    skip = {"id", "sid"}
    row = {column.key: getattr(call, column.key) for column in Call.__table__.columns if column.key not in skip}
    row["attempts"] = [
        {column.key: getattr(a, column.key) for column in Attempt.__table__.columns if column.key not in ("id", "call_id")}
        for a in call.attempts
    ]
    row["callback_promised"] = call.callback.promised_minutes if call.callback else "none"
    return row


def _steps(seniors):
    primary, backup = seniors
    return {
        "greeting": [[]],
        "english-then-neurology": [[ev.LanguageChosen("en")], [ev.SpecialtyChosen(7, seniors), ev.AttemptDialled(0, primary)]],
        "two-failures-counted-and-replayed": [[ev.MenuFailed(1)], [ev.MenuFailed(None)], [ev.MenuFailed(1)]],
        "the-first-specialty-wins": [[ev.SpecialtyChosen(7, seniors)], [ev.SpecialtyChosen(8, (backup,))]],
        "a-rank-dialled-once": [[ev.SpecialtyChosen(7, seniors), ev.AttemptDialled(0, primary)], [ev.AttemptDialled(0, backup)]],
        "nobody-on-duty": [[ev.SpecialtyChosen(7, ())]],
        "everything-in-one-step": [
            [],
            [ev.LanguageChosen("en"), ev.MenuFailed(2), ev.SpecialtyChosen(7, seniors), ev.AttemptDialled(0, primary)],
        ],
        "a-new-call-with-its-dial": [[ev.SpecialtyChosen(7, (primary,)), ev.AttemptDialled(0, primary)], [ev.MenuFailed(None)]],
    }


@pytest.mark.parametrize(
    "case",
    [
        "greeting",
        "english-then-neurology",
        "two-failures-counted-and-replayed",
        "the-first-specialty-wins",
        "a-rank-dialled-once",
        "nobody-on-duty",
        "everything-in-one-step",
        "a-new-call-with-its-dial",
    ],
)
def test_the_first_webhooks_of_a_call_write_what_the_orm_writes(app, session, seniors, case):
    from rota.models import Specialty

    steps = _steps(seniors)[case]
    specialty_ids = [s.id for s in session.scalars(select(Specialty).order_by(Specialty.id)).all()][:2]
    remap = {7: specialty_ids[0], 8: specialty_ids[1]}
    steps = [
        [ev.SpecialtyChosen(remap[e.specialty_id], e.hunt) if isinstance(e, ev.SpecialtyChosen) else e for e in events] for events in steps
    ]
    for number, events in enumerate(steps):
        at = AT + timedelta(seconds=number)
        operations.record_step(session, "CAcore", GP_KNOWN, HOTLINE, events, at)
        operations.apply(session, operations.open_call(session, "CAorm", GP_KNOWN, HOTLINE, at), events, at)
        session.commit()
        done = _at_once(app, session, "CAonce", events, at)
        # One statement on PostgreSQL for every step here; on SQLite only the greeting's upsert.
        assert done is (not events or session.get_bind().dialect.name == "postgresql")
    core, orm, once = _row(session, "CAcore"), _row(session, "CAorm"), _row(session, "CAonce")
    assert core == orm
    assert once == orm
    assert core["started_at"] == AT and core["gp_id"] is not None  # the GP found by the caller's number


def _at_once(app, session, sid: str, events, at) -> bool:
    """The step as a webhook in autocommit writes it (``record_step_at_once``), else in a transaction."""
    database = app.extensions["recours.db"]
    with Session(database.autocommit_engine or database.engine) as single:
        done = operations.record_step_at_once(single, sid, GP_KNOWN, HOTLINE, events, at)
        single.commit()
    if not done:
        operations.record_step(session, sid, GP_KNOWN, HOTLINE, events, at)
        session.commit()
    return done


def test_a_step_on_an_ended_call_is_not_written_at_once_and_goes_through_the_transaction(app, session, seniors):
    """A menu step arriving after the call's end (a replayed journal, another instance): the one statement
    changes nothing and says so, and record_step then derives the outcome again, as for the ORM."""
    primary, _ = seniors
    from rota.models import Specialty

    specialty_id = session.scalars(select(Specialty.id).order_by(Specialty.id)).first()
    operations.record_step(session, "CAended", GP_KNOWN, HOTLINE, [], AT)
    session.commit()
    operations.close_call(operations.find_call(session, "CAended"), AT + timedelta(seconds=5))
    session.commit()
    before = _row(session, "CAended")
    database = app.extensions["recours.db"]
    with Session(database.autocommit_engine or database.engine) as single:
        late = [ev.SpecialtyChosen(specialty_id, (primary,)), ev.AttemptDialled(0, primary)]
        assert operations.record_step_at_once(single, "CAended", GP_KNOWN, HOTLINE, late, AT + timedelta(seconds=9)) is False
        single.commit()
    assert _row(session, "CAended") == before


def test_a_step_after_the_end_goes_through_the_orm_and_the_outcome_follows(session, seniors):
    """Facts may arrive after the call's end (two instances, a replayed journal): the outcome is derived again."""
    primary, _ = seniors
    for sid in ("CAcore", "CAorm"):
        operations.apply(session, operations.open_call(session, sid, GP_KNOWN, HOTLINE, AT), [ev.CallFinished()], AT)
    session.commit()
    from rota.models import Specialty

    specialty = session.scalars(select(Specialty.id)).first()
    late = [ev.SpecialtyChosen(specialty, (primary,)), ev.AttemptDialled(0, primary)]
    operations.record_step(session, "CAcore", GP_KNOWN, HOTLINE, late, AT + timedelta(seconds=5))
    operations.apply(session, operations.open_call(session, "CAorm", GP_KNOWN, HOTLINE, AT), late, AT + timedelta(seconds=5))
    session.commit()
    core = _row(session, "CAcore")
    assert core == _row(session, "CAorm")
    assert core["outcome"] is CallOutcome.ABANDONED_WHILE_HUNTING


def _orm_close(session, sid: str, status: str, at) -> None:
    """The ORM rule the statements follow: status_rank forward, then close_call on a final status."""
    call = operations.find_call(session, sid)
    rank = operations.STATUS_RANK[status]
    call.status_rank = max(call.status_rank, rank)
    if rank == operations.TERMINAL:
        operations.close_call(call, at)
    session.flush()


@pytest.mark.parametrize(
    "case",
    [
        "in-the-menu",
        "hunting-a-leg-still-open",
        "deferred-with-a-promise",
        "callback-requested",
        "ended-earlier-already",
        "ringing-only",
        "connected-by-our-clock-after-twilios-end",
    ],
)
def test_the_gp_s_status_callbacks_close_the_call_as_close_call_does(app, session, seniors, case):
    primary, backup = seniors
    from rota.models import Specialty

    specialty = session.scalars(select(Specialty.id)).first()
    before: list[ev.LogEvent] = []
    if case != "in-the-menu" and case != "ringing-only":
        before = [ev.SpecialtyChosen(specialty, seniors), ev.AttemptDialled(0, primary), ev.AttemptDialled(1, backup)]
        before.append(ev.AttemptEnded(0, AttemptResult.NO_ANSWER))
    if case == "deferred-with-a-promise":
        before.append(ev.AttemptDeferred(1, 30))
    if case == "callback-requested":
        before.append(ev.AttemptEnded(1, AttemptResult.NO_ANSWER))
        before.append(ev.CallbackRequested())
    status = "ringing" if case == "ringing-only" else "completed"
    # Our clock stamps the acceptance at 60.5 s; Twilio's whole-second Timestamp says the call ended at 60 s.
    stamped = AT + timedelta(seconds=60.5) if case == "connected-by-our-clock-after-twilios-end" else AT
    accepted = [ev.AttemptAccepted(1)] if case == "connected-by-our-clock-after-twilios-end" else []
    for sid in ("CAcore", "CAorm", "CAonce"):
        operations.apply(session, operations.open_call(session, sid, GP_KNOWN, HOTLINE, AT), before, AT)
        if accepted:
            operations.apply(session, operations.find_call(session, sid), accepted, stamped)
        if case == "ended-earlier-already":
            operations.apply(session, operations.find_call(session, sid), [ev.CallFinished()], AT + timedelta(seconds=10))
    session.commit()
    at = AT + timedelta(seconds=60)
    report = operations.StatusReport(call_sid="CAcore", status=status, occurred_at=at, sequence=3)
    assert operations.record_status(session, report, at) is True
    assert operations.record_status(session, report, at) is False  # the same delivery again
    _orm_close(session, "CAorm", status, at)
    session.commit()
    once = operations.StatusReport(call_sid="CAonce", status=status, occurred_at=at, sequence=3)
    assert _status_at_once(app, session, once, at) is True
    assert _status_at_once(app, session, once, at) is False
    core = _row(session, "CAcore")
    assert core == _row(session, "CAorm")
    assert _row(session, "CAonce") == core
    if case == "hunting-a-leg-still-open":
        assert core["attempts"][1]["result"] is AttemptResult.CALLER_HUNG_UP and core["attempts"][1]["ended_at"] == at
        assert core["outcome"] is CallOutcome.ABANDONED_WHILE_HUNTING
    if case == "deferred-with-a-promise":
        assert core["outcome"] is CallOutcome.DEFERRED
    if case == "ended-earlier-already":
        assert core["ended_at"] == AT + timedelta(seconds=10)
    if case == "ringing-only":
        assert core["ended_at"] is None and core["status_rank"] == 2
    if case == "connected-by-our-clock-after-twilios-end":
        assert core["connected_at"] == stamped and core["ended_at"] == stamped  # never ended before it connected
        assert core["outcome"] is CallOutcome.CONNECTED


def _status_at_once(app, session, report, at) -> bool:
    """The status as the webhook writes it: in one statement in autocommit where it can, else in a
    transaction (SQLite, where record_status_at_once declines and takes no connection)."""
    database = app.extensions["recours.db"]
    with Session(database.autocommit_engine or database.engine) as single:
        fresh = operations.record_status_at_once(single, report, at)
        single.commit()
    assert (fresh is None) is (session.get_bind().dialect.name != "postgresql")
    if fresh is None:
        fresh = operations.record_status(session, report, at)
        session.commit()
    return fresh


def test_a_status_for_a_call_the_log_does_not_hold_changes_nothing(app, session, seniors):
    report = operations.StatusReport(call_sid="CAunknown", status="completed", occurred_at=AT)
    assert operations.record_status(session, report, AT) is True
    session.commit()
    assert _status_at_once(app, session, report, AT) is False  # the same delivery, said at once
    assert _status_at_once(app, session, operations.StatusReport("CAunknown", "weird", AT, sequence=9), AT) is True
    assert session.scalars(select(Call).where(Call.sid == "CAunknown")).first() is None
    assert session.scalars(select(CallbackRequest)).first() is None


def test_the_gp_s_final_status_said_at_once_settles_the_outcome_derive_outcome_gives(app, session, seniors):
    """The outcome of the one statement (calllog.operations._outcome_sql) against derive_outcome, on
    every combination of what it reads: connected or not, no callback request, one, one with a
    senior's promise, the switchboard, an error, a specialty with a hunt list that is SQL NULL, JSON
    null, empty or not."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("one statement on PostgreSQL only: SQLite's status callbacks go through record_status")
    primary, _ = seniors
    from rota.models import Specialty

    specialty = session.scalars(select(Specialty.id)).first()
    hunts = {"sql-null": None, "json-null": None, "empty": [], "one": [primary.to_json()]}
    combinations = list(itertools.product([False, True], ["none", "requested", "promised"], [False, True], [False, True], [None, *hunts]))
    expected = {}
    for number, (connected, callback, switchboard, error, hunt) in enumerate(combinations):
        sid = f"CAoutcome{number}"
        call = operations.open_call(session, sid, GP_KNOWN, HOTLINE, AT)
        call.connected_at = AT + timedelta(seconds=5) if connected else None
        call.switchboard_at = AT + timedelta(seconds=6) if switchboard else None
        call.error = "Twilio error 11200" if error else None
        if hunt is not None:
            call.specialty_id, call.hunt = specialty, hunts[hunt]
        if callback != "none":
            operations.apply(session, call, [ev.CallbackRequested()], AT)
            call.callback.promised_minutes = 20 if callback == "promised" else None
        session.flush()
        if hunt == "sql-null":
            session.execute(update(Call).where(Call.sid == sid).values(hunt=null()))
        expected[sid] = operations.derive_outcome(call)
    session.commit()
    assert set(expected.values()) == set(CallOutcome) - {CallOutcome.UNKNOWN}  # every outcome but the reconciler's
    at = AT + timedelta(seconds=60)
    for sid in expected:
        assert _status_at_once(app, session, operations.StatusReport(sid, "completed", at, sequence=4), at) is True
    session.expire_all()
    written = dict(session.execute(select(Call.sid, Call.outcome).where(Call.sid.in_(expected))).all())
    assert written == expected
