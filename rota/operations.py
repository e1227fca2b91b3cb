"""Changes to the rota: departments, specialties, rotations, single shifts, overrides, leave, swaps.

These functions are the only code that changes the rota. Each takes the session and the
:class:`core.actor.Actor` making the change, checks its arguments, writes the change *and its audit
entry*, and flushes; the caller commits once (a request, a command, a test). A refusal raises
:class:`RotaError` with a code, the field at fault and the params of its message.

Changing or removing a row takes its id and, optionally, the fingerprint the caller read it with
(``expected``): if someone else changed it since, nothing is written (``core.changed``, see
:mod:`core.concurrency`).

A swap goes REQUESTED → (the other senior) ACCEPTED → (a head of the department) APPROVED, or straight
from ACCEPTED to APPROVED when the department lets swaps through without approval. Once approved, a swap
*is* one or two overrides (``DutyOverride.swap_id``): the precedence rule knows nothing else about swaps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, object_session

from accounts.models import DepartmentStaff
from accounts.scope import check_assignable, check_manageable, departments_of_senior
from audit import record, snapshot
from core import clock
from core.actor import Actor
from core.concurrency import lock
from core.errors import N_, Code, Kind, OperationError
from core.phones import InvalidPhoneNumber, e164_list, to_e164
from rota import bounds, rules
from rota.coverage import duty_timeline, gap_seconds
from rota.ical import senior_specialty_ids
from rota.imports import ShiftRow
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
    SeniorPhone,
    Specialty,
    SwapRequest,
    SwapStatus,
)
from rota.patterns import check_calendar, parse_weekdays, weekdays_text
from rota.queries import require_aware

CONFLICT, NOT_FOUND = Kind.CONFLICT, Kind.NOT_FOUND


class RotaError(OperationError):
    """A change the rota refuses."""

    prefix = "rota"
    codes = {
        # what a change is about
        "unknown_senior": Code(N_("There is no senior #{senior_id}."), field="senior_id"),
        "unknown_specialty": Code(N_("There is no specialty #{specialty_id}."), NOT_FOUND, "specialty"),
        "unknown_department": Code(N_("There is no department #{department_id}."), NOT_FOUND, "department"),
        "unknown_rotation": Code(N_("There is no rotation #{rotation_id}."), NOT_FOUND),
        "unknown_shift": Code(N_("There is no single shift #{shift_id}."), NOT_FOUND),
        "unknown_override": Code(N_("There is no override #{override_id}."), NOT_FOUND),
        "unknown_leave": Code(N_("There is no leave #{leave_id}."), NOT_FOUND),
        "unknown_swap": Code(N_("There is no swap #{swap_id}."), NOT_FOUND),
        # seniors
        "senior_name": Code(N_("A senior needs a name."), field="full_name"),
        "phone": Code(N_("{number} is not a valid phone number."), field="phones"),
        "no_phone": Code(N_("At least one number: the hotline rings it."), field="phones"),
        "own_department": Code(N_("Choose one of your departments."), field="staff_of"),
        "unknown_staff_department": Code(N_("There is no department #{department_id}."), field="staff_of"),
        # leave a senior declares or withdraws themselves
        "own_leave_past": Code(N_("Leave you declare yourself starts in the future; ask your head for past leave."), field="starts_at"),
        "leave_uncovers": Code(
            N_("This leave would leave {names} without a primary. Ask your head of department to arrange cover."), CONFLICT
        ),
        "leave_started": Code(N_("This leave has started: ask your head of department."), CONFLICT),
        # periods
        "period_order": Code(N_("The period must end after it starts."), field="ends_at"),
        "shift_too_long": Code(bounds.TOO_LONG["shift"], field="ends_at"),
        "leave_too_long": Code(bounds.TOO_LONG["leave"], field="ends_at"),
        "swap_too_long": Code(bounds.TOO_LONG["swap"], field="ends_at"),
        "override_too_long": Code(bounds.TOO_LONG["override"], field="ends_at"),
        "out_of_range": Code(bounds.OUT_OF_RANGE, field="starts_at"),
        "layer": Code(N_("The layer is either primary or backup."), field="layer"),
        # the overlap rules (rota.rules decides them)
        "shift_overlap": Code(
            N_("{name} already has a single shift here from {starts_at} to {ends_at} (#{shift_id}): change that one instead."),
            CONFLICT,
            "starts_at",
        ),
        "second_primary": Code(
            N_(
                "{name} is already primary from {starts_at} to {ends_at} (single shift #{shift_id}): "
                "make this one a backup, or confirm two primaries."
            ),
            CONFLICT,
            "layer",
        ),
        "leave_overlap": Code(
            N_("Already on leave from {starts_at} to {ends_at} (leave #{leave_id}): change that leave instead."), CONFLICT, "starts_at"
        ),
        "long_past": Code(N_("This ended more than {days} days ago: check the year, or confirm to change the past."), field="starts_at"),
        # departments and specialties
        "department_name": Code(N_("A department needs a name."), field="name"),
        "department_name_taken": Code(N_("Another department is already called {name}."), CONFLICT, "name"),
        "timezone": Code(N_("Unknown time zone {timezone} (for example Europe/Paris)."), field="timezone"),
        "holiday_calendar": Code(N_("Unknown public holiday calendar {calendar} (for example FR or FR-57)."), field="public_holidays"),
        "leave_policy": Code(N_("The leave policy is either skip or gap."), field="leave_policy"),
        "specialty_code": Code(N_("A specialty needs a code."), field="code"),
        "specialty_name": Code(N_("A specialty needs a name in French and in English."), field="name_fr"),
        "menu_digit": Code(N_("The menu key is a digit from 1 to 9."), field="menu_digit"),
        "direct_number": Code(N_("{number} is not a valid phone number."), field="direct_number"),
        "already_used": Code(N_("Already used by {name}."), CONFLICT),
        # rotations
        "rotation_name": Code(N_("A rotation needs a name."), field="name"),
        "weekdays": Code(N_("Days are written 1 (Monday) to 7 (Sunday), for example 12345 or 1-5."), field="weekdays"),
        "turn_days": Code(N_("A turn lasts at least one day."), field="turn_days"),
        "wall_clock": Code(N_("Rotation times are local wall-clock times, without a time zone."), field="start"),
        "valid_until_order": Code(N_("A rotation must end after it comes into force."), field="valid_until"),
        # overrides
        "self_replacement": Code(N_("A senior cannot replace themselves."), field="replacing_senior_id"),
        "swap_override": Code(N_("This override is part of an approved swap: change the swap, not the override."), CONFLICT),
        # swaps
        "swap_same_senior": Code(N_("A swap needs two different seniors."), field="counterpart_id"),
        "swap_return_half": Code(N_("Give both ends of the duty taken in return, or neither."), field="return_ends_at"),
        "not_on_duty": Code(N_("{name} is not on duty for this specialty over that period."), field="starts_at"),
        "return_not_on_duty": Code(
            N_("{name} is not on duty for this specialty over the period offered in return."), field="return_starts_at"
        ),
        "swap_status": Code(N_("This swap is no longer waiting for that step."), CONFLICT),
        "swap_not_counterpart": Code(N_("Only the senior asked can answer a swap."), field="senior_id"),
        "swap_not_requester": Code(N_("Only the senior who asked can cancel a swap."), field="senior_id"),
        "swap_not_head": Code(N_("Only a head of the department can approve or reject a swap."), field="senior_id"),
    }


# -- what the audit log records (and what a fingerprint hashes) ------------------------------------------


def department_values(department: Department) -> dict[str, Any]:
    return snapshot(department, heads=[link.senior_id for link in department.head_links])


def specialty_values(specialty: Specialty) -> dict[str, Any]:
    return snapshot(specialty)


def rotation_values(rotation: Rotation) -> dict[str, Any]:
    return snapshot(rotation, members=[m.senior_id for m in rotation.members])


def shift_values(shift: DutySlot) -> dict[str, Any]:
    return snapshot(shift)


def override_values(override: DutyOverride) -> dict[str, Any]:
    return snapshot(override)


def leave_values(leave: Leave) -> dict[str, Any]:
    return snapshot(leave)


def swap_values(swap: SwapRequest) -> dict[str, Any]:
    return snapshot(swap)


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    target_id: int | None,
    department_ids: Iterable[int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str = "",
) -> None:
    target_type = action.partition(".")[0]
    record(
        session,
        actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        department_ids=department_ids,
        before=before,
        after=after,
        summary=summary,
    )


# -- checks shared by every operation -------------------------------------------------------------------


def _interval(starts_at: datetime, ends_at: datetime, end_field: str = "ends_at") -> tuple[datetime, datetime]:
    starts_at, ends_at = require_aware(starts_at), require_aware(ends_at)
    _in_range(starts_at, "return_starts_at" if end_field == "return_ends_at" else "starts_at")
    _in_range(ends_at, end_field)
    if ends_at <= starts_at:
        raise RotaError("period_order", field=end_field)
    return starts_at, ends_at


def _in_range(at: datetime | None, field: str) -> None:
    """Within the dates Recours plans (rota.bounds), before any arithmetic or expansion."""
    if at is not None and not bounds.instant_in_range(at):
        raise RotaError("out_of_range", field=field, **bounds.range_params())


def _bounded(kind: str, starts_at: datetime, ends_at: datetime, end_field: str = "ends_at") -> None:
    """No longer than rota.bounds allows a ``kind`` of period."""
    if bounds.too_long(kind, starts_at, ends_at):
        raise RotaError(f"{kind}_too_long", field=end_field, days=bounds.LONGEST[kind].days)


def _senior(session: Session, senior_id: int, field: str = "senior_id") -> Senior:
    senior = session.get(Senior, senior_id)
    if senior is None:
        raise RotaError("unknown_senior", field=field, senior_id=senior_id)
    return senior


def _specialty(session: Session, specialty_id: int) -> Specialty:
    specialty = session.get(Specialty, specialty_id)
    if specialty is None:
        raise RotaError("unknown_specialty", specialty_id=specialty_id)
    return specialty


def _layer(layer: Layer | str) -> Layer:
    try:
        return Layer(layer)
    except ValueError:
        raise RotaError("layer") from None


def _shift_period(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("shift", starts_at, ends_at)
    return starts_at, ends_at


def _judged(findings: list[rules.Finding], actor: Actor, confirmed: bool | None) -> None:
    """Refuse the change when one of :mod:`rota.rules`' findings stops it."""
    stop = rules.blocking(findings, actor, confirmed)
    if stop is not None:
        raise RotaError(stop.code, field=stop.field, **stop.params)


