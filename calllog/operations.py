"""The one writer of the call log.

Webhooks call these functions with what Twilio reported or what the IVR decided. Every function is
safe to call twice with the same facts: Twilio retries, duplicates and reorders its callbacks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, String, bindparam, case, delete, exists, func, literal, null, select, update
from sqlalchemy.orm import Session

from calllog import events as ev
from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallOutcome, StatusEvent
from core.db import UTCDateTime, dialect_insert_for
from core.phones import try_e164
from directory.models import GpPhone

# Progress of a leg. A status callback only moves a leg forward: an "initiated" that arrives after
# "completed" fills in nothing but a missing timestamp.
STATUS_RANK = {
    "queued": 1,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "answered": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "failed": 4,
    "canceled": 4,
}
TERMINAL = 4


def _earliest(current: datetime | None, reported: datetime) -> datetime:
    """Several reports may stamp the same moment (our own webhook, Twilio's callback with a
    whole-second Timestamp), in any order: keeping the earliest makes the log order-independent."""
    return reported if current is None else min(current, reported)


_CALL = Call.__table__
_ATTEMPT = Attempt.__table__


def _forward(column, name: str):
    """``column`` moved forward to ``:name`` (a progress rank never moves back)."""
    return case((column < bindparam(name, type_=Integer()), bindparam(name, type_=Integer())), else_=column)


def _earliest_sql(column, name: str):
    """The SQL of :func:`_earliest`: the earlier of ``column`` and ``:name``."""
    at = bindparam(name, type_=UTCDateTime())
    return case((column.is_(None), at), (column > at, at), else_=column)


def find_call(session: Session, sid: str) -> Call | None:
    """The call with this CallSid, locked for the rest of the transaction so concurrent webhooks of
    one call queue up (a no-op on SQLite, whose transactions already take the write lock)."""
    return session.scalars(select(Call).where(Call.sid == sid).with_for_update()).first()


def open_call(session: Session, sid: str, caller: str, dialled: str, at: datetime) -> Call:
    """The call for ``sid``, created on first sight (the first webhook of a call may be any of them).

    One statement: an upsert that returns the row, and on PostgreSQL locks it like ``FOR UPDATE``.
    Attempts and the callback request load only if the flow looks at them.
    """
    values = _call_values(sid, caller, dialled, at)
    upsert = _open_call_upsert(session.get_bind().dialect.name)
    return session.scalars(upsert, values, execution_options={"populate_existing": True}).one()


@functools.cache
def _open_call_upsert(dialect: str):
    """The upsert of :func:`open_call`, built once per database: building it (its ``excluded`` columns
    above all) cost more than running it. The GP is looked up by the caller's number in the statement."""
    return _open_call_insert(dialect).returning(Call)


def _call_values(sid: str, caller: str, dialled: str, at: datetime) -> dict:
    """The parameters of a new call's row (see :func:`_new_call_row`), cut to the columns' sizes."""
    return {"sid": sid, "caller": caller[:64], "caller_e164": try_e164(caller), "dialled": dialled[:64], "started_at": at}


def _new_call_row() -> dict:
    """A new call's row as an upsert inserts it, from :func:`_call_values`; the GP is looked up by the
    caller's number in the statement."""
    caller_e164 = bindparam("caller_e164", type_=String())
    return {
        "sid": bindparam("sid", type_=String()),
        "caller": bindparam("caller", type_=String()),
        "caller_e164": caller_e164,
        "gp_id": select(GpPhone.gp_id).where(GpPhone.e164 == caller_e164).scalar_subquery(),
        "dialled": bindparam("dialled", type_=String()),
        "language": "fr",
        "menu_failures": 0,
        "started_at": bindparam("started_at", type_=UTCDateTime()),
        "status_rank": 0,
    }


@functools.cache
def _open_call_insert(dialect: str):
    insert = dialect_insert_for(dialect, Call).values(**_new_call_row())
    # DO UPDATE (of nothing that changes) rather than DO NOTHING, so an existing row is returned too.
    return insert.on_conflict_do_update(index_elements=["sid"], set_={"sid": insert.excluded.sid})


def record_step(session: Session, sid: str, caller: str, dialled: str, decided: Iterable[ev.LogEvent], at: datetime) -> None:
    """:func:`open_call` then :func:`apply`, for a webhook of the GP's own call. What the first webhooks
    of a call decide (the greeting, a language, a failed try at the menu, the specialty and its first
    Dial) goes in Core statements built once, the row never turned into objects; anything else, or a
    call already ended (its outcome is derived again), through the ORM."""
    decided = tuple(decided)
    if all(type(event) in _CORE_EVENTS for event in decided):
        connection = _core(session)
        values = _call_values(sid, caller, dialled, at)
        row = connection.execute(_open_call_row(connection.dialect.name), values).one()
        if row.ended_at is None:
            for event in decided:
                statement, parameters = _core_statement(connection.dialect.name, event, row.id, at)
                connection.execute(statement, parameters)
            if decided:
                expire_call(session, sid)
            return
    apply(session, open_call(session, sid, caller, dialled, at), decided, at)


