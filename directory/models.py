"""General practitioners known to the hotline."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class GeneralPractitioner(Base):
    __tablename__ = "gp"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # RPPS: the 11-digit national identifier of French health professionals.
    rpps: Mapped[str] = mapped_column(String(11), unique=True)

    phones: Mapped[list[GpPhone]] = relationship(back_populates="gp", cascade="all, delete-orphan")


class GpPhone(Base):
    __tablename__ = "gp_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    gp_id: Mapped[int] = mapped_column(ForeignKey("gp.id", ondelete="CASCADE"), index=True)
    # A number belongs to one GP, so a caller is identified without ambiguity.
    e164: Mapped[str] = mapped_column(String(20), unique=True)

    gp: Mapped[GeneralPractitioner] = relationship(back_populates="phones")
