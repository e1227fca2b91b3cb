"""The report's reads: each figure is one grouped query over the summary tables of the summarised days
plus the same grouping of the call log itself for the days not summarised (UNION ALL).

The call-log side (``*_from_log``) is also what :mod:`reports.summaries` inserts into the summary tables,
so a summarised day and a live day are counted by the very same SQL. Times are integers (see
:mod:`reports.sql`): both databases return the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from calllog.models import Attempt, Call, CallbackRequest, CallbackStatus, CallOutcome
from reports.definitions import IN_PROGRESS, UNANSWERED_OUTCOMES
from reports.models import (
    DEADLINE_MET,
    DEADLINE_MISSED,
    NO_DEADLINE,
    NOT_DONE,
    AttemptsSummary,
    CallbacksSummary,
    CallHoursSummary,
    CallsSummary,
    DurationsSummary,
)
from reports.period import MICROSECONDS_PER_DAY, MICROSECONDS_PER_HOUR, Period
from reports.scope import Scope
from reports.sql import EpochMicroseconds, integer, local_microseconds

# The deadline column the callbacks package adds to callback_request; without it the default applies.
DEADLINE_COLUMN = getattr(CallbackRequest, "deadline_at", None)

# A call whose specialty had nobody on duty keeps an empty hunt list (ivr.flow.start_hunt); json.dumps
# wrote it "[]" on both databases.
HUNT_LIST_EMPTY = cast(Call.hunt, Text) == literal_column("'[]'")

FIRST_RING, CONNECTION = "first_ring", "connection"


@dataclass(frozen=True)
class Sources:
    """Where a report's rows come from: the summary tables for local days ``first_index`` through
    ``last_index`` of ``zone`` (only summarised days have rows), and the call log over ``live``, the
    UTC intervals of the days that are not summarised. Callback requests are summarised by the day they
    were done, which may follow the period: ``live_done`` holds the UTC intervals, from the period's
    first day on, of the days not summarised (the last one without an end)."""

    period: Period
    first_index: int
    last_index: int
    live: tuple[tuple[datetime, datetime], ...]
    use_summaries: bool
    live_done: tuple[tuple[datetime, datetime | None], ...] = ()
    # What came after the calls (reports.follow_up) is sealed later: its own summarised days and live intervals.
    follow_up_summarised: bool = False
    follow_up_live: tuple[tuple[datetime, datetime], ...] | None = None

    @property
    def zone(self) -> str:
        return self.period.zone.key


def _started_in(column: ColumnElement, intervals: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    if not intervals:
        return false()
    return or_(*((column >= start) & (column < end) for start, end in intervals))


def _specialty_key(column: ColumnElement) -> ColumnElement[int]:
    # 0 written into the SQL (not bound), so GROUP BY repeats exactly the selected expression.
    return func.coalesce(column, integer(0))


def _text_or(column: ColumnElement, default: str) -> ColumnElement[str]:
    # The enum column read as plain text, so that "in_progress" is not mistaken for an outcome.
    return func.coalesce(type_coerce(column, String), literal(default, String))


# -- the call log, grouped as the summary tables are ----------------------------------------------------


def calls_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """(local_day, specialty_key, outcome, calls, found_nobody_on_duty) of the calls started in ``intervals``."""
    local = local_microseconds(Call.started_at, period)
    inner = (
        select(
            (local // integer(MICROSECONDS_PER_DAY)).label("local_day"),
            _specialty_key(Call.specialty_id).label("specialty_key"),
            _text_or(Call.outcome, IN_PROGRESS).label("outcome"),
            case((HUNT_LIST_EMPTY, 1), else_=0).label("nobody"),
        )
        .where(_started_in(Call.started_at, intervals), scope.calls_filter(Call.specialty_id))
        .subquery()
    )
    c = inner.c
    return select(
        c.local_day, c.specialty_key, c.outcome, func.count().label("calls"), func.sum(c.nobody).label("found_nobody_on_duty")
    ).group_by(c.local_day, c.specialty_key, c.outcome)


def call_hours_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """(local_day, specialty_key, hour, calls, connected)."""
    inner = (
        select(
            local_microseconds(Call.started_at, period).label("local_us"),
            _specialty_key(Call.specialty_id).label("specialty_key"),
            case((Call.outcome == CallOutcome.CONNECTED, 1), else_=0).label("connected"),
        )
        .where(_started_in(Call.started_at, intervals), scope.calls_filter(Call.specialty_id))
        .subquery()
    )
    c = inner.c
    local_day = (c.local_us // integer(MICROSECONDS_PER_DAY)).label("local_day")
    hour = ((c.local_us // integer(MICROSECONDS_PER_HOUR)) % integer(24)).label("hour")
    return select(local_day, c.specialty_key, hour, func.count().label("calls"), func.sum(c.connected).label("connected")).group_by(
        local_day, c.specialty_key, hour
    )


def durations_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """(local_day, specialty_key, metric, seconds, calls): whole seconds to first ring and to connection."""
    selects = []
    for metric, end in ((FIRST_RING, Call.first_ringing_at), (CONNECTION, Call.connected_at)):
        inner = (
            select(
                (local_microseconds(Call.started_at, period) // integer(MICROSECONDS_PER_DAY)).label("local_day"),
                _specialty_key(Call.specialty_id).label("specialty_key"),
                # Integer division: the fraction of a second is dropped, on both databases alike.
                ((EpochMicroseconds(end) - EpochMicroseconds(Call.started_at)) // integer(1_000_000)).label("seconds"),
            )
            .where(_started_in(Call.started_at, intervals), scope.calls_filter(Call.specialty_id), end.is_not(None))
            .subquery()
        )
        c = inner.c
        selects.append(
            select(c.local_day, c.specialty_key, literal(metric, String).label("metric"), c.seconds, func.count().label("calls")).group_by(
                c.local_day, c.specialty_key, c.seconds
            )
        )
    return union_all(*selects)


def attempts_from_log(scope: Scope, period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """(local_day, specialty_key, senior_key, result, attempts) of the attempts of the calls started in ``intervals``."""
    inner = (
        select(
            (local_microseconds(Call.started_at, period) // integer(MICROSECONDS_PER_DAY)).label("local_day"),
            _specialty_key(Call.specialty_id).label("specialty_key"),
            func.coalesce(Attempt.senior_id, integer(0)).label("senior_key"),
            _text_or(Attempt.result, IN_PROGRESS).label("result"),
        )
        .join(Call, Call.id == Attempt.call_id)
        .where(_started_in(Call.started_at, intervals), scope.calls_filter(Call.specialty_id))
        .subquery()
    )
    c = inner.c
    return select(c.local_day, c.specialty_key, c.senior_key, c.result, func.count().label("attempts")).group_by(
        c.local_day, c.specialty_key, c.senior_key, c.result
    )


# -- summary tables and call log together -----------------------------------------------------------------


def _combined(scope: Scope, sources: Sources, table, from_log) -> Select:
    """The summary rows of the period plus the call log's rows for the days not summarised, as one subquery."""
    columns = [col for col in table.__table__.columns if col.name != "zone"]
    parts = []
    if sources.use_summaries:
        parts.append(
            select(*columns).where(
                table.zone == sources.zone,
                table.local_day >= sources.first_index,
                table.local_day <= sources.last_index,
                scope.calls_filter(table.specialty_key),
            )
        )
    if sources.live:
        log = from_log(scope, sources.period, sources.live).subquery()
        parts.append(select(*(log.c[col.name] for col in columns)))
    if not parts:  # pragma: no cover - a period has at least one day, summarised or not
        raise ValueError("no source")
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def _week(local_day: ColumnElement) -> ColumnElement[int]:
    # Weeks since Monday 1969-12-29 (1970-01-01 was a Thursday): integer arithmetic, same on both databases.
    return (local_day + integer(3)) // integer(7)


