"""Questions the hotline asks the rota. Read-only; every instant is aware UTC.

:func:`on_duty_hunt_list` is the hotline's one question at call time: a handful of indexed queries
gather the facts about one specialty at one instant, :func:`rota.precedence.decide` decides.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Row,
    Select,
    String,
    Time,
    and_,
    bindparam,
    cast,
    exists,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from core.db import UTCDateTime
from core.words import N_, Words
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
        # Spelt out: dataclasses.asdict deep-copies field by field, and every journaled step of a hunt
        # writes its list (a quarter of a menu fact's serialisation).
        return {"senior_id": self.senior_id, "name": self.name, "number": self.number, "layer": self.layer, "reason": self.reason}

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
# The hotline's question in ONE round trip: a single UNION ALL statement whose rows are facts of several
# kinds (the ``_Read*`` NamedTuples below), each row tagged by its kind, so a call costs one network round trip to
# PostgreSQL instead of seven. A UNION needs one list of columns, so each kind's fields are laid out over
# generic columns by type (int0, int1, ..., text0, ..., instant1, flag1): :func:`_tagged_union` works the
# layout out from the columns given, and reads each row back as its kind's NamedTuple. Every branch casts
# its columns to the generic types (PostgreSQL would read untyped NULLs as text, and the types of the
# first SELECT decode every row: aware datetimes, times and dates on SQLite too; plain strings, not the
# enums, whose decoding would refuse another kind's values).
#
# The seniors read are every senior any other row may name (members of every valid rotation, not only
# those whose turn it is): a few more than needed, filtered in Python, so the statement depends on nothing
# read before it. A specialty that does not exist gives no context row.


class _ReadContext(NamedTuple):
    last_resort_id: int | None
    department_id: int
    timezone: str
    leave_policy: str
    public_holidays: str | None


class _ReadRotation(NamedTuple):
    """In the order of ``_ROTATION_COLUMNS``, as :func:`_rotation_row` reads it."""

    rotation_id: int
    specialty_id: int
    name: str
    layer: str
    weekdays: str
    start_time: time
    end_time: time
    turn_days: int
    handoff_time: time
    anchor_date: date
    valid_from: datetime | None
    valid_until: datetime | None


class _ReadMember(NamedTuple):
    rotation_id: int
    senior_id: int
    position: int


class _ReadShift(NamedTuple):
    slot_id: int
    senior_id: int
    layer: str
    starts_at: datetime


class _ReadOverride(NamedTuple):
    override_id: int
    replaced_id: int
    replacing_id: int
    swap_id: int | None


class _ReadHead(NamedTuple):
    department_id: int
    senior_id: int
    position: int


class _ReadSenior(NamedTuple):
    senior_id: int
    name: str
    number: str | None
    active: bool
    on_leave: bool


# The generic columns' types, in the order they are laid out.
_GENERIC_TYPES: dict[str, type] = {"int": Integer, "text": String, "time": Time, "date": Date, "instant": UTCDateTime, "flag": Boolean}


def _generic_type(column: ColumnElement) -> str:
    kind = column.type
    for name, generic in (("instant", UTCDateTime), ("flag", Boolean), ("int", Integer), ("text", String), ("time", Time), ("date", Date)):
        if isinstance(kind, generic):  # an Enum is a String
            return name
    raise TypeError(f"no generic column for {column!r} of type {kind!r}")


@dataclass(frozen=True)
class _Branch:
    """One kind of fact: its NamedTuple, a column per field (in the fields' order), and the FROM/WHERE."""

    fact: type
    columns: tuple[ColumnElement, ...]
    finish: Callable[[Select], Select]


def _tagged_union(*branches: _Branch) -> tuple[CompoundSelect, dict[str, Callable[[Row], Any]]]:
    """The UNION ALL of ``branches`` over generic columns, and for each kind tag the reader of its rows."""
    placed: list[list[tuple[str, int]]] = []
    widths: dict[str, int] = defaultdict(int)
    for branch in branches:
        if len(branch.columns) != len(branch.fact._fields):
            raise ValueError(f"{branch.fact.__name__}: one column per field")
        taken: dict[str, int] = defaultdict(int)
        places = []
        for column in branch.columns:
            generic = _generic_type(column)
            places.append((generic, taken[generic]))
            taken[generic] += 1
        for generic, count in taken.items():
            widths[generic] = max(widths[generic], count)
        placed.append(places)
    layout = [(generic, n) for generic in _GENERIC_TYPES for n in range(widths[generic])]
    position = {place: 1 + k for k, place in enumerate(layout)}  # 0 is the kind
    selects, readers = [], {}
    for branch, places in zip(branches, placed, strict=True):
        given = dict(zip(places, branch.columns, strict=True))
        columns = [
            (type_coerce(given[place], _GENERIC_TYPES[place[0]]) if place in given else cast(null(), _GENERIC_TYPES[place[0]])).label(
                f"{place[0]}{place[1]}"
            )
            for place in layout
        ]
        kind = branch.fact.__name__
        selects.append(branch.finish(select(literal_column(f"'{kind}'", String).label("kind"), *columns)))
        fields = operator.itemgetter(*(position[place] for place in places))
        readers[kind] = functools.partial(lambda make, fields, row: make(fields(row)), branch.fact._make, fields)
    return union_all(*selects), readers


class _AmongIds(ColumnElement[bool]):
    """``column`` is one of the ids ``ids`` selects: ``= ANY(ARRAY(...))`` on PostgreSQL, which reads
    those few rows by primary key (an ``IN``/join of the subquery let the planner scan the whole table),
    ``IN (...)`` elsewhere."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement, ids: Select | CompoundSelect) -> None:
        self.column, self.ids = column, ids


@compiles(_AmongIds)
def _among_ids(element: _AmongIds, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} IN ({compiler.process(element.ids, asfrom=False, **kw)})"


@compiles(_AmongIds, "postgresql")
def _among_ids_postgresql(element: _AmongIds, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.ids, asfrom=False, **kw)}))"


_VALID_AT = and_(
    _rotation.c.valid_from <= bindparam("at"), or_(_rotation.c.valid_until.is_(None), _rotation.c.valid_until > bindparam("at"))
)
_OF_SPECIALTY = bindparam("specialty_id")
_SHIFTS_AT = and_(
    _slot.c.specialty_id == _OF_SPECIALTY,
    _slot.c.starts_at <= bindparam("at"),
    # The lower bound makes this a short range of ix_duty_slot_lookup instead of every past shift.
    _slot.c.starts_at > bindparam("since"),
    _slot.c.ends_at > bindparam("at"),
)
_OVERRIDES_AT = and_(
    _override.c.specialty_id == _OF_SPECIALTY, _override.c.starts_at <= bindparam("at"), _override.c.ends_at > bindparam("at")
)
_HEADS = _head.join(_specialty, _specialty.c.department_id == _head.c.department_id)
_MEMBERS = _member.join(_rotation, _rotation.c.id == _member.c.rotation_id)
_ROTATIONS_OF = and_(_rotation.c.specialty_id == _OF_SPECIALTY, _VALID_AT)
_NAMED = union(
    select(_member.c.senior_id).select_from(_MEMBERS).where(_ROTATIONS_OF),
    select(_slot.c.senior_id).where(_SHIFTS_AT),
    select(_override.c.replaced_senior_id).where(_OVERRIDES_AT),
    select(_override.c.replacing_senior_id).where(_OVERRIDES_AT),
    select(_head.c.senior_id).select_from(_HEADS).where(_specialty.c.id == _OF_SPECIALTY),
    select(_specialty.c.last_resort_senior_id).where(_specialty.c.id == _OF_SPECIALTY),
)
_FIRST_NUMBER = (
    select(_phone.c.e164).where(_phone.c.senior_id == _senior.c.id).order_by(_phone.c.preference, _phone.c.id).limit(1).scalar_subquery()
)
_ON_LEAVE = exists().where(_leave.c.senior_id == _senior.c.id, _leave.c.starts_at <= bindparam("at"), _leave.c.ends_at > bindparam("at"))

_DUTY_BRANCHES = (
    _Branch(
        _ReadContext,
        (
            _specialty.c.last_resort_senior_id,
            _department.c.id,
            _department.c.timezone,
            _department.c.leave_policy,
            _department.c.public_holidays,
        ),
        lambda q: (
            q.select_from(_specialty)
            .join(_department, _department.c.id == _specialty.c.department_id)
            .where(_specialty.c.id == _OF_SPECIALTY)
        ),
    ),
    _Branch(_ReadRotation, _ROTATION_COLUMNS, lambda q: q.where(_ROTATIONS_OF)),
    _Branch(
        _ReadMember,
        (_member.c.rotation_id, _member.c.senior_id, _member.c.position),
        lambda q: q.select_from(_MEMBERS).where(_ROTATIONS_OF),
    ),
    _Branch(_ReadShift, (_slot.c.id, _slot.c.senior_id, _slot.c.layer, _slot.c.starts_at), lambda q: q.where(_SHIFTS_AT)),
    _Branch(
        _ReadOverride,
        (_override.c.id, _override.c.replaced_senior_id, _override.c.replacing_senior_id, _override.c.swap_id),
        lambda q: q.where(_OVERRIDES_AT),
    ),
    _Branch(
        _ReadHead,
        (_head.c.department_id, _head.c.senior_id, _head.c.position),
        lambda q: q.select_from(_HEADS).where(_specialty.c.id == _OF_SPECIALTY),
    ),
    _Branch(
        _ReadSenior,
        (_senior.c.id, _senior.c.full_name, _FIRST_NUMBER, _senior.c.active, _ON_LEAVE),
        lambda q: q.where(_AmongIds(_senior.c.id, _NAMED)),
    ),
)
_DUTY_AT, _READ_FACT = _tagged_union(*_DUTY_BRANCHES)


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
    facts: dict[type, list[Any]] = {
        kind: [] for kind in (_ReadContext, _ReadRotation, _ReadMember, _ReadShift, _ReadOverride, _ReadHead, _ReadSenior)
    }
    params = {"specialty_id": specialty_id, "at": at, "since": at - MAX_SINGLE_SHIFT}
    for row in session.connection().execute(_DUTY_AT, params).all():  # (fetchall: not a fetch per row)
        fact = _READ_FACT[row[0]](row)
        facts[type(fact)].append(fact)
    if not facts[_ReadContext]:
        return None
    found: _ReadContext = facts[_ReadContext][0]
    last_resort = found.last_resort_id
    context = SpecialtyContext(
        specialty_id, found.department_id, ZoneInfo(found.timezone), LeavePolicy(found.leave_policy), found.public_holidays, last_resort, ()
    )
    members: dict[int, list[_ReadMember]] = defaultdict(list)
    for member in facts[_ReadMember]:
        members[member.rotation_id].append(member)
    heads = sorted(facts[_ReadHead], key=lambda head: (head.position, head.senior_id))
    overrides = [OverrideFact(o.override_id, o.replaced_id, o.replacing_id, o.swap_id) for o in facts[_ReadOverride]]
    head_ids = tuple(head.senior_id for head in heads)
    rotations = [
        _rotation_row(row, context, tuple(m.senior_id for m in sorted(members[row.rotation_id], key=lambda m: (m.position, m.senior_id))))
        for row in sorted(facts[_ReadRotation], key=lambda r: r.rotation_id)
    ]
    turns = []
    for rotation in rotations:
        occurrence = occurrence_at(rotation.pattern, at)
        if occurrence is not None:
            turns.append(RotationTurn.of(rotation.rotation_id, rotation.name, rotation.layer, rotation.pattern.members, occurrence.turn))
    shifts = [
        ShiftFact(row.slot_id, row.senior_id, Layer(row.layer)) for row in sorted(facts[_ReadShift], key=lambda r: (r.starts_at, r.slot_id))
    ]
    candidates = {m for t in turns for m in t.members} | {s.senior_id for s in shifts}
    candidates |= {o.replaced_id for o in overrides} | {o.replacing_id for o in overrides} | set(head_ids)
    if last_resort is not None:
        candidates.add(last_resort)
    seniors = {
        s.senior_id: SeniorInfo(s.senior_id, s.name, bool(s.active), bool(s.on_leave), s.number)
        for s in facts[_ReadSenior]
        if s.senior_id in candidates
    }
    unavailable = {sid for sid in candidates if sid not in seniors or not seniors[sid].active or seniors[sid].on_leave}
    decision = decide(turns, shifts, overrides, unavailable, context.leave_policy)
    return DutyAnswer(
        at,
        decision,
        tuple(last_resorts(last_resort, head_ids, unavailable)),
        seniors,
        {r.rotation_id: r.name for r in rotations},
    )


def describe_place(place: Place, names: dict[int, str], words: Words | None = None) -> str:
    """Why ``place`` is in the hunt list: in English for the call log, in ``words``' language for a reader."""
    say = words._ if words is not None else _english
    if place.source == "rotation":
        source = say(N_('rotation "{name}"'), name=place.source_name)
    else:
        source = say(N_("single shift #{number}"), number=place.source_id)
    if place.override is not None:
        planned = names.get(place.planned_id, place.planned_id)
        if place.override.swap_id is not None:
            return say(N_("swap #{number}: replaces {name} ({source})"), number=place.override.swap_id, name=planned, source=source)
        return say(N_("override #{number}: replaces {name} ({source})"), number=place.override.override_id, name=planned, source=source)
    if place.stood_in_for is not None:
        return say(N_("{source}: next in turn, {name} on leave"), source=source, name=names.get(place.stood_in_for, place.stood_in_for))
    return source


def _english(template: str, /, **values: object) -> str:
    return template.format(**values)


def hunt_list(answer: DutyAnswer, words: Words | None = None) -> list[HuntEntry]:
    """The answer as the hotline rings it: each number once, seniors without a number left out."""
    say = words._ if words is not None else _english
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
        add(place.senior_id, place.layer.value, describe_place(place, names, words))
    for senior_id, why in answer.last_resorts:
        reason = N_("last resort of the specialty") if why == "specialty" else N_("head of department (last resort)")
        add(senior_id, LAST_RESORT, say(reason))
    return entries


def on_duty_hunt_list(session: Session, specialty_id: int, at: datetime, words: Words | None = None) -> list[HuntEntry]:
    """Who to ring for ``specialty_id`` at instant ``at``: primaries, then backups, then the last resort.

    Decided by :mod:`rota.precedence` (override > leave > single shift > rotation). Intervals are
    half-open, so at a handover instant only the incoming senior is on duty; a senior on leave is never
    listed; each number appears at most once, at its first place.
    """
    answer = on_duty(session, specialty_id, at)
    return [] if answer is None else hunt_list(answer, words)


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
