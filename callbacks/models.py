"""Per-specialty callback deadlines and the outbound calls seniors make to keep the promise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calllog.models import CallbackRequest
from core.db import Base, UTCDateTime


class CallbackPolicy(Base):
    """A specialty's own callback deadline; specialties without a row use CALLBACK_DEADLINE_MINUTES.

    A table of its own rather than a column on ``specialty`` (owned by the rota) or an environment
    mapping: a department changes it at run time (``flask callbacks deadline``) without a restart, the
    web and scheduler processes read the same value, and it goes away with the specialty.
    """

    __tablename__ = "callback_policy"
    __table_args__ = (CheckConstraint("deadline_minutes BETWEEN 5 AND 1440", name="deadline_range"),)

    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), primary_key=True)
    deadline_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallbackCall(Base):
    """One outbound call a senior asked for: Twilio rings the senior, then bridges the GP.

    ``*_status`` and ``*_rank`` follow Twilio's status callbacks for each leg and never move backwards.
    """

    __tablename__ = "callback_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_request_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"), index=True)
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    senior_number: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sid: Mapped[str | None] = mapped_column(String(64), index=True)  # the senior's leg (outbound-api)
    senior_status: Mapped[str] = mapped_column(String(20), default="requested")
    senior_rank: Mapped[int] = mapped_column(Integer, default=0)
    senior_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gp_dialled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gp_sid: Mapped[str | None] = mapped_column(String(64))
    gp_status: Mapped[str | None] = mapped_column(String(20))
    gp_rank: Mapped[int] = mapped_column(Integer, default=0)
    # The GP pressed 1 at "the hospital is calling you back": a human took it, the request is done.
    bridged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    request: Mapped[CallbackRequest] = relationship()