def record_calls_opened(session: Session, calls: list[tuple[str, str, str, datetime]]) -> None:
    """:func:`record_step` with nothing decided (a call's greeting), for many calls ``(sid, caller,
    dialled, at)``: their upserts sent together (one ``executemany``), in the session's transaction. (A
    call already ended is left as it is: nothing decided changes neither its facts nor its outcome.)"""
    connection = _core(session)
    connection.execute(_open_call_insert(connection.dialect.name), [_call_values(*call) for call in calls])


def record_step_at_once(session: Session, sid: str, caller: str, dialled: str, decided: Iterable[ev.LogEvent], at: datetime) -> bool:
    """:func:`record_step` in one statement, for a session in autocommit: the statement is the whole
    transaction. True when done; False when it wrote nothing (nor took a connection) and
    :func:`record_step` must be used in a transaction instead (a step it cannot say in one statement, or
    a call already ended).

    - Nothing decided (the greeting): the upsert of the call's row.
    - On PostgreSQL, a language, a failed try at the menu, a specialty and one Dial: the upsert carries
      the call's changes (new row: its values; existing row: its ``ON CONFLICT`` update, with the rules
      of :func:`apply`: a first specialty wins, a replayed failure count sets rather than adds), and the
      attempt is inserted from the upsert's row in a ``WITH`` clause. (In one statement, a second
      statement on the call's row would not see a row the upsert just inserted.)
    """
    decided = tuple(decided)
    dialect = session.get_bind().dialect.name
    shape = _one_statement_shape(dialect, decided) if decided else ()
    if shape is None:
        return False
    connection = _core(session)
    if not decided:
        connection.execute(_open_call_row(dialect), _call_values(sid, caller, dialled, at)).one()
        return True
    done = connection.execute(_step_at_once(shape), _step_values(sid, caller, dialled, decided, at)).first() is not None
    if done:
        expire_call(session, sid)
    return done


def step_shape(session: Session, decided: tuple[ev.LogEvent, ...]) -> tuple[str, ...] | None:
    """Which statement of :func:`record_step_at_once` says a step that decided something (None: none)."""
    return _one_statement_shape(session.get_bind().dialect.name, decided) if decided else None


def record_steps_together(
    session: Session, shape: tuple[str, ...], steps: list[tuple[str, str, str, tuple[ev.LogEvent, ...], datetime]]
) -> None:
    """:func:`record_step_at_once` for many steps ``(sid, caller, dialled, decided, at)`` of one
    :func:`step_shape`, sent together (one ``executemany``), in the session's transaction. The calls
    already ended are read first, locked (their end then waits for this transaction): their steps go
    through :func:`record_step`, which derives their outcome again."""
    connection = _core(session)
    sids = {step[0] for step in steps}
    ended = set(connection.execute(_ended_calls, {"sids": list(sids)}).scalars())
    open_steps = [step for step in steps if step[0] not in ended]
    if open_steps:
        connection.execute(_step_at_once(shape), [_step_values(*step) for step in open_steps])
    for step in steps:
        if step[0] in ended:
            record_step(session, *step)
    for sid in sids:
        expire_call(session, sid)


_ended_calls = (
    select(_CALL.c.sid).where(_CALL.c.sid.in_(bindparam("sids", expanding=True)), _CALL.c.ended_at.is_not(None)).with_for_update()
)


def _step_values(sid: str, caller: str, dialled: str, decided: tuple[ev.LogEvent, ...], at: datetime) -> dict:
    """The parameters of :func:`_step_at_once`'s statement for this step."""
    values = _call_values(sid, caller, dialled, at)
    for event in decided:
        match event:
            case ev.LanguageChosen(language):
                values["chosen_language"] = language
            case ev.MenuFailed(failures):
                values["failures"] = 1 if failures is None else failures
            case ev.SpecialtyChosen(specialty_id, hunt):
                values["chosen_specialty"] = specialty_id
                values["chosen_hunt"] = [entry.to_json() for entry in hunt]
            case ev.AttemptDialled(rank, entry):
                values.update(rank=rank, senior_id=entry.senior_id, number=entry.number, layer=entry.layer)
    return values


def _one_statement_shape(dialect: str, decided: tuple[ev.LogEvent, ...]) -> tuple[str, ...] | None:
    """Which parts the one statement has, or None when this step is not said in one (SQLite has no
    ``INSERT`` in ``WITH``; an event twice, or another kind of event)."""
    if dialect != "postgresql":
        return None
    parts = []
    for event in decided:
        match event:
            case ev.LanguageChosen():
                part = "language"
            case ev.MenuFailed(None):
                part = "failed once more"
            case ev.MenuFailed():
                part = "failures"
            case ev.SpecialtyChosen():
                part = "specialty"
            case ev.AttemptDialled():
                part = "dial"
            case _:
                return None
        parts.append(part)
    if len(set(parts)) < len(parts) or {"failed once more", "failures"} <= set(parts):
        return None
    return tuple(sorted(parts))


