"""Staged ringing (issue 14 item 4): the primary rings alone for S seconds, then the backup joins; the
first to accept wins and the other leg is cancelled — and logged as such.

One ``<Dial>`` cannot add a phone after S seconds, so the GP waits in a conference of their own
(TWILIO.md, "Ringing several seniors with a delay") and Recours places each senior's leg through the
REST API. The conference's ``waitUrl`` is the clock: fetched as the GP enters (place the primary, pause
S seconds), then redirected at S (place the backup). A senior's leg hears the same announcement as in
sequential ringing; 1 makes that leg start the conference (the GP is bridged) and cancels the others;
3 defers (ivr/defer.py) and moves the GP, through the REST API, to the promise; two seniors pressing 1
at once are settled by the lock on the call's row (the second hears "a colleague took it"). When every
leg has ended unanswered the next hunt entries ring one at a time, then the GP is moved to the callback
offer. If the GP hangs up, the conference's status callback ends the phones still ringing.

These functions decide, as :mod:`ivr.flow` does: they return the TwiML and the facts for the log, plus
the :class:`Orders` for Twilio's REST API that the webhook (webhooks/staged.py) carries out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from calllog import events as ev
from calllog.models import AttemptResult, Call
from ivr import defer, prompts
from ivr.links import Links
from ringing.models import SEQUENTIAL, STAGED
from rota.queries import HuntEntry

log = logging.getLogger(__name__)

WAIT = "/twilio/staged/wait"
SCREEN = "/twilio/staged/screen"
SCREEN_ANSWER = "/twilio/staged/screen-answer"
LEG_STATUS = "/twilio/staged/leg-status"
ROOM_STATUS = "/twilio/staged/room-status"
DONE = "/twilio/staged/done"
MOVE = "/twilio/staged/move"

# How long the waiting GP's document pauses between two looks at the hunt after the backup joined:
# a safety net only, legs ending move the hunt on at once (their status callbacks).
HEARTBEAT_SECONDS = 30
MAX_HEARTBEATS = 40  # 20 minutes: past Twilio's ring timeouts many times over
AUTOMATIC_FALLBACK_SECONDS = 10


class StagedLinks(Links):
    """The URLs of one staged call: each names the GP's CallSid (REST legs have no ParentCallSid).
    Twilio signs the whole URL, so the query cannot be forged."""

    def __init__(self, public_base_url: str, call_sid: str) -> None:
        super().__init__(public_base_url)
        self.call_sid = call_sid

    def wait(self, stage: int) -> str:
        return self._url(WAIT, call=self.call_sid, stage=stage)

    def screen(self, rank: int) -> str:
        return self._url(SCREEN, call=self.call_sid, rank=rank)

    def screen_answer(self, rank: int) -> str:
        return self._url(SCREEN_ANSWER, call=self.call_sid, rank=rank)

    def leg_status(self, rank: int) -> str:
        return self._url(LEG_STATUS, call=self.call_sid, rank=rank)

    def room_status(self) -> str:
        return self._url(ROOM_STATUS, call=self.call_sid)

    def done(self) -> str:
        return self._url(DONE, call=self.call_sid)

    def move(self, kind: str, rank: int = 0) -> str:
        return self._url(MOVE, call=self.call_sid, kind=kind, rank=rank)


@dataclass(frozen=True)
class Place:
    rank: int
    number: str
    timeout: int


@dataclass
class Orders:
    """What to ask Twilio's REST API once the facts are in the log."""

    place: list[Place] = field(default_factory=list)
    end: list[tuple[str, str]] = field(default_factory=list)  # (CallSid, "canceled" | "completed")
    redirect_gp: str | None = None


@dataclass
class Decision:
    twiml: VoiceResponse
    events: list[ev.LogEvent] = field(default_factory=list)
    orders: Orders = field(default_factory=Orders)


def room(call) -> str:
    """An opaque conference name: no number, no name (Twilio's request); from the CallSid, which both
    the logged call and the flow's view of it (ivr.state.CallView) carry."""
    return "recours-" + hashlib.sha256(call.sid.encode()).hexdigest()[:20]


