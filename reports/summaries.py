"""Keeping the summary tables (:mod:`reports.models`): which days are summarised, and summarising them.

A local day is *sealed* once it ended :data:`SEAL_AFTER` ago: by then every call that started on it has
ended (Twilio ends a call after four hours at most) and its status callbacks have arrived, so its
figures no longer change. A report summarises the sealed days of its period that are not summarised yet
(the first report of a year takes seconds; the scheduler's nightly ``report-summaries`` job does it
ahead with :func:`summarise_sealed`, as ``flask report summarise`` can), and reads the other days from
the call log. On SQLite each day is summarised in its own short transaction, so the hotline's webhooks
never wait long for the write lock; PostgreSQL takes a month at a time (its row locks do not stand in
the webhooks' way).

A summarised day is not revisited. After a correction to the log of old days (or a change of a
specialty's department), ``flask report summarise --rebuild --from ... --to ...`` summarises them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from calllog.conversation import ANSWER_WINDOW, ASK_WINDOW
from calllog.models import Call, CallbackRequest
from core.db import insert_ignoring_duplicates
from reports import queries
from reports.follow_up import follow_up_from_log, taken_from_log
from reports.models import (
    SUMMARY_TABLES,
    AttemptsSummary,
    CallbacksSummary,
    CallHoursSummary,
    CallsSummary,
    DurationsSummary,
    FollowUpDay,
    FollowUpSummary,
    SummarisedDay,
)
from reports.period import EPOCH_DAY, MAX_DAYS, Period, local_midnight
from reports.scope import DEFAULT_ZONE, Scope
from rota.models import Department

SEAL_AFTER = timedelta(hours=24)
# What came of a conversation may be said for a week after the question, which is sent within 12 hours of
# the call's end: a day's follow-up is summarised once that is over for its calls (calls that last more
# than the sealing margin of a day are not a hotline's).
FOLLOW_UP_SEAL_AFTER = SEAL_AFTER + ASK_WINDOW + ANSWER_WINDOW
DAYS_PER_TRANSACTION = {"sqlite": 1, "postgresql": 31}

_FROM_LOG = (
    (CallsSummary, queries.calls_from_log),
    (CallHoursSummary, queries.call_hours_from_log),
    (DurationsSummary, queries.durations_from_log),
    (AttemptsSummary, queries.attempts_from_log),
    (FollowUpSummary, taken_from_log),  # who took the connected calls: final once the day is sealed
)


def day_index(day: date) -> int:
    return (day - EPOCH_DAY).days


def is_sealed(day: date, zone: ZoneInfo, now: datetime, after: timedelta = SEAL_AFTER) -> bool:
    return local_midnight(day + timedelta(days=1), zone) + after <= now


def summarised_days(session: Session, zone: ZoneInfo, first_day: date, last_day: date, marker=SummarisedDay) -> set[date]:
    """The days of ``marker`` (:class:`SummarisedDay`, or :class:`FollowUpDay`) from first to last."""
    indexes = session.scalars(
        select(marker.local_day).where(
            marker.zone == zone.key, marker.local_day >= day_index(first_day), marker.local_day <= day_index(last_day)
        )
    )
    return {EPOCH_DAY + timedelta(days=i) for i in indexes}


def _runs(days: list[date], longest: int) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs of at most ``longest`` days."""
    run: list[date] = []
    for day in sorted(days):
        if run and (day - run[-1] != timedelta(days=1) or len(run) == longest):
            yield run[0], run[-1]
            run = []
        run.append(day)
    if run:
        yield run[0], run[-1]


def summarise(session: Session, zone: ZoneInfo, first_day: date, last_day: date, now: datetime) -> int:
    """Summarise the sealed, not yet summarised days from ``first_day`` to ``last_day``; commits after
    each run of days. Returns how many days this call summarised (a concurrent report may do others)."""
    days = list(Period(first_day, last_day, zone).days())
    done = summarised_days(session, zone, first_day, last_day)
    wanted = [d for d in days if d not in done and is_sealed(d, zone, now)]
    followed = summarised_days(session, zone, first_day, last_day, FollowUpDay)
    wanted_follow_up = [d for d in days if d not in followed and is_sealed(d, zone, now, FOLLOW_UP_SEAL_AFTER)]
    session.rollback()  # end the read transaction before writing (SQLite takes its write lock at BEGIN)
    summarised = 0
    longest = DAYS_PER_TRANSACTION.get(session.get_bind().dialect.name, 1)
    for run, days_of in ((_summarise_run, wanted), (_summarise_follow_up_run, wanted_follow_up)):
        for run_first, run_last in _runs(days_of, longest):
            try:
                count = run(session, Period(run_first, run_last, zone), now)
                summarised += count if run is _summarise_run else 0
                session.commit()
            except BaseException:
                session.rollback()
                raise
    return summarised


def summarise_sealed(session: Session, now: datetime) -> dict[str, int]:
    """Summarise every sealed day not summarised yet, from the local day of the oldest call in the log
    to today, in each time zone the departments report in (what the scheduler does every night).
    Idempotent: a second run finds nothing to do. Returns the days summarised, by zone."""
    oldest = session.scalar(select(func.min(Call.started_at)))
    zones = sorted(set(session.scalars(select(Department.timezone).distinct())) or {DEFAULT_ZONE})
    session.rollback()
    if oldest is None:
        return {}
    done: dict[str, int] = {}
    for name in zones:
        zone = ZoneInfo(name)
        done[name] = summarise(session, zone, oldest.astimezone(zone).date(), now.astimezone(zone).date(), now)
    return done


