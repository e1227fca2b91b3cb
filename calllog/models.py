"""Calls, attempts, status events and callback requests, as stored."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from core.words import N_


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings with a CHECK, the same on SQLite and PostgreSQL, and easy to extend.
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class CallOutcome(enum.StrEnum):
    CONNECTED = "connected"
    CALLBACK_REQUESTED = "callback_requested"
    SWITCHBOARD = "switchboard"
    ABANDONED_IN_MENU = "abandoned_in_menu"
    ABANDONED_WHILE_HUNTING = "abandoned_while_hunting"
    NOBODY_ON_DUTY = "nobody_on_duty"
    FAILED = "failed"
    # A senior answered and promised to call back within their specialty's minutes: neither missed
    # nor connected (ivr/defer.py).
    DEFERRED = "deferred"
    # Closed by the reconciler with nothing to tell how it went (scheduler/reconcile.py).
    UNKNOWN = "unknown"


class ConversationOutcome(enum.StrEnum):
    """What came of a bridged conversation, as the senior who took it says (calllog/conversation.py).
    Never anything about the patient."""

    ADVICE = "advice"
    CONSULTATION = "consultation"
    URGENT_SLOT = "urgent_slot"
    ADMISSION = "admission"
    EMERGENCY = "emergency"
    OTHER = "other"


# What each outcome is called, for people: the senior's question and the reports.
CONVERSATION_OUTCOME_LABELS: dict[ConversationOutcome, str] = {
    ConversationOutcome.ADVICE: N_("advice only"),
    ConversationOutcome.CONSULTATION: N_("consultation booked"),
    ConversationOutcome.URGENT_SLOT: N_("urgent slot booked"),
    ConversationOutcome.ADMISSION: N_("direct admission"),
    ConversationOutcome.EMERGENCY: N_("sent to the emergency department"),
    ConversationOutcome.OTHER: N_("other"),
}


class AttemptResult(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # Answered and promised to call the GP back (the defer key of the announcement).
    DEFERRED = "deferred"
    # Answered but no acceptance key: a voicemail, or a senior who let the announcement run out.
    NOT_ACCEPTED = "not_accepted"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CALLER_HUNG_UP = "caller_hung_up"
    UNKNOWN = "unknown"  # the call was closed by the reconciler with this leg still open
    # Staged ringing: Recours ended this leg because another senior accepted or deferred first.
    CANCELLED = "cancelled"

    @classmethod
    def of_unanswered_leg(cls, twilio_status: str) -> AttemptResult | None:
        """What a senior's leg that Twilio reports ended in ``twilio_status`` means, when nobody
        accepted it: the one mapping of Twilio's final call statuses (``None`` for "completed" and the
        others, which say the leg was picked up)."""
        return _RESULT_OF_UNANSWERED_STATUS.get(twilio_status)


_RESULT_OF_UNANSWERED_STATUS = {
    "busy": AttemptResult.BUSY,
    "no-answer": AttemptResult.NO_ANSWER,
    "failed": AttemptResult.FAILED,
    "canceled": AttemptResult.CALLER_HUNG_UP,
}


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class Call(Base):
    __tablename__ = "call"
    __table_args__ = (Index("ix_call_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str] = mapped_column(String(64))  # Twilio's From, as received ("anonymous" included)
    caller_e164: Mapped[str | None] = mapped_column(String(20))
    gp_id: Mapped[int | None] = mapped_column(ForeignKey("gp.id", ondelete="SET NULL"))
    dialled: Mapped[str] = mapped_column(String(64))  # Twilio's To: the hotline or a direct-dial number
    language: Mapped[str] = mapped_column(String(2), default="fr")
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id", ondelete="SET NULL"), index=True)
    menu_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The hunt list read from the rota when the specialty was chosen, kept so the whole call follows
    # one list even if the rota changes mid-call: [{"senior_id", "name", "number", "layer", "reason"}].
    hunt: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_ringing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    switchboard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[CallOutcome | None] = mapped_column(_enum(CallOutcome))
    error: Mapped[str | None] = mapped_column(Text)
    # Progress of the parent leg as reported by status callbacks; never moves backwards.
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    # -- what came of the conversation (calllog/conversation.py): asked once the bridged call ended --
    conversation_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conversation_outcome: Mapped[ConversationOutcome | None] = mapped_column(_enum(ConversationOutcome))
    conversation_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conversation_via: Mapped[str | None] = mapped_column(String(8))  # "sms" or "page"

    attempts: Mapped[list[Attempt]] = relationship(back_populates="call", order_by="Attempt.rank", cascade="all, delete-orphan")
    callback: Mapped[CallbackRequest | None] = relationship(back_populates="call", cascade="all, delete-orphan")

    def attempt(self, rank: int) -> Attempt | None:
        return next((a for a in self.attempts if a.rank == rank), None)


class Attempt(Base):
    """One senior rung for one call; ``rank`` is the position in the call's hunt list."""

    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("call_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    layer: Mapped[str] = mapped_column(String(16))
    child_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ringing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[AttemptResult | None] = mapped_column(_enum(AttemptResult))
    status_rank: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship(back_populates="attempts")


class StatusEvent(Base):
    """A status callback as received; the unique key makes a repeated delivery a no-op."""

    __tablename__ = "status_event"
    __table_args__ = (UniqueConstraint("call_sid", "dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    # SequenceNumber when Twilio sends one, otherwise the status itself.
    dedup_key: Mapped[str] = mapped_column(String(40))
    parent_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallbackRequest(Base):
    """A GP's request to be called back, open until a senior has called."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    caller: Mapped[str] = mapped_column(String(64))
    caller_e164: Mapped[str | None] = mapped_column(String(20))
    gp_id: Mapped[int | None] = mapped_column(ForeignKey("gp.id", ondelete="SET NULL"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id", ondelete="SET NULL"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recording_url: Mapped[str | None] = mapped_column(Text)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[CallbackStatus] = mapped_column(_enum(CallbackStatus), default=CallbackStatus.OPEN, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # -- the promise and how it is kept (written by :mod:`callbacks.operations`) --
    # The short code seniors quote in SMS replies ("R 4821"); unique among open requests.
    code: Mapped[str | None] = mapped_column(String(8))
    # NULL until the scheduler has queued the SMS to the seniors on duty: this row is its own outbox
    # entry, written in the webhook's transaction by the only writer of the call log.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"))
    # Who called back (through Recours) and how the request was closed: "callback_call" or "manual".
    done_by_senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"))
    done_via: Mapped[str | None] = mapped_column(String(16))
    recording_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # -- a deferral: the senior who answered promised to call back within ``promised_minutes`` (written
    # once, with the request, by the call log's writer; callbacks.operations turns it into the deadline).
    promised_by_senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    promised_minutes: Mapped[int | None] = mapped_column(Integer)

    call: Mapped[Call] = relationship(back_populates="callback")

    __table_args__ = (
        Index(
            "ix_callback_request_open_code",
            "code",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