def _shift_rules(session: Session, actor: Actor, plan: rules.ShiftPlan, confirmed: bool | None) -> None:
    _judged(rules.shift_findings(session, plan), actor, confirmed)


def department_of_specialty(session: Session, specialty_id: int) -> int | None:
    specialty = session.get(Specialty, specialty_id)
    return None if specialty is None else specialty.department_id


def is_head(session: Session, department_id: int, senior_id: int) -> bool:
    return session.get(DepartmentHead, (department_id, senior_id)) is not None


# -- departments ----------------------------------------------------------------------------------------


def _department_settings(
    session: Session,
    department: Department,
    *,
    name: str | None,
    timezone: str | None,
    public_holidays: str | None,
    leave_policy: str | None,
    swaps_need_approval: bool | None,
    heads: Sequence[int] | None,
) -> None:
    """The one validator of a department's settings; only the arguments given change."""
    if name is not None:
        name = name.strip()
        if not name:
            raise RotaError("department_name")
        if session.scalar(select(Department.id).where(Department.name == name, Department.id != (department.id or 0))) is not None:
            raise RotaError("department_name_taken", name=name)
        department.name = name[:120]
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RotaError("timezone", timezone=timezone) from None
        department.timezone = timezone
    if public_holidays is not None:
        calendar = public_holidays.strip().upper()
        if calendar:
            try:
                check_calendar(calendar)
            except ValueError:
                raise RotaError("holiday_calendar", calendar=public_holidays) from None
        department.public_holidays = calendar or None
    if leave_policy is not None:
        try:
            department.leave_policy = LeavePolicy(leave_policy)
        except ValueError:
            raise RotaError("leave_policy") from None
    if swaps_need_approval is not None:
        department.swaps_need_approval = swaps_need_approval
    if heads is not None:
        for senior_id in heads:
            _senior(session, senior_id, "heads")
        wanted = list(dict.fromkeys(heads))
        if [link.senior_id for link in department.head_links] != wanted:
            department.head_links.clear()
            session.flush()  # the old links go before the new ones take their keys
            department.head_links.extend(DepartmentHead(senior_id=sid, position=i) for i, sid in enumerate(wanted))


