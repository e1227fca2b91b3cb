"""The figures of a call report, as plain functions of the rows :mod:`reports.queries` reads.

:func:`summary_report` is the main report (everything but the list of unanswered calls, which is paged:
:func:`unanswered_report`). The definitions are in :mod:`reports.definitions`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from calllog.models import Call
from core import clock
from core.phones import national
from reports import queries, summaries
from reports.definitions import (
    DEFAULT_CALLBACK_DEADLINE,
    IN_PROGRESS,
    MEDIAN,
    MOST_MISSED_LIMIT,
    OUTCOMES,
    P90,
    RESULTS,
    UNANSWERED_OUTCOMES,
    miss_rate,
    missed,
    percentile_of_counts,
    rate,
)
from reports.follow_up import FollowUp, follow_up
from reports.period import EPOCH_DAY, Period, local_midnight
from reports.scope import Scope
from rota.models import Senior

NO_SPECIALTY = "(no specialty)"
UNKNOWN_SENIOR = "(senior deleted)"


@dataclass(frozen=True)
class DurationStats:
    """Median and 90th percentile of some durations, in seconds (None when there are none)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of_counts(cls, counts: dict[int, int], unit_seconds: int = 1) -> DurationStats:
        """From whole units (seconds, unless ``unit_seconds`` says otherwise) → how many took that long."""

        def seconds(value: float | None) -> float | None:
            return None if value is None else value * unit_seconds

        return cls(sum(counts.values()), seconds(percentile_of_counts(counts, MEDIAN)), seconds(percentile_of_counts(counts, P90)))

    def as_json(self) -> dict:
        return {"count": self.count, "median_seconds": _round(self.median), "p90_seconds": _round(self.p90)}