@functools.cache
def _step_at_once(shape: tuple[str, ...]):
    """The PostgreSQL statement of :func:`record_step_at_once` for ``shape``, built once."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    row = _new_call_row()
    if "language" in shape:
        row["language"] = bindparam("chosen_language", type_=String())
    if "failed once more" in shape or "failures" in shape:
        row["menu_failures"] = bindparam("failures", type_=Integer())
    if "specialty" in shape:
        row["specialty_id"] = bindparam("chosen_specialty", type_=Integer())
        row["hunt"] = bindparam("chosen_hunt", type_=_CALL.c.hunt.type)
    insert = pg_insert(Call).values(**row)
    changes: dict = {"sid": insert.excluded.sid}
    if "language" in shape:
        changes["language"] = insert.excluded.language
    if "failed once more" in shape:
        changes["menu_failures"] = _CALL.c.menu_failures + 1
    if "failures" in shape:
        changes["menu_failures"] = func.greatest(_CALL.c.menu_failures, insert.excluded.menu_failures)
    if "specialty" in shape:
        changes["specialty_id"] = func.coalesce(_CALL.c.specialty_id, insert.excluded.specialty_id)
        changes["hunt"] = case((_CALL.c.specialty_id.is_(None), insert.excluded.hunt), else_=_CALL.c.hunt)
    # An ended call is not changed here (no row comes back): record_step derives its outcome again.
    upsert = insert.on_conflict_do_update(index_elements=["sid"], set_=changes, where=_CALL.c.ended_at.is_(None))
    call = upsert.returning(_CALL.c.id).cte("opened_call")
    statement = select(call.c.id)
    if "dial" in shape:
        columns = ("rank", "senior_id", "number", "layer")
        dialled = select(
            call.c.id,
            *(bindparam(name, type_=_ATTEMPT.c[name].type) for name in columns),
            bindparam("started_at", type_=UTCDateTime()),
            literal(0, Integer()),
        )
        attempt = (
            pg_insert(Attempt)
            .from_select(["call_id", *columns, "started_at", "status_rank"], dialled)
            .on_conflict_do_nothing(index_elements=["call_id", "rank"])
        )
        statement = statement.add_cte(attempt.cte("dialled_attempt"))
    return statement


@functools.cache
def _open_call_row(dialect: str):
    """:func:`_open_call_upsert` returning only what :func:`record_step` needs."""
    return _open_call_insert(dialect).returning(Call.id, Call.ended_at)


_CORE_EVENTS = frozenset({ev.LanguageChosen, ev.MenuFailed, ev.SpecialtyChosen, ev.AttemptDialled})
_call_language = update(_CALL).where(_CALL.c.id == bindparam("call_id")).values(language=bindparam("chosen_language", type_=String()))
_call_menu_failed_once_more = update(_CALL).where(_CALL.c.id == bindparam("call_id")).values(menu_failures=_CALL.c.menu_failures + 1)
_call_menu_failures = (
    update(_CALL).where(_CALL.c.id == bindparam("call_id")).values(menu_failures=_forward(_CALL.c.menu_failures, "failures"))
)
_call_specialty = (
    update(_CALL)
    .where(_CALL.c.id == bindparam("call_id"), _CALL.c.specialty_id.is_(None))
    .values(specialty_id=bindparam("chosen_specialty", type_=Integer()), hunt=bindparam("chosen_hunt", type_=_CALL.c.hunt.type))
)


@functools.cache
def _attempt_insert(dialect: str):
    columns = ("call_id", "rank", "senior_id", "number", "layer", "started_at", "status_rank")
    values = {name: bindparam(name, type_=_ATTEMPT.c[name].type) for name in columns}
    return dialect_insert_for(dialect, Attempt).values(**values).on_conflict_do_nothing(index_elements=["call_id", "rank"])


def _core_statement(dialect: str, event: ev.LogEvent, call_id: int, at: datetime):
    """The statement and parameters that record ``event`` as :func:`apply` does (same rules: a first
    specialty wins, a rank is dialled once, a replayed failure count sets rather than adds)."""
    match event:
        case ev.LanguageChosen(language):
            return _call_language, {"call_id": call_id, "chosen_language": language}
        case ev.MenuFailed(None):
            return _call_menu_failed_once_more, {"call_id": call_id}
        case ev.MenuFailed(failures):
            return _call_menu_failures, {"call_id": call_id, "failures": failures}
        case ev.SpecialtyChosen(specialty_id, hunt):
            hunt_json = [entry.to_json() for entry in hunt]
            return _call_specialty, {"call_id": call_id, "chosen_specialty": specialty_id, "chosen_hunt": hunt_json}
        case ev.AttemptDialled(rank, entry):
            row = {"call_id": call_id, "rank": rank, "senior_id": entry.senior_id, "number": entry.number, "layer": entry.layer}
            return _attempt_insert(dialect), {**row, "started_at": at, "status_rank": 0}
    raise TypeError(f"no Core statement for {event!r}")  # pragma: no cover - see _CORE_EVENTS


def apply(session: Session, call: Call, decided: Iterable[ev.LogEvent], at: datetime) -> None:
    """Record what the IVR decided for ``call`` at instant ``at``."""
    for event in decided:
        match event:
            case ev.LanguageChosen(language):
                call.language = language
            case ev.MenuFailed(failures):
                call.menu_failures = call.menu_failures + 1 if failures is None else max(call.menu_failures, failures)
            case ev.SpecialtyChosen(specialty_id, hunt):
                if call.specialty_id is None:
                    call.specialty_id = specialty_id
                    call.hunt = [entry.to_json() for entry in hunt]
            case ev.AttemptDialled(rank, entry):
                if call.attempt(rank) is None:
                    call.attempts.append(
                        Attempt(
                            rank=rank,
                            senior_id=entry.senior_id,
                            number=entry.number,
                            layer=entry.layer,
                            started_at=at,
                            status_rank=0,
                        )
                    )
            case ev.AttemptAnswered(rank):
                if (attempt := call.attempt(rank)) is not None:
                    attempt.answered_at = _earliest(attempt.answered_at, at)
            case ev.AttemptAccepted(rank):
                # A keypress is surer than "answered without a key", whichever fact arrived first.
                if (attempt := call.attempt(rank)) is not None and attempt.result in (
                    None,
                    AttemptResult.ACCEPTED,
                    AttemptResult.NOT_ACCEPTED,
                ):
                    attempt.answered_at = _earliest(attempt.answered_at, at)
                    attempt.accepted_at = attempt.accepted_at or at
                    attempt.result = AttemptResult.ACCEPTED
                    call.connected_at = call.connected_at or at
            case ev.AttemptDeclined(rank):
                if (attempt := call.attempt(rank)) is not None and attempt.result in (None, AttemptResult.NOT_ACCEPTED):
                    attempt.result = AttemptResult.DECLINED
            case ev.AttemptDeferred(rank, minutes):
                if (attempt := call.attempt(rank)) is not None and attempt.result in (None, AttemptResult.NOT_ACCEPTED):
                    attempt.answered_at = _earliest(attempt.answered_at, at)
                    attempt.result = AttemptResult.DEFERRED
                    callback = _ensure_callback(call, at)
                    callback.promised_by_senior_id, callback.promised_minutes = attempt.senior_id, minutes
            case ev.LegPlaced(rank, sid):
                if (attempt := call.attempt(rank)) is not None:
                    attempt.child_sid = attempt.child_sid or sid
            case ev.AttemptCancelled(rank):
                if (attempt := call.attempt(rank)) is not None and attempt.result is None:
                    attempt.result = AttemptResult.CANCELLED
                    attempt.ended_at = _earliest(attempt.ended_at, at)
            case ev.AttemptEnded(rank, result):
                if (attempt := call.attempt(rank)) is not None:
                    attempt.result = attempt.result or result
                    attempt.ended_at = _earliest(attempt.ended_at, at)
            case ev.TransferredToSwitchboard():
                call.switchboard_at = call.switchboard_at or at
            case ev.CallbackRequested():
                _ensure_callback(call, at)
            case ev.RecordingReceived(url, sid, seconds):
                callback = _ensure_callback(call, at)
                callback.recording_url = url
                callback.recording_sid = sid
                callback.recording_seconds = seconds
            case ev.CallFinished():
                close_call(call, at)
            case _:  # pragma: no cover - a new event type must be handled here
                raise TypeError(f"unknown call-log event {event!r}")
    if call.ended_at is not None:
        # Facts of one call may arrive in any order (webhooks on two instances, a journal replayed
        # after an outage): an acceptance recorded after the end still makes the call connected.
        call.outcome = derive_outcome(call)
    session.flush()


def _ensure_callback(call: Call, at: datetime) -> CallbackRequest:
    if call.callback is None:
        call.callback = CallbackRequest(
            caller=call.caller,
            caller_e164=call.caller_e164,
            gp_id=call.gp_id,
            specialty_id=call.specialty_id,
            requested_at=at,
        )
    return call.callback


def derive_outcome(call: Call) -> CallOutcome:
    """The call's outcome from what happened, best first: a GP who reached a human counts as connected."""
    if call.connected_at is not None:
        return CallOutcome.CONNECTED
    if call.callback is not None and call.callback.promised_minutes is not None:
        return CallOutcome.DEFERRED
    if call.callback is not None:
        return CallOutcome.CALLBACK_REQUESTED
    if call.switchboard_at is not None:
        return CallOutcome.SWITCHBOARD
    if call.error is not None:
        return CallOutcome.FAILED
    if call.specialty_id is not None and not call.hunt:
        return CallOutcome.NOBODY_ON_DUTY
    if call.specialty_id is not None:
        return CallOutcome.ABANDONED_WHILE_HUNTING
    return CallOutcome.ABANDONED_IN_MENU


