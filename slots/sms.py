"""Urgent slots by SMS, on the hotline's number.

- A senior texts ``URG`` (or ``URGENT``, ``CRENEAU``, ``CRÉNEAU``, ``SLOT``) after a call: Recours books
  the next free urgent slot of that call's specialty for the GP of the senior's last call (one they
  accepted, or called back through Recours, in the last :data:`LAST_CALL_WITHIN`), and answers with
  the code; the GP gets their SMS at once.
- A GP replies ``ANNULER K7MP4`` (or ``CANCEL K7MP4``) to the SMS with the code: the booking is
  cancelled and the slot freed. Only from the number the code was sent to.

:func:`answer` returns None for anything else, and the SMS webhook goes on with the callback commands.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks import messages as senior_messages
from core.actor import Actor, ActorKind
from core.config import Settings
from core.words import in_language
from notify.models import OutboundMessage
from rota.models import Senior
from slots import messages, operations
from slots.models import SlotBooking

LAST_CALL_WITHIN = timedelta(hours=12)
_BOOK = {"urg", "urgent", "urgence", "creneau", "creneaux", "slot"}
_CANCEL = {"annuler", "annule", "annulation", "cancel"}


@dataclass(frozen=True)
class SlotSms:
    reply: str
    # The GP's SMS queued by a booking: the webhook sends it at once (the senior is on the phone with them).
    message_id: int | None = None


def _words(body: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", (body or "").casefold())
    return re.findall(r"[a-z0-9]+", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def wants_slot(body: str) -> bool:
    words = _words(body)
    return bool(words) and words[0] in _BOOK


def wants_cancel(body: str) -> str | None:
    """The code of ``ANNULER K7MP4`` (``k7 mp4`` too), or None."""
    words = _words(body)
    if not words or words[0] not in _CANCEL:
        return None
    return "".join(words[1:]) or ""


def last_call_of(session: Session, senior_id: int, now: datetime) -> int | None:
    """The call the senior last took (accepted on the hotline, or called back through Recours)."""
    from callbacks.models import CallbackCall
    from calllog.models import Attempt, Call, CallbackRequest

    since = now - LAST_CALL_WITHIN
    accepted = session.execute(
        select(Call.id, Attempt.accepted_at)
        .join(Attempt, Attempt.call_id == Call.id)
        .where(Attempt.senior_id == senior_id, Attempt.accepted_at.is_not(None), Attempt.accepted_at >= since)
        .order_by(Attempt.accepted_at.desc())
        .limit(1)
    ).first()
    called_back = session.execute(
        select(CallbackRequest.call_id, CallbackCall.bridged_at)
        .join(CallbackCall, CallbackCall.callback_request_id == CallbackRequest.id)
        .where(CallbackCall.senior_id == senior_id, CallbackCall.bridged_at.is_not(None), CallbackCall.bridged_at >= since)
        .order_by(CallbackCall.bridged_at.desc())
        .limit(1)
    ).first()
    found = [row for row in (accepted, called_back) if row is not None]
    return max(found, key=lambda row: row[1])[0] if found else None


def _refusal(exc: operations.SlotError, zone: ZoneInfo, language: str) -> str:
    shown = {key: messages.time_text(value, zone) if isinstance(value, datetime) else value for key, value in exc.params.items()}
    return messages.senior_refused(in_language(language)._(exc.template, **shown), language)


def _book(session: Session, settings: Settings, senior: Senior, now: datetime) -> SlotSms:
    language = senior_messages.senior_language(session, senior.id, settings.web.default_language)
    actor = Actor(ActorKind.SYSTEM, f"SMS from {senior.full_name}", senior_id=senior.id)
    call_id = last_call_of(session, senior.id, now)
    if call_id is None:
        return SlotSms(messages.senior_no_call(language))
    try:
        booking = operations.book_for_call(session, actor, call_id=call_id, senior_id=senior.id, at=now, settings=settings)
    except operations.SlotError as exc:
        return SlotSms(_refusal(exc, ZoneInfo(settings.scheduler.timezone), language))
    zone = operations.zone_of(booking.slot.specialty)
    reply = messages.senior_booked(
        booking.code,
        operations.gp_label(session, booking, language),
        messages.day_text(booking.slot.starts_at, zone, language),
        messages.time_text(booking.slot.starts_at, zone),
        language,
    )
    message_id = session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedup_key == f"urgent-slot:{booking.id}:gp-booked"))
    return SlotSms(reply, message_id)


def _cancel(session: Session, settings: Settings, sender: str, typed: str, now: datetime) -> SlotSms:
    booking = operations.booking_by_code(session, typed) if typed else None
    mine = booking is not None and booking.gp_e164 == sender
    # The GP's language is the one their booking's SMS was written in (their call's).
    language = booking.language if mine else _gp_language(session, sender)
    if not typed:
        return SlotSms(messages.gp_help(language))
    if not mine:
        return SlotSms(messages.gp_unknown_code(typed.upper(), language))
    actor = Actor(ActorKind.SYSTEM, f"SMS from the GP of booking {booking.code}")
    try:
        operations.cancel_booking(session, actor, booking.code, by="gp", at=now, settings=settings)
    except operations.SlotError as exc:
        if exc.code == "slots.booking_cancelled":
            return SlotSms(messages.gp_already_cancelled(booking.code, language))
        return SlotSms(messages.gp_too_late(booking.code, language))
    zone = operations.zone_of(booking.slot.specialty)
    return SlotSms(
        messages.gp_cancelled(
            booking.code,
            messages.day_text(booking.slot.starts_at, zone, language),
            messages.time_text(booking.slot.starts_at, zone),
            language,
        )
    )


def _gp_language(session: Session, sender: str) -> str:
    latest = session.scalar(select(SlotBooking.language).where(SlotBooking.gp_e164 == sender).order_by(SlotBooking.id.desc()).limit(1))
    return latest or "fr"


def answer(session: Session, settings: Settings, sender: str | None, senior: Senior | None, body: str, now: datetime) -> SlotSms | None:
    """The answer to an SMS about urgent slots, or None when it is about something else."""
    if sender is None:
        return None
    if senior is not None and wants_slot(body):
        return _book(session, settings, senior, now)
    typed = wants_cancel(body)
    if typed is not None and senior is None:
        return _cancel(session, settings, sender, typed, now)
    if senior is None and session.scalar(select(SlotBooking.id).where(SlotBooking.gp_e164 == sender).limit(1)) is not None:
        # A GP who has had a code by SMS and writes something else: tell them what Recours understands.
        return SlotSms(messages.gp_help(_gp_language(session, sender)))
    return None
