"""Changes to a specialty's ringing policy. Each takes the actor, checks, audits itself and flushes;
the caller commits. A refusal raises :class:`RingingError` with a code and its field."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from audit import record
from core.actor import Actor
from core.errors import N_, Code, Kind, OperationError
from ringing.models import DEFER_MINUTES_RANGE, RINGING_MODES, SEQUENTIAL, STAGE_SECONDS_RANGE, STAGED, CallPolicy
from rota.models import Specialty


class RingingError(OperationError):
    prefix = "ringing"
    codes = {
        "defer_minutes": Code(N_("A callback promise is between {low} and {high} minutes."), field="defer_minutes"),
        "unknown_specialty": Code(N_("There is no specialty #{specialty_id}."), Kind.NOT_FOUND, "specialty_id"),
        "ringing": Code(N_("Ringing is sequential, staged or automatic."), field="ringing"),
        "stage_seconds": Code(N_("The primary rings alone between {low} and {high} seconds."), field="stage_seconds"),
    }


def _policy(session: Session, specialty_id: int, now: datetime) -> tuple[Specialty, CallPolicy]:
    specialty = session.get(Specialty, specialty_id)
    if specialty is None:
        raise RingingError("unknown_specialty", specialty_id=specialty_id)
    policy = session.get(CallPolicy, specialty_id, with_for_update=True)
    if policy is None:
        policy = CallPolicy(specialty_id=specialty_id, updated_at=now)
        session.add(policy)
    return specialty, policy


def set_defer_minutes(session: Session, actor: Actor, specialty_id: int, minutes: int | None, now: datetime) -> None:
    """The minutes a senior of the specialty promises by deferring a call (None: CALLBACK_DEFER_MINUTES)."""
    low, high = DEFER_MINUTES_RANGE
    if minutes is not None and not low <= minutes <= high:
        raise RingingError("defer_minutes", low=low, high=high)
    specialty, policy = _policy(session, specialty_id, now)
    before = {"defer_minutes": policy.defer_minutes}
    policy.defer_minutes, policy.updated_at = minutes, now
    session.flush()
    record(
        session,
        actor,
        action="ringing.defer_minutes",
        target_type="specialty",
        target_id=specialty_id,
        department_ids=[specialty.department_id],
        before=before,
        after={"defer_minutes": minutes},
        summary=specialty.name_fr,
    )


def set_ringing(session: Session, actor: Actor, specialty_id: int, mode: str, stage_seconds: int | None, now: datetime) -> None:
    """Sequential (the default), staged after ``stage_seconds`` or automatic (ivr/staged.py)."""
    if mode not in RINGING_MODES:
        raise RingingError("ringing")
    low, high = STAGE_SECONDS_RANGE
    if mode == STAGED and (stage_seconds is None or not low <= stage_seconds <= high):
        raise RingingError("stage_seconds", low=low, high=high)
    specialty, policy = _policy(session, specialty_id, now)
    before = {"ringing": policy.ringing or SEQUENTIAL, "stage_seconds": policy.stage_seconds}
    policy.ringing = None if mode == SEQUENTIAL else mode
    policy.stage_seconds = stage_seconds if mode == STAGED else None
    policy.updated_at = now
    session.flush()
    record(
        session,
        actor,
        action="ringing.mode",
        target_type="specialty",
        target_id=specialty_id,
        department_ids=[specialty.department_id],
        before=before,
        after={"ringing": mode, "stage_seconds": policy.stage_seconds},
        summary=specialty.name_fr,
    )