def _ended(current: datetime | None, reported: datetime, connected_at: datetime | None) -> datetime:
    """The call's end: the earliest report, yet never before its connection. Twilio's Timestamp has whole
    seconds and Twilio's clock is not ours: a GP who hangs up within a second of our own "connected"
    stamp can be reported ending before it."""
    ended = _earliest(current, reported)
    return connected_at if connected_at is not None and ended < connected_at else ended


def close_call(call: Call, at: datetime) -> None:
    """End the call at ``at`` and settle its outcome and any attempt left open. Called again by a
    later report, it only moves the end earlier (never before the connection) and re-derives the outcome."""
    call.ended_at = _ended(call.ended_at, at, call.connected_at)
    for attempt in call.attempts:
        if attempt.result is None:
            attempt.result = AttemptResult.CALLER_HUNG_UP
            attempt.ended_at = _earliest(attempt.ended_at, at)
    call.outcome = derive_outcome(call)


def record_failure(session: Session, sid: str, caller: str, dialled: str, error: str, at: datetime) -> None:
    """Note an internal error or a Twilio fallback on the call, which is being sent to the switchboard."""
    call = open_call(session, sid, caller, dialled, at)
    if error[:2000] not in (call.error or ""):  # the same fact replayed from the journal
        call.error = ((call.error + "\n") if call.error else "") + error[:2000]
    call.switchboard_at = call.switchboard_at or at
    session.flush()


