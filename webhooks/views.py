"""The Twilio webhooks. Each view: check the signature (before_request), read the form, load the call,
ask :mod:`ivr.flow` what to do, let :mod:`calllog.operations` record it, commit once, answer TwiML.

Any failure inside a view still answers TwiML that reaches a human (the switchboard): a GP never
hears Twilio's canned error because of us.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from calllog import events as ev
from calllog import operations, writer
from calllog.facts import Fact, FailureFact, StatusFact, StepFact
from calllog.recent import recent_of
from core import clock, db, deadline
from core.phones import try_e164
from ivr import flow, links
from ivr.links import Links
from webhooks import calls, glue
from webhooks.forms import CallFields, MalformedRequest, small_int, text, timestamp
from webhooks.signature import is_signed_by_twilio, public_url

log = logging.getLogger(__name__)

blueprint = Blueprint("twilio", __name__)

# What a webhook answers when it fails, by endpoint. The default, for every leg a GP is on, is the
# switchboard; a senior's leg, a status callback or an SMS needs another answer.
_FAILURE_ANSWERS: dict[str, Callable[[], Response]] = {}


def on_failure_answer(answer: Callable[[], Response]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare what ``view`` answers Twilio if it fails (put it under ``@blueprint.post``)."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        _FAILURE_ANSWERS[f"{blueprint.name}.{view.__name__}"] = answer
        return view

    return register


def _store(fact: Fact, write: Callable[[], object], *, now: bool = False) -> None:
    calls.store(fact, write, now=now)


# A Twilio form is a few kB (a long SpeechResult included): anything bigger is refused (413) from its
# Content-Length, before a byte of it is read, let alone parsed for the signature check.
MAX_WEBHOOK_BODY_BYTES = 32 * 1024


@blueprint.before_request
def start_the_budget() -> None:
    """Bound the request before anything reads it: body size, then the time its database work may take."""
    request.max_content_length = MAX_WEBHOOK_BODY_BYTES
    db.serves_webhook()
    deadline.start(glue.settings().budget.database_seconds)


@blueprint.teardown_request
def end_the_budget(_exc: BaseException | None) -> None:
    db.end_webhook()


@blueprint.before_request
def require_twilio_signature() -> None:
    """403 for anything not signed with our Auth Token, before any work or write."""
    settings = glue.settings()
    url = public_url(settings.public_base_url, request.path, request.query_string)
    signature = request.headers.get("X-Twilio-Signature")
    if not is_signed_by_twilio(
        settings.twilio_auth_tokens, url, request.form, signature, request.headers.get("X-Twilio-Webhooks-Signature-Settings")
    ):
        log.warning("refused unsigned or forged request to %s from %s", request.path, request.remote_addr)
        abort(403)


@blueprint.before_request
def resume_journal() -> None:
    """Facts left in the journal by a process that is gone are drained once this one serves calls."""
    writer.resume(current_app)


@blueprint.post(links.VOICE)
def voice() -> Response:
    """The number's "A call comes in" URL: greeting and menu, or the hunt for a direct-dial number."""
    fields = CallFields.parse(request.form)
    ctx, call = calls.new_call(fields)
    return calls.finish(ctx, call, flow.incoming(ctx, call, try_e164(fields.dialled)))


@blueprint.post(links.MENU)
def menu() -> Response:
    """The menu Gather's action: a key, a word, or nothing."""
    ctx, call = calls.gp_leg(CallFields.parse(request.form))
    step = flow.menu_input(ctx, call, text(request.form, "Digits", 32), text(request.form, "SpeechResult", 500))
    return calls.finish(ctx, call, step)


@blueprint.post(links.DIAL_RESULT)
def dial_result() -> Response:
    """A senior's Dial ended (bridged conversation over, or a miss)."""
    rank = small_int(request.args.get("rank"), high=100)
    if rank is None:
        raise MalformedRequest("no valid rank in the Dial action URL")
    ctx, call = calls.gp_leg(CallFields.parse(request.form))
    call = calls.note_bridge(call, rank)
    return calls.finish(ctx, call, flow.dial_result(ctx, call, rank, text(request.form, "DialCallStatus", 20)))


@blueprint.post(links.SCREEN)
@on_failure_answer(lambda: _screen_refused())
def screen() -> Response:
    """The Number url: fetched on the senior's leg once it picks up, before the bridge."""
    rank = small_int(request.args.get("rank"), high=100)
    found = calls.senior_leg(text(request.form, "ParentCallSid", 64), rank)
    if found is None or rank is None:
        return _screen_refused()
    ctx, call = found
    step = flow.screen(ctx, call, rank, ctx.routing.gp_name(call.gp_id))
    return calls.finish(ctx, call, step, existing_call=True)


