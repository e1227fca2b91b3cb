"""The live board's figures: calls in progress now (and which senior is ringing), today's answer rate
and time to connect, open and overdue callback requests, and the gaps of the next 24 hours.

Today's figures are the reports' own (:func:`reports.figures.summary_report` over today's local day), so
the board and the reports never disagree. :func:`live_board` takes a few milliseconds on a day of calls;
the SSE stream (``web.live_board``) shares one result per scope among every open board of a process.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callbacks.queries import count_open
from calllog.models import Call
from reports.figures import summary_report
from reports.period import Period
from reports.scope import ScopeError, resolve_scope
from rota.coverage import coverage
from rota.models import Senior, Specialty

# A call Twilio never reported the end of (a lost status callback) stops being "in progress" after this:
# Twilio's own limit on a call is 4 hours.
STALE_AFTER = timedelta(hours=4)
GAP_HORIZON = timedelta(hours=24)


@dataclass(frozen=True)
class CallNow:
    call_id: int
    started_at: datetime
    specialty: str | None
    state: str  # "menu", "hunting", "ringing", "connected", "message", "switchboard"
    senior: str | None = None  # who is ringing, or connected
    layer: str | None = None
    rank: int | None = None  # 0 for the first senior of the hunt


@dataclass(frozen=True)
class GapAhead:
    specialty: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class LiveBoard:
    at: datetime
    in_progress: list[CallNow] = field(default_factory=list)
    calls_today: int = 0
    connected_today: int = 0
    answer_rate: float | None = None
    connect_median: float | None = None
    connect_p90: float | None = None
    callbacks_open: int = 0
    callbacks_overdue: int = 0
    gaps: list[GapAhead] = field(default_factory=list)
    problem: str | None = None  # today's figures could not be made (e.g. departments in two zones)

    def fingerprint(self) -> tuple:
        """What the screen shows, minus the clock: an unchanged board is not sent again."""
        return (
            tuple(self.in_progress),
            self.calls_today,
            self.connected_today,
            self.answer_rate,
            self.connect_median,
            self.connect_p90,
            self.callbacks_open,
            self.callbacks_overdue,
            tuple(self.gaps),
            self.problem,
        )


def _state_of(call: Call, names: dict[int, str]) -> CallNow:
    specialty = None
    if call.ended_at is None and call.connected_at is not None:
        accepted = next((a for a in call.attempts if a.accepted_at is not None), None)
        senior = names.get(accepted.senior_id) if accepted and accepted.senior_id else None
        return CallNow(call.id, call.started_at, specialty, "connected", senior, accepted.layer if accepted else None)
    if call.callback is not None:
        return CallNow(call.id, call.started_at, specialty, "message")
    if call.switchboard_at is not None:
        return CallNow(call.id, call.started_at, specialty, "switchboard")
    if call.specialty_id is None:
        return CallNow(call.id, call.started_at, specialty, "menu")
    ringing = [a for a in call.attempts if a.ended_at is None and a.result is None]
    if ringing:
        a = ringing[-1]
        return CallNow(call.id, call.started_at, specialty, "ringing", names.get(a.senior_id) if a.senior_id else None, a.layer, a.rank)
    return CallNow(call.id, call.started_at, specialty, "hunting")


def live_board(session: Session, now: datetime, visible_department_ids: Collection[int] | None) -> LiveBoard:
    """The board as at ``now`` for a user who sees these departments (None: the whole hotline)."""
    board = LiveBoard(now)
    query = select(Specialty)
    if visible_department_ids is not None:
        query = query.where(Specialty.department_id.in_(sorted(visible_department_ids)))
    specialties = {s.id: s.name_fr for s in session.scalars(query)}
    specialty_ids = None if visible_department_ids is None else frozenset(specialties)

    calls = select(Call).where(Call.ended_at.is_(None), Call.started_at > now - STALE_AFTER, Call.started_at <= now)
    if specialty_ids is not None:
        calls = calls.where(Call.specialty_id.in_(sorted(specialty_ids)))
    rows = session.scalars(calls.order_by(Call.started_at).options(selectinload(Call.attempts), selectinload(Call.callback))).all()
    senior_ids = sorted({a.senior_id for c in rows for a in c.attempts if a.senior_id is not None})
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(senior_ids))).all()) if senior_ids else {}
    for call in rows:
        state = _state_of(call, names)
        board.in_progress.append(
            CallNow(state.call_id, state.started_at, specialties.get(call.specialty_id), state.state, state.senior, state.layer, state.rank)
        )

    try:
        # The reports' four weeks to today, narrowed to today (the local day of the scope's zone).
        weeks = resolve_scope(session, None, None, visible_department_ids=visible_department_ids, now=now)
        today = weeks.period.last_day
        scope = replace(weeks, period=Period(today, today, weeks.period.zone))
        report = summary_report(session, scope, now)
    except ScopeError as exc:
        board.problem = str(exc)
    else:
        board.calls_today = report.calls.total
        board.connected_today = report.calls.counts.get("connected", 0)
        board.answer_rate = report.calls.rate("connected")
        board.connect_median, board.connect_p90 = report.to_connection.median, report.to_connection.p90

    board.callbacks_open, board.callbacks_overdue = count_open(session, now, specialty_ids)
    if specialties:
        gaps = coverage(session, now, now + GAP_HORIZON, sorted(specialties)).gaps
        board.gaps = [GapAhead(specialties[g.specialty_id], g.starts_at, g.ends_at) for g in gaps if g.specialty_id in specialties]
    return board