@dataclass(frozen=True)
class StatusReport:
    """A status callback, parsed: for the GP's call, or (with ``parent_sid``) for a senior's leg."""

    call_sid: str
    status: str
    occurred_at: datetime
    sequence: int | None = None
    parent_sid: str | None = None
    rank: int | None = None


def record_status(session: Session, report: StatusReport, received_at: datetime) -> bool:
    """Apply a status callback once. Returns False for a duplicate delivery, which changes nothing.

    The GP's own call (the callback every call gets, once or more) is written in Core statements
    built once; a senior's leg through the ORM (its rules read and move an attempt and the call)."""
    connection = _core(session)
    row = _status_event_values(report, received_at)
    # A row comes back only when this statement inserted one (rowcount is unreliable with RETURNING).
    if connection.execute(_status_event_insert(connection.dialect.name), row).first() is None:
        return False
    rank = STATUS_RANK.get(report.status)
    if rank is None:
        return True
    if report.parent_sid and report.rank is not None:
        call = find_call(session, report.parent_sid)
        if call is not None and (attempt := call.attempt(report.rank)) is not None:
            _advance_attempt(call, attempt, report, rank)
        session.flush()
    elif rank == TERMINAL:
        _close_by_status(session, connection, report.call_sid, report.occurred_at)
    else:
        connection.execute(_call_status_rank, {"for_sid": report.call_sid, "rank_now": rank})
        expire_call(session, report.call_sid)
    return True


def record_status_at_once(session: Session, report: StatusReport, received_at: datetime) -> bool | None:
    """:func:`record_status` in one statement, for a session in autocommit (the statement is the whole
    transaction): on PostgreSQL, for a status callback of the GP's own call. Returns what
    :func:`record_status` returns (False: a duplicate delivery), or None when it wrote nothing (nor took
    a connection) and :func:`record_status` must be used in a transaction instead (SQLite; a senior's leg).

    The status event is inserted, and only if it was new the call moves on in the same statement: its
    progress rank, or for a final status its end, its outcome (:func:`derive_outcome`'s rules, said in
    SQL by :func:`_outcome_sql`) and its attempts left open (the caller hung up on them)."""
    shape = status_shape(session, report)
    if shape is None:
        return None
    fresh = _core(session).execute(_status_at_once(shape), _status_at_once_values(report, received_at)).scalar_one() > 0
    if fresh and shape != "unranked":
        expire_call(session, report.call_sid)
    return fresh


def status_shape(session: Session, report: StatusReport) -> str | None:
    """Which statement of :func:`record_status_at_once` says ``report`` (None: it is not said in one)."""
    if report.parent_sid is not None or session.get_bind().dialect.name != "postgresql":
        return None
    rank = STATUS_RANK.get(report.status)
    return "unranked" if rank is None else "final" if rank == TERMINAL else "ranked"


