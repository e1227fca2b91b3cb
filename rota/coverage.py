"""Coverage over a period: who holds each place, stretch by stretch, and what is wrong with it.

A period is cut at every instant where a fact changes — an occurrence of a rotation begins or ends, a
single shift, an override or a leave starts or stops. Between two cuts nothing changes, so
:func:`rota.precedence.decide` is asked once per stretch, with the same rule the hotline uses at call
time. Everything is read in a few interval queries for all the specialties at once.

Reported per specialty:

- **gaps** — stretches with nobody in the primary layer;
- **conflicts** — a senior on duty for two specialties at once (``two_specialties``), and a senior on
  leave who is still scheduled by a single shift, a rotation turn or an override (``on_leave``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rota.models import DutyOverride, DutySlot, Layer, Leave, Rotation, RotationMember, Senior
from rota.patterns import occurrences
from rota.precedence import MAX_SINGLE_SHIFT, Decision, OverrideFact, RotationTurn, ShiftFact, decide
from rota.queries import RotationRow, SpecialtyContext, require_aware, rotation_rows, specialty_contexts


@dataclass(frozen=True)
class DutyPeriod:
    """``decision`` holds over ``[starts_at, ends_at)`` for the specialty."""

    specialty_id: int
    starts_at: datetime
    ends_at: datetime
    decision: Decision


@dataclass(frozen=True)
class Gap:
    specialty_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Conflict:
    kind: str  # "two_specialties" or "on_leave"
    specialty_id: int
    senior_id: int
    starts_at: datetime
    ends_at: datetime
    detail: str
    other_specialty_id: int | None = None


@dataclass
class CoverageReport:
    starts_at: datetime
    ends_at: datetime
    specialty_ids: list[int]
    gaps: list[Gap] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def gaps_of(self, specialty_id: int) -> list[Gap]:
        return [g for g in self.gaps if g.specialty_id == specialty_id]

    def conflicts_of(self, specialty_id: int) -> list[Conflict]:
        return [c for c in self.conflicts if c.specialty_id == specialty_id]


# -- reading the facts --------------------------------------------------------------------------------


@dataclass
class _Facts:
    contexts: dict[int, SpecialtyContext]
    rotations: dict[int, list[RotationRow]]
    shifts: dict[int, list[tuple[datetime, datetime, ShiftFact]]]
    overrides: dict[int, list[tuple[datetime, datetime, OverrideFact]]]
    leave: dict[int, list[tuple[datetime, datetime]]]
    inactive: set[int]


def _read_facts(
    session: Session,
    specialty_ids: list[int] | None,
    start: datetime,
    end: datetime,
    extra_leave: Sequence[tuple[int, datetime, datetime]] = (),
) -> _Facts:
    contexts = specialty_contexts(session, specialty_ids)
    ids = list(contexts)
    by_specialty = (lambda column: [column.in_(ids)]) if specialty_ids is not None else (lambda column: [])
    rotations: dict[int, list[RotationRow]] = defaultdict(list)
    for row in rotation_rows(
        session,
        contexts,
        [
            *by_specialty(Rotation.specialty_id),
            Rotation.valid_from < end,
            or_(Rotation.valid_until.is_(None), Rotation.valid_until > start),
        ],
    ):
        rotations[row.specialty_id].append(row)
    shifts: dict[int, list] = defaultdict(list)
    for sid, spec, senior, layer, s, e in session.execute(
        select(DutySlot.id, DutySlot.specialty_id, DutySlot.senior_id, DutySlot.layer, DutySlot.starts_at, DutySlot.ends_at)
        .where(
            *by_specialty(DutySlot.specialty_id),
            DutySlot.starts_at < end,
            DutySlot.starts_at > start - MAX_SINGLE_SHIFT,
            DutySlot.ends_at > start,
        )
        .order_by(DutySlot.starts_at, DutySlot.id)
    ):
        shifts[spec].append((s, e, ShiftFact(sid, senior, Layer(layer))))
    overrides: dict[int, list] = defaultdict(list)
    for oid, spec, replaced, replacing, swap, s, e in session.execute(
        select(
            DutyOverride.id,
            DutyOverride.specialty_id,
            DutyOverride.replaced_senior_id,
            DutyOverride.replacing_senior_id,
            DutyOverride.swap_id,
            DutyOverride.starts_at,
            DutyOverride.ends_at,
        ).where(*by_specialty(DutyOverride.specialty_id), DutyOverride.starts_at < end, DutyOverride.ends_at > start)
    ):
        overrides[spec].append((s, e, OverrideFact(oid, replaced, replacing, swap)))
    leave: dict[int, list] = defaultdict(list)
    for senior, s, e in session.execute(
        select(Leave.senior_id, Leave.starts_at, Leave.ends_at).where(Leave.starts_at < end, Leave.ends_at > start)
    ):
        leave[senior].append((s, e))
    for senior, s, e in extra_leave:  # leave not written yet: "what if" (a senior's leave form)
        leave[senior].append((s, e))
    inactive = set(session.scalars(select(Senior.id).where(Senior.active.is_(False))))
    return _Facts(contexts, rotations, shifts, overrides, leave, inactive)


# -- the sweep ----------------------------------------------------------------------------------------


def _timeline_of(specialty_id: int, facts: _Facts, start: datetime, end: datetime) -> list[DutyPeriod]:
    context = facts.contexts[specialty_id]
    # (instant, +1 starts / -1 ends, kind, key, value); ends sort before starts at the same instant.
    events: list[tuple[datetime, int, str, object, object]] = []

    def add(s: datetime, e: datetime, kind: str, key: object, value: object) -> None:
        s, e = max(s, start), min(e, end)
        if s < e:
            events.append((s, 1, kind, key, value))
            events.append((e, -1, kind, key, value))

    relevant: set[int] = set()
    for rotation in facts.rotations.get(specialty_id, []):
        relevant.update(rotation.pattern.members)
        for occurrence in occurrences(rotation.pattern, start, end):
            turn = RotationTurn.of(rotation.rotation_id, rotation.name, rotation.layer, rotation.pattern.members, occurrence.turn)
            add(occurrence.starts_at, occurrence.ends_at, "turn", (rotation.rotation_id, occurrence.turn, occurrence.starts_at), turn)
    for s, e, shift in facts.shifts.get(specialty_id, []):
        relevant.add(shift.senior_id)
        add(s, e, "shift", shift.shift_id, (s, shift))
    for s, e, override in facts.overrides.get(specialty_id, []):
        relevant.update((override.replaced_id, override.replacing_id))
        add(s, e, "override", override.override_id, override)
    for senior in relevant:
        for index, (s, e) in enumerate(facts.leave.get(senior, [])):
            add(s, e, "leave", (senior, index), senior)
    events.sort(key=itemgetter(0, 1))

    turns: dict[object, RotationTurn] = {}
    shifts: dict[object, tuple[datetime, ShiftFact]] = {}
    overrides: dict[object, OverrideFact] = {}
    tables: dict[str, dict] = {"turn": turns, "shift": shifts, "override": overrides}
    leave_count: dict[int, int] = defaultdict(int)
    unavailable = facts.inactive & relevant
    periods: list[DutyPeriod] = []
    cursor, index, count = start, 0, len(events)
    while cursor < end:
        while index < count and events[index][0] == cursor:
            _, sign, kind, key, value = events[index]
            index += 1
            if kind == "leave":
                leave_count[value] += sign  # type: ignore[index]
                if leave_count[value] > 0:  # type: ignore[index]
                    unavailable.add(value)  # type: ignore[arg-type]
                elif value not in facts.inactive:
                    unavailable.discard(value)  # type: ignore[arg-type]
            elif sign > 0:
                tables[kind][key] = value
            else:
                del tables[kind][key]
        following = events[index][0] if index < count else end
        decision = decide(
            sorted(turns.values(), key=lambda t: t.rotation_id) if len(turns) > 1 else list(turns.values()),
            [shift for _, shift in sorted(shifts.values(), key=lambda item: (item[0], item[1].shift_id))] if shifts else [],
            list(overrides.values()),
            unavailable,
            context.leave_policy,
        )
        if periods and periods[-1].decision == decision:
            periods[-1] = DutyPeriod(specialty_id, periods[-1].starts_at, following, decision)
        else:
            periods.append(DutyPeriod(specialty_id, cursor, following, decision))
        cursor = following
    return periods


def duty_timeline(
    session: Session,
    start: datetime,
    end: datetime,
    specialty_ids: Iterable[int] | None = None,
    extra_leave: Sequence[tuple[int, datetime, datetime]] = (),
) -> dict[int, list[DutyPeriod]]:
    """For each specialty, the consecutive periods of ``[start, end)`` over which nobody changes place;
    ``extra_leave`` ((senior, start, end)) is counted as if it were saved, so a change can be judged
    before any write."""
    start, end = require_aware(start), require_aware(end)
    ids = None if specialty_ids is None else list(specialty_ids)
    facts = _read_facts(session, ids, start, end, extra_leave)
    return {sid: _timeline_of(sid, facts, start, end) for sid in sorted(facts.contexts)}


def _related_specialties(session: Session, specialty_ids: list[int], start: datetime, end: datetime) -> set[int]:
    """The specialties sharing a senior with ``specialty_ids`` in the period (for the two-specialty check)."""
    seniors = set(
        session.scalars(
            select(RotationMember.senior_id)
            .join(Rotation, Rotation.id == RotationMember.rotation_id)
            .where(Rotation.specialty_id.in_(specialty_ids))
        )
    )
    seniors |= set(
        session.scalars(
            select(DutySlot.senior_id).where(DutySlot.specialty_id.in_(specialty_ids), DutySlot.starts_at < end, DutySlot.ends_at > start)
        )
    )
    seniors |= set(
        session.scalars(
            select(DutyOverride.replacing_senior_id).where(
                DutyOverride.specialty_id.in_(specialty_ids), DutyOverride.starts_at < end, DutyOverride.ends_at > start
            )
        )
    )
    if not seniors:
        return set(specialty_ids)
    related = set(specialty_ids)
    related |= set(
        session.scalars(
            select(Rotation.specialty_id)
            .join(RotationMember, RotationMember.rotation_id == Rotation.id)
            .where(RotationMember.senior_id.in_(seniors))
        )
    )
    related |= set(
        session.scalars(
            select(DutySlot.specialty_id).where(DutySlot.senior_id.in_(seniors), DutySlot.starts_at < end, DutySlot.ends_at > start)
        )
    )
    related |= set(
        session.scalars(
            select(DutyOverride.specialty_id).where(
                DutyOverride.replacing_senior_id.in_(seniors), DutyOverride.starts_at < end, DutyOverride.ends_at > start
            )
        )
    )
    return related


def _merge_conflicts(conflicts: list[Conflict]) -> list[Conflict]:
    """Join a conflict that goes on across consecutive periods into one."""
    last_of: dict[tuple, int] = {}
    out: list[Conflict] = []
    for conflict in sorted(
        conflicts, key=lambda c: (c.specialty_id, c.kind, c.senior_id, c.detail, c.other_specialty_id or 0, c.starts_at)
    ):
        key = (conflict.specialty_id, conflict.kind, conflict.senior_id, conflict.detail, conflict.other_specialty_id)
        at = last_of.get(key)
        if at is not None and out[at].ends_at >= conflict.starts_at:
            out[at] = Conflict(**{**out[at].__dict__, "ends_at": max(out[at].ends_at, conflict.ends_at)})
            continue
        last_of[key] = len(out)
        out.append(conflict)
    return sorted(out, key=lambda c: (c.specialty_id, c.starts_at, c.senior_id, c.kind))


def _displaced_detail(source: str, source_id: int, replaced_by: int | None, names: dict[int, str]) -> str:
    if source == "shift":
        return f"single shift #{source_id}, void"
    if source == "override":
        return f"named by override #{source_id}, place empty"
    if replaced_by is not None:
        return f"rotation #{source_id}, {names.get(replaced_by, replaced_by)} stands in"
    return f"rotation #{source_id}, nobody stands in"


def coverage(session: Session, start: datetime, end: datetime, specialty_ids: Iterable[int] | None = None) -> CoverageReport:
    """Gaps and conflicts of ``[start, end)`` for the given specialties (all when None)."""
    start, end = require_aware(start), require_aware(end)
    wanted = None if specialty_ids is None else sorted(set(specialty_ids))
    scanned = None if wanted is None else sorted(_related_specialties(session, wanted, start, end)) if wanted else []
    timelines = duty_timeline(session, start, end, scanned)
    reported = set(timelines) if wanted is None else set(wanted) & set(timelines)
    names = dict(session.execute(select(Senior.id, Senior.full_name)).all()) if timelines else {}
    report = CoverageReport(start, end, sorted(reported))
    conflicts: list[Conflict] = []
    duties: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for specialty_id, periods in timelines.items():
        for period in periods:
            for place in period.decision.places:
                duties[place.senior_id].append((period.starts_at, period.ends_at, specialty_id))
            if specialty_id not in reported:
                continue
            if not period.decision.has_primary:
                gaps = report.gaps
                if gaps and gaps[-1].specialty_id == specialty_id and gaps[-1].ends_at == period.starts_at:
                    gaps[-1] = Gap(specialty_id, gaps[-1].starts_at, period.ends_at)
                else:
                    gaps.append(Gap(specialty_id, period.starts_at, period.ends_at))
            for d in period.decision.displaced:
                detail = _displaced_detail(d.source, d.source_id, d.replaced_by, names)
                conflicts.append(Conflict("on_leave", specialty_id, d.senior_id, period.starts_at, period.ends_at, detail))
    for senior_id, spans in duties.items():
        spans.sort()
        for i, (s1, e1, spec1) in enumerate(spans):
            for s2, e2, spec2 in spans[i + 1 :]:
                if s2 >= e1:
                    break
                if spec1 == spec2:
                    continue
                overlap = (max(s1, s2), min(e1, e2))
                for mine, other in ((spec1, spec2), (spec2, spec1)):
                    if mine in reported:
                        conflicts.append(Conflict("two_specialties", mine, senior_id, *overlap, "on duty for two specialties", other))
    report.conflicts = _merge_conflicts(conflicts)
    return report


def gap_seconds(
    session: Session, specialty_ids: list[int], start: datetime, end: datetime, extra_leave: Sequence[tuple[int, datetime, datetime]] = ()
) -> dict[int, float]:
    """Seconds without a primary per specialty over the period (with ``extra_leave`` as if saved)."""
    totals = {sid: 0.0 for sid in specialty_ids}
    for specialty_id, periods in duty_timeline(session, start, end, specialty_ids, extra_leave).items():
        for period in periods:
            if not period.decision.has_primary:
                totals[specialty_id] = totals.get(specialty_id, 0.0) + (period.ends_at - period.starts_at).total_seconds()
    return totals