def calls_by_week(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, str, int, int]]:
    """(week index, outcome, calls, found nobody on duty)."""
    rows = _combined(scope, sources, CallsSummary, calls_from_log)
    week = _week(rows.c.local_day).label("week")
    query = select(week, rows.c.outcome, func.sum(rows.c.calls), func.sum(rows.c.found_nobody_on_duty)).group_by(week, rows.c.outcome)
    return [(w, o, int(n), int(k)) for w, o, n, k in session.execute(query)]


def calls_by_specialty(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, str, int, int]]:
    """(specialty key, outcome, calls, found nobody on duty)."""
    rows = _combined(scope, sources, CallsSummary, calls_from_log)
    query = select(rows.c.specialty_key, rows.c.outcome, func.sum(rows.c.calls), func.sum(rows.c.found_nobody_on_duty)).group_by(
        rows.c.specialty_key, rows.c.outcome
    )
    return [(s, o, int(n), int(k)) for s, o, n, k in session.execute(query)]


def calls_by_weekday_and_hour(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, int, int, int]]:
    """(weekday, Monday = 0; local hour; calls; connected)."""
    rows = _combined(scope, sources, CallHoursSummary, call_hours_from_log)
    weekday = ((rows.c.local_day + integer(3)) % integer(7)).label("weekday")
    query = select(weekday, rows.c.hour, func.sum(rows.c.calls), func.sum(rows.c.connected)).group_by(weekday, rows.c.hour)
    return [(d, h, int(n), int(k)) for d, h, n, k in session.execute(query)]


