"""Every figure of the report, checked exactly against a call log placed through the simulator.

The log (tests/reports/conftest.py) is the week of the spring daylight-saving change; the expected
figures are written from the script — who did what — and from the simulator's own timeline for the
durations. Each figure is checked three ways: read from the call log only, through the summary tables,
and through the JSON endpoint, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core import clock
from reports import summaries
from reports.definitions import percentile
from reports.figures import summary_report, unanswered_report
from reports.scope import resolve_scope
from tests.reports.conftest import FIRST_DAY, LAST_DAY, PARIS, paris

# Long after the period: every day is sealed, both callback requests are overdue.
LATER = datetime(2026, 4, 6, 12, tzinfo=UTC)
# The morning after the period: Monday is not sealed yet (it ends at midnight and is sealed 24 h later).
NEXT_MORNING = paris(31, 10)

IN_PERIOD = (
    "friday_accepted",
    "across_midnight",
    "saturday_callback",
    "sunday_nobody_hangs_up",
    "sunday_nobody_callback",
    "monday_menu",
    "monday_hunting",
    "monday_late",
)
RANG = ("friday_accepted", "across_midnight", "saturday_callback", "monday_hunting", "monday_late")
CONNECTED = ("friday_accepted", "across_midnight", "monday_late")


def zeros(**counts: int) -> dict[str, int]:
    names = (
        "connected",
        "deferred",
        "callback_requested",
        "switchboard",
        "failed",
        "nobody_on_duty",
        "abandoned_while_hunting",
        "abandoned_in_menu",
        "unknown",
        "in_progress",
    )
    return {name: counts.get(name, 0) for name in names}


def results(**counts: int) -> dict[str, int]:
    names = (
        "accepted",
        "no_answer",
        "busy",
        "not_accepted",
        "declined",
        "deferred",
        "failed",
        "caller_hung_up",
        "unknown",
        "cancelled",
        "in_progress",
    )
    return {name: counts.get(name, 0) for name in names}


def report(shared_log, now=LATER, **options):
    def make(session):
        scope = resolve_scope(session, FIRST_DAY, LAST_DAY, specialty=options.pop("specialty", None))
        return summary_report(session, scope, now, **options)

    return shared_log.read(make)


def expected_seconds(shared_log, names, attribute) -> list[int]:
    """Whole seconds from the call's start to ``attribute`` of the simulator's timeline."""
    return sorted(int(getattr(shared_log.log.results[name], attribute)) for name in names)


def stats(values: list[int]) -> dict:
    return {"count": len(values), "median_seconds": percentile(values, 0.5), "p90_seconds": percentile(values, 0.9)}


@pytest.fixture(scope="module")
def figures(shared_log):
    """The report as JSON, read from the call log only (no summary used)."""
    return report(shared_log, use_summaries=False).as_json()


def test_calls_outcomes_and_rates(figures):
    calls = figures["calls"]
    assert calls["total"] == len(IN_PERIOD) == 8
    assert calls["outcomes"] == zeros(connected=3, callback_requested=2, nobody_on_duty=1, abandoned_while_hunting=1, abandoned_in_menu=1)
    assert calls["rates"]["connected"] == 3 / 8
    assert calls["rates"]["callback_requested"] == 2 / 8
    assert calls["rates"]["abandoned_in_menu"] == calls["rates"]["abandoned_while_hunting"] == calls["rates"]["nobody_on_duty"] == 1 / 8
    assert calls["rates"]["switchboard"] == 0.0
    # Both Sunday calls found cardiology without anyone on duty; one hung up, one left a message.
    assert calls["found_nobody_on_duty"] == 2


def test_time_to_first_ring_and_to_connection(figures, shared_log):
    ring = expected_seconds(shared_log, RANG, "first_ring_at")
    connection = expected_seconds(shared_log, CONNECTED, "connected_at")
    assert len(set(ring)) > 2  # the script varies when the GP presses 1: the percentiles interpolate
    assert figures["time_to_first_ring"] == stats(ring)
    assert figures["time_to_connection"] == stats(connection)
    # By hand, for the reader: p90 of five sorted values sits 60 % of the way from the 4th to the 5th.
    assert stats(ring)["p90_seconds"] == ring[3] + 0.6 * (ring[4] - ring[3])
    neurology = next(s for s in figures["specialties"] if s["specialty"] == "neurology")
    cardiology = next(s for s in figures["specialties"] if s["specialty"] == "cardiology")
    assert neurology["time_to_first_ring"] == stats(ring) and neurology["time_to_connection"] == stats(connection)
    assert cardiology["time_to_first_ring"] == {"count": 0, "median_seconds": None, "p90_seconds": None}


def test_attempts_by_senior_and_most_missed(figures):
    seniors = {s["name"]: s for s in figures["seniors"]}
    assert list(seniors) == ["Dr Claire Martin", "Dr Hugo Bernard", "Pr Anne Chef"]
    # Primary: accepted on Friday and Monday night, rang out twice, busy once.
    assert seniors["Dr Claire Martin"]["results"] == results(accepted=2, no_answer=2, busy=1)
    assert seniors["Dr Claire Martin"]["missed"] == 3 and seniors["Dr Claire Martin"]["miss_rate"] == 3 / 5
    # Backup: accepted after midnight, a voicemail on Saturday, the GP hung up while it rang on Monday.
    assert seniors["Dr Hugo Bernard"]["results"] == results(accepted=1, not_accepted=1, caller_hung_up=1)
    assert seniors["Dr Hugo Bernard"]["missed"] == 1 and seniors["Dr Hugo Bernard"]["miss_rate"] == 1 / 2
    assert seniors["Pr Anne Chef"]["results"] == results(declined=1)
    assert seniors["Pr Anne Chef"]["miss_rate"] == 1.0
    assert [(s["name"], s["missed"]) for s in figures["most_missed"]] == [
        ("Dr Claire Martin", 3),
        ("Pr Anne Chef", 1),  # ties on missed attempts: the higher miss rate first
        ("Dr Hugo Bernard", 1),
    ]
    assert figures["attempts"] == {
        "attempts": 9,
        "results": results(accepted=3, no_answer=2, busy=1, not_accepted=1, declined=1, caller_hung_up=1),
        "missed": 5,
        "miss_rate": 5 / 8,
    }


def test_by_specialty(figures):
    rows = {s["specialty"]: s for s in figures["specialties"]}
    assert list(rows) == ["neurology", "cardiology", None]  # menu order, then the calls with no specialty
    assert rows["neurology"]["calls"]["outcomes"] == zeros(connected=3, callback_requested=1, abandoned_while_hunting=1)
    assert rows["neurology"]["attempts"]["attempts"] == 9
    assert rows["cardiology"]["calls"]["outcomes"] == zeros(callback_requested=1, nobody_on_duty=1)
    assert rows["cardiology"]["found_nobody_on_duty"] == 2 and rows["cardiology"]["attempts"]["attempts"] == 0
    assert rows[None]["name"] == "(no specialty)" and rows[None]["calls"]["outcomes"] == zeros(abandoned_in_menu=1)


def test_heat_map_in_local_time_across_midnight_and_the_dst_change(figures):
    calls, connected = figures["heat_map"]["calls"], figures["heat_map"]["connected"]
    friday, saturday, sunday, monday = 4, 5, 6, 0
    expected = {(friday, 10): 1, (friday, 23): 1, (saturday, 14): 1, (sunday, 1): 1, (sunday, 3): 1, (monday, 8): 1, (monday, 9): 1}
    expected[monday, 23] = 1
    for day in range(7):
        for hour in range(24):
            assert calls[day][hour] == expected.get((day, hour), 0), (day, hour)
    # The call at Friday 23:59:30 ended on Saturday: it counts on Friday, 23 h, where it started.
    assert connected[friday][23] == 1 and sum(map(sum, connected)) == 3
    # 02:00-03:00 did not exist that Sunday.
    assert calls[sunday][2] == 0
    by_hour = {row["hour"]: row for row in figures["heat_map"]["by_hour"]}
    assert by_hour[23] == {"hour": 23, "calls": 2, "connected": 2, "connected_rate": 1.0}
    assert by_hour[4] == {"hour": 4, "calls": 0, "connected": 0, "connected_rate": None}


def test_week_by_week(figures):
    first, second = figures["weeks"]
    assert (first["week_start"], first["days_in_period"], first["partial"]) == ("2026-03-23", 3, True)
    assert first["outcomes"] == zeros(connected=2, callback_requested=2, nobody_on_duty=1)
    assert (first["calls"], first["connected_rate"], first["found_nobody_on_duty"]) == (5, 2 / 5, 2)
    assert (first["attempts"], first["missed_attempts"], first["miss_rate"]) == (6, 4, 4 / 6)
    assert (second["week_start"], second["days_in_period"], second["partial"]) == ("2026-03-30", 1, True)
    assert second["outcomes"] == zeros(connected=1, abandoned_while_hunting=1, abandoned_in_menu=1)
    assert (second["attempts"], second["missed_attempts"], second["miss_rate"]) == (3, 1, 1 / 2)


def test_callback_requests_as_at_a_moment(shared_log, figures):
    assert figures["callbacks"]["requested"] == 2 and figures["callbacks"]["open"] == 2
    assert figures["callbacks"]["open_overdue"] == 2 and figures["callbacks"]["done"] == 0
    assert figures["callbacks"]["default_deadline_minutes"] == 60
    assert set(figures["callbacks"]["by_specialty"]) == {"neurology", "cardiology"}
    # Sunday 03:30 + a minute: the request has not reached its default deadline yet.
    sunday = report(shared_log, now=paris(29, 4, 0)).as_json()["callbacks"]
    assert (sunday["open"], sunday["open_overdue"]) == (2, 1)


def test_the_summary_tables_give_the_same_figures_as_the_call_log(shared_log, figures):
    shared_log.read(lambda s: summaries.forget(s, PARIS, FIRST_DAY, LAST_DAY))
    # The morning after: Friday to Sunday are sealed and summarised, Monday is read from the log.
    mixed = report(shared_log, now=NEXT_MORNING).as_json()
    assert mixed["summarised_days"] == 3
    # Long after: every day from the summary tables.
    summarised = report(shared_log).as_json()
    assert summarised["summarised_days"] == 4
    assert summarised == dict(figures, summarised_days=4)
    for key in ("calls", "time_to_first_ring", "time_to_connection", "attempts", "specialties", "seniors", "heat_map", "weeks"):
        assert mixed[key] == figures[key], key


def test_one_specialty(shared_log):
    neurology = report(shared_log, specialty="cardiology", use_summaries=False).as_json()
    assert neurology["scope"]["specialties"] == ["cardiology"] and not neurology["scope"]["whole_hotline"]
    assert neurology["calls"]["total"] == 2 and neurology["calls"]["found_nobody_on_duty"] == 2
    assert neurology["attempts"]["attempts"] == 0 and neurology["seniors"] == []
    assert [s["specialty"] for s in neurology["specialties"]] == ["cardiology"]


def test_unanswered_calls_newest_first_with_attempts_in_order(shared_log):
    def make(session):
        return unanswered_report(session, resolve_scope(session, FIRST_DAY, LAST_DAY), LATER).as_json()

    page = shared_log.read(make)
    ids = shared_log.log.calls
    assert page["total"] == 4
    # The menu call chose no specialty: not a call a senior could have answered.
    expected = ["monday_hunting", "sunday_nobody_callback", "sunday_nobody_hangs_up", "saturday_callback"]
    assert [c["call_id"] for c in page["calls"]] == [ids[name] for name in expected]
    saturday = page["calls"][3]
    assert [(a["position"], a["layer"], a["senior"], a["result"]) for a in saturday["attempts"]] == [
        (1, "primary", "Dr Claire Martin", "busy"),
        (2, "backup", "Dr Hugo Bernard", "not_accepted"),
        (3, "last_resort", "Pr Anne Chef", "declined"),
    ]
    assert saturday["outcome"] == "callback_requested" and saturday["callback"] == "open"
    assert saturday["local_start"] == "2026-03-28T14:00:00+01:00" and saturday["caller"] == "01 99 00 02 01"
    assert page["calls"][1]["attempts"] == [] and page["calls"][1]["local_start"] == "2026-03-29T03:30:00+02:00"


def test_the_json_endpoint_serves_the_same_figures(shared_log, figures):
    with clock.use_clock(lambda: LATER):
        response = shared_log.app.test_client().get(f"/api/reports/summary?from={FIRST_DAY}&to={LAST_DAY}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["generated_at"] == "2026-04-06T12:00:00Z"
    assert {k: v for k, v in body.items() if k not in ("summarised_days", "generated_at")} == {
        k: v for k, v in figures.items() if k not in ("summarised_days", "generated_at")
    }


def test_the_end_day_is_included(shared_log):
    """--to / to= name the last day counted: to=Monday includes Monday 23:30, to=Sunday does not."""

    def total(last: date) -> int:
        return shared_log.read(lambda s: summary_report(s, resolve_scope(s, FIRST_DAY, last), LATER).calls.total)

    assert total(LAST_DAY) == 8
    assert total(LAST_DAY - timedelta(days=1)) == 5
    assert total(LAST_DAY + timedelta(days=1)) == 9  # Tuesday 00:00:00 is the first instant of the next day
