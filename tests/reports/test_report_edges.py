"""The report at its edges, with hand-made rows: no calls, one call, the first and last microseconds of
the period, the autumn DST change, callback deadlines, calls still in progress, deleted seniors,
departments and their time zones. Each figure is read both from the call log and from the summaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from calllog.models import Attempt, AttemptResult, Call, CallbackRequest, CallbackStatus, CallOutcome
from reports.figures import summary_report
from reports.queries import DEADLINE_COLUMN
from reports.scope import ScopeError, resolve_scope
from rota.models import Department, Senior, Specialty
from tests.reports.conftest import PARIS

LATER = datetime(2027, 1, 1, tzinfo=UTC)
TUESDAY = date(2026, 3, 10)
_serial = iter(range(10**6))


def add_call(session, started_at: datetime, *, specialty: Specialty | None = None, outcome: CallOutcome | None = None, **fields) -> Call:
    """A call row as the log would hold it (hand-made: only the columns a report reads matter)."""
    call = Call(
        sid=f"CA-edge-{next(_serial)}",
        caller="+33199000201",
        caller_e164="+33199000201",
        dialled="+33199000000",
        specialty_id=specialty.id if specialty is not None else None,
        hunt=fields.pop("hunt", [] if specialty is not None else None),
        started_at=started_at,
        outcome=outcome,
        **fields,
    )
    session.add(call)
    session.flush()
    return call


@pytest.fixture
def hospital(report_session):
    department = Department(name="Neurosciences", timezone="Europe/Paris")
    neurology = Specialty(code="neurology", department=department, name_fr="neurologie", name_en="neurology", menu_digit="1")
    senior = Senior(full_name="Dr Claire Martin")
    report_session.add_all([department, neurology, senior])
    report_session.commit()
    return department, neurology, senior


def both_ways(in_app, first: date, last: date, **options):
    """The report from the call log alone, then through the summary tables; they must agree."""

    def make(use_summaries):
        def run(session):
            scope = resolve_scope(session, first, last, **options)
            return summary_report(session, scope, LATER, use_summaries=use_summaries).as_json()

        return run

    live = in_app(make(False))
    summarised = in_app(make(True))
    assert summarised["summarised_days"] == (last - first).days + 1
    for key in live:
        if key not in ("summarised_days", "generated_at"):
            assert summarised[key] == live[key], key
    return live


def test_no_calls_at_all(in_app, hospital):
    figures = both_ways(in_app, date(2026, 3, 1), date(2026, 3, 31))
    assert figures["calls"]["total"] == 0
    assert set(figures["calls"]["rates"].values()) == {None}  # undefined, not 0 %
    assert figures["time_to_first_ring"] == figures["time_to_connection"] == {"count": 0, "median_seconds": None, "p90_seconds": None}
    assert figures["attempts"]["miss_rate"] is None and figures["seniors"] == [] and figures["most_missed"] == []
    mondays = ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
    assert [w["week_start"] for w in figures["weeks"]] == mondays
    assert [w["days_in_period"] for w in figures["weeks"]] == [1, 7, 7, 7, 7, 2]
    assert sum(map(sum, figures["heat_map"]["calls"])) == 0
    assert figures["callbacks"]["time_to_callback"]["median_seconds"] is None


def test_no_department_yet_reports_in_the_default_zone(in_app):
    figures = in_app(lambda s: summary_report(s, resolve_scope(s, date(2026, 3, 1), date(2026, 3, 1)), LATER).as_json())
    assert figures["scope"]["timezone"] == "Europe/Paris" and figures["calls"]["total"] == 0


def test_one_call(in_app, report_session, hospital):
    _, neurology, senior = hospital
    start = datetime(2026, 3, 10, 9, 0, 0, 250_000, tzinfo=UTC)
    call = add_call(
        report_session,
        start,
        specialty=neurology,
        outcome=CallOutcome.CONNECTED,
        hunt=[{"senior_id": senior.id}],
        first_ringing_at=start + timedelta(seconds=5, microseconds=999_999),  # 5.999999 s: 5 whole seconds
        connected_at=start + timedelta(seconds=12),
    )
    call.attempts.append(
        Attempt(rank=0, senior_id=senior.id, number="+33199000101", layer="primary", started_at=start, result=AttemptResult.ACCEPTED)
    )
    report_session.commit()
    figures = both_ways(in_app, date(2026, 3, 10), date(2026, 3, 10))
    assert figures["calls"]["rates"]["connected"] == 1.0
    assert figures["time_to_first_ring"] == {"count": 1, "median_seconds": 5.0, "p90_seconds": 5.0}
    assert figures["time_to_connection"] == {"count": 1, "median_seconds": 12.0, "p90_seconds": 12.0}
    assert figures["most_missed"] == [] and figures["seniors"][0]["miss_rate"] == 0.0
    assert figures["heat_map"]["calls"][1][10] == 1  # Tuesday, 10:00 Paris


def test_the_first_and_last_microseconds_of_the_period(in_app, report_session, hospital):
    def local(*args) -> datetime:
        return datetime(*args, tzinfo=PARIS).astimezone(UTC)

    for instant in (
        local(2026, 3, 9, 23, 59, 59, 999_999),  # the day before: out
        local(2026, 3, 10, 0, 0, 0),  # first instant: in
        local(2026, 3, 11, 23, 59, 59, 999_999),  # last instant of the last day: in
        local(2026, 3, 12, 0, 0, 0),  # the day after: out
    ):
        add_call(report_session, instant, outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    figures = both_ways(in_app, date(2026, 3, 10), date(2026, 3, 11))
    assert figures["calls"]["total"] == 2
    assert figures["heat_map"]["calls"][1][0] == 1 and figures["heat_map"]["calls"][2][23] == 1  # Tue 00h, Wed 23h


def test_the_autumn_change_puts_both_0230s_in_the_same_hour(in_app, report_session, hospital):
    for instant in (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET, an hour later
        datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET, the 25th hour of the day
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # Monday
    ):
        add_call(report_session, instant, outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    figures = both_ways(in_app, date(2026, 10, 25), date(2026, 10, 25))
    sunday = figures["heat_map"]["calls"][6]
    assert figures["calls"]["total"] == 3 and sunday[2] == 2 and sunday[23] == 1
    assert figures["scope"]["start"] == "2026-10-24T22:00:00Z" and figures["scope"]["end"] == "2026-10-25T23:00:00Z"


def test_calls_in_progress_and_deleted_seniors(in_app, report_session, hospital):
    _, neurology, _ = hospital
    start = datetime(2026, 3, 10, 9, tzinfo=UTC)
    call = add_call(report_session, start, specialty=neurology, hunt=[{"senior_id": None}])  # no outcome yet
    call.attempts.append(Attempt(rank=0, senior_id=None, number="+33199000101", layer="primary", started_at=start))
    report_session.commit()
    figures = both_ways(in_app, date(2026, 3, 10), date(2026, 3, 10))
    assert figures["calls"]["outcomes"]["in_progress"] == 1
    assert figures["seniors"] == [
        {
            "senior_id": None,
            "name": "(senior deleted)",
            "attempts": 1,
            "results": {**dict.fromkeys(figures["seniors"][0]["results"], 0), "in_progress": 1},
            "missed": 0,
            "miss_rate": None,
        }
    ]


def test_callback_deadlines_and_time_to_callback(in_app, report_session, hospital):
    _, neurology, _ = hospital
    requested = datetime(2026, 3, 10, 9, tzinfo=UTC)
    hour = timedelta(minutes=60)

    def request(status: CallbackStatus, done_after: timedelta | None = None, **fields) -> None:
        call = add_call(report_session, requested - timedelta(minutes=1), specialty=neurology, outcome=CallOutcome.CALLBACK_REQUESTED)
        report_session.add(
            CallbackRequest(
                call_id=call.id,
                caller=call.caller,
                specialty_id=neurology.id,
                requested_at=requested,
                status=status,
                done_at=None if done_after is None else requested + done_after,
                **fields,
            )
        )

    request(CallbackStatus.DONE, timedelta(minutes=30))  # on time
    request(CallbackStatus.DONE, hour)  # exactly at the deadline: late (the deadline is the first late instant)
    request(CallbackStatus.OPEN)  # default deadline: overdue from requested + 60 min on
    if DEADLINE_COLUMN is not None:
        request(CallbackStatus.OPEN, deadline_at=requested + 2 * hour)  # its own, later deadline
    report_session.commit()

    def callbacks(now: datetime) -> dict:
        return in_app(lambda s: summary_report(s, resolve_scope(s, date(2026, 3, 10), date(2026, 3, 10)), now).as_json()["callbacks"])

    just_before, at_deadline = callbacks(requested + hour - timedelta(microseconds=1)), callbacks(requested + hour)
    opened = 2 if DEADLINE_COLUMN is not None else 1
    assert (just_before["requested"], just_before["open"], just_before["open_overdue"]) == (2 + opened, opened, 0)
    assert at_deadline["open_overdue"] == 1
    assert (at_deadline["done"], at_deadline["done_late"]) == (2, 1)
    # Two waits, 1800 s and 3600 s: median 2700, p90 1800 + 0.9 x 1800.
    assert at_deadline["time_to_callback"] == {"count": 2, "median_seconds": 2700.0, "p90_seconds": 3420.0}
    assert at_deadline["by_specialty"]["neurology"]["done_late"] == 1
    if DEADLINE_COLUMN is not None:
        assert callbacks(requested + 2 * hour)["open_overdue"] == 2


def test_departments_and_their_time_zones(in_app, report_session, hospital):
    department, neurology, _ = hospital
    reunion = Department(name="Réunion", timezone="Indian/Reunion")
    cardiology = Specialty(code="cardiology", department=reunion, name_fr="cardiologie", name_en="cardiology", menu_digit="2")
    report_session.add_all([reunion, cardiology])
    report_session.flush()
    # 21:30 UTC on 10 March: still the 10th in Paris (22:30), already the 11th in Réunion (01:30).
    add_call(report_session, datetime(2026, 3, 10, 21, 30, tzinfo=UTC), specialty=cardiology, outcome=CallOutcome.NOBODY_ON_DUTY)
    add_call(report_session, datetime(2026, 3, 10, 21, 30, tzinfo=UTC), specialty=neurology, outcome=CallOutcome.NOBODY_ON_DUTY)
    report_session.commit()
    with pytest.raises(ScopeError, match="different time zones"):
        in_app(lambda s: resolve_scope(s, date(2026, 3, 10), date(2026, 3, 10)))
    paris = both_ways(in_app, date(2026, 3, 10), date(2026, 3, 10), department=str(department.id))
    reunion_10 = both_ways(in_app, date(2026, 3, 10), date(2026, 3, 10), department="Réunion")
    reunion_11 = both_ways(in_app, date(2026, 3, 11), date(2026, 3, 11), specialty="cardiology")
    assert (paris["calls"]["total"], paris["calls"]["found_nobody_on_duty"]) == (1, 1)
    assert reunion_10["calls"]["total"] == 0 and reunion_11["calls"]["total"] == 1
    assert reunion_11["scope"]["timezone"] == "Indian/Reunion" and reunion_11["heat_map"]["calls"][2][1] == 1  # Wednesday 01h
    with pytest.raises(ScopeError, match="no department"):
        in_app(lambda s: resolve_scope(s, date(2026, 3, 10), date(2026, 3, 10), department="Nowhere"))
    # A head who sees only Paris gets Paris, never the whole hotline.
    mine = in_app(lambda s: resolve_scope(s, date(2026, 3, 10), date(2026, 3, 10), visible_department_ids={department.id}))
    assert [s.code for s in mine.specialties] == ["neurology"] and not mine.whole_hotline
    with pytest.raises(ScopeError, match="no specialty"):
        in_app(lambda s: resolve_scope(s, TUESDAY, TUESDAY, specialty="cardiology", visible_department_ids={department.id}))
