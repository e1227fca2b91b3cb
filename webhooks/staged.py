"""The webhooks of staged ringing (ivr/staged.py): the GP's wait in their conference, each senior's
REST-placed leg (announcement, key, status), the conference's own status callback, and the two places
the REST API moves a waiting GP to (a senior's promise, the callback offer).

Same shape as webhooks/views.py: parse, load the call (locked), let ivr decide, record the facts, then
carry out the decision's orders for Twilio's REST API — placing a leg writes its CallSid to the log —
commit once, answer TwiML. Every URL names the GP's CallSid inside Twilio's signature.
"""

from __future__ import annotations

import logging

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from calllog import events as ev
from calllog import operations
from calllog.models import AttemptResult, Call
from core import clock, db
from directory.queries import gp_name
from ivr import flow, staged
from ivr.links import Links
from ivr.menu import HotlineMenu
from notify.providers import SendError, current_notifier
from webhooks import glue
from webhooks.forms import MalformedRequest, small_int, text, timestamp
from webhooks.views import blueprint, on_failure_answer

log = logging.getLogger(__name__)

# Placing a leg can fail (Twilio refuses the number): the next entry is tried, a bounded number of times.
MAX_PLACEMENTS_PER_REQUEST = 10


def _context() -> flow.Context:
    settings = glue.settings()
    menu = current_app.extensions.setdefault("recours.menu", HotlineMenu())
    return flow.Context(settings=settings, links=Links(settings.public_base_url), session=db.session(), now=clock.now(), menu=menu)


def _call(ctx: flow.Context) -> Call | None:
    return operations.find_call(ctx.session, text(request.args, "call", 64))


def _rank() -> int:
    rank = small_int(request.args.get("rank"), high=100)
    if rank is None:
        raise MalformedRequest("no valid rank in the URL")
    return rank


def _carry_out(ctx: flow.Context, call: Call, decision: staged.Decision) -> None:
    """Record the decision, then ask Twilio for what it ordered; record what became of each order."""
    notifier = current_notifier()
    operations.apply(ctx.session, call, decision.events, ctx.now)
    orders, placements = decision.orders, 0
    links = staged.links_for(ctx, call)
    while orders.place and placements < MAX_PLACEMENTS_PER_REQUEST:
        place = orders.place.pop(0)
        placements += 1
        try:
            sid = notifier.start_call(place.number, links.screen(place.rank), links.leg_status(place.rank), place.timeout)
        except SendError as exc:
            log.error("staged ringing: could not place leg %d of call %s: %s", place.rank, call.sid, exc)
            operations.apply(ctx.session, call, [ev.AttemptEnded(place.rank, AttemptResult.FAILED)], ctx.now)
            again = staged.advance(ctx, call)
            operations.apply(ctx.session, call, again.events, ctx.now)
            orders.place += again.orders.place
            orders.redirect_gp = orders.redirect_gp or again.orders.redirect_gp
            continue
        operations.apply(ctx.session, call, [ev.LegPlaced(place.rank, sid)], ctx.now)
    for sid, status in orders.end:
        try:
            notifier.end_call(sid, status)
        except SendError as exc:  # the leg rings out on its own timeout; its status still reaches us
            log.warning("staged ringing: could not end leg %s: %s", sid, exc)
    if orders.redirect_gp is not None and call.ended_at is None:
        try:
            notifier.redirect_call(call.sid, orders.redirect_gp)
        except SendError as exc:
            log.error("staged ringing: could not move the GP of call %s on: %s", call.sid, exc)


def _empty() -> Response:
    return glue.twiml(VoiceResponse())


def _hang_up() -> Response:
    response = VoiceResponse()
    response.hangup()
    return glue.twiml(response)


def _wait_again() -> Response:
    """The wait failed (a bug, the database down): a waitUrl may only Say, Play, Pause or Redirect, and
    no Dial from there reaches a human; so move the GP's call, through the REST API (no database
    needed), to the Fallback URL — the switchboard, then a message. Should even that fail, pause: the
    wait is fetched again."""
    sid = text(request.form, "CallSid", 64)
    if sid:
        try:
            current_notifier().redirect_call(sid, Links(glue.settings().public_base_url).fallback())
        except Exception:
            log.exception("staged ringing: could not move call %s to the fallback", sid)
    response = VoiceResponse()
    response.pause(length=5)
    return glue.twiml(response)