def create_department(
    session: Session,
    actor: Actor,
    name: str,
    *,
    timezone: str = "Europe/Paris",
    public_holidays: str | None = None,
    leave_policy: str = LeavePolicy.SKIP.value,
    swaps_need_approval: bool = True,
    heads: Sequence[int] = (),
) -> Department:
    department = Department(name="", timezone="Europe/Paris")
    _department_settings(
        session,
        department,
        name=name,
        timezone=timezone,
        public_holidays=public_holidays,
        leave_policy=leave_policy,
        swaps_need_approval=swaps_need_approval,
        heads=heads,
    )
    session.add(department)
    session.flush()
    _audit(session, actor, "department.create", department.id, [department.id], None, department_values(department), department.name)
    return department


def update_department(
    session: Session,
    actor: Actor,
    department_id: int,
    *,
    expected: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    public_holidays: str | None = None,
    leave_policy: str | None = None,
    swaps_need_approval: bool | None = None,
    heads: Sequence[int] | None = None,
) -> Department:
    """Change a department's settings; only the arguments given change."""
    department = lock(
        session, Department, department_id, department_values, expected, RotaError("unknown_department", department_id=department_id)
    )
    before = department_values(department)
    _department_settings(
        session,
        department,
        name=name,
        timezone=timezone,
        public_holidays=public_holidays,
        leave_policy=leave_policy,
        swaps_need_approval=swaps_need_approval,
        heads=heads,
    )
    session.flush()
    _audit(session, actor, "department.update", department.id, [department.id], before, department_values(department), department.name)
    return department


# -- specialties ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialtySettings:
    """What a department head says about a specialty (every field; an update gives them all)."""

    code: str
    name_fr: str
    name_en: str
    menu_digit: str | None = None
    speech_keywords: str = ""
    direct_number: str | None = None
    last_resort_senior_id: int | None = None


def _specialty_settings(session: Session, specialty: Specialty, settings: SpecialtySettings) -> None:
    code = settings.code.strip()
    if not code:
        raise RotaError("specialty_code")
    name_fr, name_en = settings.name_fr.strip(), settings.name_en.strip()
    if not name_fr:
        raise RotaError("specialty_name", field="name_fr")
    if not name_en:
        raise RotaError("specialty_name", field="name_en")
    digit = settings.menu_digit or None
    if digit is not None and digit not in set("123456789"):
        raise RotaError("menu_digit")
    number = None
    if settings.direct_number:
        try:
            number = to_e164(settings.direct_number)
        except InvalidPhoneNumber:
            raise RotaError("direct_number", number=settings.direct_number) from None
    for column, value, field in (
        (Specialty.code, code, "code"),
        (Specialty.menu_digit, digit, "menu_digit"),
        (Specialty.direct_number, number, "direct_number"),
    ):
        if value is None:
            continue
        other = session.scalar(select(Specialty.name_fr).where(column == value, Specialty.id != (specialty.id or 0)))
        if other is not None:
            raise RotaError("already_used", field=field, name=other)
    if settings.last_resort_senior_id is not None:
        _senior(session, settings.last_resort_senior_id, "last_resort_senior_id")
    specialty.code, specialty.name_fr, specialty.name_en = code[:40], name_fr[:80], name_en[:80]
    specialty.menu_digit, specialty.direct_number = digit, number
    specialty.speech_keywords = ", ".join(w.strip() for w in settings.speech_keywords.replace("\n", ",").split(",") if w.strip())
    specialty.last_resort_senior_id = settings.last_resort_senior_id