def record_statuses_together(session: Session, shape: str, reports: list[tuple[StatusReport, datetime]]) -> None:
    """:func:`record_status_at_once` for many status callbacks of one :func:`status_shape`, sent together
    (one ``executemany``: psycopg pipelines them, no round trip each), in the session's transaction."""
    _core(session).execute(_status_at_once(shape), [_status_at_once_values(report, at) for report, at in reports])
    if shape != "unranked":
        for sid in {report.call_sid for report, _at in reports}:
            expire_call(session, sid)


def _status_at_once_values(report: StatusReport, received_at: datetime) -> dict:
    rank = STATUS_RANK.get(report.status)
    values = {**_status_event_values(report, received_at), "for_sid": report.call_sid}
    if rank is not None:
        values["rank_now"] = rank
    if rank == TERMINAL:
        values.update(at=report.occurred_at, hung_up=AttemptResult.CALLER_HUNG_UP)
    return values


@functools.cache
def _status_at_once(shape: str):
    """The statement of :func:`record_status_at_once`: ``unranked`` (the event alone), ``ranked`` (and
    the call's rank), ``final`` (and the call closed, its open attempts settled). Built once."""
    received = _status_event_insert("postgresql").cte("received")
    statement = select(select(func.count()).select_from(received).scalar_subquery())
    if shape == "unranked":
        return statement
    fresh = exists().select_from(received)
    progress = {"status_rank": _forward(_CALL.c.status_rank, "rank_now")}
    if shape == "ranked":
        return statement.add_cte(update(_CALL).where(_CALL.c.sid == bindparam("for_sid"), fresh).values(**progress).cte("ranked"))
    at = bindparam("at", type_=UTCDateTime())
    closed = (
        update(_CALL)
        .where(_CALL.c.sid == bindparam("for_sid"), fresh)
        # _ended: the earliest report, never before the connection (PostgreSQL's LEAST and GREATEST skip NULLs).
        .values(**progress, ended_at=func.greatest(func.least(_CALL.c.ended_at, at), _CALL.c.connected_at), outcome=_outcome_sql())
        .returning(_CALL.c.id)
        .cte("closed")
    )
    hung_up = (
        update(_ATTEMPT)
        .where(_ATTEMPT.c.call_id.in_(select(closed.c.id)), _ATTEMPT.c.result.is_(None))
        .values(result=bindparam("hung_up", type_=_ATTEMPT.c.result.type), ended_at=_earliest_sql(_ATTEMPT.c.ended_at, "at"))
        .cte("hung_up")
    )
    return statement.add_cte(closed).add_cte(hung_up)


def _outcome_sql():
    """:func:`derive_outcome` of the call row being updated, in SQL: the same rules in the same order
    (tests/test_call_log_statements.py compares the two on every combination of facts)."""

    def outcome(value: CallOutcome):
        return literal(value, _CALL.c.outcome.type)

    callback = CallbackRequest.__table__
    has_callback = exists().where(callback.c.call_id == _CALL.c.id)
    promised = exists().where(callback.c.call_id == _CALL.c.id, callback.c.promised_minutes.is_not(None))
    # The hunt list is JSON: SQL NULL, JSON null or an array (``not call.hunt`` in Python: none or empty).
    hunt_size = case((func.json_typeof(_CALL.c.hunt) == "array", func.json_array_length(_CALL.c.hunt)), else_=0)
    return case(
        (_CALL.c.connected_at.is_not(None), outcome(CallOutcome.CONNECTED)),
        (promised, outcome(CallOutcome.DEFERRED)),
        (has_callback, outcome(CallOutcome.CALLBACK_REQUESTED)),
        (_CALL.c.switchboard_at.is_not(None), outcome(CallOutcome.SWITCHBOARD)),
        (_CALL.c.error.is_not(None), outcome(CallOutcome.FAILED)),
        (_CALL.c.specialty_id.is_not(None) & (hunt_size == 0), outcome(CallOutcome.NOBODY_ON_DUTY)),
        (_CALL.c.specialty_id.is_not(None), outcome(CallOutcome.ABANDONED_WHILE_HUNTING)),
        else_=outcome(CallOutcome.ABANDONED_IN_MENU),
    )


def _status_event_values(report: StatusReport, received_at: datetime) -> dict:
    """The parameters of :func:`_status_event_insert`: a delivery is known by its sequence number (or,
    without one, by its status)."""
    return {
        "call_sid": report.call_sid,
        "dedup_key": f"seq:{report.sequence}" if report.sequence is not None else f"status:{report.status}",
        "parent_sid": report.parent_sid,
        "status": report.status[:20],
        "occurred_at": report.occurred_at,
        "received_at": received_at,
    }


def _core(session: Session) -> Connection:
    """The session's connection, for Core statements inside its transaction (what the ORM holds is
    flushed first, so both see the same rows)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def expire_call(session: Session, sid: str) -> None:
    """A Core statement changed the call ``sid`` (in this session, or in another one such as a webhook's
    autocommit session): an ORM copy of it in this session is read again."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Call) and instance.sid == sid:
            session.expire(instance)


