"""Credentials for machines: API tokens (``/api/``) and calendar feed links (``/calendars/``).

Neither secret is stored: only its SHA-256 is, so a copy of the database does not let anyone call the
API or read a feed. Revoking keeps the row (``revoked_at``) so ``flask tokens list`` still shows who had
access and until when.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, Enum, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from rota.models import Department, Senior, Specialty

api_token_department = Table(
    "api_token_department",
    Base.metadata,
    Column("token_id", ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ApiToken(Base):
    """A bearer token for ``/api/``. Every valid token reads; it writes only in ``departments`` (or in
    all of them, ``all_departments``), and never when ``read_only``."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Writes in every department, and may create departments (as an administrator on the pages may).
    all_departments: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    departments: Mapped[list[Department]] = relationship(secondary=api_token_department, order_by=Department.id)

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.departments)


class FeedKind(enum.StrEnum):
    SENIOR = "senior"
    SPECIALTY = "specialty"


class CalendarFeed(Base):
    """An unguessable, revocable iCal link to one senior's or one specialty's duty."""

    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'senior' AND senior_id IS NOT NULL AND specialty_id IS NULL)"
            " OR (kind = 'specialty' AND specialty_id IS NOT NULL AND senior_id IS NULL)",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(Enum(FeedKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    senior_id: Mapped[int | None] = mapped_column(ForeignKey("senior.id", ondelete="CASCADE"), index=True)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    senior: Mapped[Senior | None] = relationship()
    specialty: Mapped[Specialty | None] = relationship()