@blueprint.post(staged.WAIT)
@on_failure_answer(_wait_again)
def staged_wait() -> Response:
    """The conference's waitUrl on the GP's leg: the clock of staged ringing."""
    ctx = _context()
    call = _call(ctx)
    if call is None:
        raise MalformedRequest("no such call")
    decision = staged.wait(ctx, call, small_int(request.args.get("stage"), high=1000) or 0)
    _carry_out(ctx, call, decision)
    ctx.session.commit()
    return glue.twiml(decision.twiml)


@blueprint.post(staged.SCREEN)
@on_failure_answer(_hang_up)
def staged_screen() -> Response:
    """A senior's REST leg picked up: the announcement."""
    ctx = _context()
    call = _call(ctx)
    rank = _rank()
    if call is None or call.attempt(rank) is None:
        return _hang_up()
    step = staged.screen(ctx, call, rank, gp_name(ctx.session, call.gp_id))
    operations.apply(ctx.session, call, step.events, ctx.now)
    ctx.session.commit()
    return glue.twiml(step.twiml)


@blueprint.post(staged.SCREEN_ANSWER)
@on_failure_answer(_hang_up)
def staged_screen_answer() -> Response:
    """The senior's key: 1 joins the GP's conference (and stops the others), 3 defers, else declines."""
    ctx = _context()
    call = _call(ctx)
    rank = _rank()
    if call is None or call.attempt(rank) is None:
        return _hang_up()
    decision = staged.screen_answer(ctx, call, rank, text(request.form, "Digits", 32))
    _carry_out(ctx, call, decision)
    ctx.session.commit()
    return glue.twiml(decision.twiml)


@blueprint.post(staged.LEG_STATUS)
@on_failure_answer(_empty)
def staged_leg_status() -> Response:
    """A senior's REST leg progressed; once it ended unanswered, the hunt moves on."""
    session = db.session()
    received_at = clock.now()
    sid, rank = text(request.form, "CallSid", 64), _rank()
    parent = text(request.args, "call", 64)
    report = operations.StatusReport(
        call_sid=sid,
        status=text(request.form, "CallStatus", 20),
        occurred_at=timestamp(request.form.get("Timestamp"), received_at),
        sequence=small_int(request.form.get("SequenceNumber"), high=1_000_000),
        parent_sid=parent,
        rank=rank,
    )
    fresh = operations.record_status(session, report, received_at)
    if fresh and operations.STATUS_RANK.get(report.status) == operations.TERMINAL:
        ctx = _context()
        call = _call(ctx)
        if call is not None:
            _carry_out(ctx, call, staged.advance(ctx, call))
    session.commit()
    return _empty()


@blueprint.post(staged.ROOM_STATUS)
@on_failure_answer(_empty)
def staged_room_status() -> Response:
    """The GP's conference: when the GP leaves it without a senior (hung up), stop the phones."""
    ctx = _context()
    call = _call(ctx)
    if (
        call is not None
        and text(request.form, "StatusCallbackEvent", 40) == "participant-leave"
        and text(request.form, "CallSid", 64) == call.sid
        and text(request.form, "ReasonParticipantLeft", 60) == "participant_hung_up"
    ):
        _carry_out(ctx, call, staged.gp_left(call))
    ctx.session.commit()
    return _empty()


@blueprint.post(staged.DONE)
def staged_done() -> Response:
    """The GP's conference Dial ended."""
    ctx = _context()
    call = _call(ctx)
    if call is None:
        raise MalformedRequest("no such call")
    step = staged.done(ctx, call)
    operations.apply(ctx.session, call, step.events, ctx.now)
    ctx.session.commit()
    return glue.twiml(step.twiml)


@blueprint.post(staged.MOVE)
def staged_move() -> Response:
    """Where the REST API moved the waiting GP: a senior's promise, or the callback offer."""
    ctx = _context()
    call = _call(ctx)
    if call is None:
        raise MalformedRequest("no such call")
    step = staged.move(ctx, call, text(request.args, "kind", 16), small_int(request.args.get("rank"), high=100) or 0)
    operations.apply(ctx.session, call, step.events, ctx.now)
    ctx.session.commit()
    return glue.twiml(step.twiml)