@blueprint.post(links.SCREEN_ANSWER)
@on_failure_answer(lambda: _screen_refused())
def screen_answer() -> Response:
    """The key the senior pressed during the announcement."""
    rank = small_int(request.args.get("rank"), high=100)
    found = calls.senior_leg(text(request.form, "ParentCallSid", 64), rank)
    if found is None or rank is None:
        return _screen_refused()
    ctx, call = found
    return calls.finish(ctx, call, flow.screen_answer(ctx, call, rank, text(request.form, "Digits", 32)), existing_call=True)


@blueprint.post(links.CALLBACK_CHOICE)
def callback_choice() -> Response:
    """After "nobody could answer": 1 or silence records a callback request, 0 the switchboard."""
    ctx, call = calls.gp_leg(CallFields.parse(request.form))
    return calls.finish(ctx, call, flow.callback_choice(ctx, call, text(request.form, "Digits", 32)))


@blueprint.post(links.RECORDING)
@on_failure_answer(lambda: _recording_failed())
def recording() -> Response:
    """The Record action: attach the GP's message to the callback request. Without the database the
    request and its message go to the journal (a callback request once the database is back): the GP
    hears the goodbye either way, never the recording prompt again."""
    fields = CallFields.parse(request.form)
    received = ev.RecordingReceived(
        text(request.form, "RecordingUrl", 1000) or None,
        text(request.form, "RecordingSid", 64) or None,
        small_int(request.form.get("RecordingDuration"), high=86_400),
    )
    try:
        ctx, call = calls.gp_leg(fields)
    except Exception:
        log.exception("recording of call %s: the database does not answer; kept in the journal", fields.sid)
        ctx = calls.context()
        facts = (ev.CallbackRequested(), received, ev.CallFinished())
        writer.record(current_app, StepFact(fields.sid, ctx.now, facts, fields.caller, fields.dialled))
        return glue.twiml(flow.goodbye_after_recording(ctx.settings, "fr", ctx.recordings))
    step = flow.recording_saved(ctx, call, received.url, received.sid, received.seconds)
    return calls.finish(ctx, call, step)


@blueprint.post(links.SWITCHBOARD_RESULT)
@on_failure_answer(lambda: _switchboard_result_failed())
def switchboard_result() -> Response:
    """The switchboard's Dial ended."""
    ctx, call = calls.gp_leg(CallFields.parse(request.form))
    return calls.finish(ctx, call, flow.switchboard_result(ctx, call, text(request.form, "DialCallStatus", 20)))


@blueprint.post(links.STATUS)
@on_failure_answer(lambda: glue.twiml(VoiceResponse()))
def status() -> Response:
    """Status callbacks of the GP's call (account "call status changes") and of each senior's leg
    (``?rank=N``). Idempotent and order-independent; see :func:`calllog.operations.record_status`."""
    session = db.session()
    received_at = clock.now()
    call_sid = text(request.form, "CallSid", 64)
    if call_sid:
        report = operations.StatusReport(
            call_sid=call_sid,
            status=text(request.form, "CallStatus", 20),
            occurred_at=timestamp(request.form.get("Timestamp"), received_at),
            sequence=small_int(request.form.get("SequenceNumber"), high=1_000_000),
            parent_sid=text(request.form, "ParentCallSid", 64) or None,
            rank=small_int(request.args.get("rank"), high=100),
        )
        ends_the_call = report.parent_sid is None and operations.STATUS_RANK.get(report.status) == operations.TERMINAL
        if report.parent_sid is None:
            recent_of(current_app).note_status(report.call_sid, report.status, received_at)
        # The GP's end is read back from the log (staged ringing's leg callbacks must not ring the next
        # senior for a GP who left; the callback announcement; the reconciler): stored in the request,
        # even when the log is written behind.
        _store(StatusFact(report, received_at), lambda: _record_status(session, report, received_at), now=ends_the_call)
    return glue.twiml(VoiceResponse())


def _record_status(session: Session, report: operations.StatusReport, received_at: datetime) -> None:
    # The GP's own call in one statement where it can be (calllog.operations.record_status_at_once).
    if calls.write_at_once(report.call_sid, lambda single: operations.record_status_at_once(single, report, received_at) is not None):
        return
    operations.record_status(session, report, received_at)


@blueprint.post(links.FALLBACK)
def fallback() -> Response:
    """The number's Fallback URL: Twilio could not use our answer (often: the database held the webhook
    up). Answered at once, without touching the database — the one thing that may be failing: the
    failure is noted in the local journal, which the writer stores when the database answers — and never
    by ringing the switchboard again or re-recording a message that was already recorded."""
    sid, code, url = text(request.form, "CallSid", 64), text(request.form, "ErrorCode", 16), text(request.form, "ErrorUrl", 500)
    log.error("Twilio fallback for call %s: error %s at %s", sid, code, url)
    if sid and not request.form.get("ParentCallSid"):
        fact = FailureFact(sid, text(request.form, "From", 64), text(request.form, "To", 64), f"Twilio error {code} at {url}", clock.now())
        try:
            writer.record(current_app, fact)
        except Exception:
            log.exception("could not journal the fallback of call %s", sid)
    failed_path = urlsplit(url).path
    if failed_path.endswith(links.RECORDING):
        return _recording_failed()
    if failed_path.endswith((links.SWITCHBOARD_RESULT, links.FALLBACK_SWITCHBOARD)):
        return _switchboard_result_failed()
    return _fallback_twiml()