def create_specialty(session: Session, actor: Actor, department_id: int, settings: SpecialtySettings) -> Specialty:
    if session.get(Department, department_id) is None:
        raise RotaError("unknown_department", department_id=department_id)
    check_assignable(session, actor, [("last_resort_senior_id", settings.last_resort_senior_id)])
    specialty = Specialty(department_id=department_id)
    _specialty_settings(session, specialty, settings)
    session.add(specialty)
    session.flush()
    _audit(session, actor, "specialty.create", specialty.id, [department_id], None, specialty_values(specialty), specialty.name_fr)
    return specialty


def update_specialty(
    session: Session, actor: Actor, specialty_id: int, settings: SpecialtySettings, *, expected: str | None = None
) -> Specialty:
    specialty = lock(
        session, Specialty, specialty_id, specialty_values, expected, RotaError("unknown_specialty", specialty_id=specialty_id)
    )
    before = specialty_values(specialty)
    if settings.last_resort_senior_id != specialty.last_resort_senior_id:
        check_assignable(session, actor, [("last_resort_senior_id", settings.last_resort_senior_id)])
    _specialty_settings(session, specialty, settings)
    session.flush()
    _audit(
        session, actor, "specialty.update", specialty.id, [specialty.department_id], before, specialty_values(specialty), specialty.name_fr
    )
    return specialty


# -- seniors --------------------------------------------------------------------------------------------


def senior_values(senior: Senior) -> dict[str, Any]:
    session = object_session(senior)
    staff = session.scalars(select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior.id)) if session else []
    return snapshot(senior, phones=[p.e164 for p in senior.phones], staff_of=sorted(staff))


def _phone_numbers(raw: Sequence[str]) -> list[str]:
    try:
        numbers = e164_list(raw)
    except InvalidPhoneNumber as exc:
        raise RotaError("phone", number=exc.text) from None
    if not numbers:
        raise RotaError("no_phone")
    return numbers


def _set_staff(session: Session, senior: Senior, staff_of: Collection[int], managed: Collection[int] | None) -> None:
    """The departments whose staff the senior is; only those in ``managed`` (None: all) change."""
    current = set(session.scalars(select(DepartmentStaff.department_id).where(DepartmentStaff.senior_id == senior.id)))
    reach = None if managed is None else set(managed)
    chosen = set(staff_of) if reach is None else set(staff_of) & reach
    for department_id in chosen - current:
        if session.get(Department, department_id) is None:
            raise RotaError("unknown_staff_department", department_id=department_id)
        session.add(DepartmentStaff(department_id=department_id, senior_id=senior.id))
    for department_id in (current if reach is None else current & reach) - chosen:
        session.execute(
            delete(DepartmentStaff).where(DepartmentStaff.department_id == department_id, DepartmentStaff.senior_id == senior.id)
        )


def _set_phones(session: Session, senior: Senior, numbers: list[str]) -> None:
    if [p.e164 for p in senior.phones] != numbers:
        senior.phones.clear()
        session.flush()  # (senior, number) is unique: old rows go before the new order is written
        senior.phones.extend(SeniorPhone(e164=n, preference=i) for i, n in enumerate(numbers))


def create_senior(
    session: Session,
    actor: Actor,
    full_name: str,
    phones: Sequence[str],
    *,
    active: bool = True,
    staff_of: Collection[int] = (),
    managed: Collection[int] | None = None,
) -> Senior:
    """A senior the hotline can ring, on the staff of ``staff_of``. Someone who manages only some
    departments (``managed``: a head, a department's token) must name one of them."""
    if not full_name.strip():
        raise RotaError("senior_name")
    numbers = _phone_numbers(phones)
    if managed is not None and not set(staff_of) & set(managed):
        raise RotaError("own_department")
    senior = Senior(full_name=full_name.strip()[:120], active=active)
    session.add(senior)
    session.flush()
    _set_phones(session, senior, numbers)
    _set_staff(session, senior, staff_of, managed)
    session.flush()
    _audit(
        session, actor, "senior.create", senior.id, departments_of_senior(session, senior.id), None, senior_values(senior), senior.full_name
    )
    return senior


def update_senior(
    session: Session,
    actor: Actor,
    senior_id: int,
    *,
    expected: str | None = None,
    full_name: str | None = None,
    phones: Sequence[str] | None = None,
    active: bool | None = None,
    staff_of: Collection[int] | None = None,
    managed: Collection[int] | None = None,
) -> Senior:
    """Change a senior's name, numbers (in order of preference), active flag or staff lists; only the
    arguments given change, and only the staff lists of ``managed`` departments (None: all)."""
    senior = lock(session, Senior, senior_id, senior_values, expected, RotaError("unknown_senior", senior_id=senior_id))
    # Only when every department the senior belongs to is the actor's (or it is the senior's own numbers).
    check_manageable(session, actor, senior_id, "phones" if phones is not None else "senior_id")
    before, departments_before = senior_values(senior), departments_of_senior(session, senior_id)
    if full_name is not None:
        if not full_name.strip():
            raise RotaError("senior_name")
        senior.full_name = full_name.strip()[:120]
    if phones is not None:
        _set_phones(session, senior, _phone_numbers(phones))
    if active is not None:
        senior.active = active
    if staff_of is not None:
        _set_staff(session, senior, staff_of, managed)
    session.flush()
    departments = departments_before | departments_of_senior(session, senior_id)
    _audit(session, actor, "senior.update", senior.id, departments, before, senior_values(senior), senior.full_name)
    return senior


# -- rotations ------------------------------------------------------------------------------------------


