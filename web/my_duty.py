"""One senior's duties over a period, across specialties (the "my duty" page and the iCal feed), from
the same engine and event builder as the calendar feeds (:mod:`rota.ical`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rota.ical import DutyEvent, duty_events, senior_specialty_ids


def duties_of(session: Session, senior_id: int, start: datetime, end: datetime) -> list[DutyEvent]:
    """The senior's duty over ``[start, end)``, one entry per unbroken stretch (a duty already under way
    keeps its real start)."""
    return duty_events(session, start, end, senior_specialty_ids(session, senior_id), senior_id)
