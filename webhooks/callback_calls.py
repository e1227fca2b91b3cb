"""Webhooks of the outbound callback call (see :mod:`ivr.callback_call` for the conversation).

Each view: find the callback call named by ``?cc=`` (inside the signed URL), let
:mod:`callbacks.operations` record what Twilio reported, commit once, answer the TwiML that
:mod:`ivr.callback_call` decides. Signed like every ``/twilio/*`` request.
"""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from callbacks import messages, operations
from callbacks.models import CallbackCall
from callbacks.queries import senior_name
from calllog.models import CallbackStatus
from core import clock, db
from core.words import in_language
from directory.queries import gp_name
from ivr import callback_call as ivr
from ivr.prompts import STAFF_LANGUAGE
from rota.queries import specialty_name
from webhooks import glue
from webhooks.forms import small_int, text
from webhooks.views import blueprint, on_failure_answer

log = logging.getLogger(__name__)


def _links() -> ivr.CallbackCallLinks:
    return ivr.CallbackCallLinks(glue.settings().public_base_url)


def _hangup() -> Response:
    response = VoiceResponse()
    response.hangup()
    return glue.twiml(response)


def _refused() -> Response:
    return glue.twiml(ivr.refused(glue.settings()))


def _callback_call(session: Session) -> CallbackCall | None:
    return operations.find_callback_call(session, small_int(request.args.get("cc"), high=2**31 - 1))


def _briefing(session: Session, call: CallbackCall) -> ivr.Briefing:
    req = call.request
    language = req.call.language if req.call is not None else "fr"
    # Done by another call (or by hand) since this one was asked for: the senior is told, nobody is rung.
    done_by = senior_name(session, req.done_by_senior_id) if req.status is CallbackStatus.DONE and call.bridged_at is None else None
    return ivr.Briefing(
        call_id=call.id,
        code=req.code or "",
        gp=messages.gp_label(gp_name(session, req.gp_id), req.caller_e164, STAFF_LANGUAGE),
        specialty_fr=specialty_name(session, req.specialty_id, STAFF_LANGUAGE) or in_language(STAFF_LANGUAGE)._("a specialty"),
        specialty_gp_language=specialty_name(session, req.specialty_id, language) or in_language(language)._("a specialty"),
        gp_language=language,
        gp_number=req.caller_e164,
        recording_url=req.recording_url,
        done_by=done_by,
    )


@blueprint.post(ivr.CALLBACK_CALL)
@on_failure_answer(lambda: _refused())
def callback_call_answered() -> Response:
    """The ``url`` of the outbound call: the senior who asked for it has picked up."""
    session = db.session()
    call = _callback_call(session)
    if call is None:
        return _refused()
    operations.senior_answered(call, text(request.form, "CallSid", 64) or None, clock.now())
    twiml = ivr.senior_answered(glue.settings(), _links(), _briefing(session, call))
    session.commit()
    return glue.twiml(twiml)


@blueprint.post(ivr.CALLBACK_CALL_CHOICE)
@on_failure_answer(lambda: _refused())
def callback_call_choice() -> Response:
    """The senior's key: 1 rings the GP, 2 plays the GP's message."""
    session = db.session()
    call = _callback_call(session)
    if call is None:
        return _refused()
    digits = text(request.form, "Digits", 32)
    briefing = _briefing(session, call)
    if ivr.wants_gp(briefing, digits):
        operations.gp_dialled(call, clock.now())
    twiml = ivr.senior_choice(glue.settings(), _links(), briefing, digits)
    session.commit()
    return glue.twiml(twiml)


@blueprint.post(ivr.CALLBACK_CALL_SCREEN)
@on_failure_answer(lambda: _hangup())
def callback_call_screen() -> Response:
    """Fetched on the GP's leg once the GP picks up: the hospital is calling back, 1 to take it."""
    session = db.session()
    call = _callback_call(session)
    if call is None:
        return _hangup()
    twiml = ivr.gp_screen(glue.settings(), _links(), _briefing(session, call))
    session.commit()
    return glue.twiml(twiml)


@blueprint.post(ivr.CALLBACK_CALL_SCREEN_ANSWER)
@on_failure_answer(lambda: _hangup())
def callback_call_screen_answer() -> Response:
    """The GP's key: 1 bridges the two and the request is done, recording who called back and when."""
    session = db.session()
    call = _callback_call(session)
    if call is None:
        return _hangup()
    digits = text(request.form, "Digits", 32)
    if ivr.gp_accepted(digits):
        operations.mark_called_back(session, call, clock.now())
    session.commit()
    return glue.twiml(ivr.gp_screen_answer(digits))


@blueprint.post(ivr.CALLBACK_CALL_DIAL_RESULT)
@on_failure_answer(lambda: _hangup())
def callback_call_dial_result() -> Response:
    """The GP's Dial ended, on the senior's leg."""
    session = db.session()
    call = _callback_call(session)
    if call is None:
        return _hangup()
    twiml = ivr.dial_result(glue.settings(), _briefing(session, call), bridged=call.bridged_at is not None)
    session.commit()
    return glue.twiml(twiml)


@blueprint.post(ivr.CALLBACK_CALL_STATUS)
@on_failure_answer(lambda: glue.twiml(VoiceResponse()))
def callback_call_status() -> Response:
    """Status callbacks of the senior's leg (``leg=senior``, from calls.create) and of the GP's leg
    (``leg=gp``, from the Number). Repeated or late ones change nothing."""
    session = db.session()
    call = _callback_call(session)
    if call is not None:
        leg = "gp" if request.args.get("leg") == "gp" else "senior"
        operations.record_leg_status(
            session, call, leg, text(request.form, "CallStatus", 20), text(request.form, "CallSid", 64) or None, clock.now()
        )
        session.commit()
    return glue.twiml(VoiceResponse())
