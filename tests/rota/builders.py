"""Small helpers to lay out a department in a test, straight through the models."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.db import Base
from rota.models import Department, Senior, SeniorPhone, Specialty

PARIS = ZoneInfo("Europe/Paris")
_numbers = count(1)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Paris wall-clock time as an aware UTC instant (only for times that exist once)."""
    return datetime(y, mo, d, h, mi, tzinfo=PARIS).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def empty_database(session: Session) -> None:
    session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.commit()


def senior(session: Session, name: str, *, active: bool = True) -> Senior:
    """A senior with a number of their own (numbers never repeat, so hunt lists are by senior)."""
    person = Senior(full_name=name, active=active, phones=[SeniorPhone(e164=f"+331990{next(_numbers) % 100000:05d}", preference=0)])
    session.add(person)
    session.flush()
    return person


def department(session: Session, name: str = "Neurosciences", **settings) -> Department:
    dept = Department(name=name, timezone=settings.pop("timezone", "Europe/Paris"), **settings)
    session.add(dept)
    session.flush()
    return dept


def specialty(session: Session, dept: Department, code: str, **extra) -> Specialty:
    spec = Specialty(code=code, department=dept, name_fr=extra.pop("name_fr", code), name_en=extra.pop("name_en", code), **extra)
    session.add(spec)
    session.flush()
    return spec


DAY, NIGHT = time(8, 30), time(18, 30)
ANCHOR_MONDAY = date(2026, 1, 5)