@dataclass
class Outcomes:
    """Calls by outcome, with the rates of each."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            self.counts[name] = self.counts.get(name, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rate(self, outcome: str) -> float | None:
        return rate(self.counts.get(outcome, 0), self.total)

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "outcomes": {name: self.counts.get(name, 0) for name in OUTCOMES},
            "rates": {name: self.rate(name) for name in OUTCOMES},
        }


def _result_counts() -> dict[str, int]:
    return dict.fromkeys(RESULTS, 0)


@dataclass
class AttemptCounts:
    counts: dict[str, int] = field(default_factory=_result_counts)

    def add(self, result: str, n: int) -> None:
        self.counts[result] = self.counts.get(result, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def missed(self) -> int:
        return missed(self.counts)

    @property
    def miss_rate(self) -> float | None:
        return miss_rate(self.counts)

    def as_json(self) -> dict:
        return {"attempts": self.total, "results": dict(self.counts), "missed": self.missed, "miss_rate": self.miss_rate}


@dataclass
class SpecialtyFigures:
    specialty_id: int | None
    code: str | None
    name: str
    calls: Outcomes = field(default_factory=Outcomes)
    found_nobody_on_duty: int = 0
    to_first_ring: DurationStats = DurationStats(0, None, None)
    to_connection: DurationStats = DurationStats(0, None, None)
    attempts: AttemptCounts = field(default_factory=AttemptCounts)

    def as_json(self) -> dict:
        return {
            "specialty": self.code,
            "name": self.name,
            "calls": self.calls.as_json(),
            "found_nobody_on_duty": self.found_nobody_on_duty,
            "time_to_first_ring": self.to_first_ring.as_json(),
            "time_to_connection": self.to_connection.as_json(),
            "attempts": self.attempts.as_json(),
        }


@dataclass
class SeniorFigures:
    senior_id: int | None
    name: str
    attempts: AttemptCounts = field(default_factory=AttemptCounts)

    def as_json(self) -> dict:
        return {"senior_id": self.senior_id, "name": self.name, **self.attempts.as_json()}


@dataclass
class WeekFigures:
    week_start: date
    days_in_period: int
    calls: Outcomes = field(default_factory=Outcomes)
    found_nobody_on_duty: int = 0
    attempts: AttemptCounts = field(default_factory=AttemptCounts)

    @property
    def partial(self) -> bool:
        return self.days_in_period < 7

    def as_json(self) -> dict:
        return {
            "week_start": self.week_start.isoformat(),
            "days_in_period": self.days_in_period,
            "partial": self.partial,
            "calls": self.calls.total,
            "outcomes": {name: self.calls.counts.get(name, 0) for name in OUTCOMES},
            "connected_rate": self.calls.rate("connected"),
            "callback_requested_rate": self.calls.rate("callback_requested"),
            "found_nobody_on_duty": self.found_nobody_on_duty,
            "attempts": self.attempts.total,
            "missed_attempts": self.attempts.missed,
            "miss_rate": self.attempts.miss_rate,
        }


@dataclass(frozen=True)
class HeatMap:
    """``calls[weekday][hour]`` (Monday = 0) of calls started then, local time; ``connected`` alike."""

    calls: tuple[tuple[int, ...], ...]
    connected: tuple[tuple[int, ...], ...]

    def not_connected(self) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(c - k for c, k in zip(row, krow, strict=True)) for row, krow in zip(self.calls, self.connected, strict=True))

    def hours(self) -> list[tuple[int, int, int]]:
        """(hour, calls, connected) summed over the days of the week."""
        return [(h, sum(row[h] for row in self.calls), sum(row[h] for row in self.connected)) for h in range(24)]

    def as_json(self) -> dict:
        return {
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "calls": [list(row) for row in self.calls],
            "connected": [list(row) for row in self.connected],
            "by_hour": [{"hour": h, "calls": c, "connected": k, "connected_rate": rate(k, c)} for h, c, k in self.hours()],
        }


@dataclass
class CallbackFigures:
    requested: int = 0
    open: int = 0
    open_overdue: int = 0
    done: int = 0
    done_late: int = 0
    time_to_callback: DurationStats = DurationStats(0, None, None)

    def as_json(self) -> dict:
        return {
            "requested": self.requested,
            "open": self.open,
            "open_overdue": self.open_overdue,
            "done": self.done,
            "done_late": self.done_late,
            "time_to_callback": self.time_to_callback.as_json(),
        }


@dataclass(frozen=True)
class Report:
    scope: Scope
    generated_at: datetime
    calls: Outcomes
    found_nobody_on_duty: int
    to_first_ring: DurationStats
    to_connection: DurationStats
    attempts: AttemptCounts
    specialties: list[SpecialtyFigures]
    seniors: list[SeniorFigures]
    most_missed: list[SeniorFigures]
    heat_map: HeatMap
    weeks: list[WeekFigures]
    callbacks: CallbackFigures
    callbacks_by_specialty: dict[str, CallbackFigures]
    callback_default_deadline: timedelta
    summarised_days: int  # of the period's days, how many were read from the summary tables
    # Deferrals, promises and what came of the conversations (reports/follow_up.py).
    follow_up: FollowUp = field(default_factory=FollowUp)

    def as_json(self) -> dict:
        return {
            "scope": self.scope.as_json(),
            "generated_at": clock.iso(self.generated_at),
            "summarised_days": self.summarised_days,
            "calls": {**self.calls.as_json(), "found_nobody_on_duty": self.found_nobody_on_duty},
            "time_to_first_ring": self.to_first_ring.as_json(),
            "time_to_connection": self.to_connection.as_json(),
            "attempts": self.attempts.as_json(),
            "specialties": [s.as_json() for s in self.specialties],
            "seniors": [s.as_json() for s in self.seniors],
            "most_missed": [s.as_json() for s in self.most_missed],
            "heat_map": self.heat_map.as_json(),
            "weeks": [w.as_json() for w in self.weeks],
            "callbacks": {
                **self.callbacks.as_json(),
                "default_deadline_minutes": int(self.callback_default_deadline.total_seconds() // 60),
                "by_specialty": {code: figures.as_json() for code, figures in self.callbacks_by_specialty.items()},
            },
            "follow_up": self.follow_up.as_json(),
        }


def callback_default_deadline(settings: object) -> timedelta:
    """The deadline of a callback request that has none of its own: the callbacks settings' default
    (``CALLBACK_DEADLINE_MINUTES``) when the application has them, else :data:`DEFAULT_CALLBACK_DEADLINE`."""
    minutes = getattr(getattr(settings, "callbacks", None), "deadline_minutes", None)
    return timedelta(minutes=minutes) if minutes else DEFAULT_CALLBACK_DEADLINE


def _round(seconds: float | None) -> float | None:
    # Microseconds are stored; a millisecond is more than a manager needs and keeps JSON short.
    return None if seconds is None else round(seconds, 3)


# -- the main report ---------------------------------------------------------------------------------


def summary_report(
    session: Session,
    scope: Scope,
    now: datetime,
    *,
    default_deadline: timedelta = DEFAULT_CALLBACK_DEADLINE,
    use_summaries: bool = True,
) -> Report:
    """Every figure of the report for ``scope`` as at ``now`` (which days are sealed, which callback
    requests are overdue). ``use_summaries=False`` reads everything from the call log (slow on a year;
    the benchmark's baseline and the tests' cross-check)."""
    sources = summaries.sources_for(session, scope, now, use_summaries=use_summaries)
    period = scope.period
    specialties: dict[int, SpecialtyFigures] = {s.id: SpecialtyFigures(s.id, s.code, s.name) for s in scope.specialties}

    def specialty(key: int) -> SpecialtyFigures:
        if key not in specialties:  # calls of no specialty (key 0), or of one deleted since
            specialties[key] = SpecialtyFigures(None if key == 0 else key, None, NO_SPECIALTY if key == 0 else f"#{key}")
        return specialties[key]

    weeks = _empty_weeks(period)

    def week(index: int) -> WeekFigures:
        return weeks[EPOCH_DAY + timedelta(days=index * 7 - 3)]

    calls = Outcomes()
    nobody = 0
    for week_index, outcome, count, found_nobody in queries.calls_by_week(session, scope, sources):
        calls.add({outcome: count})
        week(week_index).calls.add({outcome: count})
        week(week_index).found_nobody_on_duty += found_nobody
        nobody += found_nobody
    for key, outcome, count, found_nobody in queries.calls_by_specialty(session, scope, sources):
        specialty(key).calls.add({outcome: count})
        specialty(key).found_nobody_on_duty += found_nobody

    heat_calls = [[0] * 24 for _ in range(7)]
    heat_connected = [[0] * 24 for _ in range(7)]
    for weekday, hour, count, connected in queries.calls_by_weekday_and_hour(session, scope, sources):
        heat_calls[weekday][hour] += count
        heat_connected[weekday][hour] += connected

    histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    overall: dict[str, dict[int, int]] = {queries.FIRST_RING: {}, queries.CONNECTION: {}}
    for key, metric, seconds, count in queries.duration_histograms(session, scope, sources):
        histograms[key, metric][seconds] = count
        overall[metric][seconds] = overall[metric].get(seconds, 0) + count
    for (key, metric), counts in histograms.items():
        if metric == queries.FIRST_RING:
            specialty(key).to_first_ring = DurationStats.of_counts(counts)
        else:
            specialty(key).to_connection = DurationStats.of_counts(counts)

    attempts = AttemptCounts()
    seniors: dict[int, SeniorFigures] = {}
    for key, senior_key, result, count in queries.attempts_by_senior(session, scope, sources):
        attempts.add(result, count)
        specialty(key).attempts.add(result, count)
        seniors.setdefault(senior_key, SeniorFigures(senior_key or None, UNKNOWN_SENIOR)).attempts.add(result, count)
    for week_index, result, count in queries.attempts_by_week(session, scope, sources):
        week(week_index).attempts.add(result, count)
    known = [k for k in seniors if k]
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(known))).all()) if known else {}
    for senior in seniors.values():
        senior.name = names.get(senior.senior_id or 0, UNKNOWN_SENIOR)
    senior_rows = sorted(seniors.values(), key=lambda s: (s.name, s.senior_id or 0))
    most_missed = sorted(
        (s for s in senior_rows if s.attempts.missed > 0),
        key=lambda s: (-s.attempts.missed, -(s.attempts.miss_rate or 0.0), s.name, s.senior_id or 0),
    )[:MOST_MISSED_LIMIT]

    callbacks, callbacks_by_specialty = _callback_figures(session, scope, sources, specialty, now, default_deadline)
    after_calls = follow_up(
        session,
        scope,
        now,
        {key: figures.name for key, figures in specialties.items()} | {0: NO_SPECIALTY},
        (sources.first_index, sources.last_index) if sources.use_summaries or sources.follow_up_summarised else None,
        sources.live,
        sources.follow_up_live,
    )
    session.rollback()  # a report only reads: release SQLite's lock at once

    return Report(
        scope=scope,
        generated_at=now,
        calls=calls,
        found_nobody_on_duty=nobody,
        to_first_ring=DurationStats.of_counts(overall[queries.FIRST_RING]),
        to_connection=DurationStats.of_counts(overall[queries.CONNECTION]),
        attempts=attempts,
        specialties=_ordered_specialties(scope, specialties),
        seniors=senior_rows,
        most_missed=most_missed,
        heat_map=HeatMap(tuple(map(tuple, heat_calls)), tuple(map(tuple, heat_connected))),
        weeks=list(weeks.values()),
        callbacks=callbacks,
        callbacks_by_specialty=callbacks_by_specialty,
        callback_default_deadline=default_deadline,
        summarised_days=sources.period.day_count - sum(_days_in(start, end, period) for start, end in sources.live),
        follow_up=after_calls,
    )


def _days_in(start: datetime, end: datetime, period: Period) -> int:
    return sum(1 for day in period.days() if start <= local_midnight(day, period.zone) < end)


def _empty_weeks(period: Period) -> dict[date, WeekFigures]:
    weeks: dict[date, WeekFigures] = {}
    for day in period.days():
        monday = day - timedelta(days=day.weekday())
        if monday not in weeks:
            weeks[monday] = WeekFigures(monday, 0)
        weeks[monday].days_in_period += 1
    return weeks


def _ordered_specialties(scope: Scope, specialties: dict[int, SpecialtyFigures]) -> list[SpecialtyFigures]:
    """The scope's specialties in menu order, then any other that had calls, then calls without one."""
    rows = [specialties[s.id] for s in scope.specialties]
    rows += sorted((f for key, f in specialties.items() if key != 0 and key not in scope.specialty_ids), key=lambda f: f.name)
    if 0 in specialties:
        rows.append(specialties[0])
    return rows


