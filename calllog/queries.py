"""Reading the call log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from calllog.models import Call, CallbackRequest, CallbackStatus, CallOutcome, StatusEvent


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


# -- the call log on the web ------------------------------------------------------------------------

IN_PROGRESS = "in_progress"  # a call without an outcome yet: it has not ended


@dataclass(frozen=True)
class CallFilter:
    """What the call log page asks for. ``specialty_ids`` None: every call, those that never chose a
    specialty included (a user who sees every department); otherwise only calls of these specialties."""

    specialty_ids: frozenset[int] | None = None
    since: datetime | None = None  # [since, until): a local day turned into UTC by the page
    until: datetime | None = None
    specialty_id: int | None = None
    outcome: str | None = None  # a CallOutcome value or IN_PROGRESS

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.specialty_ids is not None:
            conditions.append(Call.specialty_id.in_(sorted(self.specialty_ids)))
        if self.specialty_id is not None:
            conditions.append(Call.specialty_id == self.specialty_id)
        if self.since is not None:
            conditions.append(Call.started_at >= self.since)
        if self.until is not None:
            conditions.append(Call.started_at < self.until)
        if self.outcome == IN_PROGRESS:
            conditions.append(Call.outcome.is_(None))
        elif self.outcome is not None:
            conditions.append(Call.outcome == CallOutcome(self.outcome))
        return conditions


def call_log(session: Session, wanted: CallFilter, *, limit: int, offset: int) -> tuple[Sequence[Call], int]:
    """One page of calls, newest first, with their attempts and callback request; and how many match."""
    conditions = wanted.where()
    total = session.scalar(select(func.count()).select_from(Call).where(*conditions)) or 0
    rows = session.scalars(
        select(Call)
        .where(*conditions)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Call.attempts), selectinload(Call.callback))
    ).all()
    return rows, total


def call_with_history(session: Session, call_id: int) -> tuple[Call, Sequence[StatusEvent]] | None:
    """A call with its attempts and callback request, and the status reports Twilio sent about it and
    its seniors' legs (in the order they happened)."""
    call = session.scalars(select(Call).where(Call.id == call_id).options(selectinload(Call.attempts), selectinload(Call.callback))).first()
    if call is None:
        return None
    legs = [call.sid, *(a.child_sid for a in call.attempts if a.child_sid)]
    events = session.scalars(
        select(StatusEvent).where(StatusEvent.call_sid.in_(legs)).order_by(StatusEvent.occurred_at, StatusEvent.id)
    ).all()
    return call, events