def duration_histograms(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, str, int, int]]:
    """(specialty key, metric, whole seconds, calls)."""
    rows = _combined(scope, sources, DurationsSummary, durations_from_log)
    query = select(rows.c.specialty_key, rows.c.metric, rows.c.seconds, func.sum(rows.c.calls)).group_by(
        rows.c.specialty_key, rows.c.metric, rows.c.seconds
    )
    return [(s, m, int(sec), int(n)) for s, m, sec, n in session.execute(query)]


def attempts_by_senior(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, int, str, int]]:
    """(specialty key, senior key, result, attempts)."""
    rows = _combined(scope, sources, AttemptsSummary, attempts_from_log)
    query = select(rows.c.specialty_key, rows.c.senior_key, rows.c.result, func.sum(rows.c.attempts)).group_by(
        rows.c.specialty_key, rows.c.senior_key, rows.c.result
    )
    return [(s, k, r, int(n)) for s, k, r, n in session.execute(query)]


def attempts_by_week(session: Session, scope: Scope, sources: Sources) -> list[tuple[int, str, int]]:
    """(week index, result, attempts)."""
    rows = _combined(scope, sources, AttemptsSummary, attempts_from_log)
    week = _week(rows.c.local_day).label("week")
    query = select(week, rows.c.result, func.sum(rows.c.attempts)).group_by(week, rows.c.result)
    return [(w, r, int(n)) for w, r, n in session.execute(query)]


# -- callback requests: the done ones summarised by the day they were done, the others from the log -------

_DONE = CallbackRequest.status == literal_column("'done'")
# Spelled as the partial index ix_callback_request_not_done is, so that the planner may use it.
_NOT_DONE = literal_column(NOT_DONE, Boolean)


@dataclass(frozen=True)
class CallbackGroup:
    """Callback requests of one specialty alike in status, deadline and wait: ``requests`` of them."""

    specialty_key: int
    status: str
    overdue: bool  # open, and the deadline has come
    late: bool  # done at or after the deadline
    waited_minutes: int | None  # done: whole minutes from request to done
    requests: int


def _waited_us() -> ColumnElement[int]:
    return EpochMicroseconds(CallbackRequest.done_at) - EpochMicroseconds(CallbackRequest.requested_at)


MICROSECONDS_PER_MINUTE = 60_000_000


def _waited_minutes() -> ColumnElement[int]:
    # Integer division: whole minutes, the fraction dropped, on both databases alike.
    return _waited_us() // integer(MICROSECONDS_PER_MINUTE)


