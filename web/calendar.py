"""A specialty's rota cut into local days: what the week and month pages draw.

Built on :func:`rota.coverage.duty_timeline` (the same precedence rule as the hotline) and
:func:`rota.coverage.coverage` (gaps and conflicts), so the calendar shows what the hotline would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rota.coverage import Conflict, coverage, duty_timeline
from rota.models import Senior
from rota.patterns import instant
from web.duty_views import PersonView, layers_of


@dataclass(frozen=True)
class Segment:
    """Part of one local day with the same people in one layer (``gap``: nobody primary)."""

    starts: str  # local "08:30"
    ends: str  # local "18:30", "24:00" at the end of the day
    people: tuple[PersonView, ...]
    gap: bool = False
    conflict: bool = False
    starts_at: datetime | None = None  # the instants behind ``starts`` and ``ends`` (a pick on the calendar)
    ends_at: datetime | None = None


@dataclass
class Day:
    day: date
    primary: list[Segment] = field(default_factory=list)
    backup: list[Segment] = field(default_factory=list)

    @property
    def has_gap(self) -> bool:
        return any(s.gap for s in self.primary)


@dataclass
class SpecialtyCalendar:
    days: list[Day]
    conflicts: list[Conflict]
    names: dict[int, str]
    gap_count: int


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return instant(day, datetime.min.time(), zone)


def _clock(at: datetime, zone: ZoneInfo, end_of_day: datetime) -> str:
    return "24:00" if at == end_of_day else at.astimezone(zone).strftime("%H:%M")


def build(session: Session, specialty_id: int, zone: ZoneInfo, first: date, last: date) -> SpecialtyCalendar:
    """Days ``first``..``last`` (inclusive, local) of the specialty's rota."""
    start, end = day_start(first, zone), day_start(last + timedelta(days=1), zone)
    periods = duty_timeline(session, start, end, [specialty_id]).get(specialty_id, [])
    report = coverage(session, start, end, [specialty_id])
    conflicts = report.conflicts_of(specialty_id)
    senior_ids = {p.senior_id for period in periods for p in period.decision.places} | {c.senior_id for c in conflicts}
    names: dict[int, str] = {}
    if senior_ids:
        names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(senior_ids))).all())
    days: list[Day] = []
    day = first
    while day <= last:
        ds, de = day_start(day, zone), day_start(day + timedelta(days=1), zone)
        entry = Day(day)
        for period in periods:
            s, e = max(period.starts_at, ds), min(period.ends_at, de)
            if s >= e:
                continue
            layers = layers_of(period.decision, names, {})
            clash = {c.senior_id for c in conflicts if c.starts_at < e and c.ends_at > s}
            for target, people, mark_gap in ((entry.primary, layers.primaries, True), (entry.backup, layers.backups, False)):
                if not people and not mark_gap:
                    continue
                segment = Segment(
                    _clock(s, zone, de),
                    _clock(e, zone, de),
                    tuple(people),
                    gap=not people,
                    conflict=any(p.senior_id in clash for p in people),
                    starts_at=s,
                    ends_at=e,
                )
                if target and target[-1].people == segment.people and target[-1].ends == segment.starts and target[-1].gap == segment.gap:
                    before = target[-1]
                    conflict = before.conflict or segment.conflict
                    target[-1] = Segment(before.starts, segment.ends, segment.people, segment.gap, conflict, before.starts_at, e)
                else:
                    target.append(segment)
        days.append(entry)
        day += timedelta(days=1)
    return SpecialtyCalendar(days, conflicts, names, len(report.gaps_of(specialty_id)))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_grid(year: int, month: int) -> tuple[date, date]:
    """The Monday before the 1st and the Sunday after the last day: whole weeks."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return monday_of(first), monday_of(following - timedelta(days=1)) + timedelta(days=6)
