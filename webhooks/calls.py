"""Where a webhook finds the call it serves, and where it leaves what was decided.

- **Finding the call.** The state a call needs between webhooks rides in the signed action URLs
  (:mod:`ivr.state`), the rota comes from the routing snapshot (:mod:`routing.snapshot`): in the common
  case a webhook reads nothing from the database. A URL without state (handed out before this existed,
  or by the fallback) is served from the call log as before.
- **Leaving the facts.** Each decision's facts are written in the request (``CALLLOG_WRITE_BEHIND``
  false: the log is complete the moment Twilio has its answer) or only journaled for the writer thread
  (true: the fastest answer; a fact the next webhook reads back from the log is still written in the
  request). Either way a fact the database cannot take now goes to the local journal, fsync'd before
  the answer, and reaches the log when the database answers again (:mod:`calllog.writer`); a fact
  written in the request never overtakes those this process journaled before it
  (:meth:`calllog.writer.JournalWriter.catch_up`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from calllog import events as ev
from calllog import operations, writer
from calllog.facts import Fact, StatusFact, StepFact, apply_fact, waits_for_call
from calllog.models import AttemptResult, Call
from calllog.recent import ENDED, recent_of
from core import clock, db
from core.breaker import DatabaseUnavailable
from ivr import flow
from ivr.links import Links
from ivr.menu import HotlineMenu
from ivr.state import CallState, CallView
from routing.snapshot import Routing, keeper_of
from voice.catalogue import RecordedVoice
from webhooks import glue
from webhooks.forms import CallFields

log = logging.getLogger(__name__)


def context(state: CallState | None = None) -> flow.Context:
    settings = glue.settings()
    now = clock.now()
    menu = current_app.extensions.setdefault("recours.menu", HotlineMenu())
    keeper = keeper_of(current_app)
    snapshot, fresh = keeper.for_call(now)
    routing = Routing(snapshot, db.session, menu, fresh=fresh, database_failing=keeper.last_error is not None)
    return flow.Context(
        settings=settings,
        links=Links(settings.public_base_url, state),
        session=db.session(),
        now=now,
        menu=menu,
        routing_source=routing,
        recordings=_recordings(routing),  # the hospital's own recordings of prompts (voice/)
    )


def _recordings(routing: Routing) -> dict[tuple[str, str], str]:
    """From the routing snapshot (no database read during a call); without one, read (and kept 30 s)."""
    if routing.snapshot is not None:
        return {tuple(key.split("|", 1)): path for key, path in routing.snapshot.recordings.items()}
    return dict(recorded_voice().paths(db.session()))


def recorded_voice() -> RecordedVoice:
    return current_app.extensions.setdefault("recours.recorded_voice", RecordedVoice())


def _with_state(ctx: flow.Context, state: CallState) -> flow.Context:
    return dataclasses.replace(ctx, links=ctx.links.with_state(state))


def _hunt(routing: Routing, state: CallState) -> list[dict]:
    hunt = []
    for senior_id, layer in state.hunt:
        known = routing.senior(senior_id)
        name, number = known if known is not None else ("", None)
        if not number:
            log.warning("senior %s of a carried hunt list has no number any more", senior_id)
        hunt.append({"senior_id": senior_id, "name": name, "number": number or "", "layer": layer, "reason": ""})
    return hunt


def _view(ctx: flow.Context, sid: str, caller: str, dialled: str, state: CallState, *, gp_leg: bool) -> CallView:
    memory = recent_of(current_app).get(sid)
    ended = memory.ended_at if memory is not None else None
    if gp_leg and request.form.get("CallStatus") in ENDED:
        ended = ended or ctx.now  # the GP's own leg is over (hung up during the Dial)
    return CallView(
        sid=sid,
        caller=caller,
        dialled=dialled,
        state=state,
        hunt=_hunt(ctx.routing, state),
        ended_at=ended,
        accepted=frozenset(memory.accepted) if memory else frozenset(),
        declined=frozenset(memory.declined) if memory else frozenset(),
        deferred=dict(memory.deferred) if memory else {},
        answered=dict(memory.answered) if memory else {},
        caller_number=_e164(caller) if gp_leg else None,
    )


def new_call(fields: CallFields) -> tuple[flow.Context, CallView]:
    """The first webhook of a call (``/voice``): nothing to read, the GP looked up in the snapshot."""
    ctx = context()
    caller_e164 = _e164(fields.caller)
    gp = ctx.routing.gp_for(caller_e164)
    state = CallState(gp_id=gp[0] if gp else None, caller_e164=None if gp else caller_e164)
    ctx = _with_state(ctx, state)
    return ctx, _view(ctx, fields.sid, fields.caller, fields.dialled, state, gp_leg=True)


def _e164(raw: str) -> str | None:
    from core.phones import try_e164

    return try_e164(raw)


def gp_leg(fields: CallFields) -> tuple[flow.Context, Call | CallView]:
    """A webhook of the GP's own call: from its URL's state, else from the call log."""
    state = CallState.from_args(request.args)
    ctx = context(state)
    if state is None:
        call = operations.open_call(ctx.session, fields.sid, fields.caller, fields.dialled, ctx.now)
        return _with_state(ctx, CallState.of(call)), call
    return ctx, _view(ctx, fields.sid, fields.caller, fields.dialled, state, gp_leg=True)


def senior_leg(parent_sid: str, rank: int | None) -> tuple[flow.Context, Call | CallView] | None:
    """A webhook of a senior's leg (the announcement, its key): the GP's call it belongs to, or None
    when there is none to speak of (then the leg is ended and the GP's Dial moves on)."""
    state = CallState.from_args(request.args)
    ctx = context(state)
    if state is None:
        call = operations.find_call(ctx.session, parent_sid)
        if call is None or rank is None or call.attempt(rank) is None:
            return None
        return _with_state(ctx, CallState.of(call)), call
    view = _view(ctx, parent_sid, "", "", state, gp_leg=False)
    if rank is None or view.attempt(rank) is None:
        return None
    return ctx, view


def note_bridge(call: Call | CallView, rank: int) -> Call | CallView:
    """The Dial action says whether Twilio bridged the senior (``DialBridged``), which only happens
    after our announcement took their "1": the acceptance, whichever instance heard the key. Without
    the parameter (unverified that Twilio always sends it) the call log is asked."""
    if not isinstance(call, CallView):
        return call
    bridged = request.form.get("DialBridged")
    if bridged == "true":
        call.accepted = call.accepted | {rank}
        return call
    known = rank in call.accepted or rank in call.declined or rank in call.deferred
    answered = request.form.get("DialCallStatus") in ("completed", "answered")
    # Not bridged yet answered: a key other than 1 (declined, or deferred with a promise the GP must
    # hear), pressed maybe on another instance; the call log knows (written before that key's answer).
    if not known and (bridged is None or answered):
        try:
            logged = operations.find_call(db.session(), call.sid)
            attempt = logged.attempt(rank) if logged is not None else None
            if attempt is not None and attempt.result is not None:
                if attempt.result is AttemptResult.ACCEPTED:
                    call.accepted |= {rank}
                elif attempt.result is AttemptResult.DECLINED:
                    call.declined |= {rank}
                elif attempt.result is AttemptResult.DEFERRED:
                    promised = logged.callback.promised_minutes if logged.callback is not None else None
                    call.deferred = {**call.deferred, rank: promised or 0}
            if attempt is not None and attempt.answered_at is not None:
                call.answered.setdefault(rank, attempt.answered_at)
            db.session().commit()
        except DatabaseUnavailable:
            log.info("call %s: the database is away; attempt %s decided from what this process saw", call.sid, rank)
            _rollback(db.session())
        except Exception:
            log.exception("call %s: the call log cannot say how attempt %s ended; deciding from what this process saw", call.sid, rank)
            _rollback(db.session())
    return call


# -- leaving the facts --------------------------------------------------------------------------------


# A senior's "no" or "later" heard by one instance must be in the log before Twilio moves on: the Dial
# action that follows may reach another instance, which learns how the leg ended only from the log
# (an acceptance, it learns from Twilio's own DialBridged).
_KEYS_THE_DIAL_ACTION_READS = (ev.AttemptDeclined, ev.AttemptDeferred)


def finish(ctx: flow.Context, call: Call | CallView, step: flow.Step, *, existing_call: bool = False) -> Response:
    """Record the step's facts (see the module) and answer its TwiML."""
    fact = StepFact(call.sid, ctx.now, tuple(step.events), call.caller, call.dialled, existing_call=existing_call)
    recent_of(current_app).note(call.sid, step.events, ctx.now)
    now = step.read_from_the_log or any(isinstance(event, _KEYS_THE_DIAL_ACTION_READS) for event in step.events)
    if isinstance(call, Call):
        store(fact, lambda: operations.apply(ctx.session, call, step.events, ctx.now), now=now)
    else:
        store(fact, lambda: _apply_unless_waiting(fact), now=now)
    return glue.twiml(step.twiml)


class _Waits(Exception):
    """The fact is about a call (or an attempt) whose own facts are not in the log yet."""


def write_at_once(sid: str, write: Callable[[Session], bool]) -> bool:
    """Write a fact of the call ``sid`` in one statement where it can be (on PostgreSQL, in autocommit: a
    single round trip). ``write`` runs on the one-statement session and says whether it wrote; if it
    did, the request session's copy of the call is read again. False: use the request's transaction."""
    single = db.one_statement_session()
    if not write(single):
        return False
    single.commit()
    operations.expire_call(db.session(), sid)
    return True


def _apply_unless_waiting(fact: Fact) -> None:
    if isinstance(fact, StepFact) and not fact.existing_call and write_at_once(fact.sid, lambda single: _step_at_once(single, fact)):
        return
    session = db.session()
    if waits_for_call(session, fact):
        raise _Waits
    apply_fact(session, fact)


def _step_at_once(single: Session, fact: StepFact) -> bool:
    # The first webhooks of a call (calllog.operations.record_step_at_once).
    return operations.record_step_at_once(single, fact.sid, fact.caller, fact.dialled, fact.events, fact.at)


def store(fact: Fact, write: Callable[[], object], *, now: bool = False) -> None:
    """Write ``fact`` in the request's transaction — or not at all with ``CALLLOG_WRITE_BEHIND``, unless
    ``now`` (the next webhook, maybe on another instance, reads it from the log) — and keep it in the
    local journal whenever it is not in the database when Twilio gets its answer."""
    settings = glue.settings()
    session = db.session()
    if settings.local.write_behind and not now:
        _rollback(session)  # nothing of this request is kept: the writer stores the fact, row included
        writer.record(current_app, fact)
        return
    # Written now, yet after what this process journaled before it (write-behind's facts, an outage's);
    # if they cannot all be written in time, this fact joins them in the journal, in its order.
    if writer.behind(current_app) and not _caught_up(session):
        log.info("call-log fact of %s journaled: the facts journaled before it are not in the database yet", _sid_of(fact))
        writer.record(current_app, fact)
        return
    try:
        write()
        session.commit()
    except (_Waits, DatabaseUnavailable):  # (the breaker: the database failed a moment ago, not waited for)
        _rollback(session)
        writer.record(current_app, fact)
    except Exception:
        log.exception("call-log write failed for %s; fact kept in the journal", _sid_of(fact))
        _rollback(session)
        writer.record(current_app, fact)


def _caught_up(session: Session) -> bool:
    """The journal's writer has applied what this process journaled so far (:func:`calllog.writer.catch_up`)."""
    try:
        # What the request did so far is kept (a call opened from the log), and its transaction ends:
        # a transaction kept open (SQLite's snapshot) would not see the rows the writer adds.
        session.commit()
    except Exception:
        log.exception("call-log write failed before catching up with the journal")
        _rollback(session)
        return False
    return writer.catch_up(current_app)


def _rollback(session) -> None:
    try:
        session.rollback()
    except Exception:
        log.exception("rollback failed")


def _sid_of(fact: Fact) -> str:
    return fact.report.call_sid if isinstance(fact, StatusFact) else fact.sid
