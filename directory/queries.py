"""Looking GPs up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from directory.models import GeneralPractitioner


def gp_name(session: Session, gp_id: int | None) -> str | None:
    gp = session.get(GeneralPractitioner, gp_id) if gp_id is not None else None
    return gp.full_name if gp else None
