"""A slow, obviously-correct reference for "who is on duty at instant t", written without rota's code.

- Wall-clock to instant by brute force: try every UTC offset the zone uses around that day; if none
  gives back the wall-clock time (the skipped spring hour), walk UTC minute by minute to the first
  instant whose local time is past it — the instant the clocks jump. Ambiguous: the earliest candidate.
- Windows: every local date near t, checked one by one; public holidays straight from ``holidays``.
- Turns: walk from the anchor, one turn at a time, until t lies between two handoffs.
- Precedence: the rule of rota/precedence.py's docstring, transcribed as plain loops over all facts.

Used by the property tests against rota.queries.on_duty (the database path) and rota.coverage.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package


def _local_wall(u: datetime, zone: ZoneInfo) -> datetime:
    return u.astimezone(zone).replace(tzinfo=None)


@functools.cache
def ref_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    target = datetime.combine(day, wall)
    around = [target.replace(tzinfo=UTC) + timedelta(minutes=30 * k) for k in range(-72, 73)]
    offsets = {u.astimezone(zone).utcoffset() for u in around}
    candidates = sorted(target.replace(tzinfo=UTC) - off for off in offsets if off is not None)
    exact = [u for u in candidates if _local_wall(u, zone) == target]
    if exact:
        return exact[0]
    u = candidates[0] - timedelta(hours=1)
    while _local_wall(u, zone) <= target:
        u += timedelta(minutes=1)
    # Back to the exact second (zones jump on whole minutes, but be exact anyway).
    while _local_wall(u - timedelta(seconds=1), zone) > target:
        u -= timedelta(seconds=1)
    return u


@functools.cache
def _holidays(calendar: str, year: int) -> frozenset[date]:
    country, _, sub = calendar.partition("-")
    return frozenset(holidays_package.country_holidays(country, subdiv=sub or None, years=year))


@dataclass
class RefRotation:
    id: int
    name: str
    layer: str
    weekdays: set[int]
    start: time
    end: time
    turn_days: int
    handoff: time
    anchor: date
    members: list[int]
    valid_from: datetime
    valid_until: datetime | None


@dataclass
class RefInterval:
    id: int
    start: datetime
    end: datetime
    senior: int = 0  # shift, leave
    layer: str = ""  # shift
    replaced: int = 0  # override
    replacing: int = 0  # override
    swap_id: int | None = None


@dataclass
class RefWorld:
    zone: ZoneInfo
    holidays: str | None
    policy: str  # "skip" or "gap"
    inactive: set[int] = field(default_factory=set)
    rotations: list[RefRotation] = field(default_factory=list)
    shifts: list[RefInterval] = field(default_factory=list)
    overrides: list[RefInterval] = field(default_factory=list)
    leave: list[RefInterval] = field(default_factory=list)
    last_resort: int | None = None
    heads: list[int] = field(default_factory=list)

    # -- patterns -------------------------------------------------------------------------------------

    def kind_of(self, day: date) -> int:
        if self.holidays and day in _holidays(self.holidays, day.year):
            return 7
        return day.isoweekday()

    def in_window(self, rot: RefRotation, t: datetime) -> bool:
        if t < rot.valid_from or (rot.valid_until is not None and t >= rot.valid_until):
            return False
        local_day = t.astimezone(self.zone).date()
        for back in range(-3, 2):
            day = local_day + timedelta(days=back)
            if self.kind_of(day) not in rot.weekdays:
                continue
            start = ref_instant(day, rot.start, self.zone)
            end_day = day + timedelta(days=1) if rot.end <= rot.start else day
            end = ref_instant(end_day, rot.end, self.zone)
            if start <= t < end:
                return True
        return False

    def turn(self, rot: RefRotation, t: datetime) -> int:
        def boundary(k: int) -> datetime:
            return ref_instant(rot.anchor + timedelta(days=k * rot.turn_days), rot.handoff, self.zone)

        k = 0
        if t >= boundary(0):
            while boundary(k + 1) <= t:
                k += 1
        else:
            while boundary(k) > t:
                k -= 1
        return k

    # -- precedence -----------------------------------------------------------------------------------

    def unavailable(self, t: datetime) -> set[int]:
        gone = set(self.inactive)
        for leave in self.leave:
            if leave.start <= t < leave.end:
                gone.add(leave.senior)
        return gone

    def places(self, t: datetime) -> list[tuple]:
        """[(senior, layer, source, source_id, override_id, stood_in_for)], primary then backup."""
        away = self.unavailable(t)
        overrides = [o for o in self.overrides if o.start <= t < o.end]

        def override_of(senior: int) -> RefInterval | None:
            mine = [o for o in overrides if o.replaced == senior]
            return max(mine, key=lambda o: o.id) if mine else None

        out: list[tuple] = []
        for layer in ("primary", "backup"):
            here: list[tuple] = []
            for shift in sorted((s for s in self.shifts if s.layer == layer and s.start <= t < s.end), key=lambda s: (s.start, s.id)):
                o = override_of(shift.senior)
                if o is not None:
                    if o.replacing not in away:
                        here.append((o.replacing, layer, "shift", shift.id, o.id, None))
                elif shift.senior not in away:
                    here.append((shift.senior, layer, "shift", shift.id, None, None))
            if not here:
                for rot in sorted(self.rotations, key=lambda r: r.id):
                    if rot.layer != layer or not rot.members or not self.in_window(rot, t):
                        continue
                    k = self.turn(rot, t)
                    n = len(rot.members)
                    planned = rot.members[k % n]
                    o = override_of(planned)
                    if o is not None:
                        if o.replacing not in away:
                            here.append((o.replacing, layer, "rotation", rot.id, o.id, None))
                        continue
                    if planned not in away:
                        here.append((planned, layer, "rotation", rot.id, None, None))
                        continue
                    if self.policy == "skip":
                        for step in range(1, n):
                            candidate = rot.members[(k + step) % n]
                            if candidate not in away:
                                here.append((candidate, layer, "rotation", rot.id, None, planned))
                                break
            out.extend(here)
        seen: set[int] = set()
        unique = []
        for place in out:
            if place[0] not in seen:
                seen.add(place[0])
                unique.append(place)
        return unique

    def hunt(self, t: datetime) -> list[tuple[int, str]]:
        """[(senior, layer)] as the hotline rings them, last resort included."""
        away = self.unavailable(t)
        entries = [(p[0], p[1]) for p in self.places(t)]
        if self.last_resort is not None and self.last_resort not in away:
            extra = [self.last_resort]
        else:
            extra = [h for h in self.heads if h != self.last_resort and h not in away]
        for senior in extra:
            if all(senior != s for s, _ in entries):
                entries.append((senior, "last_resort"))
        return entries