def links_for(ctx, call: Call) -> StagedLinks:
    return StagedLinks(ctx.settings.public_base_url, call.sid)


def applies(ctx, specialty_id: int, hunt: tuple[HuntEntry, ...]) -> bool:
    """Staged ringing needs a second senior; with one, sequential ringing is the same thing. When the
    database cannot say how the specialty rings (degraded mode), the hunt rings one by one from the
    routing snapshot: slower to a human, never a dead end."""
    if len(hunt) < 2:
        return False
    try:
        return ctx.routing.ringing(specialty_id).mode != SEQUENTIAL  # from the routing snapshot
    except SQLAlchemyError:
        log.warning("ringing of specialty %s unknown (database): ringing one by one", specialty_id)
        return False


def stage_seconds(ctx, call: Call) -> int:
    """S: the specialty's fixed seconds, or the automatic ones for the seniors on this hunt now."""
    policy = ctx.routing.ringing(call.specialty_id)
    if policy.mode == STAGED and policy.stage_seconds is not None:
        return policy.stage_seconds
    from ringing import automatic

    hunt = _hunt(call)
    if len(hunt) < 2:
        return AUTOMATIC_FALLBACK_SECONDS
    return automatic.seconds_for(ctx.session, ctx.settings, hunt[0].senior_id, hunt[1].senior_id, ctx.now)


def _hunt(call: Call) -> list[HuntEntry]:
    return [HuntEntry.from_json(h) for h in (call.hunt or [])]


def start(ctx, call: Call, intro: str | None) -> VoiceResponse:
    """The GP's side: the sentence, then the wait in the call's own conference."""
    links = links_for(ctx, call)
    response = VoiceResponse()
    if intro:
        response.say(intro, **prompts.voice(ctx.settings, call.language))
    dial = response.dial(action=links.done(), method="POST")
    dial.conference(
        room(call),
        start_conference_on_enter="false",
        end_conference_on_exit="true",
        beep="false",
        wait_url=links.wait(0),
        wait_method="POST",
        status_callback=links.room_status(),
        status_callback_event="leave",
        status_callback_method="POST",
    )
    return response


def _settled(call: Call) -> bool:
    """Nothing more to ring: someone accepted or deferred, or the GP is gone."""
    return call.ended_at is not None or any(a.result in (AttemptResult.ACCEPTED, AttemptResult.DEFERRED) for a in call.attempts)


def _place(ctx, call: Call, rank: int, decision: Decision, timeout: int) -> None:
    entry = _hunt(call)[rank]
    decision.events.append(ev.AttemptDialled(rank, entry))
    decision.orders.place.append(Place(rank, entry.number, timeout))


def _pause(seconds: int, then: str | None) -> VoiceResponse:
    response = VoiceResponse()
    response.pause(length=max(1, seconds))
    if then is not None:
        response.redirect(then, method="POST")
    return response


def wait(ctx, call: Call, stage: int) -> Decision:
    """The conference's waitUrl, fetched on the GP's leg: stage 0 as they enter, 1 at S, then heartbeats."""
    links = links_for(ctx, call)
    ring = ctx.settings.ring_timeout
    if _settled(call) or stage > MAX_HEARTBEATS:
        return Decision(_pause(HEARTBEAT_SECONDS, None))
    hunt = _hunt(call)
    decision = Decision(VoiceResponse())
    if stage == 0:
        seconds = stage_seconds(ctx, call)
        if call.attempt(0) is None:
            # The primary keeps ringing while the backup does: both stop at the backup's timeout.
            _place(ctx, call, 0, decision, seconds + ring)
        if seconds == 0 and call.attempt(1) is None and len(hunt) > 1:
            _place(ctx, call, 1, decision, ring)
        decision.twiml = _pause(seconds, links.wait(1)) if seconds > 0 else _pause(ring, links.wait(2))
        return decision
    if stage == 1 and call.attempt(1) is None and len(hunt) > 1:
        _place(ctx, call, 1, decision, ring)
        decision.twiml = _pause(ring, links.wait(2))
        return decision
    decision = advance(ctx, call)
    decision.twiml = _pause(HEARTBEAT_SECONDS, links.wait(stage + 1))
    return decision


