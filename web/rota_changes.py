"""Changing and removing rota entries: what :mod:`rota.operations` does not offer yet.

``rota.operations`` adds rotations, shifts, overrides and leave; the web app also needs to correct and
remove them. These functions check their arguments with the same rules as ``rota.operations`` and
flush; the caller commits. They belong in ``rota/operations.py`` and should move there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from core.words import N_
from rota.models import DutyOverride, DutySlot, Layer, Leave, Rotation, RotationMember, Senior, Specialty
from rota.operations import RotaError
from rota.patterns import parse_weekdays, weekdays_text
from rota.precedence import MAX_SINGLE_SHIFT
from rota.queries import require_aware


def _interval(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = require_aware(starts_at), require_aware(ends_at)
    if ends_at <= starts_at:
        raise RotaError(N_("the interval must end after it starts"))
    return starts_at, ends_at


def _seniors_exist(session: Session, *senior_ids: int) -> None:
    for senior_id in senior_ids:
        if session.get(Senior, senior_id) is None:
            raise RotaError(f"no senior #{senior_id}")


def update_rotation(
    session: Session,
    rotation: Rotation,
    *,
    name: str,
    layer: Layer | str,
    weekdays: str,
    start: time,
    end: time,
    members: Sequence[int],
    turn_days: int,
    handoff: time | None,
    anchor: date,
    valid_from: datetime,
    valid_until: datetime | None,
) -> Rotation:
    """Change a rotation in place (its past turns change too: the call log kept who was rung)."""
    try:
        days = parse_weekdays(weekdays)
        layer = Layer(layer)
    except ValueError as exc:
        raise RotaError(str(exc)) from None
    if turn_days < 1:
        raise RotaError("turn_days must be at least 1")
    if not name.strip():
        raise RotaError(N_("a rotation needs a name"))
    valid_from = require_aware(valid_from)
    if valid_until is not None and require_aware(valid_until) <= valid_from:
        raise RotaError(N_("valid_until must be after valid_from"))
    _seniors_exist(session, *members)
    rotation.name, rotation.layer, rotation.weekdays = name.strip(), layer, weekdays_text(days)
    rotation.start_time, rotation.end_time, rotation.turn_days = start, end, turn_days
    rotation.handoff_time, rotation.anchor_date = handoff or start, anchor
    rotation.valid_from, rotation.valid_until = valid_from, valid_until
    if [m.senior_id for m in rotation.members] != list(members):
        rotation.members.clear()
        session.flush()  # the old positions go before the new ones take them (unique per rotation)
        rotation.members.extend(RotationMember(position=i, senior_id=sid) for i, sid in enumerate(members))
    session.flush()
    return rotation


def remove_rotation(session: Session, rotation: Rotation) -> None:
    session.delete(rotation)
    session.flush()


def update_shift(
    session: Session, shift: DutySlot, *, senior_id: int, layer: Layer | str, starts_at: datetime, ends_at: datetime
) -> DutySlot:
    starts_at, ends_at = _interval(starts_at, ends_at)
    if ends_at - starts_at > MAX_SINGLE_SHIFT:
        raise RotaError(f"a single shift lasts at most {MAX_SINGLE_SHIFT.days} days; use a rotation or several shifts")
    _seniors_exist(session, senior_id)
    try:
        layer = Layer(layer)
    except ValueError:
        raise RotaError(f"layer must be 'primary' or 'backup', got {layer!r}") from None
    shift.senior_id, shift.layer, shift.starts_at, shift.ends_at = senior_id, layer, starts_at, ends_at
    session.flush()
    return shift


def update_override(
    session: Session, override: DutyOverride, *, replaced_id: int, replacing_id: int, starts_at: datetime, ends_at: datetime, note: str
) -> DutyOverride:
    if override.swap_id is not None:
        raise RotaError(N_("this override is part of an approved swap: change the swap, not the override"))
    starts_at, ends_at = _interval(starts_at, ends_at)
    if replaced_id == replacing_id:
        raise RotaError(N_("a senior cannot replace themselves"))
    _seniors_exist(session, replaced_id, replacing_id)
    override.replaced_senior_id, override.replacing_senior_id = replaced_id, replacing_id
    override.starts_at, override.ends_at, override.note = starts_at, ends_at, note
    session.flush()
    return override


def remove_override(session: Session, override: DutyOverride) -> None:
    if override.swap_id is not None:
        raise RotaError(N_("this override is part of an approved swap and cannot be removed on its own"))
    session.delete(override)
    session.flush()


def update_leave(session: Session, leave: Leave, *, starts_at: datetime, ends_at: datetime, reason: str) -> Leave:
    leave.starts_at, leave.ends_at = _interval(starts_at, ends_at)
    leave.reason = reason[:120]
    session.flush()
    return leave


def remove(session: Session, row: DutySlot | Leave) -> None:
    session.delete(row)
    session.flush()


def department_of_specialty(session: Session, specialty_id: int) -> int | None:
    specialty = session.get(Specialty, specialty_id)
    return None if specialty is None else specialty.department_id
