"""Who can be called and when: departments, specialties, seniors, rotations and their exceptions.

Two kinds of data, stored differently on purpose:

- **Patterns** (:class:`Rotation`) are kept as the department says them — local wall-clock times, the
  weekdays they start on, who takes turns and how often — and expanded on the fly by
  :mod:`rota.patterns`. Years of occurrences are never written as rows.
- **Exceptions** (:class:`DutySlot` single shifts, :class:`DutyOverride`, :class:`Leave`) are stored as
  half-open UTC intervals ``[starts_at, ends_at)`` and read by indexed interval queries.

How they combine is decided in one place, :mod:`rota.precedence`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Boolean, CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


def _enum(cls: type[enum.Enum], length: int = 16) -> Enum:
    # Plain strings with a CHECK, the same on SQLite and PostgreSQL, easy to extend in a migration.
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Layer(enum.StrEnum):
    """Hunt order between layers: every primary is tried before any backup."""

    PRIMARY = "primary"
    BACKUP = "backup"


class LeavePolicy(enum.StrEnum):
    """What a rotation does when the senior on turn is on leave."""

    SKIP = "skip"  # the next senior in the turn order who is not on leave takes the turn
    GAP = "gap"  # nobody from this rotation: the gap shows in `flask rota gaps`


class SwapStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the other senior
    ACCEPTED = "accepted"  # waiting for a head of department
    APPROVED = "approved"  # in force, as overrides
    DECLINED = "declined"  # by the other senior
    REJECTED = "rejected"  # by a head of department
    CANCELLED = "cancelled"  # by the senior who asked


class DepartmentHead(Base):
    """A senior who heads a department; a department may have several (co-heads), in order."""

    __tablename__ = "department_head"

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    senior: Mapped[Senior] = relationship()


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Rota patterns are local wall-clock times in this zone; stored instants stay UTC.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    leave_policy: Mapped[LeavePolicy] = mapped_column(_enum(LeavePolicy), default=LeavePolicy.SKIP, server_default=LeavePolicy.SKIP.value)
    # False: a swap both seniors agreed on is in force at once, without a head's approval.
    swaps_need_approval: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Country (and optional subdivision, "FR" or "FR-57") whose public holidays count as Sundays in every
    # rotation of the department ("dimanches et jours fériés"); None: holidays are ordinary days.
    public_holidays: Mapped[str | None] = mapped_column(String(16))

    specialties: Mapped[list[Specialty]] = relationship(back_populates="department")
    head_links: Mapped[list[DepartmentHead]] = relationship(order_by=DepartmentHead.position, cascade="all, delete-orphan")

    @property
    def heads(self) -> list[Senior]:
        return [link.senior for link in self.head_links]


class Senior(Base):
    __tablename__ = "senior"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # An inactive senior (left the hospital) is treated as permanently on leave: never rung.
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
    # The last person tried when every senior on duty missed; without one, the department's heads.
    last_resort_senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship(back_populates="specialties")
    last_resort: Mapped[Senior | None] = relationship()

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fr

    @property
    def keywords(self) -> list[str]:
        return [word.strip() for word in self.speech_keywords.split(",") if word.strip()]


class Rotation(Base):
    """A recurring duty: which days, which local hours, and seniors taking turns.

    A *window* starts at ``start_time`` (local, department zone) on every day whose ISO weekday is in
    ``weekdays`` and ends at ``end_time`` the same day, or the next day when ``end_time <= start_time``
    (a night 18:30-08:30; 08:30-08:30 is 24 h). A weekend Saturday 08:30 → Monday 08:30 is
    ``weekdays="67"``, 08:30-08:30. When the department counts public holidays as Sundays, a holiday
    starts a window only if ``7`` is in ``weekdays``.

    Turns: member ``position`` 0 holds the turn that starts at ``handoff_time`` on ``anchor_date``; every
    ``turn_days`` days at ``handoff_time`` the next member takes over, cyclically (1 = daily, 7 = weekly).
    A window that spans a handoff is split between the two seniors.
    """

    __tablename__ = "rotation"
    __table_args__ = (
        CheckConstraint("turn_days >= 1", name="turn_days_positive"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="validity_not_empty"),
        CheckConstraint("length(weekdays) BETWEEN 1 AND 7", name="weekdays_given"),
        Index("ix_rotation_specialty", "specialty_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    layer: Mapped[Layer] = mapped_column(_enum(Layer))
    weekdays: Mapped[str] = mapped_column(String(7))  # ISO weekdays a window starts on: "12345", "67"
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    turn_days: Mapped[int] = mapped_column(Integer, default=7)
    handoff_time: Mapped[time] = mapped_column(Time)
    anchor_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    specialty: Mapped[Specialty] = relationship()
    members: Mapped[list[RotationMember]] = relationship(
        back_populates="rotation", order_by="RotationMember.position", cascade="all, delete-orphan"
    )


class RotationMember(Base):
    """A senior's place in a rotation's turn order."""

    __tablename__ = "rotation_member"
    __table_args__ = (UniqueConstraint("rotation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)

    rotation: Mapped[Rotation] = relationship(back_populates="members")
    senior: Mapped[Senior] = relationship()


class DutySlot(Base):
    """A single shift: a senior on duty for a specialty over the half-open UTC interval ``[starts_at, ends_at)``.

    Lasts at most :data:`rota.precedence.MAX_SINGLE_SHIFT`, so "which shifts cover instant t" is a
    bounded range scan of ``ix_duty_slot_lookup``.
    """

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


class DutyOverride(Base):
    """``replacing`` takes every duty ``replaced`` has for this specialty during ``[starts_at, ends_at)``."""

    __tablename__ = "duty_override"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval_not_empty"),
        CheckConstraint("replaced_senior_id <> replacing_senior_id", name="two_seniors"),
        Index("ix_duty_override_lookup", "specialty_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"))
    replaced_senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    replacing_senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    # Set when the override is one leg of an approved swap.
    swap_id: Mapped[int | None] = mapped_column(ForeignKey("swap_request.id", ondelete="CASCADE"), index=True)

    replaced: Mapped[Senior] = relationship(foreign_keys=[replaced_senior_id])
    replacing: Mapped[Senior] = relationship(foreign_keys=[replacing_senior_id])


class Leave(Base):
    """A senior unavailable over ``[starts_at, ends_at)`` — holiday, training, sick leave — for every specialty."""

    __tablename__ = "senior_leave"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval_not_empty"),
        Index("ix_senior_leave_lookup", "senior_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(120), default="")

    senior: Mapped[Senior] = relationship()


class SwapRequest(Base):
    """A senior asks another to take ``[starts_at, ends_at)`` of their duty, optionally taking
    ``[return_starts_at, return_ends_at)`` of the other's in exchange. Once approved it acts as overrides."""

    __tablename__ = "swap_request"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval_not_empty"),
        CheckConstraint("requester_id <> counterpart_id", name="two_seniors"),
        CheckConstraint(
            "(return_starts_at IS NULL AND return_ends_at IS NULL) OR return_ends_at > return_starts_at", name="return_interval"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    counterpart_id: Mapped[int] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    return_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[SwapStatus] = mapped_column(_enum(SwapStatus), default=SwapStatus.REQUESTED)
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="SET NULL"))

    overrides: Mapped[list[DutyOverride]] = relationship(cascade="all, delete-orphan")