def _callback_figures(session: Session, scope: Scope, sources: queries.Sources, specialty, now: datetime, default_deadline: timedelta):
    overall = CallbackFigures()
    by_code: dict[str, CallbackFigures] = {}
    waits: dict[str, dict[int, int]] = defaultdict(dict)
    all_waits: dict[int, int] = {}
    for group in queries.callback_groups(session, scope, sources, now, default_deadline):
        code = specialty(group.specialty_key).code or NO_SPECIALTY
        for figures in (overall, by_code.setdefault(code, CallbackFigures())):
            figures.requested += group.requests
            if group.status == "open":
                figures.open += group.requests
                figures.open_overdue += group.requests if group.overdue else 0
            elif group.status == "done":
                figures.done += group.requests
                figures.done_late += group.requests if group.late else 0
        if group.waited_minutes is not None:
            waits[code][group.waited_minutes] = waits[code].get(group.waited_minutes, 0) + group.requests
            all_waits[group.waited_minutes] = all_waits.get(group.waited_minutes, 0) + group.requests
    # Waits are whole minutes (reports.models.CallbacksSummary): the percentiles are to the minute.
    overall.time_to_callback = DurationStats.of_counts(all_waits, 60)
    for code, figures in by_code.items():
        figures.time_to_callback = DurationStats.of_counts(waits.get(code, {}), 60)
    return overall, dict(sorted(by_code.items()))


