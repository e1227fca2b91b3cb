"""Reading a specialty's ringing policy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringing.models import SEQUENTIAL, CallPolicy


def defer_minutes(session: Session, specialty_id: int | None, default: int) -> int:
    """The minutes a senior of this specialty promises when they defer a call."""
    if specialty_id is None:
        return default
    minutes = session.scalar(select(CallPolicy.defer_minutes).where(CallPolicy.specialty_id == specialty_id))
    return minutes if minutes is not None else default


@dataclass(frozen=True)
class Ringing:
    mode: str  # SEQUENTIAL, STAGED or AUTOMATIC
    stage_seconds: int | None  # fixed S (STAGED)


def ringing_of(session: Session, specialty_id: int | None) -> Ringing:
    """How the specialty's hunt rings; sequential unless set (``flask ringing set``)."""
    if specialty_id is None:
        return Ringing(SEQUENTIAL, None)
    row = session.execute(select(CallPolicy.ringing, CallPolicy.stage_seconds).where(CallPolicy.specialty_id == specialty_id)).first()
    if row is None or row.ringing in (None, SEQUENTIAL):
        return Ringing(SEQUENTIAL, None)
    return Ringing(row.ringing, row.stage_seconds)