def _claim_days(session: Session, model, period: Period, now: datetime) -> list:
    """The days of ``period`` this transaction claims in ``model`` (a row per zone and day): a concurrent
    report that claimed one already summarises it, and this one waits or conflicts instead of counting it
    twice."""
    key = {"zone": period.zone.key, "summarised_at": now}
    return [
        day
        for day in period.days()
        if insert_ignoring_duplicates(session, model, {**key, "local_day": day_index(day)}, ["zone", "local_day"])
    ]


def _summarise_run(session: Session, period: Period, now: datetime) -> int:
    claimed = _claim_days(session, SummarisedDay, period, now)
    whole = Scope(period, (), True, "summary")
    for first, last in _consecutive(claimed):
        intervals = [(local_midnight(first, period.zone), local_midnight(last + timedelta(days=1), period.zone))]
        for table, from_log in _FROM_LOG:
            _insert_rows(session, table, period.zone, from_log(whole, period, intervals))
        _summarise_callbacks(session, period.zone, first, last, intervals[0])
    return len(claimed)


def _summarise_follow_up_run(session: Session, period: Period, now: datetime) -> int:
    """The follow-up of the days of ``period``, claimed as :func:`_summarise_run` claims its days."""
    claimed = _claim_days(session, FollowUpDay, period, now)
    whole = Scope(period, (), True, "summary")
    for first, last in _consecutive(claimed):
        interval = (local_midnight(first, period.zone), local_midnight(last + timedelta(days=1), period.zone))
        _insert_rows(session, FollowUpSummary, period.zone, follow_up_from_log(whole, period, [interval], now))
    return len(claimed)


def _insert_rows(session: Session, table, zone: ZoneInfo, rows_query) -> None:
    rows = rows_query.subquery()
    names = [c.name for c in table.__table__.columns if c.name != "zone"]
    session.execute(insert(table).from_select(["zone", *names], select(literal(zone.key).label("zone"), *(rows.c[n] for n in names))))


def _summarise_callbacks(session: Session, zone: ZoneInfo, first: date, last: date, interval: tuple[datetime, datetime]) -> None:
    """The callback requests done on days ``first`` to ``last``, counted on the day they were done (a
    request is done once) by the day they were requested on, which may be weeks before."""
    request = CallbackRequest
    earliest = session.scalar(
        select(func.min(request.requested_at)).where(queries._DONE, request.done_at >= interval[0], request.done_at < interval[1])
    )
    if earliest is None:
        return
    # A request older than the longest period a report covers is dated with that period's first offset.
    requested_first = min(max(earliest.astimezone(zone).date(), last - timedelta(days=MAX_DAYS - 1)), first)
    rows = queries.callbacks_done_from_log(Period(first, last, zone), Period(requested_first, last, zone), [interval])
    _insert_rows(session, CallbacksSummary, zone, rows)


def _consecutive(days: list[date]) -> Iterator[tuple[date, date]]:
    """Sorted days as (first, last) runs of consecutive days."""
    run: list[date] = []
    for day in days:
        if run and day - run[-1] != timedelta(days=1):
            yield run[0], run[-1]
            run = []
        run.append(day)
    if run:
        yield run[0], run[-1]


def forget(session: Session, zone: ZoneInfo, first_day: date, last_day: date) -> None:
    """Remove the summaries of these days (they are read from the log again until summarised anew)."""
    low, high = day_index(first_day), day_index(last_day)
    for table in (*SUMMARY_TABLES, SummarisedDay, FollowUpDay):
        session.execute(delete(table).where(table.zone == zone.key, table.local_day >= low, table.local_day <= high))
    session.commit()


def sources_for(session: Session, scope: Scope, now: datetime, *, use_summaries: bool = True) -> queries.Sources:
    """Where the report of ``scope`` reads: after summarising what can be, the summary tables for the
    summarised days and the call log for the others.

    Callback requests made in the period may be done on any later day: those done on a summarised day
    are in the summary, the others are read from the log (``live_done``: the days from the period's
    first on that are not summarised). The nightly job summarises every sealed day, so that is the last
    day or two; a report does not summarise the days after its own period."""
    period, zone = scope.period, scope.period.zone
    if use_summaries:
        summarise(session, zone, period.first_day, period.last_day, now)
    horizon = max(period.last_day, now.astimezone(zone).date())
    done = summarised_days(session, zone, period.first_day, horizon) if use_summaries else set()
    live = []
    for first, last in _consecutive([d for d in period.days() if d not in done]):
        live.append((local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)))
    followed = summarised_days(session, zone, period.first_day, period.last_day, FollowUpDay) if use_summaries else set()
    follow_up_live = [
        (local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone))
        for first, last in _consecutive([d for d in period.days() if d not in followed])
    ]
    live_done: list[tuple[datetime, datetime | None]] = []
    days = (period.first_day + timedelta(days=n) for n in range((horizon - period.first_day).days + 1))
    for first, last in _consecutive([d for d in days if d not in done]):
        live_done.append((local_midnight(first, zone), None if last == horizon else local_midnight(last + timedelta(days=1), zone)))
    if not live_done or live_done[-1][1] is not None:  # whatever is done after the horizon (a clock ahead)
        live_done.append((local_midnight(horizon + timedelta(days=1), zone), None))
    return queries.Sources(
        period,
        day_index(period.first_day),
        day_index(period.last_day),
        tuple(live),
        use_summaries and bool(done),
        tuple(live_done),
        bool(followed),
        tuple(follow_up_live),
    )
