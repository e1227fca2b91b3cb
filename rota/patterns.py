"""Recurring duty patterns, expanded on the fly. Pure functions: no database, no clock.

A rotation is said the way a department says it — "day duty 08:30-18:30 on weekdays, a new senior
every Monday" — as local wall-clock times plus the department's IANA zone. :func:`occurrences` turns
it into half-open UTC intervals ``[start, end)`` for any period; nothing is materialised in advance.

**Wall-clock to instant** — one rule, :func:`instant`, used for window edges and handoffs alike:

- an *ambiguous* local time (autumn, the repeated hour: 02:30 happens twice in Europe/Paris) is its
  **first** occurrence, still in summer time (zoneinfo ``fold=0``);
- a *nonexistent* local time (spring, the skipped hour: there is no 02:30) is **the instant the clocks
  jump** (03:00 summer time).

The rule is monotonic: a later wall-clock time never gives an earlier instant. So contiguous local
patterns stay contiguous in UTC (a window ending at 08:30 and the next starting at 08:30 meet exactly,
on any day), windows never overlap, and a window lying wholly inside the skipped hour is empty and
dropped. Consequences at Europe/Paris changes: 08:30 is 08:30 local on both sides; a night 18:30→08:30
lasts 13 h across the spring-forward night and 15 h across the fall-back night.

**Public holidays** count as Sundays when the department says so: on a holiday, a window starts
only if the rotation's weekdays include Sunday. With day and night duty on weekdays and weekend duty
on Saturday and Sunday 08:30→08:30, a holiday Thursday is covered by weekend duty from Thursday 08:30
to Friday 08:30, and the weekday rotations do not start that day.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


def _offset_at(instant_utc: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant_utc.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


@functools.lru_cache(maxsize=1 << 16)
def instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of wall-clock ``wall`` on local date ``day`` (see the module's rule)."""
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), zone)
    first = local.astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return first  # exists (fold=0 picked the first of two if ambiguous)
    # Skipped by a spring-forward change. fold=1 reads it with the offset after the change, which lands
    # before the jump; fold=0 (``first``) lands after it. The jump lies between: find it to the second.
    low = local.replace(fold=1).astimezone(UTC)
    before = _offset_at(low, zone)
    high = first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset_at(middle, zone) == before:
            low = middle
        else:
            high = middle
    return high


def is_nonexistent(day: date, wall: time, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, wall, zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None)


def is_ambiguous(day: date, wall: time, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, wall, zone)
    return local.utcoffset() != local.replace(fold=1).utcoffset() and not is_nonexistent(day, wall, zone)


_COUNTRY_LOCK = threading.Lock()


