"""Patterns expanded on the fly (pure, no database): DST, midnight, weekends, holidays, handovers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rota.patterns import Pattern, instant, is_ambiguous, is_nonexistent, merge_touching, occurrence_at, occurrences, parse_weekdays
from tests.rota.reference import RefRotation, RefWorld, ref_instant

PARIS = ZoneInfo("Europe/Paris")
DAY, NIGHT = time(8, 30), time(18, 30)
WEEKDAYS, WEEKEND, EVERY_DAY = frozenset({1, 2, 3, 4, 5}), frozenset({6, 7}), frozenset(range(1, 8))
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def pattern(
    weekdays=EVERY_DAY,
    start=DAY,
    end=NIGHT,
    *,
    turn_days=1,
    handoff=None,
    anchor=date(2026, 1, 5),
    members=(1, 2, 3),
    holidays=None,
    zone=PARIS,
):
    return Pattern(zone, frozenset(weekdays), start, end, turn_days, handoff or start, anchor, tuple(members), holidays)


def paris(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS).astimezone(UTC)


def the_plan(holidays: str | None = "FR", members=(1, 2, 3, 4)) -> list[Pattern]:
    """A department's 24/7 primary plan: weekday days and nights, weekends (and holidays) 08:30 → 08:30."""
    return [
        pattern(WEEKDAYS, DAY, NIGHT, turn_days=7, anchor=date(2026, 1, 5), members=members, holidays=holidays),
        pattern(WEEKDAYS, NIGHT, DAY, turn_days=1, handoff=NIGHT, anchor=date(2026, 1, 5), members=members, holidays=holidays),
        pattern(WEEKEND, DAY, DAY, turn_days=7, anchor=date(2026, 1, 3), members=members, holidays=holidays),
    ]


def covering(patterns: list[Pattern], start: datetime, end: datetime):
    return sorted((o for p in patterns for o in occurrences(p, start, end)), key=lambda o: o.starts_at)


def assert_exactly_once(patterns: list[Pattern], start: datetime, end: datetime) -> None:
    pieces = covering(patterns, start, end)
    assert pieces[0].starts_at <= start and pieces[-1].ends_at >= end
    for before, after in pairwise(pieces):
        assert before.ends_at == after.starts_at, f"{'gap' if before.ends_at < after.starts_at else 'overlap'} at {before.ends_at}"


# -- the wall-clock rule ------------------------------------------------------------------------------


def test_a_skipped_time_is_the_instant_the_clocks_jump():
    assert is_nonexistent(date(2026, 3, 29), time(2, 30), PARIS)
    assert instant(date(2026, 3, 29), time(2, 30), PARIS) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert instant(date(2026, 3, 29), time(2, 0), PARIS) == instant(date(2026, 3, 29), time(3, 0), PARIS)


