"""Who can be called: departments, specialties, seniors and their duty slots.

This is the model the full rota engine grows from: rotations, leave and overrides will *produce* duty
slots; the hotline only ever reads them through :func:`rota.queries.on_duty_hunt_list`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


class Layer(enum.StrEnum):
    """Hunt order between layers: every primary is tried before any backup."""

    PRIMARY = "primary"
    BACKUP = "backup"


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Rota patterns are local wall-clock times in this zone; stored instants stay UTC.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")

    specialties: Mapped[list[Specialty]] = relationship(back_populates="department")


class Senior(Base):
    __tablename__ = "senior"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    phones: Mapped[list[SeniorPhone]] = relationship(
        back_populates="senior", order_by="SeniorPhone.preference", cascade="all, delete-orphan"
    )

    @property
    def preferred_number(self) -> str | None:
        return self.phones[0].e164 if self.phones else None


class SeniorPhone(Base):
    """One of a senior's numbers; a lower ``preference`` is tried first."""

    __tablename__ = "senior_phone"
    __table_args__ = (UniqueConstraint("senior_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20))
    preference: Mapped[int] = mapped_column(default=0)

    senior: Mapped[Senior] = relationship(back_populates="phones")


class Specialty(Base):
    __tablename__ = "specialty"
    __table_args__ = (CheckConstraint("menu_digit IS NULL OR menu_digit IN ('1','2','3','4','5','6','7','8','9')", name="menu_digit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name_fr: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    menu_digit: Mapped[str | None] = mapped_column(String(1), unique=True)
    # Comma-separated words a GP may say for this specialty ("neurologie, neuro, neurologue").
    speech_keywords: Mapped[str] = mapped_column(Text, default="")
    # A number of its own that skips the menu (E.164), if the hospital bought one.
    direct_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The last person tried when every senior on duty missed: usually the head of department.
    last_resort_senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship(back_populates="specialties")
    last_resort: Mapped[Senior | None] = relationship()

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fr

    @property
    def keywords(self) -> list[str]:
        return [word.strip() for word in self.speech_keywords.split(",") if word.strip()]


class DutySlot(Base):
    """A senior on duty for a specialty over the half-open UTC interval ``[starts_at, ends_at)``."""

    __tablename__ = "duty_slot"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval_not_empty"),
        Index("ix_duty_slot_lookup", "specialty_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"))
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    layer: Mapped[Layer] = mapped_column(Enum(Layer, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    senior: Mapped[Senior] = relationship()
    specialty: Mapped[Specialty] = relationship()
