"""A specialty's own ringing policy; specialties without a row use the settings' defaults."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

DEFER_MINUTES_RANGE = (5, 240)


class CallPolicy(Base):
    """A table of its own, like ``callback_policy``: a department changes it at run time without a
    restart, every process reads the same value, and it goes away with the specialty."""

    __tablename__ = "call_policy"
    __table_args__ = (
        CheckConstraint(
            f"defer_minutes IS NULL OR defer_minutes BETWEEN {DEFER_MINUTES_RANGE[0]} AND {DEFER_MINUTES_RANGE[1]}", name="defer_range"
        ),
    )

    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), primary_key=True)
    # The N of "I will call back within N minutes"; NULL: CALLBACK_DEFER_MINUTES.
    defer_minutes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
