"""A report's period: whole local days of one time zone, as a half-open UTC interval.

The database stores UTC instants; reports speak of local days, hours and weeks. Rather than ask each
database to convert time zones (SQLite cannot), a period knows the UTC offsets in force over it — one
per stretch between daylight-saving changes — and :mod:`reports.sql` turns an instant into local
wall-clock microseconds with that short list. The same integers come out of SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import clock
from core.errors import Problem
from core.words import N_

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MICROSECONDS_PER_DAY = 86_400_000_000
MICROSECONDS_PER_HOUR = 3_600_000_000
# Longest period a report covers; each year adds two offset stretches to the SQL.
MAX_DAYS = 5 * 366


class PeriodError(Problem):
    """A period that cannot be reported on; the message says why in the user's terms."""


def epoch_us(instant: datetime) -> int:
    """An aware instant as whole microseconds since 1970-01-01 UTC (exact, no float)."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC. Where midnight does not exist (a zone that
    springs forward at 00:00) the pre-change offset gives the first instant that does."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class OffsetStretch:
    """From ``starts_us`` (epoch µs) on, local wall-clock = UTC + ``offset_us``, until the next stretch."""

    starts_us: int
    offset_us: int


@dataclass(frozen=True)
class Period:
    """Local days ``first_day`` through ``last_day`` (inclusive) in ``zone``."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PeriodError(N_("the period ends ({last}) before it starts ({first})"), last=self.last_day, first=self.first_day)
        if (self.last_day - self.first_day).days + 1 > MAX_DAYS:
            raise PeriodError(N_("a report covers at most {days} days"), days=MAX_DAYS)

    @property
    def start(self) -> datetime:
        """The first instant covered (UTC)."""
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the period (UTC): local midnight ending the last day."""
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def days(self) -> Iterator[date]:
        for n in range(self.day_count):
            yield self.first_day + timedelta(days=n)

    def offset_stretches(self) -> tuple[OffsetStretch, ...]:
        """The UTC offsets in force from ``start`` to ``end``, each from the instant it took effect.

        Offsets are sampled every six hours and each change is narrowed to the second by bisection:
        zones change offset at most a few times a year, at whole seconds."""
        start, end = self.start, self.end
        stretches = [OffsetStretch(epoch_us(start), _offset_us(start, self.zone))]
        step = timedelta(hours=6)
        here = start
        while here < end:
            there = min(here + step, end)
            if _offset_us(there, self.zone) != _offset_us(here, self.zone):
                changed = _first_instant_with_new_offset(here, there, self.zone)
                stretches.append(OffsetStretch(epoch_us(changed), _offset_us(changed, self.zone)))
            here = there
        return tuple(stretches)

    def local_day(self, days_since_epoch: int) -> date:
        return EPOCH_DAY + timedelta(days=days_since_epoch)

    def as_json(self) -> dict[str, str | bool]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "to_inclusive": True,
            "timezone": self.zone.key,
            "start": clock.iso(self.start),
            "end": clock.iso(self.end),
        }


def _offset_us(instant: datetime, zone: ZoneInfo) -> int:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) * 1_000_000


def _first_instant_with_new_offset(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    old = _offset_us(before, zone)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            middle = before + timedelta(seconds=1)
        if _offset_us(middle, zone) == old:
            before = middle
        else:
            after = middle
    return after


class DayOutOfRange(PeriodError):
    """A day outside the dates Recours plans (:mod:`rota.bounds`)."""


def parse_day(raw: str, name: str) -> date:
    """A date as YYYY-MM-DD, or a :class:`PeriodError` naming the parameter."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(N_("{name} must be a date as YYYY-MM-DD, got '{raw}'"), name=name, raw=raw) from None
    if not FIRST_DAY <= day <= LAST_DAY:  # the rota's limits (rota.bounds): no arithmetic overflows past them
        raise DayOutOfRange(N_("{name} must be between {first} and {last}, got {day}"), name=name, first=FIRST_DAY, last=LAST_DAY, day=day)
    return day
