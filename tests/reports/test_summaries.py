"""The summary tables: which days are sealed, summarised once, rebuilt on demand, never counted twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from calllog.models import Call, CallOutcome
from core import clock
from reports import summaries
from reports.figures import summary_report
from reports.models import CallsSummary, SummarisedDay
from reports.scope import resolve_scope
from rota.models import Department
from scheduler.jobs import report_summaries, run_job
from scheduler.models import SchedulerRun
from tests.reports.conftest import PARIS
from tests.reports.test_report_edges import add_call

TUESDAY = date(2026, 3, 10)


def calls_on(in_app, day: date, now: datetime) -> tuple[int, int]:
    """(calls, summarised days) of the report of ``day`` made at ``now``."""

    def run(session):
        report = summary_report(session, resolve_scope(session, day, day), now)
        return report.calls.total, report.summarised_days

    return in_app(run)


def test_a_day_is_sealed_24_hours_after_it_ends(in_app, report_session):
    add_call(report_session, datetime(2026, 3, 10, 12, tzinfo=UTC), outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    sealed_at = datetime(2026, 3, 11, 0, tzinfo=PARIS) + timedelta(hours=24)
    assert summaries.is_sealed(TUESDAY, PARIS, sealed_at) and not summaries.is_sealed(TUESDAY, PARIS, sealed_at - timedelta(microseconds=1))
    assert calls_on(in_app, TUESDAY, sealed_at - timedelta(microseconds=1)) == (1, 0)
    assert calls_on(in_app, TUESDAY, sealed_at) == (1, 1)


def test_summarising_twice_changes_nothing(in_app, report_session):
    for hour in (8, 9, 10):
        add_call(report_session, datetime(2026, 3, 10, hour, tzinfo=UTC), outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    later = datetime(2026, 4, 1, tzinfo=UTC)

    def summarise(session):
        return summaries.summarise(session, PARIS, date(2026, 3, 1), date(2026, 3, 20), later)

    assert in_app(summarise) == 20
    assert in_app(summarise) == 0
    rows = in_app(lambda s: s.scalar(select(func.sum(CallsSummary.calls))))
    days = in_app(lambda s: s.scalar(select(func.count()).select_from(SummarisedDay)))
    assert (rows, days) == (3, 20)
    assert calls_on(in_app, TUESDAY, later) == (3, 1)


def test_days_are_summarised_in_runs_of_consecutive_days():
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(17) if n != 9]
    assert list(summaries._runs(days, 7)) == [
        (date(2026, 3, 1), date(2026, 3, 7)),
        (date(2026, 3, 8), date(2026, 3, 9)),  # the 10th is missing
        (date(2026, 3, 11), date(2026, 3, 17)),
    ]


def test_a_summarised_day_is_rebuilt_on_demand(in_app, report_session, runner_for):
    call = add_call(report_session, datetime(2026, 3, 10, 12, tzinfo=UTC), outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert calls_on(in_app, TUESDAY, later) == (1, 1)

    def move_the_call_a_day_earlier(session):
        session.get(Call, call.id).started_at -= timedelta(days=1)
        session.commit()

    in_app(move_the_call_a_day_earlier)
    assert calls_on(in_app, TUESDAY, later) == (1, 1)  # a summarised day is not revisited...
    result = runner_for(later, ["report", "summarise", "--from", "2026-03-09", "--to", "2026-03-10", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "summarised 2 days of 2026-03-09 to 2026-03-10 (Europe/Paris)" in result.output
    assert calls_on(in_app, TUESDAY, later) == (0, 1)  # ...until rebuilt
    assert calls_on(in_app, TUESDAY - timedelta(days=1), later) == (1, 1)


def test_a_day_claimed_by_a_concurrent_report_is_left_to_it(in_app, report_session):
    """Two reports summarising at once: the second finds the day claimed and does not count it again."""
    add_call(report_session, datetime(2026, 3, 10, 12, tzinfo=UTC), outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    later = datetime(2026, 4, 1, tzinfo=UTC)
    first = in_app(lambda s: summaries.summarise(s, PARIS, TUESDAY, TUESDAY, later))

    def claim_again(session):
        period_days = summaries.summarised_days(session, PARIS, TUESDAY, TUESDAY)
        return summaries._summarise_run(session, resolve_scope(session, TUESDAY, TUESDAY).period, later), period_days

    again, seen = in_app(claim_again)
    assert (first, again, seen) == (1, 0, {TUESDAY})
    assert in_app(lambda s: s.scalar(select(func.sum(CallsSummary.calls)))) == 1


def test_the_nightly_job_summarises_exactly_the_sealed_days_once(in_app, report_session):
    """``report-summaries`` at 02:30 in Paris on Thursday 12 March: from the oldest call's day (Sunday 8)
    to Tuesday 10 in each zone the departments report in; Wednesday 11 is not sealed yet."""
    report_session.add_all(
        [Department(name="Neurosciences", timezone="Europe/Paris"), Department(name="Réunion", timezone="Indian/Reunion")]
    )
    for started in (datetime(2026, 3, 8, 12, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 11, 9, tzinfo=UTC)):
        add_call(report_session, started, outcome=CallOutcome.ABANDONED_IN_MENU)
    report_session.commit()
    night = datetime(2026, 3, 12, 2, 30, tzinfo=PARIS)

    def run(session):
        with clock.use_clock(lambda: night):
            outcome = run_job("report-summaries")
        return outcome, session.scalars(select(SchedulerRun.detail).order_by(SchedulerRun.id.desc())).first()

    sealed = {date(2026, 3, 8) + timedelta(days=n) for n in range(3)}
    assert in_app(run) == ("ok", "3 day(s) summarised in Europe/Paris, 3 day(s) summarised in Indian/Reunion")

    def summarised(session):
        rows = session.execute(select(SummarisedDay.zone, SummarisedDay.local_day)).all()
        return {(zone, summaries.EPOCH_DAY + timedelta(days=index)) for zone, index in rows}

    assert in_app(summarised) == {(zone, day) for zone in ("Europe/Paris", "Indian/Reunion") for day in sealed}
    calls = in_app(lambda s: s.execute(select(CallsSummary.zone, func.sum(CallsSummary.calls)).group_by(CallsSummary.zone)).all())
    assert dict(calls) == {"Europe/Paris": 2, "Indian/Reunion": 2}  # the call of Wednesday 11 stays in the log
    assert in_app(run) == ("ok", "0 day(s) summarised in Europe/Paris, 0 day(s) summarised in Indian/Reunion")
    assert len(in_app(summarised)) == 6


def test_the_nightly_job_without_calls_does_nothing(in_app):
    assert in_app(lambda session: report_summaries(session, None, datetime(2026, 3, 12, tzinfo=UTC))) == "no call to summarise"