def advance(ctx, call: Call) -> Decision:
    """After a leg ended unanswered: while another still rings, wait; else ring the next entry alone,
    or, when the hunt is exhausted, move the GP to the callback offer."""
    decision = Decision(VoiceResponse())
    if _settled(call) or any(a.result is None for a in call.attempts):
        return decision
    placed = len(call.attempts)
    if placed < len(_hunt(call)):
        _place(ctx, call, placed, decision, ctx.settings.ring_timeout)
    else:
        decision.orders.redirect_gp = links_for(ctx, call).move("exhausted")
    return decision


def screen(ctx, call: Call, rank: int, gp_name: str | None):
    """The same announcement as sequential ringing, its key posted to the staged handler."""
    from ivr import flow

    return flow.screen(dataclasses.replace(ctx, links=links_for(ctx, call)), call, rank, gp_name)


def _end_others(call: Call, rank: int, decision: Decision) -> None:
    for attempt in call.attempts:
        if attempt.rank != rank and attempt.result is None:
            decision.events.append(ev.AttemptCancelled(attempt.rank))
            if attempt.child_sid:
                decision.orders.end.append((attempt.child_sid, "completed" if attempt.answered_at else "canceled"))


def screen_answer(ctx, call: Call, rank: int, digits: str) -> Decision:
    voice = prompts.voice(ctx.settings, prompts.STAFF_LANGUAGE)
    key = (digits or "").strip()
    response = VoiceResponse()
    if call.ended_at is not None:
        response.say(prompts.WHISPER["not_accepted"], **voice)
        response.hangup()
        return Decision(response)
    if _settled(call):
        # Two seniors pressed at once: the call's row lock made the other one first.
        response.say(prompts.WHISPER["taken"], **voice)
        response.hangup()
        return Decision(response, [ev.AttemptCancelled(rank)])
    from ivr import flow

    if key == flow.ACCEPT_KEY:
        decision = Decision(response, [ev.AttemptAccepted(rank)])
        _end_others(call, rank, decision)
        dial = response.dial()
        dial.conference(room(call), start_conference_on_enter="true", end_conference_on_exit="true", beep="false")
        return decision
    if key == defer.DEFER_KEY:
        step = defer.deferred(ctx, call, rank)
        decision = Decision(step.twiml, list(step.events))
        _end_others(call, rank, decision)
        decision.orders.redirect_gp = links_for(ctx, call).move("promise", rank)
        return decision
    response.say(prompts.WHISPER["declined"], **voice)
    response.hangup()
    return Decision(response, [ev.AttemptDeclined(rank)])


def gp_left(call: Call) -> Decision:
    """The GP left the conference without a senior (hung up): stop every phone still ringing."""
    decision = Decision(VoiceResponse())
    if not any(a.result is AttemptResult.ACCEPTED for a in call.attempts):
        _end_others(call, -1, decision)
    return decision


def done(ctx, call: Call):
    """The GP's conference Dial ended: after a conversation, goodbye."""
    from ivr import flow

    response = VoiceResponse()
    accepted = next((a for a in call.attempts if a.result is AttemptResult.ACCEPTED), None)
    if accepted is not None or call.ended_at is not None:
        response.hangup()
        events: list[ev.LogEvent] = [ev.CallFinished()]
        if accepted is not None:
            events.insert(0, ev.AttemptEnded(accepted.rank, AttemptResult.ACCEPTED))
        return flow.Step(response, events)
    return flow.Step(flow.callback_offer(ctx, call.language, before=prompts.text(call.language, "nobody_answered")))


def move(ctx, call: Call, kind: str, rank: int):
    """Where the REST API moved the GP: a senior's promise, or the callback offer."""
    from ivr import flow

    attempt = call.attempt(rank)
    if kind == "promise" and attempt is not None and attempt.result is AttemptResult.DEFERRED:
        return defer.promise(ctx, call, rank)
    return flow.Step(flow.callback_offer(ctx, call.language, before=prompts.text(call.language, "nobody_answered")))