def test_a_repeated_time_is_its_first_occurrence_in_summer_time():
    assert is_ambiguous(date(2026, 10, 25), time(2, 30), PARIS)
    assert instant(date(2026, 10, 25), time(2, 30), PARIS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert not is_ambiguous(date(2026, 10, 25), time(3, 0), PARIS)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from([PARIS, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/St_Johns")]),
    day=st.dates(date(2025, 1, 1), date(2029, 12, 31)),
    minutes=st.integers(0, 24 * 60 - 1),
)
def test_the_rule_matches_the_brute_force_reference(zone, day, minutes):
    wall = time(minutes // 60, minutes % 60)
    assert instant(day, wall, zone) == ref_instant(day, wall, zone)


@settings(max_examples=200, deadline=None)
@given(
    day=st.sampled_from([date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]),
    a=st.integers(0, 24 * 60 - 1),
    b=st.integers(0, 24 * 60 - 1),
)
def test_the_rule_never_turns_a_later_time_into_an_earlier_instant(day, a, b):
    low, high = sorted((a, b))
    assert instant(day, time(low // 60, low % 60), PARIS) <= instant(day, time(high // 60, high % 60), PARIS)


# -- DST, as a department sees it ---------------------------------------------------------------------


def test_day_duty_starts_at_0830_local_on_both_sides_of_each_change():
    days = pattern(EVERY_DAY, DAY, NIGHT)
    for first, last in [(date(2026, 3, 28), date(2026, 3, 30)), (date(2026, 10, 24), date(2026, 10, 26))]:
        starts = [
            o.starts_at.astimezone(PARIS).time()
            for o in occurrences(days, paris(first.year, first.month, first.day), paris(last.year, last.month, last.day, 23))
        ]
        assert starts == [DAY, DAY, DAY]


@pytest.mark.parametrize(("night_of", "hours"), [(date(2026, 3, 28), 13), (date(2026, 10, 24), 15), (date(2026, 3, 27), 14)])
def test_a_night_across_a_change_lasts_13_or_15_hours(night_of, hours):
    nights = pattern(EVERY_DAY, NIGHT, DAY)
    at = instant(night_of, time(20, 0), PARIS)
    occurrence = occurrence_at(nights, at)
    assert occurrence is not None
    assert occurrence.ends_at - occurrence.starts_at == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)),  # three years: 4 DST changes a year... and 29/02/2028
    ],
)
@pytest.mark.parametrize("holidays", ["FR", None])
def test_the_24_7_plan_covers_every_instant_exactly_once(start, end, holidays):
    assert_exactly_once(the_plan(holidays), start, end)


def test_holidays_follow_the_weekend_pattern():
    plan = the_plan("FR")
    weekday_day, _, weekend = plan
    ascension = date(2026, 5, 14)  # a Thursday
    assert occurrence_at(weekday_day, paris(2026, 5, 14, 10)) is None
    holiday = occurrence_at(weekend, paris(2026, 5, 14, 10))
    assert holiday is not None and (holiday.starts_at, holiday.ends_at) == (paris(2026, 5, 14, 8, 30), paris(2026, 5, 15, 8, 30))
    assert weekend.starts_on(ascension) and not weekday_day.starts_on(ascension)
    # Easter Monday: the weekend runs on to Tuesday 08:30, one senior (weekly turns) throughout.
    easter = list(merge_touching(occurrences(weekend, paris(2026, 4, 4, 12), paris(2026, 4, 6, 12))))
    assert [(o.starts_at, o.ends_at) for o in easter] == [(paris(2026, 4, 4, 8, 30), paris(2026, 4, 7, 8, 30))]


def test_without_a_calendar_holidays_are_ordinary_days():
    weekday_day = the_plan(None)[0]
    assert occurrence_at(weekday_day, paris(2026, 5, 14, 10)) is not None


def test_a_weekend_is_one_occurrence_saturday_to_monday_for_a_weekly_turn():
    weekend = the_plan(None)[2]
    merged = list(merge_touching(occurrences(weekend, paris(2026, 3, 27), paris(2026, 3, 31))))
    assert [(o.starts_at, o.ends_at) for o in merged] == [(paris(2026, 3, 28, 8, 30), paris(2026, 3, 30, 8, 30))]
    assert merged[0].ends_at - merged[0].starts_at == timedelta(hours=47)  # spring forward inside


def test_a_window_spanning_a_handoff_is_split_between_two_seniors():
    nights = pattern(EVERY_DAY, NIGHT, DAY, turn_days=1, handoff=time(0, 0), members=(1, 2))
    pieces = list(occurrences(nights, paris(2026, 2, 2, 19), paris(2026, 2, 3, 1)))
    assert [(p.starts_at, p.ends_at) for p in pieces] == [
        (paris(2026, 2, 2, 18, 30), paris(2026, 2, 3)),
        (paris(2026, 2, 3), paris(2026, 2, 3, 8, 30)),
    ]
    assert pieces[0].senior_id != pieces[1].senior_id
    # At the handoff instant exactly one of them holds it: the incoming one.
    assert occurrence_at(nights, paris(2026, 2, 3)).senior_id == pieces[1].senior_id


def test_turns_take_every_member_in_order_every_n_days():
    three_days = pattern(EVERY_DAY, DAY, DAY, turn_days=3, anchor=date(2026, 2, 1), members=(10, 20, 30))
    seniors = [occurrence_at(three_days, paris(2026, 2, 1 + d, 12)).senior_id for d in range(10)]
    assert seniors == [10, 10, 10, 20, 20, 20, 30, 30, 30, 10]
    before_anchor = occurrence_at(three_days, paris(2026, 1, 31, 12)).senior_id
    assert before_anchor == 30


def test_validity_clips_the_windows():
    days = Pattern(PARIS, EVERY_DAY, DAY, NIGHT, 1, DAY, date(2026, 1, 1), (1,), None, paris(2026, 2, 2, 12), paris(2026, 2, 3, 12))
    assert [(o.starts_at, o.ends_at) for o in occurrences(days, paris(2026, 2, 1), paris(2026, 2, 5))] == [
        (paris(2026, 2, 2, 12), paris(2026, 2, 2, 18, 30)),
        (paris(2026, 2, 3, 8, 30), paris(2026, 2, 3, 12)),
    ]


def test_weekdays_are_read_as_a_person_writes_them():
    assert parse_weekdays("1-5") == WEEKDAYS and parse_weekdays("6,7") == WEEKEND and parse_weekdays("12345") == WEEKDAYS
    with pytest.raises(ValueError):
        parse_weekdays("8")


# -- properties over generated patterns ---------------------------------------------------------------

ZONES = [PARIS, PARIS, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]
DST_DAYS = {
    "Europe/Paris": [date(2026, 3, 29), date(2026, 10, 25), date(2028, 2, 29), date(2026, 12, 31)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
}
# Times in and around the changed hours are drawn often: that is where a rule breaks.
walls = st.one_of(
    st.sampled_from([time(2, 0), time(2, 15), time(2, 30), time(2, 45), time(3, 0), time(1, 30), time(8, 30), time(18, 30), time(0, 0)]),
    st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15)),
)


