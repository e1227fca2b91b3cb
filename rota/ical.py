"""The rota as iCalendar (RFC 5545): a senior's or a specialty's duty for calendar apps.

Events are computed from the rota engine — :func:`rota.coverage.duty_timeline`, the same precedence the
hotline rings by — so rotations, single shifts and overrides are in, and a senior on leave is not.
Consecutive stretches held by the same senior in the same layer make one event. Times carry the
department's zone (``TZID=Europe/Paris`` with its ``VTIMEZONE``), so a DST change shows as it is lived.

A UID is made of the specialty, the senior, the layer and the start instant: the same duty keeps the same
UID from one poll to the next and in both feeds, so calendar apps update rather than duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from core.words import N_, in_language
from rota.coverage import duty_timeline
from rota.models import Department, DutyOverride, DutySlot, Rotation, RotationMember, Senior, Specialty

FEED_DAYS_BEFORE = 30
FEED_DAYS_AFTER = 180
# Duty is computed from this much earlier than asked, so an event in progress at the window's start keeps
# its real start (and its UID) instead of starting at the window edge, which moves at every poll.
LOOKBACK = timedelta(days=14)
# Event titles and calendar names, in the reader's language (a senior's own link follows their account's).
TITLES = {"primary": N_("On duty: {specialty} (primary)"), "backup": N_("On duty: {specialty} (backup)")}
CALENDAR_NAME = N_("Duty — {name}")


@dataclass(frozen=True)
class DutyEvent:
    specialty_id: int
    specialty_code: str
    specialty_name: str
    zone: str
    senior_id: int
    senior_name: str
    layer: str
    starts_at: datetime
    ends_at: datetime

    @property
    def uid(self) -> str:
        return f"duty-{self.specialty_id}-{self.senior_id}-{self.layer}-{self.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}@recours"


def senior_specialty_ids(session: Session, senior_id: int) -> list[int]:
    """Specialties where the senior may hold a place: rotations, single shifts, overrides naming them."""
    query = union(
        select(Rotation.specialty_id)
        .join(RotationMember, RotationMember.rotation_id == Rotation.id)
        .where(RotationMember.senior_id == senior_id),
        select(DutySlot.specialty_id).where(DutySlot.senior_id == senior_id),
        select(DutyOverride.specialty_id).where(DutyOverride.replacing_senior_id == senior_id),
    )
    return sorted(set(session.scalars(query)))


def duty_events(
    session: Session, start: datetime, end: datetime, specialty_ids: list[int], senior_id: int | None = None
) -> list[DutyEvent]:
    """Duty of the specialties over ``[start, end)``, one event per unbroken stretch of one senior in one
    layer; only ``senior_id``'s when given. Events that began before ``start`` keep their real start."""
    if not specialty_ids:
        return []
    info = {
        sid: (code, name, zone)
        for sid, code, name, zone in session.execute(
            select(Specialty.id, Specialty.code, Specialty.name_fr, Department.timezone)
            .join(Department, Department.id == Specialty.department_id)
            .where(Specialty.id.in_(specialty_ids))
        )
    }
    names = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    events: list[DutyEvent] = []
    for specialty_id, periods in duty_timeline(session, start - LOOKBACK, end, specialty_ids).items():
        code, name, zone = info[specialty_id]
        open_events: dict[tuple[int, str], DutyEvent] = {}
        for period in periods:
            held = {(p.senior_id, p.layer.value) for p in period.decision.places if senior_id is None or p.senior_id == senior_id}
            for key in list(open_events):
                current = open_events[key]
                if key not in held or current.ends_at != period.starts_at:
                    events.append(open_events.pop(key))
            for key in sorted(held):
                current = open_events.get(key)
                if current is not None:
                    open_events[key] = DutyEvent(**{**current.__dict__, "ends_at": period.ends_at})
                else:
                    open_events[key] = DutyEvent(
                        specialty_id, code, name, zone, key[0], names.get(key[0], f"#{key[0]}"), key[1], period.starts_at, period.ends_at
                    )
        events.extend(open_events.values())
    return sorted((e for e in events if e.ends_at > start), key=lambda e: (e.starts_at, e.specialty_code, e.layer, e.senior_id))


def to_ics(events: list[DutyEvent], calendar_name: str, now: datetime, *, title_with_senior: bool, language: str = "fr") -> bytes:
    """The events as an iCalendar document, titled in ``language``."""
    words = in_language(language)
    calendar = Calendar()
    calendar.add("prodid", "-//Recours//duty feed//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name)
    for duty in events:
        zone = ZoneInfo(duty.zone)
        event = Event()
        event.add("uid", duty.uid)
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", duty.starts_at.astimezone(zone))
        event.add("dtend", duty.ends_at.astimezone(zone))
        what = words._(TITLES[duty.layer], specialty=duty.specialty_name)
        event.add("summary", f"{what} — {duty.senior_name}" if title_with_senior else what)
        event.add("categories", [duty.specialty_code, duty.layer])
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """What every feed covers: a month back (duty just done stays visible), six months ahead."""
    return now - timedelta(days=FEED_DAYS_BEFORE), now + timedelta(days=FEED_DAYS_AFTER)


def senior_calendar(
    session: Session, senior_id: int, now: datetime, language: str = "fr", *, window: tuple[datetime, datetime] | None = None
) -> bytes:
    """One senior's duty, across every specialty: the feed of a senior's link, and of their own.
    ``window`` defaults to :func:`feed_window`."""
    start, end = window or feed_window(now)
    senior = session.get(Senior, senior_id)
    events = duty_events(session, start, end, senior_specialty_ids(session, senior_id), senior_id)
    name = in_language(language)._(CALENDAR_NAME, name=senior.full_name if senior else senior_id)
    return to_ics(events, name, now, title_with_senior=False, language=language)


def specialty_calendar(
    session: Session, specialty_id: int, now: datetime, language: str = "fr", *, window: tuple[datetime, datetime] | None = None
) -> bytes:
    """Everyone's duty for one specialty (primaries and backups)."""
    start, end = window or feed_window(now)
    specialty = session.get(Specialty, specialty_id)
    events = duty_events(session, start, end, [specialty_id])
    name = in_language(language)._(CALENDAR_NAME, name=specialty.name_fr if specialty else specialty_id)
    return to_ics(events, name, now, title_with_senior=True, language=language)