def _country_holidays(country: str, subdivision: str | None, year: int):
    """``holidays.country_holidays``, importing only the country's own module: the package's
    ``holidays.countries`` imports all 250 countries to hand out one (8 MB in every hotline worker,
    which builds its routing snapshot with the department's calendar). Raises NotImplementedError for
    an unknown country or subdivision, as ``country_holidays`` does."""
    from holidays.registry import COUNTRIES

    found = next(((module, names[0]) for module, names in COUNTRIES.items() if country in names[1:]), None)
    if found is None:
        raise NotImplementedError(f"Country {country} not available")
    module_name, class_name = found
    full_name = f"holidays.countries.{module_name}"
    with _COUNTRY_LOCK:
        module = sys.modules.get(full_name)
        if module is None:
            import holidays

            spec = importlib.util.spec_from_file_location(full_name, Path(holidays.__file__).parent / "countries" / f"{module_name}.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[full_name] = module  # the package, if imported later, takes this one
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[full_name]
                raise
    return getattr(module, class_name)(subdiv=subdivision, years=year)


@functools.cache
def _holidays_of_year(calendar: str, year: int) -> frozenset[date]:
    country, _, subdivision = calendar.partition("-")
    return frozenset(_country_holidays(country, subdivision or None, year).keys())


def is_public_holiday(calendar: str | None, day: date) -> bool:
    """True when ``day`` is a public holiday of ``calendar`` ("FR", "FR-57"); False without a calendar."""
    return calendar is not None and day in _holidays_of_year(calendar, day.year)


def check_calendar(calendar: str) -> None:
    """Raise ValueError unless ``calendar`` names a country (and subdivision) the holidays package knows."""
    country, _, subdivision = calendar.partition("-")
    try:
        _country_holidays(country, subdivision or None, 2000)
    except NotImplementedError:
        raise ValueError(f"unknown public holiday calendar {calendar!r} (expected e.g. FR or FR-57)") from None


@functools.lru_cache(maxsize=1 << 16)
def _window(
    zone: ZoneInfo, calendar: str | None, weekdays: frozenset[int], start: time, end: time, day: date
) -> tuple[datetime, datetime] | None:
    """A window before validity clipping. Departments share a handful of patterns, so this is mostly a
    cache hit during a hospital-wide scan."""
    kind = 7 if is_public_holiday(calendar, day) else day.isoweekday()
    if kind not in weekdays:
        return None
    return instant(day, start, zone), instant(day + ONE_DAY if end <= start else day, end, zone)


@functools.lru_cache(maxsize=1 << 16)
def _turn_start(zone: ZoneInfo, anchor: date, turn_days: int, handoff: time, turn: int) -> datetime:
    return instant(anchor + timedelta(days=turn * turn_days), handoff, zone)


@dataclass(frozen=True)
class Pattern:
    """A rotation's pattern, as plain values (see :class:`rota.models.Rotation` for the meaning)."""

    zone: ZoneInfo
    weekdays: frozenset[int]
    start: time
    end: time
    turn_days: int
    handoff: time
    anchor: date
    members: tuple[int, ...]
    holidays: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise ValueError(f"weekdays must be ISO weekdays 1..7, got {sorted(self.weekdays)}")
        if self.turn_days < 1:
            raise ValueError("turn_days must be at least 1")

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def starts_on(self, day: date) -> bool:
        """Whether a window starts on local ``day`` (a public holiday counts as a Sunday)."""
        kind = 7 if is_public_holiday(self.holidays, day) else day.isoweekday()
        return kind in self.weekdays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The window starting on local ``day``, clipped to the validity, or None."""
        bounds = _window(self.zone, self.holidays, self.weekdays, self.start, self.end, day)
        if bounds is None:
            return None
        start, end = bounds
        if self.valid_from is not None and start < self.valid_from:
            start = self.valid_from
        if self.valid_until is not None and end > self.valid_until:
            end = self.valid_until
        return (start, end) if end > start else None

    def turn_start(self, turn: int) -> datetime:
        """When turn number ``turn`` begins (turn 0 begins at the handoff on the anchor date)."""
        return _turn_start(self.zone, self.anchor, self.turn_days, self.handoff, turn)

    def turn_at(self, at: datetime) -> int:
        """The number of the turn in force at ``at``: ``turn_start(k) <= at < turn_start(k + 1)``."""
        local_day = at.astimezone(self.zone).date()
        turn = (local_day - self.anchor).days // self.turn_days
        while self.turn_start(turn) > at:
            turn -= 1
        while self.turn_start(turn + 1) <= at:
            turn += 1
        return turn

    def senior_of_turn(self, turn: int) -> int | None:
        return self.members[turn % len(self.members)] if self.members else None


@dataclass(frozen=True)
class Occurrence:
    """A rotation on duty over ``[starts_at, ends_at)`` (UTC), held by turn ``turn``'s senior."""

    starts_at: datetime
    ends_at: datetime
    turn: int
    senior_id: int

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


def occurrences(pattern: Pattern, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Every occurrence overlapping ``[start, end)``, in time order, not clipped to it.

    A window is cut at the handoffs it spans, one piece per turn. Windows are never longer than
    25 hours, so the window holding ``start`` began on its local date or the day before.
    """
    if end <= start:
        return
    day = start.astimezone(pattern.zone).date() - ONE_DAY
    last = end.astimezone(pattern.zone).date()
    turn: int | None = None
    while day <= last:
        window = pattern.window(day)
        day += ONE_DAY
        if window is None or window[0] >= end or window[1] <= start:
            continue
        piece_start, window_end = window
        # Windows come in time order: carry the turn forward instead of searching for it each time.
        turn = pattern.turn_at(piece_start) if turn is None else turn
        while pattern.turn_start(turn + 1) <= piece_start:
            turn += 1
        while piece_start < window_end:
            piece_end = min(window_end, pattern.turn_start(turn + 1))
            senior = pattern.senior_of_turn(turn)
            if senior is not None and piece_end > start and piece_start < end:
                yield Occurrence(piece_start, piece_end, turn, senior)
            if piece_end < window_end:
                turn += 1
            piece_start = piece_end


def occurrence_at(pattern: Pattern, at: datetime) -> Occurrence | None:
    """The occurrence covering instant ``at``, or None: the hotline's per-call question."""
    day = at.astimezone(pattern.zone).date()
    for candidate in (day - ONE_DAY, day):
        window = pattern.window(candidate)
        if window is not None and window[0] <= at < window[1]:
            turn = pattern.turn_at(at)
            senior = pattern.senior_of_turn(turn)
            if senior is None:
                return None
            return Occurrence(max(window[0], pattern.turn_start(turn)), min(window[1], pattern.turn_start(turn + 1)), turn, senior)
    return None


def merge_touching(pieces: Iterator[Occurrence] | list[Occurrence]) -> Iterator[Occurrence]:
    """Join consecutive occurrences of the same turn that meet end to start (a weekend's two days)."""
    current: Occurrence | None = None
    for piece in pieces:
        if current is not None and piece.turn == current.turn and piece.starts_at == current.ends_at:
            current = Occurrence(current.starts_at, piece.ends_at, current.turn, current.senior_id)
            continue
        if current is not None:
            yield current
        current = piece
    if current is not None:
        yield current


def parse_weekdays(text: str) -> frozenset[int]:
    """``"12345"`` → {1..5}; also ``"1-5"`` and ``"6,7"``. Raises ValueError."""
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            low, high = part.split("-", 1)
            if not (low.isdigit() and high.isdigit()) or int(low) > int(high):
                raise ValueError(f"bad weekday range {part!r}")
            days.update(range(int(low), int(high) + 1))
        elif part.isdigit():
            days.update(int(ch) for ch in part)
        else:
            raise ValueError(f"weekdays are ISO digits 1 (Monday) to 7 (Sunday), got {part!r}")
    if not days or not days <= set(range(1, 8)):
        raise ValueError(f"weekdays are ISO digits 1 (Monday) to 7 (Sunday), got {text!r}")
    return frozenset(days)


def weekdays_text(days: frozenset[int] | set[int]) -> str:
    return "".join(str(d) for d in sorted(days))
