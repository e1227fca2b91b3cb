"""Periods of local days, and the SQL that turns stored instants into local days and hours: the same
integers on SQLite and PostgreSQL as Python's own time-zone arithmetic, across midnight and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from calllog.models import Call
from reports.period import EPOCH_DAY, MAX_DAYS, Period, PeriodError, epoch_us, local_midnight, parse_day
from reports.sql import EpochMicroseconds, duration_microseconds, integer, local_day_index, local_hour_index

PARIS = ZoneInfo("Europe/Paris")


def test_a_period_is_half_open_from_local_midnight_to_local_midnight():
    march = Period(date(2026, 3, 1), date(2026, 3, 31), PARIS)
    assert march.start == datetime(2026, 2, 28, 23, tzinfo=UTC)  # 00:00 CET
    assert march.end == datetime(2026, 3, 31, 22, tzinfo=UTC)  # 1 April 00:00 CEST
    assert march.day_count == 31 and list(march.days())[-1] == date(2026, 3, 31)


def test_the_days_of_the_dst_changes_last_23_and_25_hours():
    spring = Period(date(2026, 3, 29), date(2026, 3, 29), PARIS)
    autumn = Period(date(2026, 10, 25), date(2026, 10, 25), PARIS)
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_the_offsets_of_a_year_change_at_the_exact_instants():
    year = Period(date(2026, 1, 1), date(2026, 12, 31), PARIS)
    stretches = year.offset_stretches()
    assert [(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=s.starts_us), s.offset_us // 3_600_000_000) for s in stretches] == [
        (datetime(2025, 12, 31, 23, tzinfo=UTC), 1),
        (datetime(2026, 3, 29, 1, tzinfo=UTC), 2),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 1),
    ]
    assert Period(date(2026, 7, 1), date(2026, 7, 31), PARIS).offset_stretches()[1:] == ()


def test_a_midnight_that_does_not_exist_starts_the_day_at_its_first_instant():
    # Chile springs forward at 24:00: 6 September 2026 begins at 01:00 (-03).
    santiago = ZoneInfo("America/Santiago")
    start = local_midnight(date(2026, 9, 6), santiago)
    assert start.astimezone(santiago).hour == 1
    assert local_midnight(date(2026, 9, 7), santiago) - start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [(date(2026, 3, 2), date(2026, 3, 1), "ends"), (date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=MAX_DAYS), "at most")],
)
def test_impossible_periods(first, last, message):
    with pytest.raises(PeriodError, match=message):
        Period(first, last, PARIS)


def test_dates_are_parsed_strictly():
    assert parse_day(" 2026-03-01 ", "from") == date(2026, 3, 1)
    for bad in ("2026-02-30", "01/03/2026", "yesterday", ""):
        with pytest.raises(PeriodError, match="from must be a date"):
            parse_day(bad, "from")


def test_epoch_microseconds_are_exact():
    assert epoch_us(datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)) == 1
    assert epoch_us(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == 1_774_746_000_000_000


# Instants around midnight and both DST changes of 2026 in Paris, with awkward microseconds.
INSTANTS = [
    datetime(2026, 3, 28, 22, 59, 59, 999_999, tzinfo=UTC),  # Saturday 23:59:59.999999 CET
    datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # Sunday 00:00 CET
    datetime(2026, 3, 29, 0, 59, 59, 999_600, tzinfo=UTC),  # 01:59:59.9996 CET, just before the change
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00 CEST
    datetime(2026, 3, 29, 21, 59, 59, 500_000, tzinfo=UTC),  # 23:59:59.5 CEST
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET, the repeated hour
    datetime(2026, 10, 25, 22, 59, 59, 999_999, tzinfo=UTC),  # 23:59:59.999999 CET
    datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # Monday 00:00 CET
]


def test_the_database_computes_what_python_computes(session):
    for n, instant in enumerate(INSTANTS):
        session.add(Call(sid=f"CA-sql-{n}", caller="+33199000201", dialled="+33199000000", started_at=instant, connected_at=instant))
    session.flush()
    period = Period(date(2026, 3, 28), date(2026, 10, 26), PARIS)
    rows = session.execute(
        select(
            Call.started_at,
            EpochMicroseconds(Call.started_at),
            local_day_index(Call.started_at, period),
            local_hour_index(Call.started_at, period),
            duration_microseconds(Call.started_at, Call.connected_at),
            (EpochMicroseconds(Call.started_at) + integer(1)) // integer(1_000_000),
        ).order_by(Call.started_at)
    ).all()
    assert len(rows) == len(INSTANTS)
    for instant, micros, day, hour_index, zero, seconds in rows:
        local = instant.astimezone(PARIS)
        assert micros == epoch_us(instant), instant
        assert day == (local.date() - EPOCH_DAY).days, instant
        assert hour_index == day * 24 + local.hour, instant
        assert zero == 0 and seconds == (epoch_us(instant) + 1) // 1_000_000
    session.rollback()
