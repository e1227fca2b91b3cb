"""Enqueuing and delivering outbound messages.

Enqueue where the decision is taken, in the same transaction: :func:`enqueue` is idempotent on
``dedup_key``. Deliver from the scheduler: :func:`deliver_due` claims each due message with a
compare-and-set UPDATE committed *before* the provider is asked, so two deliverers (or a deliverer and
a webhook) never send the same message, and a crash mid-send leaves it UNKNOWN instead of sending it
again. What cannot be sent is retried with a growing delay, a bounded number of times, then FAILED and
listed by ``flask notifications failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import insert_ignoring_duplicates
from core.phones import InvalidPhoneNumber, to_e164
from notify.models import PROBLEM_STATUSES, Channel, MessageStatus, OutboundMessage
from notify.providers import Notifier, SendError

log = logging.getLogger(__name__)

# The webhooks Twilio calls about SMS (registered by webhooks/sms.py).
SMS_WEBHOOK = "/twilio/sms"
SMS_STATUS_WEBHOOK = "/twilio/sms-status"

# A claim older than this whose outcome was never recorded: the deliverer died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
# Attempts an administrator's `flask notifications retry` grants.
RETRY_BY_HAND_ATTEMPTS = 3

DUE = (MessageStatus.PENDING, MessageStatus.RETRY)

# Twilio's message statuses in the order they happen; a callback never moves a message backwards.
SMS_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
SMS_FAILED = ("undelivered", "failed", "canceled")


def sms_status_url(public_base_url: str, message_id: int) -> str:
    return f"{public_base_url.rstrip('/')}{SMS_STATUS_WEBHOOK}?{urlencode({'message': message_id})}"


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: 1, 2, 4, 8… minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    channel: Channel,
    purpose: str,
    recipient: str,
    now: datetime,
    max_attempts: int,
    body: str = "",
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    senior_id: int | None = None,
    callback_request_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a message once: True when this call created it, False when ``dedup_key`` already exists.

    A phone number that does not parse is stored as FAILED at once (with why), so it shows up for the
    administrator instead of being retried or silently dropped.
    """
    status, error = MessageStatus.PENDING, None
    if channel in (Channel.SMS, Channel.CALL):
        try:
            recipient = to_e164(recipient)
        except InvalidPhoneNumber as exc:
            status, error = MessageStatus.FAILED, f"invalid phone number: {exc}"
    inserted = insert_ignoring_duplicates(
        session,
        OutboundMessage,
        {
            "dedup_key": dedup_key[:160],
            "channel": channel,
            "purpose": purpose[:32],
            "recipient": (recipient or "")[:400],
            "senior_id": senior_id,
            "callback_request_id": callback_request_id,
            "subject": subject[:200] if subject else None,
            "body": body,
            "payload": payload,
            "status": status,
            "attempts": 0,
            "max_attempts": max_attempts,
            "created_at": now,
            "next_attempt_at": now,
            "expires_at": expires_at,
            "provider_status_rank": 0,
            "error": error,
        },
        ["dedup_key"],
    )
    if inserted and error:
        log.error("%s %s not queued for sending (%s): %s", channel, purpose, dedup_key, error)
    return inserted


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # claimed by someone else meanwhile


def _reload(session: Session, message_id: int) -> OutboundMessage:
    return session.scalars(select(OutboundMessage).where(OutboundMessage.id == message_id).execution_options(populate_existing=True)).one()


def settle_stale(session: Session, now: datetime) -> None:
    """Claims whose deliverer died, and due messages past their expiry. The caller commits."""
    stale = session.scalars(
        select(OutboundMessage).where(OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.claimed_at < now - CLAIM_TIMEOUT)
    ).all()
    for message in stale:
        if message.channel is Channel.RECORDING_DELETE:
            # Deleting twice is harmless: try again.
            message.status, message.next_attempt_at = MessageStatus.RETRY, now
            continue
        message.status = MessageStatus.UNKNOWN
        message.error = "the deliverer stopped while sending: it may or may not have gone out, so it is not sent again"
        log.error("outbound %s #%d (%s) left in an unknown state by a stopped deliverer", message.channel, message.id, message.purpose)
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status.in_(DUE), OutboundMessage.expires_at.is_not(None), OutboundMessage.expires_at <= now)
        .values(status=MessageStatus.EXPIRED, error="not sent before it stopped being useful")
    )


def deliver_due(session: Session, notifier: Notifier, public_base_url: str, now: datetime, *, limit: int = 200) -> DeliveryReport:
    """Send what is due now, oldest first. Never raises for a message that cannot be sent."""
    settle_stale(session, now)
    due = session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status.in_(DUE), OutboundMessage.next_attempt_at <= now)
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
    ).all()
    session.commit()  # no transaction (and on SQLite no write lock) is held while the provider is asked
    report = DeliveryReport()
    for message_id in due:
        deliver_one(session, notifier, public_base_url, message_id, now, report)
    return report