@functools.cache
def _status_event_insert(dialect: str):
    columns = {
        "call_sid": bindparam("call_sid", type_=String()),
        "dedup_key": bindparam("dedup_key", type_=String()),
        "parent_sid": bindparam("parent_sid", type_=String()),
        "status": bindparam("status", type_=String()),
        "occurred_at": bindparam("occurred_at", type_=UTCDateTime()),
        "received_at": bindparam("received_at", type_=UTCDateTime()),
    }
    insert = dialect_insert_for(dialect, StatusEvent).values(**columns)
    return insert.on_conflict_do_nothing(index_elements=["call_sid", "dedup_key"]).returning(StatusEvent.id)


# (Parameters are not named after a column the statement sets: SQLAlchemy keeps those names for itself.)
_call_status_rank = update(_CALL).where(_CALL.c.sid == bindparam("for_sid")).values(status_rank=_forward(_CALL.c.status_rank, "rank_now"))


@dataclass(frozen=True)
class _CallbackFacts:
    promised_minutes: int | None


@dataclass(frozen=True)
class _CallFacts:
    """What :func:`derive_outcome` reads of a call, as one row read it."""

    connected_at: datetime | None
    callback: _CallbackFacts | None
    switchboard_at: datetime | None
    error: str | None
    specialty_id: int | None
    hunt: list | None


_has_callback = exists().where(CallbackRequest.call_id == _CALL.c.id)
_promised = select(CallbackRequest.promised_minutes).where(CallbackRequest.call_id == _CALL.c.id).scalar_subquery()
_open_attempts = select(func.count()).where(_ATTEMPT.c.call_id == _CALL.c.id, _ATTEMPT.c.result.is_(None))
_call_to_close = (
    select(
        _CALL.c.id,
        _CALL.c.ended_at,
        _CALL.c.connected_at,
        _CALL.c.switchboard_at,
        _CALL.c.error,
        _CALL.c.specialty_id,
        _CALL.c.hunt,
        _has_callback.label("has_callback"),
        _promised.label("promised_minutes"),
        _open_attempts.scalar_subquery().label("open_attempts"),
    )
    .where(_CALL.c.sid == bindparam("sid"))
    .with_for_update(of=_CALL)
)
_call_closed = (
    update(_CALL)
    .where(_CALL.c.id == bindparam("call_id"))
    .values(
        status_rank=_forward(_CALL.c.status_rank, "rank_now"),
        ended_at=bindparam("ended", type_=UTCDateTime()),
        outcome=bindparam("settled_outcome", type_=_CALL.c.outcome.type),
    )
)
_attempts_hung_up = (
    update(_ATTEMPT)
    .where(_ATTEMPT.c.call_id == bindparam("of_call"), _ATTEMPT.c.result.is_(None))
    .values(result=bindparam("hung_up", type_=_ATTEMPT.c.result.type), ended_at=_earliest_sql(_ATTEMPT.c.ended_at, "at"))
)


def _close_by_status(session: Session, connection: Connection, sid: str, at: datetime) -> None:
    """:func:`close_call` for the GP's final status, in three statements: read the call (locked), end
    it with its outcome, settle the attempts left open (only when there are)."""
    row = connection.execute(_call_to_close, {"sid": sid}).first()
    if row is None:
        return
    callback = _CallbackFacts(row.promised_minutes) if row.has_callback else None
    facts = _CallFacts(row.connected_at, callback, row.switchboard_at, row.error, row.specialty_id, row.hunt)
    values = {
        "call_id": row.id,
        "rank_now": TERMINAL,
        "ended": _ended(row.ended_at, at, row.connected_at),
        "settled_outcome": derive_outcome(facts),
    }
    connection.execute(_call_closed, values)
    if row.open_attempts:
        connection.execute(_attempts_hung_up, {"of_call": row.id, "hung_up": AttemptResult.CALLER_HUNG_UP, "at": at})
    expire_call(session, sid)


def _advance_attempt(call: Call, attempt: Attempt, report: StatusReport, rank: int) -> None:
    at = report.occurred_at
    attempt.child_sid = attempt.child_sid or report.call_sid
    # Timestamps are filled whatever the arrival order; the state itself only moves forward.
    if report.status == "ringing":
        attempt.ringing_at = _earliest(attempt.ringing_at, at)
        call.first_ringing_at = _earliest(call.first_ringing_at, at)
    elif rank == 3:
        attempt.answered_at = _earliest(attempt.answered_at, at)
    elif rank == TERMINAL:
        attempt.ended_at = _earliest(attempt.ended_at, at)
        if attempt.result is None:
            if report.status == "completed":
                # Answered without the acceptance key reaching us: a voicemail or an ignored announcement.
                attempt.result = AttemptResult.NOT_ACCEPTED
            else:
                attempt.result = AttemptResult.of_unanswered_leg(report.status) or AttemptResult.FAILED
    attempt.status_rank = max(attempt.status_rank, rank)


