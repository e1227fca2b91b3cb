"""What happens after "allô" (issue 14), per specialty and local month, and per senior: deferrals and
their promises (kept before the deadline, broken, not yet due), and what came of the conversations as
the seniors said (calllog/conversation.py).

Counted per local day like the calls (:class:`reports.models.FollowUpSummary`), in SQL: the days whose
follow-up is summarised from the summary, the others (the last nine days or so: a senior may answer for a
week) from the call log through the same grouping (:func:`follow_up_from_log`), so a year's report reads
a few thousand summary rows, not millions of calls. A deferral's promise is judged as at the summary
(kept and broken are final by then: the deadline of a deferral is minutes after the call), or as at the
report for the days read from the log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallOutcome, ConversationOutcome
from reports.models import DEFERRED, NO_REQUEST, SAID, TAKEN, FollowUpSummary
from reports.period import EPOCH_DAY, MICROSECONDS_PER_DAY, Period, epoch_us
from reports.queries import _started_in
from reports.scope import Scope
from reports.sql import EpochMicroseconds, integer, local_microseconds
from rota.models import Senior

NOT_ANSWERED = "not_answered"  # the senior has not said what came of it (yet)
CONVERSATION_KEYS: tuple[str, ...] = (*(o.value for o in ConversationOutcome), NOT_ANSWERED)


@dataclass
class MonthFigures:
    month: str  # "2026-03", local
    specialty: str
    connected: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CONVERSATION_KEYS, 0))
    deferred: int = 0
    kept: int = 0
    broken: int = 0

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "specialty": self.specialty,
            "connected": self.connected,
            "conversation_outcomes": dict(self.outcomes),
            "deferred": self.deferred,
            "promises_kept": self.kept,
            "promises_broken": self.broken,
        }


@dataclass
class PromiseFigures:
    senior: str
    taken: int = 0  # calls this senior accepted and was put through
    deferred: int = 0
    kept: int = 0
    broken: int = 0
    pending: int = 0  # open, deadline not reached yet

    def as_json(self) -> dict:
        return {
            "senior": self.senior,
            "taken": self.taken,
            "deferred": self.deferred,
            "kept": self.kept,
            "broken": self.broken,
            "pending": self.pending,
        }


@dataclass
class FollowUp:
    months: list[MonthFigures] = field(default_factory=list)
    promises: list[PromiseFigures] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"by_specialty_and_month": [m.as_json() for m in self.months], "promises_by_senior": [p.as_json() for p in self.promises]}


def promise_state(request: CallbackRequest, now: datetime) -> str:
    """ "kept" (called back before the deadline), "broken" (after it, or not at all and it has passed) or
    "pending". The deadline is the request's own, or the promised minutes when not yet announced."""
    deadline = request.deadline_at or request.requested_at + timedelta(minutes=request.promised_minutes or 0)
    if request.done_at is not None:
        return "kept" if request.done_at < deadline else "broken"
    return "broken" if now >= deadline else "pending"


def _promise(now: datetime) -> ColumnElement[str]:
    """:func:`promise_state` of the joined callback request, in SQL (``no_request`` without one)."""
    request = CallbackRequest
    deadline_us = func.coalesce(
        EpochMicroseconds(request.deadline_at),
        EpochMicroseconds(request.requested_at)
        + cast(func.coalesce(request.promised_minutes, integer(0)), BigInteger) * integer(60_000_000),
    )
    return case(
        (request.id.is_(None), literal(NO_REQUEST, String)),
        (
            request.done_at.is_not(None),
            case((EpochMicroseconds(request.done_at) < deadline_us, literal("kept", String)), else_=literal("broken", String)),
        ),
        (integer(epoch_us(now)) >= deadline_us, literal("broken", String)),
        else_=literal("pending", String),
    )


def _outcome_is(outcome: CallOutcome) -> ColumnElement[bool]:
    # Written into the SQL, as the partial index ix_call_follow_up is, so that the planner may use it.
    return type_coerce(Call.outcome, String) == literal_column(f"'{outcome.value}'", String)


