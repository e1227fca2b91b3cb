"""Urgent slots as stored.

- :class:`SlotPattern` — a specialty's recurring urgent slots, said the way the department says them:
  "11:30 and 16:30 on weekdays, 30 minutes, consultation room 3, booking closes 2 hours before", in
  local wall-clock times of the department's zone (DST handled by :func:`rota.patterns.instant`).
- :class:`UrgentSlot` — one slot at one instant. Pattern slots are published a fortnight ahead by
  :func:`slots.operations.publish_slots` (idempotent: one row per specialty and start); one-offs are
  added by a head. A slot is a row because it carries state: open, booked, or released at its cut-off.
- :class:`SlotBooking` — a senior's booking for a GP's patient. It never holds the patient's identity:
  a short code the GP gives the patient, the GP (directory and number) and the senior who booked.
  A cancelled booking stays (the reports count it); the slot goes back to open, or to the secretariat
  once the cut-off has passed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from rota.models import Specialty


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings with a CHECK, the same on SQLite and PostgreSQL, easy to extend in a migration.
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class SlotStatus(enum.StrEnum):
    OPEN = "open"  # may be booked by a senior until its cut-off
    BOOKED = "booked"  # held by a booking (booked, or confirmed by the secretariat)
    RELEASED = "released"  # not booked by the cut-off: the secretariat gives it to any patient


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"  # the GP has the code; the patient has not called yet
    CONFIRMED = "confirmed"  # the patient called the secretariat with the code: the slot is theirs
    CANCELLED = "cancelled"  # by the GP (SMS reply) or the secretariat: the slot was freed


class SlotPattern(Base):
    """Slots starting at each of ``times`` (local, the department's zone) on every day whose ISO weekday
    is in ``weekdays``, from ``valid_from`` to ``valid_until`` (local dates, inclusive). When the
    department counts public holidays as Sundays, a holiday has slots only if ``7`` is in ``weekdays``."""

    __tablename__ = "urgent_slot_pattern"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        CheckConstraint("cutoff_minutes BETWEEN 0 AND 10080", name="cutoff_range"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[str] = mapped_column(String(7))  # "12345"
    times: Mapped[str] = mapped_column(String(200))  # "11:30,16:30", sorted, local wall-clock
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    place: Mapped[str] = mapped_column(Text)  # where the patient goes, as the GP's SMS says it
    # Booking closes this long before a slot starts; an unbooked slot is then released to the secretariat.
    cutoff_minutes: Mapped[int] = mapped_column(Integer, default=120)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    specialty: Mapped[Specialty] = relationship()

    @property
    def wall_times(self) -> list[time]:
        return [time.fromisoformat(part) for part in self.times.split(",") if part]


class UrgentSlot(Base):
    """One urgent slot over ``[starts_at, ends_at)`` (UTC); ``pattern_id`` None for a one-off."""

    __tablename__ = "urgent_slot"
    __table_args__ = (
        UniqueConstraint("specialty_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="interval_not_empty"),
        CheckConstraint("cutoff_at <= starts_at", name="cutoff_before_start"),
        Index("ix_urgent_slot_status_cutoff", "status", "cutoff_at"),
        Index("ix_urgent_slot_starts", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"))
    pattern_id: Mapped[int | None] = mapped_column(ForeignKey("urgent_slot_pattern.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(Text)
    status: Mapped[SlotStatus] = mapped_column(_enum(SlotStatus), default=SlotStatus.OPEN)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    specialty: Mapped[Specialty] = relationship()
    bookings: Mapped[list[SlotBooking]] = relationship(back_populates="slot", order_by="SlotBooking.id", cascade="all, delete-orphan")

    @property
    def booking(self) -> SlotBooking | None:
        """The booking holding the slot now, if any."""
        return next((b for b in self.bookings if b.status is not BookingStatus.CANCELLED), None)


class SlotBooking(Base):
    """A slot booked by a senior for a GP's patient: a code, the GP, the senior. No patient identity."""

    __tablename__ = "urgent_slot_booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("urgent_slot.id", ondelete="CASCADE"), index=True)
    # Unique for ever, so an old code never points at someone else's slot (alphabet of slots.codes).
    code: Mapped[str] = mapped_column(String(8), unique=True)
    status: Mapped[BookingStatus] = mapped_column(_enum(BookingStatus), default=BookingStatus.BOOKED)
    gp_id: Mapped[int | None] = mapped_column(ForeignKey("gp.id", ondelete="SET NULL"), index=True)
    gp_e164: Mapped[str] = mapped_column(String(20))  # where the GP's SMS goes and whose replies count
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"), index=True)
    # The language the GP's SMS is written in: the one their call was in.
    language: Mapped[str] = mapped_column(String(2), default="fr")
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(16))  # "gp", "secretariat"

    slot: Mapped[UrgentSlot] = relationship(back_populates="bookings")