# -- reconciliation -----------------------------------------------------------------------------------
# Calls whose final status never arrived, closed by the reconcile-calls job (scheduler/reconcile.py).

# What the log knows for sure of a call, whatever became of it afterwards.
_DEFINITE_OUTCOMES = frozenset({CallOutcome.CONNECTED, CallOutcome.DEFERRED, CallOutcome.CALLBACK_REQUESTED, CallOutcome.SWITCHBOARD})


def open_calls_started_before(session: Session, cutoff: datetime, *, limit: int) -> list[int]:
    """Ids of calls still open (no end) that started before ``cutoff``, oldest first."""
    query = select(Call.id).where(Call.ended_at.is_(None), Call.started_at < cutoff).order_by(Call.started_at, Call.id)
    return list(session.scalars(query.limit(limit)))


def lock_open_call(session: Session, call_id: int) -> Call | None:
    """The call, locked, if it is still open (a late status callback may have closed it meanwhile)."""
    return session.scalars(select(Call).where(Call.id == call_id, Call.ended_at.is_(None)).with_for_update()).first()


def close_from_twilio(session: Session, call: Call, status: str, ended_at: datetime, at: datetime) -> None:
    """Close ``call`` with the final status Twilio's Call resource reports, as its status callback would have."""
    call.status_rank = max(call.status_rank, TERMINAL)
    close_call(call, min(ended_at, at))
    session.flush()


def _last_known_instant(call: Call) -> datetime:
    instants = [call.started_at, call.first_ringing_at, call.connected_at, call.switchboard_at]
    for attempt in call.attempts:
        instants += [attempt.started_at, attempt.ringing_at, attempt.answered_at, attempt.accepted_at, attempt.ended_at]
    if call.callback is not None:
        instants.append(call.callback.requested_at)
    return max(instant for instant in instants if instant is not None)


def close_with_outcome_unknown(session: Session, call: Call, at: datetime) -> None:
    """ "Ended, outcome unknown": nobody can say how or when the call ended. It is closed at the last
    instant the log knows of; what the log knows for sure (connected, a callback request, the
    switchboard) stays its outcome, anything else is ``unknown``, and so is any leg still open."""
    ended_at = min(_last_known_instant(call), at)
    for attempt in call.attempts:
        if attempt.result is None:
            attempt.result = AttemptResult.UNKNOWN
            attempt.ended_at = _earliest(attempt.ended_at, ended_at)
    call.ended_at = ended_at
    derived = derive_outcome(call)
    call.outcome = derived if derived in _DEFINITE_OUTCOMES else CallOutcome.UNKNOWN
    session.flush()


# -- retention ----------------------------------------------------------------------------------------
# The retention job (scheduler/retention.py) decides what is due; forgetting it is the call log's own
# business, so the writes live here with the others.

ANONYMISED = "anonymised"


def calls_started_before(session: Session, cutoff: datetime, *, skip_anonymised: bool, limit: int) -> list[int]:
    """Ids of calls started before ``cutoff``, oldest first (a batch for the retention job)."""
    query = select(Call.id).where(Call.started_at < cutoff)
    if skip_anonymised:
        query = query.where(Call.caller != ANONYMISED)
    return list(session.scalars(query.order_by(Call.id).limit(limit)))


def anonymise_calls(session: Session, call_ids: list[int]) -> None:
    """Keep the calls for the figures, drop who called and who was rung."""
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.call_id.in_(call_ids))
        .values(
            caller=ANONYMISED,
            caller_e164=None,
            gp_id=None,
            acknowledged_by_senior_id=None,
            done_by_senior_id=None,
            recording_url=None,
            recording_sid=None,
        )
    )
    session.execute(update(Attempt).where(Attempt.call_id.in_(call_ids)).values(senior_id=None, number="", child_sid=None))
    session.execute(
        update(Call).where(Call.id.in_(call_ids)).values(caller=ANONYMISED, caller_e164=None, gp_id=None, hunt=null(), error=None)
    )


def delete_calls(session: Session, call_ids: list[int]) -> None:
    """Delete the calls; attempts and callback requests follow by ON DELETE CASCADE."""
    session.execute(delete(Call).where(Call.id.in_(call_ids)))


def forget_status_events(session: Session, received_before: datetime) -> int:
    return session.execute(delete(StatusEvent).where(StatusEvent.received_at < received_before)).rowcount


def forget_recording(callback: CallbackRequest, at: datetime) -> None:
    """The message's audio is health data: once past its retention only the fact that it existed stays."""
    callback.recording_url = callback.recording_sid = None
    callback.recording_deleted_at = at
