"""Audit entries. They outlive what they describe: no foreign key to the changed object or its department."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The account may be deleted later; ``actor`` keeps who it was ("Name <email>").
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(400))
    # user, token, cli, scheduler or system (core.actor.ActorKind); the token is kept by id only: tokens
    # are revoked, never deleted, and the label above names it anyway.
    actor_kind: Mapped[str] = mapped_column(String(16), server_default="system")
    actor_token_id: Mapped[int | None] = mapped_column(Integer, index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60), index=True)  # "rotation.create", "senior.update", ...
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    department_links: Mapped[list[AuditEntryDepartment]] = relationship(cascade="all, delete-orphan")

    @property
    def department_ids(self) -> list[int]:
        return [link.department_id for link in self.department_links]


class AuditEntryDepartment(Base):
    """The departments an entry concerns: their heads may read it (administrators read every entry)."""

    __tablename__ = "audit_entry_department"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
