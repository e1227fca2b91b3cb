"""The rota's version: one row, bumped by database triggers on every write to a table that decides
who is rung (see migration 0500), so each instance knows with one indexed read that its routing
snapshot is out of date, whichever instance, page, import or command changed the rota."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

# Every table whose rows change a hunt list, the menu or the screening announcement.
ROUTING_TABLES = (
    "department",
    "department_head",
    "specialty",
    "senior",
    "senior_phone",
    "rotation",
    "rotation_member",
    "duty_slot",
    "duty_override",
    "senior_leave",
    "gp",
    "gp_phone",
    "call_policy",
    "prompt_recording",  # the hospital's recorded prompts (voice/): the hotline plays them from the snapshot
)


class RotaVersion(Base):
    __tablename__ = "rota_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