@st.composite
def patterns_near_a_change(draw):
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(DST_DAYS[zone.key]))
    p = Pattern(
        zone,
        frozenset(draw(st.sets(st.integers(1, 7), min_size=1))),
        draw(walls),
        draw(walls),
        draw(st.sampled_from([1, 2, 7])),
        draw(walls),
        day - timedelta(days=draw(st.integers(0, 30))),
        tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))),
        draw(st.sampled_from([None, "FR"])),
    )
    return p, datetime.combine(day, time(0, 0), UTC) - timedelta(days=2)


def as_reference(p: Pattern) -> tuple[RefWorld, RefRotation]:
    rotation = RefRotation(
        1, "r", "primary", set(p.weekdays), p.start, p.end, p.turn_days, p.handoff, p.anchor, list(p.members), FAR_PAST, None
    )
    return RefWorld(p.zone, p.holidays, "skip", rotations=[rotation]), rotation


@settings(max_examples=150, deadline=None)
@given(case=patterns_near_a_change(), minutes=st.lists(st.integers(0, 4 * 24 * 60), min_size=10, max_size=10))
def test_occurrences_match_the_reference_and_never_overlap(case, minutes):
    p, start = case
    end = start + timedelta(days=4)
    pieces = list(occurrences(p, start, end))
    for before, after in pairwise(pieces):
        assert before.ends_at <= after.starts_at, "two occurrences of one rotation overlap"
    assert all(o.starts_at < o.ends_at for o in pieces)
    world, rotation = as_reference(p)
    edges = [o.starts_at for o in pieces] + [o.ends_at for o in pieces]
    for at in [start + timedelta(minutes=m) for m in minutes] + edges + [e - timedelta(seconds=1) for e in edges]:
        found = occurrence_at(p, at)
        expected_on = world.in_window(rotation, at)
        assert (found is not None) == expected_on, f"coverage differs at {at.isoformat()}"
        if found is not None:
            assert found.senior_id == p.members[world.turn(rotation, at) % len(p.members)], f"turn differs at {at.isoformat()}"
            assert found in pieces or not start <= at < end
            assert found.covers(at)


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES), a=walls, b=walls, weekdays=st.sets(st.integers(1, 7), min_size=1), holidays=st.sampled_from([None, "FR"])
)
def test_two_complementary_rotations_cover_each_instant_exactly_once(zone, a, b, weekdays, holidays):
    """Any A→B plus B→A every day, whatever the times (even inside the changed hour): no gap, no double."""
    if a == b:
        return
    first = Pattern(zone, frozenset(range(1, 8)), a, b, 1, a, date(2026, 1, 1), (1,), holidays)
    second = Pattern(zone, frozenset(range(1, 8)), b, a, 1, b, date(2026, 1, 1), (2,), holidays)
    for day in DST_DAYS[zone.key]:
        start = datetime.combine(day, time(0, 0), UTC) - timedelta(days=2)
        assert_exactly_once([first, second], start, start + timedelta(days=4))
