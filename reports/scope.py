"""What a report is about: a period of local days, and a specialty, a department or the whole hotline."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from core.words import N_
from reports.period import Period, PeriodError
from rota.models import Department, Specialty

DEFAULT_ZONE = "Europe/Paris"  # the default of Department.timezone, for a hotline with no department yet


class ScopeError(PeriodError):
    """An unknown specialty or department, or one the user may not see."""


@dataclass(frozen=True)
class SpecialtyRef:
    id: int
    code: str
    name: str
    department_id: int


@dataclass(frozen=True)
class Scope:
    """A period and the calls it covers. ``specialties`` are the specialties in scope (in the order of
    the tables); ``whole_hotline`` adds the calls that never chose a specialty."""

    period: Period
    specialties: tuple[SpecialtyRef, ...]
    whole_hotline: bool
    label: str
    specialty_code: str | None = None
    department_id: int | None = None

    @property
    def specialty_ids(self) -> frozenset[int]:
        return frozenset(s.id for s in self.specialties)

    def calls_filter(self, specialty_column: ColumnElement) -> ColumnElement[bool]:
        """The condition on a row's specialty (a call's or a callback request's)."""
        if self.whole_hotline:
            return true()
        return specialty_column.in_(sorted(self.specialty_ids))

    def as_json(self) -> dict:
        return {
            **self.period.as_json(),
            "label": self.label,
            "specialty": self.specialty_code,
            "department_id": self.department_id,
            "whole_hotline": self.whole_hotline,
            "specialties": [s.code for s in self.specialties],
        }


def resolve_scope(
    session: Session,
    first_day: date | None,
    last_day: date | None,
    *,
    specialty: str | None = None,
    department: str | None = None,
    visible_department_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> Scope:
    """The scope named by a specialty code, or a department (id or exact name), or neither (the whole
    hotline). ``visible_department_ids`` (None: all) limits what may be asked for: without a filter,
    a user who sees only some departments gets those departments, never the whole hotline.

    A missing day defaults from ``now`` in the scope's zone: the last day to today, the first day to
    27 days before the last (four weeks)."""

    def period(zone: ZoneInfo) -> Period:
        last = last_day
        if last is None:
            if now is None:
                raise PeriodError(N_("give the last day of the period"))
            last = now.astimezone(zone).date()
        return Period(first_day or last - timedelta(days=27), last, zone)

    departments = {d.id: d for d in session.scalars(select(Department))}
    # Menu order within each department; sorted here because SQLite and PostgreSQL order NULLs apart.
    rows = sorted(session.scalars(select(Specialty)), key=lambda s: (s.department_id, s.menu_digit or "~", s.code))
    all_specialties = [SpecialtyRef(s.id, s.code, s.name_fr, s.department_id) for s in rows]
    visible = None if visible_department_ids is None else frozenset(visible_department_ids)

    def may_see(department_id: int) -> bool:
        return visible is None or department_id in visible

    if specialty:
        chosen = next((s for s in all_specialties if s.code == specialty.strip()), None)
        if chosen is None or not may_see(chosen.department_id):
            raise ScopeError(N_("no specialty with code '{code}'"), code=specialty)
        zone = _zone_of([departments[chosen.department_id]])
        return Scope(period(zone), (chosen,), False, f"{chosen.name} ({chosen.code})", specialty_code=chosen.code)
    if department:
        found = _find_department(departments, department.strip())
        if found is None or not may_see(found.id):
            raise ScopeError(N_("no department '{name}'"), name=department)
        mine = tuple(s for s in all_specialties if s.department_id == found.id)
        return Scope(period(_zone_of([found])), mine, False, found.name, department_id=found.id)
    if visible is None:
        return Scope(period(_zone_of(list(departments.values()))), tuple(all_specialties), True, "whole hotline")
    mine = tuple(s for s in all_specialties if s.department_id in visible)
    shown = [departments[i] for i in sorted(visible) if i in departments]
    label = ", ".join(d.name for d in shown) or "no department"
    return Scope(period(_zone_of(shown)), mine, False, label)


def _find_department(departments: dict[int, Department], wanted: str) -> Department | None:
    if wanted.isdigit() and int(wanted) in departments:
        return departments[int(wanted)]
    return next((d for d in departments.values() if d.name == wanted), None)


def _zone_of(departments: list[Department]) -> ZoneInfo:
    zones = sorted({d.timezone for d in departments})
    if len(zones) > 1:
        raise ScopeError(f"the departments are in different time zones ({', '.join(zones)}): choose a department or a specialty")
    name = zones[0] if zones else DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScopeError(f"unknown time zone {name!r} on the department") from None
