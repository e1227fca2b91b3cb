"""The web app's side of the audit log: who is acting, from where, and the snapshots of rota rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from audit import record, snapshot
from rota.models import DutyOverride, DutySlot, Leave, Rotation, Senior, Specialty
from web.security import client_ip, signed_in_user


def log_change(
    session: Session,
    action: str,
    target_type: str,
    target_id: int | None,
    department_ids: Iterable[int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str = "",
) -> None:
    record(
        session,
        actor=signed_in_user(),
        action=action,
        target_type=target_type,
        target_id=target_id,
        department_ids=department_ids,
        before=before,
        after=after,
        summary=summary,
        remote_addr=client_ip(),
    )


def rotation_values(rotation: Rotation) -> dict[str, Any]:
    return snapshot(rotation, members=[m.senior_id for m in rotation.members])


def shift_values(shift: DutySlot) -> dict[str, Any]:
    return snapshot(shift)


def override_values(override: DutyOverride) -> dict[str, Any]:
    return snapshot(override)


def leave_values(leave: Leave) -> dict[str, Any]:
    return snapshot(leave)


def senior_values(senior: Senior, staff_of: Iterable[int] = ()) -> dict[str, Any]:
    return snapshot(senior, phones=[p.e164 for p in senior.phones], staff_of=sorted(staff_of))


def specialty_values(specialty: Specialty) -> dict[str, Any]:
    return snapshot(specialty)
