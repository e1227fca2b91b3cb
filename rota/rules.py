"""The rota's overlap rules, decided once for the pages, the API, ``flask rota import`` and the command line.

Two single shifts, a shift and the calendar, a leave and the senior's other leave are judged here and
nowhere else; :mod:`rota.operations` raises what these functions find (so the pages and the API refuse
with the same code and field), and :mod:`rota.imports` turns the same findings into line errors and
warnings.

=====================  =========================================================  ==================
finding                what                                                       severity
=====================  =========================================================  ==================
``shift_overlap``      one senior, one specialty, two overlapping single shifts   refused
``leave_overlap``      a senior's leave overlapping another leave of theirs       refused
``second_primary``     two seniors primary by single shifts on the same stretch   confirm first
``long_past``          a change that ended more than :data:`PAST_DAYS` days ago   confirm first
``two_specialties``    one senior on single shifts of two specialties at once     warning only
=====================  =========================================================  ==================

*Refused*: nobody can save it. *Confirm first*: a person (a page, an API client) must say they mean it
(``confirmed=True``: a second confirm step on the page, ``confirm=true`` in the API); the hospital's IT
(the command line, an import) and Recours itself (the demo, a migration) are taken to mean it, and an
import lists it as a warning. Two primaries are allowed by the precedence rule (both are rung, oldest
shift first), but are usually a slip: a second primary meant as a backup. The past is kept as it was
(the call log recorded who was rung), so a change far in the past is usually a mistyped year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core import clock
from core.actor import Actor, ActorKind
from rota.models import DutySlot, Layer, Leave, Senior
from rota.precedence import MAX_SINGLE_SHIFT

PAST_DAYS = 31
REFUSED, CONFIRM, WARNING = "refused", "confirm", "warning"
SEVERITY = {
    "shift_overlap": REFUSED,
    "leave_overlap": REFUSED,
    "second_primary": CONFIRM,
    "long_past": CONFIRM,
    "two_specialties": WARNING,
}
# People confirm; IT's commands and Recours itself are taken to mean what they write.
CONFIRMED_BY_DEFAULT = frozenset({ActorKind.CLI, ActorKind.SYSTEM, ActorKind.SCHEDULER})


@dataclass(frozen=True)
class Finding:
    """One rule a change breaks: its code (in :class:`rota.operations.RotaError`), the field, the params
    of its message and the row it clashes with (an id, or None)."""

    code: str
    field: str
    params: dict[str, Any] = field(default_factory=dict)
    other_id: int | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]


@dataclass(frozen=True)
class ShiftPlan:
    """A single shift as it would be saved (``shift_id`` when it is an existing one being changed)."""

    specialty_id: int
    senior_id: int
    layer: Layer
    starts_at: datetime
    ends_at: datetime
    shift_id: int | None = None


def pair(a: ShiftPlan, b: ShiftPlan) -> str | None:
    """The rule two single shifts break together, if any: the one place that says it."""
    if not (a.starts_at < b.ends_at and b.starts_at < a.ends_at):
        return None
    if a.senior_id == b.senior_id:
        return "shift_overlap" if a.specialty_id == b.specialty_id else "two_specialties"
    if a.specialty_id == b.specialty_id and a.layer is Layer.PRIMARY and b.layer is Layer.PRIMARY:
        return "second_primary"
    return None


def confirmed(actor: Actor, confirmation: bool | None) -> bool:
    return actor.kind in CONFIRMED_BY_DEFAULT if confirmation is None else confirmation


def long_past(ends_at: datetime, now: datetime | None = None) -> Finding | None:
    now = now or clock.now()
    if ends_at < now - timedelta(days=PAST_DAYS):
        return Finding("long_past", "starts_at", {"days": PAST_DAYS})
    return None


def existing_shifts(session: Session, plans: Iterable[ShiftPlan]) -> list[ShiftPlan]:
    """The saved single shifts that could clash with ``plans``: the same seniors', or the same
    specialties' primaries, over their span (a bounded range: a shift lasts at most 8 days)."""
    plans = list(plans)
    if not plans:
        return []
    low = min(p.starts_at for p in plans)
    high = max(p.ends_at for p in plans)
    seniors = {p.senior_id for p in plans}
    specialties = {p.specialty_id for p in plans if p.layer is Layer.PRIMARY}
    related = DutySlot.senior_id.in_(seniors)
    if specialties:
        related = or_(related, and_(DutySlot.specialty_id.in_(specialties), DutySlot.layer == Layer.PRIMARY))
    query = select(DutySlot.id, DutySlot.specialty_id, DutySlot.senior_id, DutySlot.layer, DutySlot.starts_at, DutySlot.ends_at).where(
        DutySlot.starts_at < high, DutySlot.starts_at > low - MAX_SINGLE_SHIFT, DutySlot.ends_at > low, related
    )
    return [ShiftPlan(spec, senior, Layer(layer), s, e, sid) for sid, spec, senior, layer, s, e in session.execute(query)]


def shift_findings(session: Session, plan: ShiftPlan) -> list[Finding]:
    """Every rule ``plan`` breaks against the saved rota (itself excluded when it is being changed)."""
    found: list[Finding] = []
    for other in existing_shifts(session, [plan]):
        if other.shift_id == plan.shift_id:
            continue
        code = pair(plan, other)
        if code is None:
            continue
        name = session.scalar(select(Senior.full_name).where(Senior.id == other.senior_id))
        params = {"name": name, "shift_id": other.shift_id, "starts_at": other.starts_at, "ends_at": other.ends_at}
        found.append(Finding(code, "starts_at" if code != "second_primary" else "layer", params, other.shift_id))
    past = long_past(plan.ends_at)
    if past is not None:
        found.append(past)
    return found


def leave_findings(session: Session, senior_id: int, starts_at: datetime, ends_at: datetime, leave_id: int | None = None) -> list[Finding]:
    """Leave overlapping another of the same senior's (twice the same leave, or a second one on top)."""
    found = [
        Finding("leave_overlap", "starts_at", {"leave_id": lid, "starts_at": s, "ends_at": e}, lid)
        for lid, s, e in session.execute(
            select(Leave.id, Leave.starts_at, Leave.ends_at)
            .where(Leave.senior_id == senior_id, Leave.starts_at < ends_at, Leave.ends_at > starts_at)
            .order_by(Leave.starts_at)
        )
        if lid != leave_id
    ]
    past = long_past(ends_at)
    if past is not None:
        found.append(past)
    return found


def period_findings(ends_at: datetime) -> list[Finding]:
    """What any other period (an override) is judged on."""
    past = long_past(ends_at)
    return [past] if past is not None else []


def blocking(findings: Iterable[Finding], actor: Actor, confirmation: bool | None) -> Finding | None:
    """The first finding that stops the change: a refusal, or a confirm-first one not confirmed."""
    ok = confirmed(actor, confirmation)
    for finding in findings:
        if finding.severity == REFUSED or (finding.severity == CONFIRM and not ok):
            return finding
    return None
