"""The outbox: every SMS, call, e-mail or Twilio request Recours decided to make, and what became of it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings, the same on SQLite and PostgreSQL, easy to extend.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Channel(enum.StrEnum):
    SMS = "sms"
    CALL = "call"  # an outbound call (Twilio calls.create); the TwiML URL is in ``payload``
    EMAIL = "email"
    RECORDING_DELETE = "recording_delete"  # ``recipient`` is the RecordingSid to delete at Twilio


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt
    RETRY = "retry"  # an attempt failed for a reason that may pass; tried again at next_attempt_at
    SENDING = "sending"  # claimed by a deliverer, the provider is being asked
    SENT = "sent"  # the provider accepted it (for SMS, Twilio's status callbacks then refine it)
    FAILED = "failed"  # given up: permanent error, attempts exhausted, or undelivered per Twilio
    # A deliverer stopped while the provider was being asked: it may or may not have gone out. It is
    # never re-sent automatically (a duplicate is worse than a message shown to the administrator); a
    # later SMS status callback settles it.
    UNKNOWN = "unknown"
    EXPIRED = "expired"  # not sent before ``expires_at``: no longer useful (a reminder for a past shift)
    CANCELLED = "cancelled"  # no longer needed before it was sent (the callback was made meanwhile)


# Shown to the administrator by ``flask notifications failed``.
PROBLEM_STATUSES = (MessageStatus.FAILED, MessageStatus.UNKNOWN, MessageStatus.EXPIRED)


class OutboundMessage(Base):
    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes this message unique, so enqueuing it twice (a job re-run after a restart) is a no-op:
    # "callback:12:new:7", "reminder:3:7:2026-03-10T17:30:00+00:00", "digest:2026-W11".
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    # E.164 number, comma-separated e-mail addresses, or a Twilio SID (RECORDING_DELETE).
    recipient: Mapped[str] = mapped_column(String(400))
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    # Messages about a callback request go with it when retention deletes it (their text names the GP).
    callback_request_id: Mapped[int | None] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Twilio's SID (SM…, CA…) once accepted, and the latest status its callbacks reported.
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(20))
    provider_status_rank: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(16))
