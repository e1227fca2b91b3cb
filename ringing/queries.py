"""Reading a specialty's ringing policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringing.models import CallPolicy


def defer_minutes(session: Session, specialty_id: int | None, default: int) -> int:
    """The minutes a senior of this specialty promises when they defer a call."""
    if specialty_id is None:
        return default
    minutes = session.scalar(select(CallPolicy.defer_minutes).where(CallPolicy.specialty_id == specialty_id))
    return minutes if minutes is not None else default