def _grouped(
    scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]], outcome: CallOutcome, senior, fact: str, value, joined
) -> Select:
    """(local_day, specialty_key, senior_key, fact, value, calls) of the calls of ``outcome`` started in ``intervals``."""
    keys = ("local_day", "specialty_key", "senior_key", "fact", "value")
    inner = joined(
        select(
            (local_microseconds(Call.started_at, period) // integer(MICROSECONDS_PER_DAY)).label("local_day"),
            func.coalesce(Call.specialty_id, integer(0)).label("specialty_key"),
            func.coalesce(senior, integer(0)).label("senior_key"),
            literal(fact, String).label("fact"),
            value.label("value"),
        )
    ).where(_started_in(Call.started_at, intervals), scope.calls_filter(Call.specialty_id), _outcome_is(outcome))
    c = inner.subquery().c
    return select(*(c[k] for k in keys), func.count().label("calls")).group_by(*(c[k] for k in keys))


def taken_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """The :data:`TAKEN` rows of :class:`FollowUpSummary`: connected calls by the senior who accepted."""
    return _grouped(
        scope,
        period,
        intervals,
        CallOutcome.CONNECTED,
        Attempt.senior_id,
        TAKEN,
        literal("", String),
        lambda q: q.outerjoin(Attempt, (Attempt.call_id == Call.id) & (Attempt.result == AttemptResult.ACCEPTED)),
    )


def follow_up_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]], now: datetime) -> CompoundSelect:
    """The :data:`SAID` and :data:`DEFERRED` rows of :class:`FollowUpSummary`, promises judged as at
    ``now``. The connected calls are read from ``ix_call_follow_up`` alone; the deferrals find their
    request by call."""
    said = _grouped(
        scope,
        period,
        intervals,
        CallOutcome.CONNECTED,
        integer(0),
        SAID,
        func.coalesce(type_coerce(Call.conversation_outcome, String), literal(NOT_ANSWERED, String)),
        lambda q: q,
    )
    deferred = _grouped(
        scope,
        period,
        intervals,
        CallOutcome.DEFERRED,
        CallbackRequest.promised_by_senior_id,
        DEFERRED,
        _promise(now),
        lambda q: q.outerjoin(CallbackRequest, CallbackRequest.call_id == Call.id),
    )
    return union_all(said, deferred)


def _month_index(local_day: ColumnElement, period: Period) -> tuple[ColumnElement[int], list[str]]:
    """The period's local month of ``local_day`` (0 for the first) as a CASE over the months' first days,
    and the months' names ("2026-03")."""
    months, starts = [], []
    day = period.first_day.replace(day=1)
    while day <= period.last_day:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
        starts.append((day - EPOCH_DAY).days)
    if len(months) == 1:  # an expression, not the constant 0, which GROUP BY would read as a column number
        return local_day * integer(0), months
    return case(*((local_day < integer(start), integer(n)) for n, start in enumerate(starts[:-1])), else_=integer(len(months) - 1)), months


def follow_up(
    session: Session,
    scope: Scope,
    now: datetime,
    specialty_names: dict[int, str],
    summarised: tuple[int, int] | None = None,
    live: Sequence[tuple[datetime, datetime]] | None = None,
    follow_up_live: Sequence[tuple[datetime, datetime]] | None = None,
) -> FollowUp:
    """The figures of ``scope``: the rows of :class:`FollowUpSummary` of local days ``summarised``
    (first and last day index; None to read none), and from the log the :data:`TAKEN` rows over the
    UTC intervals ``live`` (the days not summarised), the others over ``follow_up_live`` (the days whose
    follow-up is not summarised); None for either: the whole period."""
    period = scope.period
    whole = [(period.start, period.end)]
    parts = []
    if summarised is not None:
        summary = FollowUpSummary
        parts.append(
            select(summary.local_day, summary.specialty_key, summary.senior_key, summary.fact, summary.value, summary.calls).where(
                summary.zone == period.zone.key,
                summary.local_day >= summarised[0],
                summary.local_day <= summarised[1],
                scope.calls_filter(summary.specialty_key),
            )
        )
    live = whole if live is None else list(live)
    if live:
        parts.append(taken_from_log(scope, period, live))
    follow_up_live = whole if follow_up_live is None else list(follow_up_live)
    if follow_up_live:
        log = follow_up_from_log(scope, period, follow_up_live, now).subquery()
        parts.append(select(*log.c))
    if not parts:
        return FollowUp()
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    c = rows.c
    month, month_names = _month_index(c.local_day, period)
    month = month.label("month")
    keys = (month, c.specialty_key, c.senior_key, c.fact, c.value)
    grouped = session.execute(select(*keys, func.sum(c.calls)).group_by(*keys)).all()

    months: dict[tuple[str, int], MonthFigures] = {}
    seniors: dict[int, PromiseFigures] = defaultdict(lambda: PromiseFigures(""))
    for index, specialty_key, senior_key, fact, value, count in grouped:
        count = int(count)
        if fact == TAKEN:
            seniors[senior_key].taken += count
            continue
        name = month_names[index]
        if (name, specialty_key) not in months:
            months[name, specialty_key] = MonthFigures(name, specialty_names.get(specialty_key, f"#{specialty_key}"))
        figures = months[name, specialty_key]
        if fact == SAID:
            figures.connected += count
            figures.outcomes[value] = figures.outcomes.get(value, 0) + count
        elif value != NO_REQUEST:  # a deferral without its request counts for its month, names nobody
            figures.deferred += count
            figures.kept += count if value == "kept" else 0
            figures.broken += count if value == "broken" else 0
            who = seniors[senior_key]
            who.deferred += count
            setattr(who, value, getattr(who, value) + count)
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_([k for k in seniors if k]))).all())
    for senior_id, figures in seniors.items():
        figures.senior = names.get(senior_id, "—")
    return FollowUp(
        months=[months[k] for k in sorted(months, key=lambda k: (k[0], months[k].specialty))],
        promises=sorted(seniors.values(), key=lambda p: (-p.broken, -p.deferred, p.senior)),
    )