def _rotation_columns(
    session: Session,
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
) -> dict[str, Any]:
    """The one validator of a rotation, for adding and for changing one: its columns, checked."""
    if not name.strip():
        raise RotaError("rotation_name")
    layer = _layer(layer)
    try:
        days = parse_weekdays(weekdays)
    except ValueError:
        raise RotaError("weekdays") from None
    if turn_days < 1:
        raise RotaError("turn_days")
    for field, value in (("start", start), ("end", end), ("handoff", handoff)):
        if value is not None and value.tzinfo is not None:
            raise RotaError("wall_clock", field=field)
    valid_from = require_aware(valid_from)
    _in_range(valid_from, "valid_from")
    if not bounds.day_in_range(anchor):
        raise RotaError("out_of_range", field="anchor", **bounds.range_params())
    if valid_until is not None:
        valid_until = require_aware(valid_until)
        _in_range(valid_until, "valid_until")
        if valid_until <= valid_from:
            raise RotaError("valid_until_order")
    for senior_id in members:
        _senior(session, senior_id, "members")
    return {
        "name": name.strip()[:120],
        "layer": layer,
        "weekdays": weekdays_text(days),
        "start_time": start,
        "end_time": end,
        "turn_days": turn_days,
        "handoff_time": handoff or start,
        "anchor_date": anchor,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _set_members(session: Session, rotation: Rotation, members: Sequence[int]) -> None:
    if [m.senior_id for m in rotation.members] != list(members):
        rotation.members.clear()
        session.flush()  # the old positions go before the new ones take them (unique per rotation)
        rotation.members.extend(RotationMember(position=i, senior_id=sid) for i, sid in enumerate(members))


def add_rotation(
    session: Session,
    actor: Actor,
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
    specialty = _specialty(session, specialty_id)
    columns = _rotation_columns(
        session,
        name=name,
        layer=layer,
        weekdays=weekdays,
        start=start,
        end=end,
        members=members,
        turn_days=turn_days,
        handoff=handoff,
        anchor=anchor,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    check_assignable(session, actor, [("members", senior_id) for senior_id in members])
    rotation = Rotation(specialty_id=specialty_id, **columns)
    session.add(rotation)
    _set_members(session, rotation, members)
    session.flush()
    _audit(
        session,
        actor,
        "rotation.create",
        rotation.id,
        [specialty.department_id],
        None,
        rotation_values(rotation),
        f"{specialty.name_fr}: {rotation.name}",
    )
    return rotation


def update_rotation(session: Session, actor: Actor, rotation_id: int, *, expected: str | None = None, **fields: Any) -> Rotation:
    """Change a rotation in place (its past turns change too: the call log kept who was rung). ``fields``
    are all those of :func:`add_rotation` but the specialty, by name, checked by the same validator."""
    rotation = lock(session, Rotation, rotation_id, rotation_values, expected, RotaError("unknown_rotation", rotation_id=rotation_id))
    before = rotation_values(rotation)
    turns = {m.senior_id for m in rotation.members}  # only those given turns now must be members
    check_assignable(session, actor, [("members", senior_id) for senior_id in fields["members"] if senior_id not in turns])
    for key, value in _rotation_columns(session, **fields).items():
        setattr(rotation, key, value)
    _set_members(session, rotation, fields["members"])
    session.flush()
    specialty = rotation.specialty
    summary = f"{specialty.name_fr}: {rotation.name}"
    _audit(session, actor, "rotation.update", rotation.id, [specialty.department_id], before, rotation_values(rotation), summary)
    return rotation


def remove_rotation(session: Session, actor: Actor, rotation_id: int, *, expected: str | None = None) -> None:
    """Remove a rotation altogether (to stop it from a date on, set ``valid_until`` instead)."""
    rotation = lock(session, Rotation, rotation_id, rotation_values, expected, RotaError("unknown_rotation", rotation_id=rotation_id))
    before = rotation_values(rotation)
    specialty = rotation.specialty
    session.delete(rotation)
    session.flush()
    _audit(
        session, actor, "rotation.delete", rotation_id, [specialty.department_id], before, None, f"{specialty.name_fr}: {before['name']}"
    )


# -- single shifts --------------------------------------------------------------------------------------


def add_shift(
    session: Session,
    actor: Actor,
    specialty_id: int,
    senior_id: int,
    layer: Layer | str,
    starts_at: datetime,
    ends_at: datetime,
    *,
    confirmed: bool | None = None,
) -> DutySlot:
    """A single shift. At most :data:`rota.precedence.MAX_SINGLE_SHIFT` long (longer duty is a rotation);
    judged by :mod:`rota.rules` (``confirmed``: the person said they mean a confirm-first finding)."""
    starts_at, ends_at = _shift_period(starts_at, ends_at)
    specialty = _specialty(session, specialty_id)
    senior = _senior(session, senior_id)
    check_assignable(session, actor, [("senior_id", senior_id)])
    _shift_rules(session, actor, rules.ShiftPlan(specialty_id, senior_id, _layer(layer), starts_at, ends_at), confirmed)
    shift = DutySlot(specialty_id=specialty_id, senior_id=senior_id, layer=_layer(layer), starts_at=starts_at, ends_at=ends_at)
    session.add(shift)
    session.flush()
    _audit(
        session,
        actor,
        "shift.create",
        shift.id,
        [specialty.department_id],
        None,
        shift_values(shift),
        f"{specialty.name_fr}: {senior.full_name}",
    )
    return shift


def update_shift(
    session: Session,
    actor: Actor,
    shift_id: int,
    *,
    expected: str | None = None,
    senior_id: int,
    layer: Layer | str,
    starts_at: datetime,
    ends_at: datetime,
    confirmed: bool | None = None,
) -> DutySlot:
    shift = lock(session, DutySlot, shift_id, shift_values, expected, RotaError("unknown_shift", shift_id=shift_id))
    before = shift_values(shift)
    starts_at, ends_at = _shift_period(starts_at, ends_at)
    senior = _senior(session, senior_id)
    if senior_id != shift.senior_id:
        check_assignable(session, actor, [("senior_id", senior_id)])
    plan = rules.ShiftPlan(shift.specialty_id, senior_id, _layer(layer), starts_at, ends_at, shift.id)
    _shift_rules(session, actor, plan, confirmed)
    shift.senior_id, shift.layer, shift.starts_at, shift.ends_at = senior_id, _layer(layer), starts_at, ends_at
    session.flush()
    specialty = shift.specialty
    _audit(
        session,
        actor,
        "shift.update",
        shift.id,
        [specialty.department_id],
        before,
        shift_values(shift),
        f"{specialty.name_fr}: {senior.full_name}",
    )
    return shift


def remove_shift(session: Session, actor: Actor, shift_id: int, *, expected: str | None = None) -> None:
    shift = lock(session, DutySlot, shift_id, shift_values, expected, RotaError("unknown_shift", shift_id=shift_id))
    before, specialty = shift_values(shift), shift.specialty
    session.delete(shift)
    session.flush()
    _audit(session, actor, "shift.delete", shift_id, [specialty.department_id], before, None, specialty.name_fr)


def import_shifts(
    session: Session,
    actor: Actor,
    shifts: Sequence[ShiftRow],
    *,
    source: str,
    on_written: Callable[[int], None] | None = None,
    chunk: int = 1000,
) -> int:
    """Insert the shifts an import checked whole (:mod:`rota.imports`), in bulk, with one audit entry for the file (a file may
    hold a year of shifts: one entry per shift would drown the log). The entry lists how many shifts
    each specialty received and the period they cover."""
    for offset in range(0, len(shifts), chunk):
        part = shifts[offset : offset + chunk]
        session.execute(
            insert(DutySlot),
            [
                {"specialty_id": s.specialty_id, "senior_id": s.senior_id, "layer": s.layer, "starts_at": s.starts_at, "ends_at": s.ends_at}
                for s in part
            ],
        )
        if on_written is not None:
            on_written(len(part))
    session.flush()
    if shifts:
        per_specialty: dict[int, int] = {}
        for s in shifts:
            per_specialty[s.specialty_id] = per_specialty.get(s.specialty_id, 0) + 1
        departments = set(session.scalars(select(Specialty.department_id).where(Specialty.id.in_(list(per_specialty)))))
        after = {
            "source": source,
            "shifts": len(shifts),
            "per_specialty": {str(k): v for k, v in sorted(per_specialty.items())},
            "from": min(s.starts_at for s in shifts),
            "until": max(s.ends_at for s in shifts),
        }
        _audit(session, actor, "shift.import", None, departments, None, after, f"{len(shifts)} shift(s) from {source}")
    return len(shifts)


# -- overrides ------------------------------------------------------------------------------------------


def add_override(
    session: Session,
    actor: Actor,
    specialty_id: int,
    replaced_senior_id: int,
    replacing_senior_id: int,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
    *,
    confirmed: bool | None = None,
) -> DutyOverride:
    """``replacing_senior_id`` takes every duty ``replaced_senior_id`` has for the specialty over the interval."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("override", starts_at, ends_at)
    _judged(rules.period_findings(ends_at), actor, confirmed)
    if replaced_senior_id == replacing_senior_id:
        raise RotaError("self_replacement")
    specialty = _specialty(session, specialty_id)
    _senior(session, replaced_senior_id, "replaced_senior_id")
    _senior(session, replacing_senior_id, "replacing_senior_id")
    check_assignable(session, actor, [("replacing_senior_id", replacing_senior_id)])
    override = DutyOverride(
        specialty_id=specialty_id,
        replaced_senior_id=replaced_senior_id,
        replacing_senior_id=replacing_senior_id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
    )
    session.add(override)
    session.flush()
    _audit(session, actor, "override.create", override.id, [specialty.department_id], None, override_values(override), specialty.name_fr)
    return override


def _unswapped_override(session: Session, override_id: int, expected: str | None) -> DutyOverride:
    override = lock(session, DutyOverride, override_id, override_values, expected, RotaError("unknown_override", override_id=override_id))
    if override.swap_id is not None:
        raise RotaError("swap_override")
    return override


def update_override(
    session: Session,
    actor: Actor,
    override_id: int,
    *,
    expected: str | None = None,
    replaced_senior_id: int,
    replacing_senior_id: int,
    starts_at: datetime,
    ends_at: datetime,
    note: str,
    confirmed: bool | None = None,
) -> DutyOverride:
    override = _unswapped_override(session, override_id, expected)
    before = override_values(override)
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("override", starts_at, ends_at)
    _judged(rules.period_findings(ends_at), actor, confirmed)
    if replaced_senior_id == replacing_senior_id:
        raise RotaError("self_replacement")
    _senior(session, replaced_senior_id, "replaced_senior_id")
    _senior(session, replacing_senior_id, "replacing_senior_id")
    if replacing_senior_id != override.replacing_senior_id:
        check_assignable(session, actor, [("replacing_senior_id", replacing_senior_id)])
    override.replaced_senior_id, override.replacing_senior_id = replaced_senior_id, replacing_senior_id
    override.starts_at, override.ends_at, override.note = starts_at, ends_at, note
    session.flush()
    department_id = department_of_specialty(session, override.specialty_id)
    _audit(session, actor, "override.update", override.id, [department_id] if department_id else [], before, override_values(override))
    return override


def remove_override(session: Session, actor: Actor, override_id: int, *, expected: str | None = None) -> None:
    override = _unswapped_override(session, override_id, expected)
    before = override_values(override)
    department_id = department_of_specialty(session, override.specialty_id)
    session.delete(override)
    session.flush()
    _audit(session, actor, "override.delete", override_id, [department_id] if department_id else [], before, None)


# -- leave ----------------------------------------------------------------------------------------------


def add_leave(
    session: Session,
    actor: Actor,
    senior_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    *,
    confirmed: bool | None = None,
) -> Leave:
    """The senior is never rung over the interval, for any specialty."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("leave", starts_at, ends_at)
    senior = _senior(session, senior_id)
    check_manageable(session, actor, senior_id)
    _judged(rules.leave_findings(session, senior_id, starts_at, ends_at), actor, confirmed)
    leave = Leave(senior_id=senior_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:120])
    session.add(leave)
    session.flush()
    _audit(session, actor, "leave.create", leave.id, departments_of_senior(session, senior_id), None, leave_values(leave), senior.full_name)
    return leave


def update_leave(
    session: Session,
    actor: Actor,
    leave_id: int,
    *,
    expected: str | None = None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    confirmed: bool | None = None,
) -> Leave:
    leave = lock(session, Leave, leave_id, leave_values, expected, RotaError("unknown_leave", leave_id=leave_id))
    check_manageable(session, actor, leave.senior_id)
    before = leave_values(leave)
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("leave", starts_at, ends_at)
    _judged(rules.leave_findings(session, leave.senior_id, starts_at, ends_at, leave.id), actor, confirmed)
    leave.starts_at, leave.ends_at = starts_at, ends_at
    leave.reason = reason[:120]
    session.flush()
    _audit(
        session,
        actor,
        "leave.update",
        leave.id,
        departments_of_senior(session, leave.senior_id),
        before,
        leave_values(leave),
        leave.senior.full_name,
    )
    return leave


def remove_leave(session: Session, actor: Actor, leave_id: int, *, expected: str | None = None) -> Leave:
    """Returns the removed row (detached), for the caller's message."""
    leave = lock(session, Leave, leave_id, leave_values, expected, RotaError("unknown_leave", leave_id=leave_id))
    check_manageable(session, actor, leave.senior_id)
    before, departments = leave_values(leave), departments_of_senior(session, leave.senior_id)
    session.delete(leave)
    session.flush()
    _audit(session, actor, "leave.delete", leave_id, departments, before, None)
    return leave


def declare_leave(
    session: Session,
    actor: Actor,
    senior_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    *,
    reader: Session | None = None,
) -> Leave:
    """Leave a senior declares themselves: in force at once (there is no approval step for leave), so
    refused when it starts in the past or would leave one of their specialties without a primary.

    The leave is judged before anything is written — the rota expanded with and without it, the leave
    counted as if saved — in ``reader`` when given (a session that only reads: on SQLite it never holds
    the write lock, so the write that follows lasts milliseconds whatever was expanded)."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("leave", starts_at, ends_at)
    if starts_at < clock.now():
        raise RotaError("own_leave_past")
    judge = reader or session
    specialty_ids = senior_specialty_ids(judge, senior_id)
    gaps_before = gap_seconds(judge, specialty_ids, starts_at, ends_at) if specialty_ids else {}
    gaps_after = gap_seconds(judge, specialty_ids, starts_at, ends_at, [(senior_id, starts_at, ends_at)]) if specialty_ids else {}
    uncovered = [sid for sid in specialty_ids if gaps_after.get(sid, 0) > gaps_before.get(sid, 0)]
    if uncovered:
        names = ", ".join(judge.scalars(select(Specialty.name_fr).where(Specialty.id.in_(uncovered)).order_by(Specialty.name_fr)))
        raise RotaError("leave_uncovers", names=names)
    if reader is not None:
        reader.rollback()  # the read is over before the write begins
    return add_leave(session, actor, senior_id, starts_at, ends_at, reason)


def withdraw_leave(session: Session, actor: Actor, leave_id: int, *, expected: str | None = None) -> Leave:
    """A senior withdraws their own leave, before it starts."""
    leave = lock(session, Leave, leave_id, leave_values, expected, RotaError("unknown_leave", leave_id=leave_id))
    if leave.starts_at <= clock.now():
        raise RotaError("leave_started")
    return remove_leave(session, actor, leave_id)


# -- swaps ----------------------------------------------------------------------------------------------


def _holds_duty(session: Session, specialty_id: int, senior_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    periods = duty_timeline(session, starts_at, ends_at, [specialty_id]).get(specialty_id, [])
    return any(place.senior_id == senior_id for period in periods for place in period.decision.places)


def request_swap(
    session: Session,
    actor: Actor,
    specialty_id: int,
    requester_id: int,
    counterpart_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    at: datetime | None = None,
    return_starts_at: datetime | None = None,
    return_ends_at: datetime | None = None,
    note: str = "",
) -> SwapRequest:
    """``requester`` asks ``counterpart`` to take their duty over ``[starts_at, ends_at)``, and offers to
    take the counterpart's over ``[return_starts_at, return_ends_at)`` if given (a give-away otherwise)."""
    starts_at, ends_at = _interval(starts_at, ends_at)
    _bounded("swap", starts_at, ends_at)
    if requester_id == counterpart_id:
        raise RotaError("swap_same_senior")
    if (return_starts_at is None) != (return_ends_at is None):
        raise RotaError("swap_return_half")
    if return_starts_at is not None and return_ends_at is not None:
        return_starts_at, return_ends_at = _interval(return_starts_at, return_ends_at, "return_ends_at")
        _bounded("swap", return_starts_at, return_ends_at, "return_ends_at")
    specialty = _specialty(session, specialty_id)
    requester = _senior(session, requester_id, "requester_id")
    counterpart = _senior(session, counterpart_id, "counterpart_id")
    # The counterpart is given the duty: a member of the specialty's department, like anyone given duty.
    check_assignable(session, actor, [("counterpart_id", counterpart_id)], department_id=specialty.department_id)
    if not _holds_duty(session, specialty_id, requester_id, starts_at, ends_at):
        raise RotaError("not_on_duty", name=requester.full_name)
    if (
        return_starts_at is not None
        and return_ends_at is not None
        and not _holds_duty(session, specialty_id, counterpart_id, return_starts_at, return_ends_at)
    ):
        raise RotaError("return_not_on_duty", name=counterpart.full_name)
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
        requested_at=require_aware(at or clock.now()),
    )
    session.add(swap)
    session.flush()
    _audit(
        session,
        actor,
        "swap.request",
        swap.id,
        [specialty.department_id],
        None,
        swap_values(swap),
        f"{requester.full_name} → {counterpart.full_name}",
    )
    return swap


def _swap_in(session: Session, swap_id: int, statuses: Collection[SwapStatus]) -> tuple[SwapRequest, dict[str, Any], int]:
    """The swap, locked, its values before, its department; refused unless in one of ``statuses``."""
    swap = lock(session, SwapRequest, swap_id, swap_values, None, RotaError("unknown_swap", swap_id=swap_id))
    if swap.status not in statuses:
        raise RotaError("swap_status", swap_id=swap.id, status=swap.status.value, expected=sorted(s.value for s in statuses))
    department_id = session.scalar(select(Specialty.department_id).where(Specialty.id == swap.specialty_id))
    return swap, swap_values(swap), department_id  # type: ignore[return-value]


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


def accept_swap(session: Session, actor: Actor, swap_id: int, senior_id: int, at: datetime | None = None) -> SwapRequest:
    """The counterpart agrees. In force at once when the department does not require approval."""
    swap, before, department_id = _swap_in(session, swap_id, [SwapStatus.REQUESTED])
    if senior_id != swap.counterpart_id:
        raise RotaError("swap_not_counterpart")
    at = require_aware(at or clock.now())
    swap.status = SwapStatus.ACCEPTED
    swap.answered_at = at
    department = session.get(Department, department_id)
    if department is not None and not department.swaps_need_approval:
        _approve(session, swap, None, at)
    session.flush()
    _audit(session, actor, "swap.accept", swap.id, [department_id], before, swap_values(swap))
    return swap


def decline_swap(session: Session, actor: Actor, swap_id: int, senior_id: int, at: datetime | None = None) -> SwapRequest:
    swap, before, department_id = _swap_in(session, swap_id, [SwapStatus.REQUESTED])
    if senior_id != swap.counterpart_id:
        raise RotaError("swap_not_counterpart")
    swap.status = SwapStatus.DECLINED
    swap.answered_at = require_aware(at or clock.now())
    session.flush()
    _audit(session, actor, "swap.decline", swap.id, [department_id], before, swap_values(swap))
    return swap


def approve_swap(session: Session, actor: Actor, swap_id: int, senior_id: int, at: datetime | None = None) -> SwapRequest:
    """A head of the specialty's department approves: the swap becomes overrides."""
    swap, before, department_id = _swap_in(session, swap_id, [SwapStatus.ACCEPTED])
    if not is_head(session, department_id, senior_id):
        raise RotaError("swap_not_head")
    _approve(session, swap, senior_id, require_aware(at or clock.now()))
    session.flush()
    _audit(session, actor, "swap.approve", swap.id, [department_id], before, swap_values(swap))
    return swap


def reject_swap(session: Session, actor: Actor, swap_id: int, senior_id: int, at: datetime | None = None) -> SwapRequest:
    swap, before, department_id = _swap_in(session, swap_id, [SwapStatus.ACCEPTED])
    if not is_head(session, department_id, senior_id):
        raise RotaError("swap_not_head")
    swap.status = SwapStatus.REJECTED
    swap.decided_at = require_aware(at or clock.now())
    swap.decided_by_id = senior_id
    session.flush()
    _audit(session, actor, "swap.reject", swap.id, [department_id], before, swap_values(swap))
    return swap


def cancel_swap(session: Session, actor: Actor, swap_id: int, senior_id: int, at: datetime | None = None) -> SwapRequest:
    """The requester withdraws a swap that is not yet in force."""
    swap, before, department_id = _swap_in(session, swap_id, [SwapStatus.REQUESTED, SwapStatus.ACCEPTED])
    if senior_id != swap.requester_id:
        raise RotaError("swap_not_requester")
    swap.status = SwapStatus.CANCELLED
    swap.decided_at = require_aware(at or clock.now())
    session.flush()
    _audit(session, actor, "swap.cancel", swap.id, [department_id], before, swap_values(swap))
    return swap
