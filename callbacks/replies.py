"""Answering a senior's SMS: acknowledge a request, ask for the callback call, list what is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks import messages, operations
from callbacks.queries import open_requests_told_to, request_by_code, senior_name, was_told, zone_of
from callbacks.sms_commands import SmsCommand
from calllog.models import CallbackRequest, CallbackStatus
from core.config import Settings
from notify.models import OutboundMessage
from rota.models import Senior
from rota.queries import specialty_name


@dataclass(frozen=True)
class SmsAnswer:
    reply: str
    # Set when a callback call was queued: the webhook delivers it at once (the senior is waiting).
    call_message_id: int | None = None
    code: str | None = None


def _pick(session: Session, senior: Senior, command: SmsCommand, language: str) -> CallbackRequest | SmsAnswer:
    """The request the command is about, or the answer that explains why there is none."""
    if command.code is None:
        mine = list(open_requests_told_to(session, senior.id))
        if not mine:
            return SmsAnswer(messages.none_open(language))
        if len(mine) > 1:
            return SmsAnswer(messages.which_one([r.code or "?" for r in mine], language))
        return mine[0]
    request = request_by_code(session, command.code)
    if request is None:
        return SmsAnswer(messages.unknown_code(command.code, language))
    if not was_told(session, request.id, senior.id):
        return SmsAnswer(messages.not_yours(command.code, language))
    return request


def _locked(session: Session, request: CallbackRequest) -> CallbackRequest:
    # Two seniors answering the same SMS at once: the first acknowledgement stands.
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.id == request.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def answer(session: Session, settings: Settings, senior: Senior, sender_number: str, command: SmsCommand, now: datetime) -> SmsAnswer:
    """Act on ``command`` from ``senior`` (who wrote from ``sender_number``) and say what happened."""
    language = messages.senior_language(session, senior.id, settings.web.default_language)
    if command.action == "help":
        return SmsAnswer(messages.help_text(language))
    if command.action == "list":
        mine = open_requests_told_to(session, senior.id)
        if not mine:
            return SmsAnswer(messages.none_open(language))
        lines = []
        for request in mine:
            deadline = messages.hhmm(request.deadline_at, zone_of(session, request.specialty_id)) if request.deadline_at else "?"
            specialty = specialty_name(session, request.specialty_id, language) or "?"
            lines.append(messages.listing_line(request.code or "?", specialty, deadline, language))
        return SmsAnswer(messages.listing(lines, language))
    picked = _pick(session, senior, command, language)
    if isinstance(picked, SmsAnswer):
        return picked
    request = _locked(session, picked)
    code = request.code or "?"
    zone = zone_of(session, request.specialty_id)
    if request.status is CallbackStatus.DONE:
        return SmsAnswer(
            messages.already_done(
                code, senior_name(session, request.done_by_senior_id), messages.hhmm(request.done_at or now, zone), language
            )
        )
    if command.action == "acknowledge":
        outcome = operations.acknowledge(session, request, senior.id, now)
        if outcome == "by_other":
            assert request.acknowledged_at is not None
            return SmsAnswer(
                messages.acknowledged_by_other(
                    code, senior_name(session, request.acknowledged_by_senior_id), messages.hhmm(request.acknowledged_at, zone), language
                )
            )
        return SmsAnswer(messages.acknowledged(code, language), code=code)
    call = operations.request_callback_call(session, settings, request, senior.id, sender_number, now)
    message_id = session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedup_key == f"callback-call:{call.id}"))
    return SmsAnswer(messages.calling_you(code, language), call_message_id=message_id, code=code)
