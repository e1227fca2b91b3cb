"""Changes to callback requests after their creation, and the messages they cause.

:mod:`calllog.operations` creates a request (in the webhook's transaction); from then on this module is
the only writer of its lifecycle columns. Every function here is idempotent: messages are enqueued under
unique keys, and a state that has moved on is never moved back. The caller commits.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from audit.operations import record, snapshot
from callbacks import messages
from callbacks.models import CallbackCall, CallbackPolicy
from callbacks.queries import deadline_minutes, department_heads, senior_name, seniors_on_duty, told_about, zone_of
from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallbackStatus, CallOutcome
from calllog.operations import STATUS_RANK, TERMINAL
from core.actor import Actor, ActorKind
from core.config import Settings
from core.errors import N_, Code, Kind, OperationError
from core.phones import is_mobile
from core.words import in_language
from directory.queries import gp_name, titled
from ivr.callback_call import CallbackCallLinks
from notify.models import Channel
from notify.outbox import cancel_pending, enqueue
from rota.models import Specialty
from rota.queries import specialty_name

log = logging.getLogger(__name__)

# An SMS telling a senior about a request is useless once the request is closed; one queued during an
# outage is still worth sending for this long.
NOTICE_LIFETIME = timedelta(hours=12)
# A senior who asked to be called waits by the phone for a minute or two, not longer.
CALL_LIFETIME = timedelta(minutes=3)
CALL_ATTEMPTS = 2
# Seniors coming on duty hear of an open request for this long after it was made; older ones stay in
# `flask callbacks list` (overdue) but stop causing SMS.
TELL_WINDOW = timedelta(hours=24)


class CallbackError(OperationError):
    """A request that cannot be acted on now, or a setting out of range."""

    prefix = "callbacks"
    codes = {
        "already_done": Code(N_("callback request {code} is already done"), Kind.CONFLICT),
        "deadline_range": Code(N_("a callback deadline is between 5 minutes and 24 hours"), field="minutes"),
    }


def _labels(session: Session, request: CallbackRequest, language: str) -> tuple[str, str]:
    specialty = specialty_name(session, request.specialty_id, language) or in_language(language)._("no specialty")
    return messages.gp_label(gp_name(session, request.gp_id), request.caller_e164, language), specialty


# -- announcing -------------------------------------------------------------------------------------


def _new_code(session: Session) -> str:
    taken = set(
        session.scalars(
            select(CallbackRequest.code).where(CallbackRequest.status == CallbackStatus.OPEN, CallbackRequest.code.is_not(None))
        )
    )
    for digits in (4, 4, 4, 4, 5, 6):
        code = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))  # no leading zero to lose
        if code not in taken:
            return code
    raise RuntimeError("no free callback code")  # pragma: no cover - 900,000 open requests


def announce_new_requests(session: Session, settings: Settings, now: datetime) -> list[CallbackRequest]:
    """Give each new request its code and deadline once its call has ended (or should have: a GP's
    message lasts at most RECORD_MAX_LENGTH). The SMS themselves go out in :func:`tell_seniors_on_duty`."""
    settled = now - timedelta(seconds=settings.record_max_length + 60)
    fresh = session.scalars(
        select(CallbackRequest)
        .join(Call, Call.id == CallbackRequest.call_id)
        .where(
            CallbackRequest.status == CallbackStatus.OPEN,
            CallbackRequest.announced_at.is_(None),
            or_(Call.ended_at.is_not(None), CallbackRequest.requested_at <= settled),
        )
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
        # Only the requests: the call rows stay free for the hotline's webhooks.
        .with_for_update(of=CallbackRequest)
    ).all()
    for request in fresh:
        promised = request.promised_minutes is not None
        minutes = (
            request.promised_minutes if promised else deadline_minutes(session, request.specialty_id, settings.callbacks.deadline_minutes)
        )
        request.deadline_at = request.requested_at + timedelta(minutes=minutes)
        request.code = _new_code(session)
        request.announced_at = now
        session.flush()
        if promised:
            _hold_to_promise(session, settings, request, now)
        log.info("callback request #%d announced: code %s, deadline %s", request.id, request.code, request.deadline_at.isoformat())
    return list(fresh)


def _hold_to_promise(session: Session, settings: Settings, request: CallbackRequest, now: datetime) -> None:
    """A deferred call: the request is the promising senior's from the start (nobody else is told; the
    head is alerted at the deadline), they get the code by SMS, and the GP gets the promise in writing
    when their number is a mobile."""
    assert request.code is not None and request.deadline_at is not None
    senior_id = request.promised_by_senior_id
    if senior_id is not None and request.acknowledged_at is None:
        request.acknowledged_at, request.acknowledged_by_senior_id = now, senior_id
    zone = zone_of(session, request.specialty_id)
    deadline = messages.hhmm(request.deadline_at, zone)
    number = session.scalar(
        select(Attempt.number)
        .where(Attempt.call_id == request.call_id, Attempt.result == AttemptResult.DEFERRED)
        .order_by(Attempt.rank)
        .limit(1)
    )
    if senior_id is not None and number:
        language = messages.senior_language(session, senior_id, settings.web.default_language)
        gp, specialty = _labels(session, request, language)
        enqueue(
            session,
            dedup_key=f"callback:{request.id}:promise:{senior_id}",
            channel=Channel.SMS,
            purpose="callback_promise",
            recipient=number,
            body=messages.promise_to_senior(request.code, gp, specialty, deadline, language=language),
            senior_id=senior_id,
            callback_request_id=request.id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=request.deadline_at,
        )
    if is_mobile(request.caller_e164):
        call_language = session.scalar(select(Call.language).where(Call.id == request.call_id)) or settings.web.default_language
        specialty = specialty_name(session, request.specialty_id, call_language) or ""
        enqueue(
            session,
            dedup_key=f"callback:{request.id}:promise-gp",
            channel=Channel.SMS,
            purpose="callback_promise_gp",
            recipient=request.caller_e164,
            body=messages.promise_to_gp(titled(senior_name(session, senior_id)), specialty, deadline, language=call_language),
            callback_request_id=request.id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=request.deadline_at,
        )
    session.flush()


def tell_seniors_on_duty(session: Session, settings: Settings, now: datetime) -> int:
    """SMS every senior on duty about every open, unacknowledged request they have not heard of.

    Run on every tick, so a senior whose duty starts after the request was made hears of it too; the
    per-senior key makes it once per senior.
    """
    queued = 0
    requests = session.scalars(
        select(CallbackRequest).where(
            CallbackRequest.status == CallbackStatus.OPEN,
            CallbackRequest.announced_at.is_not(None),
            CallbackRequest.acknowledged_at.is_(None),
            CallbackRequest.requested_at >= now - TELL_WINDOW,
        )
    ).all()
    for request in requests:
        if request.specialty_id is None:
            queued += _tell_unrouted(session, settings, request, now)
            continue
        # Who is on duty now and has not heard of it: usually nobody, so nothing else is read.
        told = told_about(session, request.id)
        recipients = [r for r in seniors_on_duty(session, request.specialty_id, now) if r.senior_id not in told]
        if not recipients:
            if not told and request.announced_at == now:
                log.warning("callback request #%d: nobody on duty in specialty #%d to tell", request.id, request.specialty_id)
            continue
        assert request.code is not None and request.deadline_at is not None
        deadline = messages.hhmm(request.deadline_at, zone_of(session, request.specialty_id))
        for recipient in recipients:
            language = messages.senior_language(session, recipient.senior_id, settings.web.default_language)
            gp, specialty = _labels(session, request, language)
            body = messages.new_request(request.code, gp, specialty, deadline, hidden=request.caller_e164 is None, language=language)
            queued += enqueue(
                session,
                dedup_key=f"callback:{request.id}:new:{recipient.senior_id}",
                channel=Channel.SMS,
                purpose="callback_new",
                recipient=recipient.number,
                body=body,
                senior_id=recipient.senior_id,
                callback_request_id=request.id,
                now=now,
                max_attempts=settings.notify.max_attempts,
                expires_at=now + NOTICE_LIFETIME,
            )
    session.flush()
    return queued


def _tell_unrouted(session: Session, settings: Settings, request: CallbackRequest, now: datetime) -> int:
    """A request without a specialty (the fallback path) goes to CALLBACK_UNROUTED_NUMBERS, if any."""
    assert request.code is not None and request.deadline_at is not None
    language = settings.web.default_language
    gp, _specialty = _labels(session, request, language)
    body = messages.unrouted(request.code, gp, messages.hhmm(request.deadline_at, zone_of(session, None)), language=language)
    queued = 0
    for number in settings.callbacks.unrouted_numbers:
        queued += enqueue(
            session,
            dedup_key=f"callback:{request.id}:unrouted:{number}",
            channel=Channel.SMS,
            purpose="callback_unrouted",
            recipient=number,
            body=body,
            callback_request_id=request.id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=now + NOTICE_LIFETIME,
        )
    return queued


def escalation_time(request: CallbackRequest, lead: timedelta) -> datetime:
    """When the head is alerted: ``lead`` before the deadline — but never in the first half of a short
    deadline — or at the deadline when a senior has acknowledged the request and not yet called."""
    assert request.deadline_at is not None
    if request.acknowledged_at is not None:
        return request.deadline_at
    halfway = request.requested_at + (request.deadline_at - request.requested_at) / 2
    return max(request.deadline_at - lead, halfway)


def escalate_due(session: Session, settings: Settings, now: datetime) -> list[CallbackRequest]:
    """Alert the department head about each request about to pass its deadline unanswered (once)."""
    lead = timedelta(minutes=settings.callbacks.escalation_lead_minutes)
    candidates = session.scalars(
        select(CallbackRequest)
        .where(
            CallbackRequest.status == CallbackStatus.OPEN,
            CallbackRequest.escalated_at.is_(None),
            CallbackRequest.deadline_at.is_not(None),
            CallbackRequest.deadline_at <= now + lead,
        )
        .with_for_update()
    ).all()
    escalated = []
    for request in candidates:
        if now < escalation_time(request, lead):
            continue
        assert request.code is not None and request.deadline_at is not None
        zone = zone_of(session, request.specialty_id)
        acknowledged_by = senior_name(session, request.acknowledged_by_senior_id) if request.acknowledged_at else None
        heads = department_heads(session, request.specialty_id, now) if request.specialty_id is not None else []
        if not heads:
            log.warning(
                "callback request #%d is due at %s and has no department head to alert", request.id, request.deadline_at.isoformat()
            )
        for head in heads:
            language = messages.senior_language(session, head.senior_id, settings.web.default_language)
            gp, specialty = _labels(session, request, language)
            requested, deadline = messages.hhmm(request.requested_at, zone), messages.hhmm(request.deadline_at, zone)
            body = messages.escalation(request.code, gp, specialty, requested, deadline, acknowledged_by, language=language)
            enqueue(
                session,
                dedup_key=f"callback:{request.id}:escalation:{head.senior_id}",
                channel=Channel.SMS,
                purpose="callback_escalation",
                recipient=head.number,
                body=body,
                senior_id=head.senior_id,
                callback_request_id=request.id,
                now=now,
                max_attempts=settings.notify.max_attempts,
                expires_at=now + NOTICE_LIFETIME,
            )
        request.escalated_at = now
        escalated.append(request)
    session.flush()
    return escalated


# -- what seniors do --------------------------------------------------------------------------------


def acknowledge(session: Session, request: CallbackRequest, senior_id: int, now: datetime) -> str:
    """A senior takes the request. Returns "acknowledged", "by_other" (someone took it first: kept) or "done"."""
    if request.status is CallbackStatus.DONE:
        return "done"
    if request.acknowledged_at is not None and request.acknowledged_by_senior_id != senior_id:
        return "by_other"
    if request.acknowledged_at is None:
        request.acknowledged_at, request.acknowledged_by_senior_id = now, senior_id
        # The others need not be told any more; the head is alerted only at the deadline now.
        cancel_pending(session, callback_request_id=request.id, purposes=("callback_new",))
        session.flush()
    return "acknowledged"


def request_callback_call(
    session: Session, settings: Settings, request: CallbackRequest, senior_id: int, senior_number: str, now: datetime
) -> CallbackCall:
    """Queue the outbound call: Twilio rings ``senior_number`` first, then the GP (see ivr/callback_call.py)."""
    if request.status is CallbackStatus.DONE:
        raise CallbackError("already_done", code=request.code)
    call = CallbackCall(
        callback_request_id=request.id,
        senior_id=senior_id,
        senior_number=senior_number,
        requested_at=now,
        senior_status="requested",
        senior_rank=0,
        gp_rank=0,
    )
    session.add(call)
    session.flush()
    links = CallbackCallLinks(settings.public_base_url)
    enqueue(
        session,
        dedup_key=f"callback-call:{call.id}",
        channel=Channel.CALL,
        purpose="callback_call",
        recipient=senior_number,
        payload={
            "url": links.senior_answered(call.id),
            "status_callback": links.status(call.id, "senior"),
            "timeout": max(settings.ring_timeout, 25),
        },
        senior_id=senior_id,
        callback_request_id=request.id,
        now=now,
        max_attempts=CALL_ATTEMPTS,
        expires_at=now + CALL_LIFETIME,
    )
    if request.acknowledged_at is None:
        acknowledge(session, request, senior_id, now)
    session.flush()
    return call


def mark_called_back(session: Session, call: CallbackCall, now: datetime) -> CallbackRequest:
    """The GP pressed 1 to take the senior's call: the promise is kept."""
    call.bridged_at = call.bridged_at or now
    # Locked: two callback calls for one request may be bridged at once; the first one counts.
    request = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.id == call.callback_request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if request.status is CallbackStatus.OPEN:
        request.status, request.done_at = CallbackStatus.DONE, now
        request.done_by_senior_id, request.done_via = call.senior_id, "callback_call"
        cancel_pending(session, callback_request_id=request.id, purposes=("callback_new", "callback_escalation", "callback_unrouted"))
        log.info("callback request #%d (%s) done by senior #%s", request.id, request.code, call.senior_id)
    session.flush()
    return request