# -- the list of unanswered calls ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptLine:
    position: int  # 1-based, in the order the seniors were rung
    layer: str
    senior: str
    number: str
    started_at: datetime
    ringing_after: float | None  # seconds after the attempt was dialled
    answered_after: float | None
    ended_after: float | None
    result: str

    def as_json(self) -> dict:
        return {
            "position": self.position,
            "layer": self.layer,
            "senior": self.senior,
            "number": self.number,
            "started_at": clock.iso(self.started_at),
            "ringing_after_seconds": _round(self.ringing_after),
            "answered_after_seconds": _round(self.answered_after),
            "ended_after_seconds": _round(self.ended_after),
            "result": self.result,
        }


@dataclass(frozen=True)
class UnansweredCall:
    call_id: int
    started_at: datetime
    local_start: datetime
    specialty: str
    caller: str
    outcome: str
    duration: float | None
    callback_status: str | None
    attempts: tuple[AttemptLine, ...]

    def as_json(self) -> dict:
        return {
            "call_id": self.call_id,
            "started_at": clock.iso(self.started_at),
            "local_start": self.local_start.isoformat(),
            "specialty": self.specialty,
            "caller": self.caller,
            "outcome": self.outcome,
            "duration_seconds": _round(self.duration),
            "callback": self.callback_status,
            "attempts": [a.as_json() for a in self.attempts],
        }


