"""Changes to the rota: rotations, single shifts, overrides, leave, department heads, swaps.

Each function checks its arguments, adds rows to the session and flushes; the caller commits once (a
CLI command, a request, a test). A refusal raises :class:`RotaError` with a message for a person.

A swap goes REQUESTED → (the other senior) ACCEPTED → (a head of the department) APPROVED, or straight
from ACCEPTED to APPROVED when the department lets swaps through without approval. Once approved, a swap
*is* one or two overrides (``DutyOverride.swap_id``): the precedence rule knows nothing else about swaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.words import N_
from rota.models import (
    Department,
    DepartmentHead,
    DutyOverride,
    DutySlot,
    Layer,
    Leave,
    LeavePolicy,
    Rotation,
    RotationMember,
    Senior,
    Specialty,
    SwapRequest,
    SwapStatus,
)
from rota.patterns import check_calendar, parse_weekdays, weekdays_text
from rota.precedence import MAX_SINGLE_SHIFT
from rota.queries import require_aware


class RotaError(ValueError):
    """A change the rota refuses; the message says why, in plain words."""


def _interval(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = require_aware(starts_at), require_aware(ends_at)
    if ends_at <= starts_at:
        raise RotaError(f"the interval must end after it starts ({starts_at:%Y-%m-%d %H:%M} UTC → {ends_at:%Y-%m-%d %H:%M} UTC)")
    return starts_at, ends_at


def _senior(session: Session, senior_id: int) -> Senior:
    senior = session.get(Senior, senior_id)
    if senior is None:
        raise RotaError(f"no senior #{senior_id}")
    return senior


def _specialty(session: Session, specialty_id: int) -> Specialty:
    specialty = session.get(Specialty, specialty_id)
    if specialty is None:
        raise RotaError(f"no specialty #{specialty_id}")
    return specialty


# -- departments --------------------------------------------------------------------------------------


def configure_department(
    session: Session,
    department: Department,
    *,
    timezone: str | None = None,
    public_holidays: str | None = None,
    leave_policy: str | None = None,
    swaps_need_approval: bool | None = None,
    heads: Sequence[int] | None = None,
) -> Department:
    """Change a department's settings; only the arguments given change."""
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RotaError(f"unknown time zone {timezone!r} (expected an IANA name such as Europe/Paris)") from None
        department.timezone = timezone
    if public_holidays is not None:
        if public_holidays:
            try:
                check_calendar(public_holidays)
            except ValueError as exc:
                raise RotaError(str(exc)) from None
        department.public_holidays = public_holidays or None
    if leave_policy is not None:
        try:
            department.leave_policy = LeavePolicy(leave_policy)
        except ValueError:
            raise RotaError(f"leave policy must be 'skip' or 'gap', got {leave_policy!r}") from None
    if swaps_need_approval is not None:
        department.swaps_need_approval = swaps_need_approval
    if heads is not None:
        for senior_id in heads:
            _senior(session, senior_id)
        department.head_links = [DepartmentHead(senior_id=sid, position=i) for i, sid in enumerate(dict.fromkeys(heads))]
    session.flush()
    return department


def is_head(session: Session, department_id: int, senior_id: int) -> bool:
    return session.get(DepartmentHead, (department_id, senior_id)) is not None


# -- patterns and exceptions --------------------------------------------------------------------------