def callbacks_done_from_log(done_period: Period, requested_period: Period, intervals: Sequence[tuple[datetime, datetime]]) -> Select:
    """(local_day, specialty_key, requested_day, deadline, waited_minutes, requests) of the requests done
    in ``intervals``: the rows of :class:`reports.models.CallbacksSummary`. ``local_day`` is the local
    day they were done on, read with the offsets of ``done_period``; ``requested_day`` the day they were
    requested on, read with those of ``requested_period`` (from the earliest of them)."""
    request = CallbackRequest
    if DEADLINE_COLUMN is None:
        deadline = integer(NO_DEADLINE)
    else:
        deadline = case(
            (DEADLINE_COLUMN.is_(None), integer(NO_DEADLINE)),
            (request.done_at >= DEADLINE_COLUMN, integer(DEADLINE_MISSED)),
            else_=integer(DEADLINE_MET),
        )
    inner = (
        select(
            (local_microseconds(request.done_at, done_period) // integer(MICROSECONDS_PER_DAY)).label("local_day"),
            _specialty_key(request.specialty_id).label("specialty_key"),
            (local_microseconds(request.requested_at, requested_period) // integer(MICROSECONDS_PER_DAY)).label("requested_day"),
            deadline.label("deadline"),
            _waited_minutes().label("waited_minutes"),
        )
        .where(_DONE, _started_in(request.done_at, intervals))
        .subquery()
    )
    c = inner.c
    return select(c.local_day, c.specialty_key, c.requested_day, c.deadline, c.waited_minutes, func.count().label("requests")).group_by(
        c.local_day, c.specialty_key, c.requested_day, c.deadline, c.waited_minutes
    )


def _done_in(column: ColumnElement, intervals: Sequence[tuple[datetime, datetime | None]]) -> ColumnElement[bool]:
    if not intervals:
        return false()
    return or_(*((column >= start) if end is None else ((column >= start) & (column < end)) for start, end in intervals))


def callback_groups(session: Session, scope: Scope, sources: Sources, now: datetime, default_deadline: timedelta) -> list[CallbackGroup]:
    """The requests made in the period, in one statement: the done ones of summarised days from the
    summary table, the others (open, or done on a day not summarised yet) from the log. Deadlines are
    compared on the columns themselves (no conversion per row) wherever the request has its own; the
    default is applied by arithmetic. Waits are counted in whole minutes, so the default deadline must be
    whole minutes (``CALLBACK_DEADLINE_MINUTES``): a summarised wait then tells late from on time exactly
    (``minutes >= D`` is ``microseconds >= D minutes``)."""
    request = CallbackRequest
    waited_us = _waited_us()
    default_minutes, remainder = divmod(int(default_deadline.total_seconds() * 1_000_000), MICROSECONDS_PER_MINUTE)
    if remainder:
        raise ValueError(f"the default callback deadline must be whole minutes, got {default_deadline}")
    default_us = integer(default_minutes * MICROSECONDS_PER_MINUTE)
    if DEADLINE_COLUMN is None:
        reached = request.requested_at <= now - default_deadline
        late = waited_us >= default_us
    else:
        reached = or_(now >= DEADLINE_COLUMN, DEADLINE_COLUMN.is_(None) & (request.requested_at <= now - default_deadline))
        late = or_(request.done_at >= DEADLINE_COLUMN, DEADLINE_COLUMN.is_(None) & (waited_us >= default_us))
    is_open, is_done = request.status == CallbackStatus.OPEN, request.status == CallbackStatus.DONE
    requested_in = _started_in(request.requested_at, [(scope.period.start, scope.period.end)]) & scope.calls_filter(request.specialty_id)
    # Not summarised: not done (ix_callback_request_not_done), or done on a day not summarised (the last
    # day or two: ix_callback_request_done_at); two disjoint branches, so each is one index's range.
    wheres = [requested_in]
    if sources.use_summaries:
        wheres = [requested_in & _NOT_DONE, requested_in & is_done & _done_in(request.done_at, sources.live_done)]
    columns = (
        _specialty_key(request.specialty_id).label("key"),
        _text_or(request.status, "").label("status"),
        case((is_open & reached, 1), else_=0).label("overdue"),
        case((is_done & late, 1), else_=0).label("late"),
        case((is_done, _waited_minutes()), else_=None).label("waited"),
        literal_column("1", Integer).label("requests"),
    )
    live = union_all(*(select(*columns).where(where) for where in wheres)).subquery()
    parts = [select(*live.c)]
    if sources.use_summaries:
        summary = CallbacksSummary
        parts.append(
            select(
                summary.specialty_key.label("key"),
                literal_column("'done'", String).label("status"),
                literal_column("0", Integer).label("overdue"),
                case(
                    (summary.deadline == integer(DEADLINE_MISSED), 1),
                    ((summary.deadline == integer(NO_DEADLINE)) & (summary.waited_minutes >= integer(default_minutes)), 1),
                    else_=0,
                ).label("late"),
                summary.waited_minutes.label("waited"),
                summary.requests.label("requests"),
            ).where(
                summary.zone == sources.zone,
                summary.requested_day >= sources.first_index,
                summary.requested_day <= sources.last_index,
                scope.calls_filter(summary.specialty_key),
            )
        )
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    c = rows.c
    keys = (c.key, c.status, c.overdue, c.late, c.waited)
    query = select(*keys, func.sum(c.requests)).group_by(*keys)
    return [
        CallbackGroup(key, status, bool(overdue), bool(late), waited, int(n))
        for key, status, overdue, late, waited, n in session.execute(query)
    ]


# -- unanswered calls: a page of the log ---------------------------------------------------------------------


def _unanswered_filter(scope: Scope) -> ColumnElement[bool]:
    return (
        _started_in(Call.started_at, [(scope.period.start, scope.period.end)])
        & scope.calls_filter(Call.specialty_id)
        & Call.specialty_id.is_not(None)
        & Call.outcome.in_(UNANSWERED_OUTCOMES)
    )


def unanswered_calls(session: Session, scope: Scope, limit: int, offset: int = 0) -> Sequence[Call]:
    """One page of them, newest first, with their attempts and callback request loaded."""
    return session.scalars(
        select(Call)
        .where(_unanswered_filter(scope))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Call.attempts), selectinload(Call.callback))
    ).all()