@dataclass(frozen=True)
class UnansweredPage:
    scope: Scope
    total: int
    limit: int
    offset: int
    calls: tuple[UnansweredCall, ...]

    def as_json(self) -> dict:
        return {
            "scope": self.scope.as_json(),
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "calls": [c.as_json() for c in self.calls],
        }


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def unanswered_report(
    session: Session, scope: Scope, now: datetime, limit: int = 50, offset: int = 0, *, use_summaries: bool = True
) -> UnansweredPage:
    """One page of the unanswered calls, newest first; the total is counted like the outcomes."""
    sources = summaries.sources_for(session, scope, now, use_summaries=use_summaries)
    total = sum(
        count
        for key, outcome, count, _ in queries.calls_by_specialty(session, scope, sources)
        if key != 0 and outcome in {o.value for o in UNANSWERED_OUTCOMES}
    )
    calls = queries.unanswered_calls(session, scope, limit, offset)
    codes = {s.id: s.code for s in scope.specialties}
    senior_ids = {a.senior_id for call in calls for a in call.attempts if a.senior_id is not None}
    names = dict(session.execute(select(Senior.id, Senior.full_name).where(Senior.id.in_(sorted(senior_ids)))).all()) if senior_ids else {}
    return UnansweredPage(scope, total, limit, offset, tuple(_unanswered(call, codes, names, scope) for call in calls))


def _unanswered(call: Call, codes: dict[int, str], names: dict[int, str], scope: Scope) -> UnansweredCall:
    attempts = tuple(
        AttemptLine(
            position=a.rank + 1,
            layer=a.layer,
            senior=names.get(a.senior_id, UNKNOWN_SENIOR) if a.senior_id is not None else UNKNOWN_SENIOR,
            number=national(a.number),
            started_at=a.started_at,
            ringing_after=_seconds(a.started_at, a.ringing_at),
            answered_after=_seconds(a.started_at, a.answered_at),
            ended_after=_seconds(a.started_at, a.ended_at),
            result=str(a.result) if a.result is not None else IN_PROGRESS,
        )
        for a in sorted(call.attempts, key=lambda a: a.rank)
    )
    return UnansweredCall(
        call_id=call.id,
        started_at=call.started_at,
        local_start=call.started_at.astimezone(scope.period.zone),
        specialty=codes.get(call.specialty_id, f"#{call.specialty_id}") if call.specialty_id is not None else NO_SPECIALTY,
        caller=national(call.caller_e164) if call.caller_e164 else call.caller,
        outcome=str(call.outcome) if call.outcome is not None else IN_PROGRESS,
        duration=_seconds(call.started_at, call.ended_at),
        callback_status=str(call.callback.status) if call.callback is not None else None,
        attempts=attempts,
    )