@blueprint.post(links.FALLBACK_SWITCHBOARD)
def fallback_switchboard() -> Response:
    """The switchboard's Dial ended after the fallback rang it: goodbye after a conversation, else a
    message. No database: whatever made us fall back may still be failing."""
    return _switchboard_result_failed()


# -- failures ---------------------------------------------------------------------------------------


def _fallback_twiml() -> Response:
    settings = glue.settings()
    return glue.twiml(flow.fallback(settings, Links(settings.public_base_url)))


def _recording_failed() -> Response:
    """The Record action failed: the request and its message go to the journal (a callback request once
    the database answers), the GP hears goodbye — never the recording prompt again."""
    sid, recording_sid = text(request.form, "CallSid", 64), text(request.form, "RecordingSid", 64)
    log.error("the message of call %s (recording %s) could not be stored now; kept in the journal", sid, recording_sid)
    if sid:
        received = ev.RecordingReceived(
            text(request.form, "RecordingUrl", 1000) or None,
            recording_sid or None,
            small_int(request.form.get("RecordingDuration"), high=86_400),
        )
        facts = (ev.CallbackRequested(), received, ev.CallFinished())
        try:
            writer.record(current_app, StepFact(sid, clock.now(), facts, text(request.form, "From", 64), text(request.form, "To", 64)))
        except Exception:
            log.exception("could not journal the message of call %s", sid)
    return glue.twiml(flow.goodbye_after_recording(glue.settings()))


def _switchboard_result_failed() -> Response:
    """The switchboard's Dial ended and we could not handle it: a conversation ends; after a miss, a
    message is taken — the switchboard is not rung again."""
    if text(request.form, "DialCallStatus", 20) in ("completed", "answered"):
        response = VoiceResponse()
        response.hangup()
        return glue.twiml(response)
    settings = glue.settings()
    return glue.twiml(flow.message_after_switchboard(settings, Links(settings.public_base_url)))


def _screen_refused() -> Response:
    # On the senior's leg only Say/Play/Gather/Hangup are allowed: ending the leg makes the GP's Dial
    # move on to the next senior.
    response = VoiceResponse()
    response.hangup()
    return glue.twiml(response)


def _note_failure(error: str) -> None:
    """Record the failure on the call if the database lets us within the budget; never raise from here."""
    sid = text(request.form, "CallSid", 64)
    if not sid or request.form.get("ParentCallSid"):
        return
    fact = FailureFact(sid, text(request.form, "From", 64), text(request.form, "To", 64), error, clock.now())
    if deadline.spent():
        # The database already had the whole budget: the note goes straight to the journal.
        log.error("call %s goes to the switchboard after %s; the budget is spent, the note is journaled", sid, error)
        try:
            writer.record(current_app, fact)
        except Exception:
            log.exception("could not journal the failure of call %s", sid)
        return
    try:
        with db.database().webhook_sessions() as session, session.begin():
            operations.record_failure(session, fact.sid, fact.caller, fact.dialled, fact.error, fact.at)
    except Exception:
        log.exception("could not record the failure of call %s; kept in the journal", sid)
        try:
            writer.record(current_app, fact)
        except Exception:
            log.exception("could not journal the failure of call %s either", sid)


def _answer_anyway(error: str) -> Response:
    """Still answer Twilio usefully: what the endpoint declared (a senior's leg hangs up so the GP's
    Dial moves on, a status callback gets an empty document), else the GP goes to the switchboard."""
    try:
        # Release the request's transaction (and SQLite's write lock) before anything else.
        db.session().rollback()
    except Exception:
        log.exception("rollback failed")
    declared = _FAILURE_ANSWERS.get(request.endpoint or "")
    if declared is not None:
        return declared()
    _note_failure(error)
    return _fallback_twiml()


@blueprint.errorhandler(MalformedRequest)
def answer_malformed_request(error: MalformedRequest) -> Response:
    """Signed, but missing what Twilio always sends: nothing to act on, still no dead end."""
    log.warning("malformed webhook %s: %s", request.path, error)
    return _answer_anyway(f"malformed request: {error}")


@blueprint.errorhandler(Exception)
def answer_despite_failure(error: Exception) -> Response | HTTPException:
    """A bug or a database outage must not leave a GP in silence."""
    if isinstance(error, HTTPException):
        return error  # 403 forged, 405 wrong method: not a call in progress
    answer = "answering as declared" if request.endpoint in _FAILURE_ANSWERS else "sending the caller to the switchboard"
    log.error("webhook %s failed; %s", request.path, answer, exc_info=error)
    return _answer_anyway(f"{type(error).__name__}: {error}")
