"""The senior's third choice at the announcement: "I cannot now, I will call back within N minutes".

The senior's leg hears a confirmation and ends; the GP's Dial action follows at once and the GP hears
the promise — who, which specialty, within how long — and the call ends kindly. The keypress records
the callback request with the promise (calllog writer), so a GP who hangs up before hearing it is called
back all the same; :mod:`callbacks.operations` turns it into that senior's deadline, their SMS with the
code and, when the GP's number is a mobile, the GP's SMS. The existing deadline, escalation to the head
and callback call then apply. In the reports a deferral is its own outcome, neither missed nor connected.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog import events as ev
from calllog.models import AttemptResult, Call
from core.phones import is_mobile
from directory.queries import titled
from ivr import prompts
from ringing.queries import defer_minutes
from rota.queries import HuntEntry, specialty_name

DEFER_KEY = "3"


def minutes_for(ctx, call: Call) -> int:
    """The N this specialty's seniors promise (``flask callbacks defer``, else CALLBACK_DEFER_MINUTES)."""
    routing = getattr(ctx, "routing", None)
    if routing is not None:
        return routing.defer_minutes(call.specialty_id, ctx.settings.callbacks.defer_minutes)
    return defer_minutes(ctx.session, call.specialty_id, ctx.settings.callbacks.defer_minutes)


def deferred(ctx, call: Call, rank: int):
    """On the senior's leg: confirm and hang up, which ends the GP's Dial (then :func:`promise`)."""
    from ivr.flow import Step

    minutes = minutes_for(ctx, call)
    response = VoiceResponse()
    response.say(prompts.WHISPER["deferred"].format(minutes=minutes), **prompts.voice(ctx.settings, prompts.STAFF_LANGUAGE))
    response.hangup()
    return Step(response, [ev.AttemptDeferred(rank, minutes)])


def promise(ctx, call: Call, rank: int):
    """On the GP's leg, once the deferring senior's leg ended: the promise, then goodbye."""
    from ivr.flow import Step

    language = call.language
    hunt = call.hunt or []
    senior = titled(HuntEntry.from_json(hunt[rank]).name) if rank < len(hunt) else ""
    callback = call.callback
    minutes = callback.promised_minutes if callback is not None and callback.promised_minutes else minutes_for(ctx, call)
    routing = getattr(ctx, "routing", None)
    specialty = (
        routing.specialty_name(call.specialty_id, language) if routing else specialty_name(ctx.session, call.specialty_id, language)
    ) or ""
    words = [prompts.text(language, "promise", senior=senior, specialty=specialty, minutes=str(minutes))]
    if is_mobile(call.caller_e164):
        words.append(prompts.text(language, "promise_by_sms"))
    words.append(prompts.text(language, "goodbye"))
    response = VoiceResponse()
    response.say(" ".join(words), **prompts.voice(ctx.settings, language))
    response.hangup()
    return Step(response, [ev.AttemptEnded(rank, AttemptResult.DEFERRED), ev.CallFinished()])
