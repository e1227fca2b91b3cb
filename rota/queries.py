"""Questions the hotline asks the rota. Read-only; every instant is aware UTC."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from rota.models import DutySlot, Layer, Senior, Specialty

LAST_RESORT = "last_resort"


@dataclass(frozen=True)
class HuntEntry:
    """One phone to ring, in order, with why this senior is on the list."""

    senior_id: int
    name: str
    number: str
    layer: str  # "primary", "backup" or "last_resort"
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HuntEntry:
        return cls(**data)


def on_duty_hunt_list(session: Session, specialty_id: int, at: datetime) -> list[HuntEntry]:
    """Who to ring for ``specialty_id`` at instant ``at``: primaries, then backups, then the last resort.

    A slot covers ``[starts_at, ends_at)``, so at a handover instant only the incoming senior is on duty.
    Each number appears at most once, at its first (most senior-layer) place.
    """
    layer_order = case((DutySlot.layer == Layer.PRIMARY, 0), else_=1)
    slots = session.scalars(
        select(DutySlot)
        .join(DutySlot.senior)
        .where(DutySlot.specialty_id == specialty_id, DutySlot.starts_at <= at, DutySlot.ends_at > at, Senior.active.is_(True))
        .order_by(layer_order, DutySlot.starts_at, DutySlot.id)
        .options(selectinload(DutySlot.senior).selectinload(Senior.phones))
    ).all()
    entries: list[HuntEntry] = []
    seen: set[str] = set()

    def add(senior: Senior, layer: str, reason: str) -> None:
        number = senior.preferred_number
        if number is None or number in seen:
            return
        seen.add(number)
        entries.append(HuntEntry(senior.id, senior.full_name, number, layer, reason))

    for slot in slots:
        add(slot.senior, slot.layer.value, f"duty slot {slot.id} ({slot.layer.value})")
    specialty = session.get(Specialty, specialty_id, options=[selectinload(Specialty.last_resort).selectinload(Senior.phones)])
    if specialty is not None and specialty.last_resort is not None and specialty.last_resort.active:
        add(specialty.last_resort, LAST_RESORT, "last resort of the specialty")
    return entries


@dataclass(frozen=True)
class MenuEntry:
    specialty_id: int
    code: str
    digit: str | None
    name_fr: str
    name_en: str
    keywords: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fr


def hotline_menu(session: Session) -> list[MenuEntry]:
    """The specialties a GP can choose, in menu-digit order (those without a digit are speech-only)."""
    rows = session.scalars(select(Specialty).order_by(Specialty.menu_digit.is_(None), Specialty.menu_digit, Specialty.id)).all()
    return [MenuEntry(s.id, s.code, s.menu_digit, s.name_fr, s.name_en, tuple(s.keywords)) for s in rows]


def specialty_by_direct_number(session: Session, e164: str | None) -> MenuEntry | None:
    if not e164:
        return None
    s = session.scalars(select(Specialty).where(Specialty.direct_number == e164)).first()
    return None if s is None else MenuEntry(s.id, s.code, s.menu_digit, s.name_fr, s.name_en, tuple(s.keywords))


def specialty_name(session: Session, specialty_id: int | None, language: str) -> str:
    specialty = session.get(Specialty, specialty_id) if specialty_id is not None else None
    return specialty.name(language) if specialty else ""
