"""A specialty's own ringing policy; specialties without a row use the settings' defaults."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

DEFER_MINUTES_RANGE = (5, 240)
STAGE_SECONDS_RANGE = (0, 60)
SEQUENTIAL, STAGED, AUTOMATIC = "sequential", "staged", "automatic"
RINGING_MODES = (SEQUENTIAL, STAGED, AUTOMATIC)


class CallPolicy(Base):
    """A table of its own, like ``callback_policy``: a department changes it at run time without a
    restart, every process reads the same value, and it goes away with the specialty."""

    __tablename__ = "call_policy"
    __table_args__ = (
        CheckConstraint(
            f"defer_minutes IS NULL OR defer_minutes BETWEEN {DEFER_MINUTES_RANGE[0]} AND {DEFER_MINUTES_RANGE[1]}", name="defer_range"
        ),
        CheckConstraint(
            f"stage_seconds IS NULL OR stage_seconds BETWEEN {STAGE_SECONDS_RANGE[0]} AND {STAGE_SECONDS_RANGE[1]}", name="stage_range"
        ),
    )

    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), primary_key=True)
    # The N of "I will call back within N minutes"; NULL: CALLBACK_DEFER_MINUTES.
    defer_minutes: Mapped[int | None] = mapped_column(Integer)
    # How the hunt rings (ivr/staged.py): "sequential" (NULL, the default: one senior after the other),
    # "staged" (the primary alone for ``stage_seconds``, then the backup joins) or "automatic" (the
    # seconds computed from the log: ringing/automatic.py).
    ringing: Mapped[str | None] = mapped_column(String(12))
    stage_seconds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
