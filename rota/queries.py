"""Questions the hotline asks the rota. Read-only; every instant is aware UTC.

:func:`on_duty_hunt_list` is the hotline's one question at call time: a handful of indexed queries
gather the facts about one specialty at one instant, :func:`rota.precedence.decide` decides.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, bindparam, cast, exists, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from core.db import UTCDateTime
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
)
from rota.patterns import Pattern, occurrence_at, parse_weekdays
from rota.precedence import MAX_SINGLE_SHIFT, Decision, OverrideFact, Place, RotationTurn, ShiftFact, decide, last_resorts

LAST_RESORT = "last_resort"


@dataclass(frozen=True)
class HuntEntry:
    """One phone to ring, in order, with why this senior is on the list."""

    senior_id: int
    name: str
    number: str
    layer: str  # "primary", "backup" or "last_resort"
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HuntEntry:
        return cls(**data)


def require_aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: instants must be aware")
    return at.astimezone(UTC)


# -- the facts about one specialty --------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialtyContext:
    specialty_id: int
    department_id: int
    zone: ZoneInfo
    leave_policy: LeavePolicy
    public_holidays: str | None
    last_resort_id: int | None
    head_ids: tuple[int, ...]


@dataclass(frozen=True)
class RotationRow:
    """A rotation as read, with its pattern."""

    rotation_id: int
    specialty_id: int
    name: str
    layer: Layer
    pattern: Pattern


@functools.lru_cache(maxsize=8192)
def make_pattern(
    zone: str,
    holidays: str | None,
    weekdays: str,
    start: time,
    end: time,
    turn_days: int,
    handoff: time,
    anchor: date,
    members: tuple[int, ...],
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> Pattern:
    """Patterns are immutable values; a rotation read again on the next call is not rebuilt."""
    return Pattern(
        ZoneInfo(zone), parse_weekdays(weekdays), start, end, turn_days, handoff, anchor, members, holidays, valid_from, valid_until
    )


# Tables, not ORM entities: the hot path runs prebuilt Core statements on the session's connection, so a
# call costs the round trips and little else (no statement building, no ORM result processing).
_specialty, _department, _head = Specialty.__table__, Department.__table__, DepartmentHead.__table__
_rotation, _member, _slot = Rotation.__table__, RotationMember.__table__, DutySlot.__table__
_override, _leave, _senior, _phone = DutyOverride.__table__, Leave.__table__, Senior.__table__, SeniorPhone.__table__

_CONTEXTS = (
    select(
        _specialty.c.id,
        _specialty.c.last_resort_senior_id,
        _department.c.id,
        _department.c.timezone,
        _department.c.leave_policy,
        _department.c.public_holidays,
        _head.c.senior_id,
    )
    .join(_department, _department.c.id == _specialty.c.department_id)
    .outerjoin(_head, _head.c.department_id == _department.c.id)
    .order_by(_specialty.c.id, _head.c.position, _head.c.senior_id)
)
_CONTEXT_OF = _CONTEXTS.where(_specialty.c.id == bindparam("specialty_id"))
_CONTEXTS_OF = _CONTEXTS.where(_specialty.c.id.in_(bindparam("specialty_ids", expanding=True)))
_ROTATION_COLUMNS = (
    _rotation.c.id,
    _rotation.c.specialty_id,
    _rotation.c.name,
    _rotation.c.layer,
    _rotation.c.weekdays,
    _rotation.c.start_time,
    _rotation.c.end_time,
    _rotation.c.turn_days,
    _rotation.c.handoff_time,
    _rotation.c.anchor_date,
    _rotation.c.valid_from,
    _rotation.c.valid_until,
)
# The hotline's three round trips. 1: the specialty, its department and the rotations valid at ``at``
# (a specialty without rotations still gives one row).
_VALID_AT = and_(
    _rotation.c.valid_from <= bindparam("at"), or_(_rotation.c.valid_until.is_(None), _rotation.c.valid_until > bindparam("at"))
)
_ROTATIONS_AT = (
    select(
        _specialty.c.last_resort_senior_id,
        _department.c.id,
        _department.c.timezone,
        _department.c.leave_policy,
        _department.c.public_holidays,
        *_ROTATION_COLUMNS,
    )
    .select_from(_specialty)
    .join(_department, _department.c.id == _specialty.c.department_id)
    .outerjoin(_rotation, and_(_rotation.c.specialty_id == _specialty.c.id, _VALID_AT))
    .where(_specialty.c.id == bindparam("specialty_id"))
    .order_by(_rotation.c.id)
)
# 2: the members of those rotations in turn order, the single shifts and overrides covering ``at``, and
# the department's heads
# (one statement: a round trip saved; members apart from 1 so rotation columns are not read per member).
_EXCEPTIONS_AT = union_all(
    select(
        literal("member").label("kind"),
        _member.c.rotation_id,
        _member.c.senior_id,
        # Typed NULLs: PostgreSQL reads two untyped NULLs of a UNION as text; and typed, the shifts'
        # starts_at below comes back as an aware datetime on every backend.
        cast(null(), String).label("layer"),
        _member.c.position,
        cast(null(), Integer).label("swap_id"),
        cast(null(), UTCDateTime()).label("starts_at"),
    )
    .join(_rotation, _rotation.c.id == _member.c.rotation_id)
    .where(_rotation.c.specialty_id == bindparam("specialty_id"), _VALID_AT),
    select(
        literal("shift"),
        _slot.c.id,
        _slot.c.senior_id,
        _slot.c.layer,
        null(),
        null(),
        _slot.c.starts_at,
    ).where(
        _slot.c.specialty_id == bindparam("specialty_id"),
        _slot.c.starts_at <= bindparam("at"),
        # The lower bound makes this a short range of ix_duty_slot_lookup instead of every past shift.
        _slot.c.starts_at > bindparam("since"),
        _slot.c.ends_at > bindparam("at"),
    ),
    select(
        literal("override"),
        _override.c.id,
        _override.c.replaced_senior_id,
        null(),
        _override.c.replacing_senior_id,
        _override.c.swap_id,
        _override.c.starts_at,
    ).where(
        _override.c.specialty_id == bindparam("specialty_id"),
        _override.c.starts_at <= bindparam("at"),
        _override.c.ends_at > bindparam("at"),
    ),
    select(literal("head"), _head.c.department_id, _head.c.senior_id, null(), _head.c.position, null(), null())
    .join(_specialty, _specialty.c.department_id == _head.c.department_id)
    .where(_specialty.c.id == bindparam("specialty_id")),
)
# 3: every senior who may be named: on leave at ``at``? first number?
_SENIORS_AT = select(
    _senior.c.id,
    _senior.c.full_name,
    _senior.c.active,
    exists().where(_leave.c.senior_id == _senior.c.id, _leave.c.starts_at <= bindparam("at"), _leave.c.ends_at > bindparam("at")),
    select(_phone.c.e164).where(_phone.c.senior_id == _senior.c.id).order_by(_phone.c.preference, _phone.c.id).limit(1).scalar_subquery(),
).where(_senior.c.id.in_(bindparam("ids", expanding=True)))


def _padded(ids: set[int]) -> list[int]:
    """The ids, repeated up to the next power of two: an IN list of a handful of lengths keeps the SQL
    text to a handful of statements, which PostgreSQL (psycopg) then prepares instead of planning each call."""
    ordered = sorted(ids)
    size = 8
    while size < len(ordered):
        size *= 2
    return ordered + [ordered[-1]] * (size - len(ordered)) if ordered else ordered


def specialty_contexts(session: Session, specialty_ids: Iterable[int] | None = None) -> dict[int, SpecialtyContext]:
    """Zone, leave policy, holidays and last resorts of the given specialties (all when None)."""
    ids = None if specialty_ids is None else list(specialty_ids)
    if ids is None:
        query, params = _CONTEXTS, {}
    elif len(ids) == 1:
        query, params = _CONTEXT_OF, {"specialty_id": ids[0]}
    else:
        query, params = _CONTEXTS_OF, {"specialty_ids": ids}
    contexts: dict[int, SpecialtyContext] = {}
    heads: dict[int, list[int]] = {}
    for sid, last_resort, dept_id, zone, policy, holidays, head in session.connection().execute(query, params):
        if sid not in contexts:
            contexts[sid] = SpecialtyContext(sid, dept_id, ZoneInfo(zone), LeavePolicy(policy), holidays, last_resort, ())
            heads[sid] = []
        if head is not None:
            heads[sid].append(head)
    return {sid: SpecialtyContext(**{**c.__dict__, "head_ids": tuple(heads[sid])}) for sid, c in contexts.items()}


def _rotation_row(row: Sequence[Any], context: SpecialtyContext, members: tuple[int, ...]) -> RotationRow:
    """A rotation read with ``_ROTATION_COLUMNS``, with its pattern."""
    pattern = make_pattern(
        context.zone.key, context.public_holidays, row[4], row[5], row[6], row[7], row[8], row[9], members, row[10], row[11]
    )
    return RotationRow(row[0], row[1], row[2], Layer(row[3]), pattern)


def rotation_rows(session: Session, contexts: dict[int, SpecialtyContext], where: Sequence) -> list[RotationRow]:
    """Rotations matching ``where`` (conditions on the rotation table) with their members in turn order.

    Two queries rather than one join: a rotation's columns are read once, not once per member.
    """
    connection = session.connection()
    rotations = connection.execute(select(*_ROTATION_COLUMNS).where(*where).order_by(_rotation.c.id)).all()
    if not rotations:
        return []
    members: dict[int, list[int]] = defaultdict(list)
    wanted = [r[0] for r in rotations]
    for offset in range(0, len(wanted), 5000):
        chunk = wanted[offset : offset + 5000]
        for rotation_id, senior_id in connection.execute(
            select(_member.c.rotation_id, _member.c.senior_id)
            .where(_member.c.rotation_id.in_(chunk))
            .order_by(_member.c.rotation_id, _member.c.position)
        ):
            members[rotation_id].append(senior_id)
    found = []
    for row in rotations:
        context = contexts.get(row[1])
        if context is not None:
            found.append(_rotation_row(row, context, tuple(members.get(row[0], ()))))
    return found


@dataclass(frozen=True)
class SeniorInfo:
    senior_id: int
    name: str
    active: bool
    on_leave: bool
    number: str | None


@dataclass(frozen=True)
class DutyAnswer:
    """Everything :func:`on_duty` worked out for one specialty at one instant."""

    at: datetime
    decision: Decision
    last_resorts: tuple[tuple[int, str], ...]
    seniors: dict[int, SeniorInfo]
    rotation_names: dict[int, str]


def on_duty(session: Session, specialty_id: int, at: datetime) -> DutyAnswer | None:
    """Who holds each place for ``specialty_id`` at instant ``at`` (None for an unknown specialty)."""
    at = require_aware(at)
    connection = session.connection()
    params = {"specialty_id": specialty_id, "at": at}
    rows = connection.execute(_ROTATIONS_AT, params).all()
    if not rows:
        return None
    last_resort, department_id, zone, policy, holidays = rows[0][:5]
    context = SpecialtyContext(specialty_id, department_id, ZoneInfo(zone), LeavePolicy(policy), holidays, last_resort, ())
    members: dict[int, list[tuple[int, int]]] = defaultdict(list)
    shift_rows, overrides, heads = [], [], []
    for kind, row_id, senior, layer, number, swap_id, starts_at in connection.execute(
        _EXCEPTIONS_AT, {**params, "since": at - MAX_SINGLE_SHIFT}
    ):
        if kind == "member":
            members[row_id].append((number, senior))  # (position, senior) of rotation row_id
        elif kind == "shift":
            shift_rows.append((starts_at, row_id, ShiftFact(row_id, senior, Layer(layer))))
        elif kind == "override":
            overrides.append(OverrideFact(row_id, senior, number, swap_id))
        else:
            heads.append((number, senior))  # (position, senior)
    head_ids = tuple(senior for _, senior in sorted(heads))
    rotations = [
        _rotation_row(row[5:], context, tuple(senior for _, senior in sorted(members.get(row[5], ()))))
        for row in rows
        if row[5] is not None
    ]
    turns = []
    for rotation in rotations:
        occurrence = occurrence_at(rotation.pattern, at)
        if occurrence is not None:
            turns.append(RotationTurn.of(rotation.rotation_id, rotation.name, rotation.layer, rotation.pattern.members, occurrence.turn))
    shifts = [fact for _, _, fact in sorted(shift_rows, key=lambda r: (r[0], r[1]))]
    candidates = {m for t in turns for m in t.members} | {s.senior_id for s in shifts}
    candidates |= {o.replaced_id for o in overrides} | {o.replacing_id for o in overrides} | set(head_ids)
    if last_resort is not None:
        candidates.add(last_resort)
    seniors: dict[int, SeniorInfo] = {}
    if candidates:
        for sid, name, active, on_leave, number in connection.execute(_SENIORS_AT, {"at": at, "ids": _padded(candidates)}):
            seniors[sid] = SeniorInfo(sid, name, bool(active), bool(on_leave), number)
    unavailable = {sid for sid in candidates if sid not in seniors or not seniors[sid].active or seniors[sid].on_leave}
    decision = decide(turns, shifts, overrides, unavailable, context.leave_policy)
    return DutyAnswer(
        at,
        decision,
        tuple(last_resorts(last_resort, head_ids, unavailable)),
        seniors,
        {r.rotation_id: r.name for r in rotations},
    )


def describe_place(place: Place, names: dict[int, str]) -> str:
    """Why ``place`` is in the hunt list, in words for the call log and the CLI."""
    source = f'rotation "{place.source_name}"' if place.source == "rotation" else f"single shift #{place.source_id}"
    if place.override is not None:
        by = f"swap #{place.override.swap_id}" if place.override.swap_id is not None else f"override #{place.override.override_id}"
        return f"{by}: replaces {names.get(place.planned_id, place.planned_id)} ({source})"
    if place.stood_in_for is not None:
        return f"{source}: next in turn, {names.get(place.stood_in_for, place.stood_in_for)} on leave"
    return source


def hunt_list(answer: DutyAnswer) -> list[HuntEntry]:
    """The answer as the hotline rings it: each number once, seniors without a number left out."""
    names = {sid: info.name for sid, info in answer.seniors.items()}
    entries: list[HuntEntry] = []
    seen: set[str] = set()
    seen_seniors: set[int] = set()

    def add(senior_id: int, layer: str, reason: str) -> None:
        info = answer.seniors.get(senior_id)
        if info is None or info.number is None or info.number in seen or senior_id in seen_seniors:
            return
        seen.add(info.number)
        seen_seniors.add(senior_id)
        entries.append(HuntEntry(senior_id, info.name, info.number, layer, reason))

    for place in answer.decision.places:
        add(place.senior_id, place.layer.value, describe_place(place, names))
    for senior_id, why in answer.last_resorts:
        add(senior_id, LAST_RESORT, "last resort of the specialty" if why == "specialty" else "head of department (last resort)")
    return entries


def on_duty_hunt_list(session: Session, specialty_id: int, at: datetime) -> list[HuntEntry]:
    """Who to ring for ``specialty_id`` at instant ``at``: primaries, then backups, then the last resort.

    Decided by :mod:`rota.precedence` (override > leave > single shift > rotation). Intervals are
    half-open, so at a handover instant only the incoming senior is on duty; a senior on leave is never
    listed; each number appears at most once, at its first place.
    """
    answer = on_duty(session, specialty_id, at)
    return [] if answer is None else hunt_list(answer)


# -- the menu -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuEntry:
    specialty_id: int
    code: str
    digit: str | None
    name_fr: str
    name_en: str
    keywords: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fr


def hotline_menu(session: Session) -> list[MenuEntry]:
    """The specialties a GP can choose, in menu-digit order (those without a digit are speech-only)."""
    rows = session.scalars(select(Specialty).order_by(Specialty.menu_digit.is_(None), Specialty.menu_digit, Specialty.id)).all()
    return [MenuEntry(s.id, s.code, s.menu_digit, s.name_fr, s.name_en, tuple(s.keywords)) for s in rows]


def specialty_by_direct_number(session: Session, e164: str | None) -> MenuEntry | None:
    if not e164:
        return None
    s = session.scalars(select(Specialty).where(Specialty.direct_number == e164)).first()
    return None if s is None else MenuEntry(s.id, s.code, s.menu_digit, s.name_fr, s.name_en, tuple(s.keywords))


def specialty_name(session: Session, specialty_id: int | None, language: str) -> str:
    specialty = session.get(Specialty, specialty_id) if specialty_id is not None else None
    return specialty.name(language) if specialty else ""


def find_specialty(session: Session, text: str) -> Specialty | None:
    """A specialty by code, id or name (French or English, any case), as typed in a command."""
    wanted = text.strip()
    if wanted.isdigit():
        found = session.get(Specialty, int(wanted))
        if found is not None:
            return found
    lowered = wanted.casefold()
    for specialty in session.scalars(select(Specialty).order_by(Specialty.id)):
        if lowered in (specialty.code.casefold(), specialty.name_fr.casefold(), specialty.name_en.casefold()):
            return specialty
    return None
