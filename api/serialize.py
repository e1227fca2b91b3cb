"""Rows as the JSON the API returns (the shapes are described in :mod:`api.openapi`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rota.models import Department, DutyOverride, DutySlot, Leave, Rotation, Senior, Specialty, SwapRequest


def instant(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def department(d: Department) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "timezone": d.timezone,
        "leave_policy": d.leave_policy.value,
        "swaps_need_approval": d.swaps_need_approval,
        "public_holidays": d.public_holidays,
    }


def specialty(s: Specialty) -> dict[str, Any]:
    return {
        "id": s.id,
        "code": s.code,
        "department_id": s.department_id,
        "name_fr": s.name_fr,
        "name_en": s.name_en,
        "menu_digit": s.menu_digit,
        "direct_number": s.direct_number,
    }


def senior(s: Senior) -> dict[str, Any]:
    return {"id": s.id, "full_name": s.full_name, "active": s.active}


def rotation(r: Rotation, code: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "specialty": code,
        "name": r.name,
        "layer": r.layer.value,
        "weekdays": r.weekdays,
        "start": r.start_time.strftime("%H:%M"),
        "end": r.end_time.strftime("%H:%M"),
        "turn_days": r.turn_days,
        "handoff": r.handoff_time.strftime("%H:%M"),
        "anchor": r.anchor_date.isoformat(),
        "valid_from": instant(r.valid_from),
        "valid_until": instant(r.valid_until),
        "members": [m.senior_id for m in r.members],
    }


def shift(s: DutySlot, code: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "specialty": code,
        "senior_id": s.senior_id,
        "layer": s.layer.value,
        "starts_at": instant(s.starts_at),
        "ends_at": instant(s.ends_at),
    }


def override(o: DutyOverride, code: str) -> dict[str, Any]:
    return {
        "id": o.id,
        "specialty": code,
        "replaced_senior_id": o.replaced_senior_id,
        "replacing_senior_id": o.replacing_senior_id,
        "starts_at": instant(o.starts_at),
        "ends_at": instant(o.ends_at),
        "note": o.note,
        "swap_id": o.swap_id,
    }


def leave(entry: Leave) -> dict[str, Any]:
    return {
        "id": entry.id,
        "senior_id": entry.senior_id,
        "starts_at": instant(entry.starts_at),
        "ends_at": instant(entry.ends_at),
        "reason": entry.reason,
    }


def swap(s: SwapRequest, code: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "specialty": code,
        "requester_id": s.requester_id,
        "counterpart_id": s.counterpart_id,
        "starts_at": instant(s.starts_at),
        "ends_at": instant(s.ends_at),
        "return_starts_at": instant(s.return_starts_at),
        "return_ends_at": instant(s.return_ends_at),
        "status": s.status.value,
        "note": s.note,
    }