def deliver_one(
    session: Session, notifier: Notifier, public_base_url: str, message_id: int, now: datetime, report: DeliveryReport | None = None
) -> MessageStatus | None:
    """Claim, send and record one message; None when it was not due or someone else claimed it."""
    report = report if report is not None else DeliveryReport()
    claimed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status.in_(DUE), OutboundMessage.next_attempt_at <= now)
        .values(status=MessageStatus.SENDING, attempts=OutboundMessage.attempts + 1, claimed_at=now)
    ).rowcount
    session.commit()
    if claimed != 1:
        report.skipped.append(message_id)
        return None
    message = _reload(session, message_id)
    session.commit()
    sid: str | None = None
    failure: SendError | None = None
    try:
        sid = _send(notifier, message, public_base_url)
    except SendError as exc:
        failure = exc
    except Exception as exc:
        log.exception("unexpected error sending %s #%d", message.channel, message.id)
        failure = SendError(f"{type(exc).__name__}: {exc}", permanent=False)
    if failure is None:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, OutboundMessage.status.in_((MessageStatus.SENDING, MessageStatus.UNKNOWN)))
            .values(status=MessageStatus.SENT, sent_at=now, provider_sid=sid, error=None, error_code=None)
        )
        session.execute(
            update(OutboundMessage).where(OutboundMessage.id == message_id, OutboundMessage.provider_sid.is_(None)).values(provider_sid=sid)
        )
        session.commit()
        report.sent.append(message_id)
        return MessageStatus.SENT
    give_up = failure.permanent or message.attempts >= message.max_attempts
    status = MessageStatus.FAILED if give_up else MessageStatus.RETRY
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == MessageStatus.SENDING)
        .values(status=status, error=str(failure)[:2000], error_code=failure.code, next_attempt_at=now + backoff(message.attempts))
    )
    session.commit()
    if give_up:
        log.error(
            "gave up on %s #%d to %s after %d attempt(s): %s", message.channel, message.id, message.recipient, message.attempts, failure
        )
        report.failed.append(message_id)
    else:
        log.warning(
            "%s #%d to %s failed (attempt %d of %d), will retry: %s",
            message.channel,
            message.id,
            message.recipient,
            message.attempts,
            message.max_attempts,
            failure,
        )
        report.retrying.append(message_id)
    return status


def _send(notifier: Notifier, message: OutboundMessage, public_base_url: str) -> str | None:
    match message.channel:
        case Channel.SMS:
            return notifier.send_sms(message.recipient, message.body, sms_status_url(public_base_url, message.id))
        case Channel.CALL:
            payload = message.payload or {}
            return notifier.start_call(message.recipient, payload["url"], payload["status_callback"], int(payload.get("timeout", 30)))
        case Channel.EMAIL:
            notifier.send_email([a.strip() for a in message.recipient.split(",") if a.strip()], message.subject or "", message.body)
            return None
        case Channel.RECORDING_DELETE:
            notifier.delete_recording(message.recipient)
            return None
    raise SendError(f"unknown channel {message.channel!r}", permanent=True)  # pragma: no cover


def record_sms_status(
    session: Session, message_id: int | None, message_sid: str, status: str, error_code: str | None, now: datetime
) -> bool:
    """Apply one of Twilio's SMS status callbacks; repeated or out-of-order ones change nothing."""
    if message_id is None:
        return False
    message = session.scalars(select(OutboundMessage).where(OutboundMessage.id == message_id).with_for_update()).first()
    if message is None or message.channel is not Channel.SMS:
        return False
    if message.provider_sid and message_sid and message.provider_sid != message_sid:
        log.warning("SMS status for %s does not match message #%d (%s)", message_sid, message.id, message.provider_sid)
        return False
    rank = SMS_STATUS_RANK.get(status)
    if rank is None or rank <= message.provider_status_rank:
        return False
    message.provider_status, message.provider_status_rank = status, rank
    message.provider_sid = message.provider_sid or message_sid or None
    if status in SMS_FAILED:
        message.status = MessageStatus.FAILED
        message.error = f"Twilio reports the SMS {status}" + (f" (error {error_code})" if error_code else "")
        message.error_code = error_code
        log.error("SMS #%d to %s %s (error %s)", message.id, message.recipient, status, error_code)
    elif message.status in (MessageStatus.SENDING, MessageStatus.UNKNOWN):
        # Twilio has it: a claim left UNKNOWN by a stopped deliverer is settled here.
        message.status, message.sent_at, message.error = MessageStatus.SENT, message.sent_at or now, None
    session.flush()
    return True


def problem_messages(session: Session, limit: int = 50) -> Sequence[OutboundMessage]:
    return session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.status.in_(PROBLEM_STATUSES))
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    ).all()


def retry(session: Session, message: OutboundMessage, now: datetime) -> None:
    """An administrator's explicit "send it again" (after fixing a number, or checking an UNKNOWN one)."""
    message.status = MessageStatus.PENDING
    message.max_attempts = message.attempts + RETRY_BY_HAND_ATTEMPTS
    message.next_attempt_at = now
    message.expires_at = None
    message.error = None
    session.flush()


def cancel_pending(session: Session, *, callback_request_id: int, purposes: Sequence[str]) -> int:
    """Drop messages about a request that are not sent yet and no longer needed; returns how many."""
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.callback_request_id == callback_request_id,
            OutboundMessage.purpose.in_(purposes),
            OutboundMessage.status.in_(DUE),
        )
        .values(status=MessageStatus.CANCELLED, error=None)
    )
    return result.rowcount
