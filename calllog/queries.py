"""Reading the call log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from calllog.models import Call, CallbackRequest, CallbackStatus


def recent_calls(session: Session, limit: int = 20) -> Sequence[Call]:
    return session.scalars(
        select(Call)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
        .options(selectinload(Call.attempts), selectinload(Call.callback))
    ).all()


def open_callbacks(session: Session) -> Sequence[CallbackRequest]:
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.status == CallbackStatus.OPEN).order_by(CallbackRequest.requested_at)
    ).all()


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()