def add_rotation(
    session: Session,
    specialty_id: int,
    name: str,
    layer: Layer | str,
    *,
    weekdays: str,
    start: time,
    end: time,
    members: Sequence[int],
    turn_days: int = 7,
    handoff: time | None = None,
    anchor: date,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> Rotation:
    """A recurring duty (see :class:`rota.models.Rotation`). ``handoff`` defaults to ``start``."""
    _specialty(session, specialty_id)
    try:
        days = parse_weekdays(weekdays)
        layer = Layer(layer)
    except ValueError as exc:
        raise RotaError(str(exc)) from None
    if turn_days < 1:
        raise RotaError("turn_days must be at least 1")
    if not name.strip():
        raise RotaError(N_("a rotation needs a name"))
    if any(t.tzinfo is not None for t in (start, end, handoff) if t is not None):
        raise RotaError("rotation times are local wall-clock times: give them without a time zone")
    valid_from = require_aware(valid_from)
    if valid_until is not None and require_aware(valid_until) <= valid_from:
        raise RotaError(N_("valid_until must be after valid_from"))
    for senior_id in members:
        _senior(session, senior_id)
    rotation = Rotation(
        specialty_id=specialty_id,
        name=name.strip(),
        layer=layer,
        weekdays=weekdays_text(days),
        start_time=start,
        end_time=end,
        turn_days=turn_days,
        handoff_time=handoff or start,
        anchor_date=anchor,
        valid_from=valid_from,
        valid_until=valid_until,
        members=[RotationMember(position=i, senior_id=sid) for i, sid in enumerate(members)],
    )
    session.add(rotation)
    session.flush()
    return rotation


def add_shift(session: Session, specialty_id: int, senior_id: int, layer: Layer | str, starts_at: datetime, ends_at: datetime) -> DutySlot:
    """A single shift. At most :data:`rota.precedence.MAX_SINGLE_SHIFT` long (longer duty is a rotation)."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    if ends_at - starts_at > MAX_SINGLE_SHIFT:
        raise RotaError(f"a single shift lasts at most {MAX_SINGLE_SHIFT.days} days; use a rotation or several shifts")
    _specialty(session, specialty_id)
    _senior(session, senior_id)
    try:
        layer = Layer(layer)
    except ValueError:
        raise RotaError(f"layer must be 'primary' or 'backup', got {layer!r}") from None
    slot = DutySlot(specialty_id=specialty_id, senior_id=senior_id, layer=layer, starts_at=starts_at, ends_at=ends_at)
    session.add(slot)
    session.flush()
    return slot


def add_override(
    session: Session, specialty_id: int, replaced_id: int, replacing_id: int, starts_at: datetime, ends_at: datetime, note: str = ""
) -> DutyOverride:
    """``replacing_id`` takes every duty ``replaced_id`` has for the specialty over the interval."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    if replaced_id == replacing_id:
        raise RotaError(N_("a senior cannot replace themselves"))
    _specialty(session, specialty_id)
    _senior(session, replaced_id)
    _senior(session, replacing_id)
    override = DutyOverride(
        specialty_id=specialty_id,
        replaced_senior_id=replaced_id,
        replacing_senior_id=replacing_id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
    )
    session.add(override)
    session.flush()
    return override


def add_leave(session: Session, senior_id: int, starts_at: datetime, ends_at: datetime, reason: str = "") -> Leave:
    """The senior is never rung over the interval, for any specialty."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    _senior(session, senior_id)
    leave = Leave(senior_id=senior_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:120])
    session.add(leave)
    session.flush()
    return leave


# -- swaps --------------------------------------------------------------------------------------------


def _holds_duty(session: Session, specialty_id: int, senior_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    from rota.coverage import duty_timeline

    periods = duty_timeline(session, starts_at, ends_at, [specialty_id]).get(specialty_id, [])
    return any(place.senior_id == senior_id for period in periods for place in period.decision.places)


def request_swap(
    session: Session,
    specialty_id: int,
    requester_id: int,
    counterpart_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    at: datetime,
    return_starts_at: datetime | None = None,
    return_ends_at: datetime | None = None,
    note: str = "",
) -> SwapRequest:
    """``requester`` asks ``counterpart`` to take their duty over ``[starts_at, ends_at)``, and offers to
    take the counterpart's over ``[return_starts_at, return_ends_at)`` if given (a give-away otherwise)."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    if requester_id == counterpart_id:
        raise RotaError(N_("a swap needs two different seniors"))
    if (return_starts_at is None) != (return_ends_at is None):
        raise RotaError(N_("give both ends of the duty taken in return, or neither"))
    if return_starts_at is not None and return_ends_at is not None:
        return_starts_at, return_ends_at = _interval(return_starts_at, return_ends_at)
    _specialty(session, specialty_id)
    requester, counterpart = _senior(session, requester_id), _senior(session, counterpart_id)
    if not _holds_duty(session, specialty_id, requester_id, starts_at, ends_at):
        raise RotaError(f"{requester.full_name} is not on duty for this specialty in that interval")
    if (
        return_starts_at is not None
        and return_ends_at is not None
        and not _holds_duty(session, specialty_id, counterpart_id, return_starts_at, return_ends_at)
    ):
        raise RotaError(f"{counterpart.full_name} is not on duty for this specialty in the interval offered in return")
    swap = SwapRequest(
        specialty_id=specialty_id,
        requester_id=requester_id,
        counterpart_id=counterpart_id,
        starts_at=starts_at,
        ends_at=ends_at,
        return_starts_at=return_starts_at,
        return_ends_at=return_ends_at,
        status=SwapStatus.REQUESTED,
        note=note,
        requested_at=require_aware(at),
    )
    session.add(swap)
    session.flush()
    return swap


def _expect(swap: SwapRequest, *statuses: SwapStatus) -> None:
    if swap.status not in statuses:
        raise RotaError(f"swap #{swap.id} is {swap.status.value}; expected {' or '.join(s.value for s in statuses)}")


def _approve(session: Session, swap: SwapRequest, head_id: int | None, at: datetime) -> None:
    swap.status = SwapStatus.APPROVED
    swap.decided_at = at
    swap.decided_by_id = head_id
    legs = [(swap.requester_id, swap.counterpart_id, swap.starts_at, swap.ends_at)]
    if swap.return_starts_at is not None and swap.return_ends_at is not None:
        legs.append((swap.counterpart_id, swap.requester_id, swap.return_starts_at, swap.return_ends_at))
    for replaced, replacing, s, e in legs:
        swap.overrides.append(
            DutyOverride(
                specialty_id=swap.specialty_id,
                replaced_senior_id=replaced,
                replacing_senior_id=replacing,
                starts_at=s,
                ends_at=e,
                note=f"swap #{swap.id}",
            )
        )
    session.flush()


def accept_swap(session: Session, swap: SwapRequest, senior_id: int, at: datetime) -> SwapRequest:
    """The counterpart agrees. In force at once when the department does not require approval."""
    _expect(swap, SwapStatus.REQUESTED)
    if senior_id != swap.counterpart_id:
        raise RotaError(N_("only the senior asked can accept a swap"))
    at = require_aware(at)
    swap.status = SwapStatus.ACCEPTED
    swap.answered_at = at
    department = session.scalar(
        select(Department).join(Specialty, Specialty.department_id == Department.id).where(Specialty.id == swap.specialty_id)
    )
    if department is not None and not department.swaps_need_approval:
        _approve(session, swap, None, at)
    session.flush()
    return swap


def decline_swap(session: Session, swap: SwapRequest, senior_id: int, at: datetime) -> SwapRequest:
    _expect(swap, SwapStatus.REQUESTED)
    if senior_id != swap.counterpart_id:
        raise RotaError(N_("only the senior asked can decline a swap"))
    swap.status = SwapStatus.DECLINED
    swap.answered_at = require_aware(at)
    session.flush()
    return swap


def _department_id(session: Session, swap: SwapRequest) -> int:
    return session.scalar(select(Specialty.department_id).where(Specialty.id == swap.specialty_id))  # type: ignore[return-value]


def approve_swap(session: Session, swap: SwapRequest, head_id: int, at: datetime) -> SwapRequest:
    """A head of the specialty's department approves: the swap becomes overrides."""
    _expect(swap, SwapStatus.ACCEPTED)
    if not is_head(session, _department_id(session, swap), head_id):
        raise RotaError(N_("only a head of the department can approve a swap"))
    _approve(session, swap, head_id, require_aware(at))
    return swap


def reject_swap(session: Session, swap: SwapRequest, head_id: int, at: datetime) -> SwapRequest:
    _expect(swap, SwapStatus.ACCEPTED)
    if not is_head(session, _department_id(session, swap), head_id):
        raise RotaError(N_("only a head of the department can reject a swap"))
    swap.status = SwapStatus.REJECTED
    swap.decided_at = require_aware(at)
    swap.decided_by_id = head_id
    session.flush()
    return swap


def cancel_swap(session: Session, swap: SwapRequest, senior_id: int, at: datetime) -> SwapRequest:
    """The requester withdraws a swap that is not yet in force."""
    _expect(swap, SwapStatus.REQUESTED, SwapStatus.ACCEPTED)
    if senior_id != swap.requester_id:
        raise RotaError(N_("only the senior who asked can cancel a swap"))
    swap.status = SwapStatus.CANCELLED
    swap.decided_at = require_aware(at)
    session.flush()
    return swap
