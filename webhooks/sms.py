"""SMS webhooks: a senior's reply to a callback SMS, and Twilio's delivery reports of what we sent.

Configure the hotline number's "A message comes in" as ``PUBLIC_BASE_URL/twilio/sms`` (HTTP POST).
Signed like every ``/twilio/*`` request (the blueprint's ``before_request``).
"""

from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse

from callbacks import messages
from callbacks.conversation_replies import answer_sms
from callbacks.queries import senior_by_number
from callbacks.replies import answer
from callbacks.sms_commands import parse
from core import clock, db
from core.phones import try_e164
from notify.models import MessageStatus
from notify.outbox import SMS_STATUS_WEBHOOK, SMS_WEBHOOK, deliver_one, record_sms_status
from notify.providers import current_notifier
from slots import sms as slot_sms
from webhooks import glue
from webhooks.forms import small_int, text
from webhooks.views import blueprint, on_failure_answer

log = logging.getLogger(__name__)


def _messaging(reply: str | None = None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), status=200, mimetype="text/xml")


@blueprint.post(SMS_WEBHOOK)
@on_failure_answer(lambda: _messaging())
def sms_received() -> Response:
    """A senior answers a callback SMS: "OK 4821" takes it, "R 4821" has Recours call them and bridge
    the GP, "LISTE" lists what is open, "URG" books an urgent slot for their last call's GP; a GP
    cancels an urgent slot with "ANNULER <code>". Unknown senders get no answer at all."""
    session = db.session()
    now = clock.now()
    settings = glue.settings()
    sender = try_e164(text(request.form, "From", 64))
    senior = senior_by_number(session, sender)
    about_slots = slot_sms.answer(session, settings, sender, senior, text(request.form, "Body", 1600), now)
    if about_slots is not None:  # URG from a senior, ANNULER <code> from a GP (slots.sms)
        session.commit()
        if about_slots.message_id is not None:
            deliver_one(session, current_notifier(), settings.public_base_url, about_slots.message_id, now)
        return _messaging(about_slots.reply)
    if senior is None or sender is None:
        log.warning("SMS from unknown number %s ignored", text(request.form, "From", 64))
        return _messaging()
    body = text(request.form, "Body", 1600)
    about_a_conversation = answer_sms(session, settings, senior, body, now)
    if about_a_conversation is not None:  # "3": what came of the call they took
        session.commit()
        return _messaging(about_a_conversation)
    result = answer(session, settings, senior, sender, parse(body), now)
    session.commit()
    reply = result.reply
    if result.call_message_id is not None:
        # The senior is holding their phone: start the call now rather than at the scheduler's next tick.
        # (This is the SMS webhook, not a GP's call: a second of REST here delays nobody on the line.)
        status = deliver_one(session, current_notifier(), settings.public_base_url, result.call_message_id, now)
        language = messages.senior_language(session, senior.id, settings.web.default_language)
        if status is MessageStatus.RETRY:
            reply = messages.call_will_retry(result.code or "?", language)
        elif status is MessageStatus.FAILED:
            reply = messages.call_failed(result.code or "?", language)
    return _messaging(reply)


@blueprint.post(SMS_STATUS_WEBHOOK)
@on_failure_answer(lambda: _messaging())
def sms_status() -> Response:
    """Twilio's delivery report for an SMS we sent (``?message=`` is our outbox id, inside the signed URL).
    Idempotent and order-independent: a status only moves forward."""
    session = db.session()
    record_sms_status(
        session,
        small_int(request.args.get("message"), high=10**12),
        text(request.form, "MessageSid", 64),
        text(request.form, "MessageStatus", 20) or text(request.form, "SmsStatus", 20),
        text(request.form, "ErrorCode", 16) or None,
        clock.now(),
    )
    session.commit()
    return _messaging()