class CallbackRequestError(OperationError):
    """A callback request that cannot be marked done by this actor, or not any more."""

    prefix = "callback"
    codes = {
        "not_found": Code(N_("This callback request does not exist."), Kind.NOT_FOUND, "request_id"),
        "already_done": Code(N_("This callback request was already marked done."), Kind.CONFLICT, "request_id"),
        "not_yours": Code(N_("This callback request is not one of your specialties'."), Kind.FORBIDDEN, "request_id"),
    }


def _may_close(session: Session, actor: Actor, department_id: int | None) -> bool:
    """The access matrix's ``callbacks.close`` for a person or a token; the hospital's own (CLI,
    scheduler, system) may always."""
    from accounts.access import Target, can

    if actor.kind is ActorKind.USER:
        from accounts.models import User
        from accounts.scope import principal_of

        user = session.get(User, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            return False
        who = principal_of(session, user)
    elif actor.kind is ActorKind.TOKEN:
        from api.models import ApiToken  # the API sits above callbacks: imported only when a token acts
        from api.tokens import principal_of_token

        token = session.get(ApiToken, actor.token_id) if actor.token_id is not None else None
        if token is None or token.revoked_at is not None:
            return False
        who = principal_of_token(token)
    else:
        return True
    return can(who, "callbacks.close", Target.departments(*([department_id] if department_id is not None else [])))


def _department_of(session: Session, request: CallbackRequest) -> int | None:
    """The department whose specialty the request is for (None without a specialty)."""
    if not request.specialty_id:
        return None
    return session.scalar(select(Specialty.department_id).where(Specialty.id == request.specialty_id))


def _request_label(request: CallbackRequest) -> str:
    """How the audit log names a request: ``#12 (K7P2Q)``."""
    return f"#{request.id}" + (f" ({request.code})" if request.code else "")


def mark_done(session: Session, actor: Actor, request_id: int, now: datetime) -> CallbackRequest:
    """Close a request by hand: the GP was called back from another phone, or reached another way.

    A senior who closes it is recorded as the one who called back; anyone else (a head, a manager, the
    CLI) closes it without a name. The pending SMS about it are cancelled; the audit log keeps who did it."""
    request = session.scalars(
        select(CallbackRequest).where(CallbackRequest.id == request_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if request is None:
        raise CallbackRequestError("not_found")
    department_id = _department_of(session, request)
    if not _may_close(session, actor, department_id):
        raise CallbackRequestError("not_yours")
    if request.status is CallbackStatus.DONE:
        raise CallbackRequestError("already_done")
    before = snapshot(request, exclude=_UNAUDITED)
    request.status, request.done_at, request.done_by_senior_id, request.done_via = CallbackStatus.DONE, now, actor.senior_id, "manual"
    cancel_pending(session, callback_request_id=request.id, purposes=("callback_new", "callback_escalation", "callback_unrouted"))
    session.flush()
    record(
        session,
        actor,
        action="callback.done",
        target_type="callback_request",
        target_id=request.id,
        department_ids=[department_id] if department_id is not None else [],
        before=before,
        after=snapshot(request, exclude=_UNAUDITED),
        summary=_request_label(request),
    )
    log.info("callback request #%d (%s) marked done by hand: %s", request.id, request.code, actor.label)
    return request


def open_message(session: Session, actor: Actor, request_id: int) -> tuple[str, int | None] | None:
    """Someone is about to listen to the GP's recorded message: the audit log keeps who, when and which
    request (the message is health data; reading it is traced like a change). Returns the recording's
    Twilio sid and length to stream, or None when the request has no message (nothing is recorded then).
    The caller has checked access (``callbacks.view``) and commits before streaming."""
    request = session.get(CallbackRequest, request_id)
    if request is None:
        raise CallbackRequestError("not_found")
    if not request.recording_sid:
        return None
    department_id = _department_of(session, request)
    record(
        session,
        actor,
        action="callback.listen",
        target_type="callback_request",
        target_id=request.id,
        department_ids=[department_id] if department_id is not None else [],
        after={"recording_seconds": request.recording_seconds},
        summary=_request_label(request),
    )
    return request.recording_sid, request.recording_seconds


# Who called is personal data kept in the call log itself; the audit entry says what changed.
_UNAUDITED = ("caller", "caller_e164", "recording_url", "recording_sid")


def set_deadline(session: Session, specialty_id: int, minutes: int | None, now: datetime) -> None:
    """A specialty's own deadline (None: back to CALLBACK_DEADLINE_MINUTES). Applies to new requests."""
    policy = session.get(CallbackPolicy, specialty_id)
    if minutes is None:
        if policy is not None:
            session.delete(policy)
    elif not 5 <= minutes <= 24 * 60:
        raise CallbackError("deadline_range")
    elif policy is None:
        session.add(CallbackPolicy(specialty_id=specialty_id, deadline_minutes=minutes, updated_at=now))
    else:
        policy.deadline_minutes, policy.updated_at = minutes, now
    session.flush()


# -- the callback call, as Twilio reports it --------------------------------------------------------


def find_callback_call(session: Session, call_id: int | None) -> CallbackCall | None:
    if call_id is None:
        return None
    return session.scalars(select(CallbackCall).where(CallbackCall.id == call_id).with_for_update()).first()


def record_leg_status(session: Session, call: CallbackCall, leg: str, status: str, sid: str | None, now: datetime) -> bool:
    """A status callback of the senior's leg or of the GP's leg; only ever moves forward."""
    rank = STATUS_RANK.get(status)
    if rank is None:
        return False
    if leg == "gp":
        if rank <= call.gp_rank:
            return False
        call.gp_rank, call.gp_status, call.gp_sid = rank, status, call.gp_sid or sid
    else:
        if rank <= call.senior_rank:
            return False
        call.senior_rank, call.senior_status, call.sid = rank, status, call.sid or sid
        if rank == 3:
            call.senior_answered_at = call.senior_answered_at or now
        if rank == TERMINAL:
            call.ended_at = call.ended_at or now
            if status != "completed":
                call.error = f"the senior's phone: {status}"
    session.flush()
    return True


def senior_answered(call: CallbackCall, sid: str | None, now: datetime) -> None:
    call.sid = call.sid or sid
    call.senior_answered_at = call.senior_answered_at or now


def gp_dialled(call: CallbackCall, now: datetime) -> None:
    call.gp_dialled_at = call.gp_dialled_at or now


# -- missed screened calls (optional) ---------------------------------------------------------------

_MISSED = (AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.NOT_ACCEPTED)
MISSED_LOOKBACK = timedelta(hours=6)


def queue_missed_call_notices(session: Session, settings: Settings, now: datetime) -> int:
    """SMS a senior who let a screened call go unanswered (NOTIFY_MISSED_CALLS), once the call is over."""
    if not settings.callbacks.notify_missed_calls:
        return 0
    rows = session.execute(
        select(Attempt, Call)
        .join(Call, Call.id == Attempt.call_id)
        .where(
            Attempt.result.in_(_MISSED),
            Attempt.senior_id.is_not(None),
            Call.ended_at.is_not(None),
            Attempt.started_at >= now - MISSED_LOOKBACK,
        )
        .order_by(Attempt.id)
    ).all()
    queued = 0
    for attempt, call in rows:
        zone = zone_of(session, call.specialty_id)
        language = messages.senior_language(session, attempt.senior_id, settings.web.default_language)
        callback = call.callback
        outcome = messages.missed_call_outcome(
            call.outcome is CallOutcome.CONNECTED, callback.code if callback else None, callback is not None, language
        )
        specialty, at = specialty_name(session, call.specialty_id, language), messages.hhmm(attempt.started_at, zone)
        queued += enqueue(
            session,
            dedup_key=f"missed:{attempt.id}",
            channel=Channel.SMS,
            purpose="missed_call",
            recipient=attempt.number,
            body=messages.missed_call(specialty, at, outcome, language),
            senior_id=attempt.senior_id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=now + timedelta(hours=2),
        )
    return queued
