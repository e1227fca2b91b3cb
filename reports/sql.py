"""The few SQL expressions the reports need that SQLite and PostgreSQL spell differently.

Everything time-related is reduced to integers — microseconds since 1970 UTC — so both databases
compute the same values and Python turns them back into local days and hours.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import BigInteger, ColumnElement, case, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from reports.period import EPOCH, MICROSECONDS_PER_DAY, MICROSECONDS_PER_HOUR, Period


class EpochMicroseconds(FunctionElement):
    """An instant column (:class:`core.db.UTCDateTime`) as whole microseconds since 1970-01-01 UTC."""

    type = BigInteger()
    name = "epoch_us"
    inherit_cache = True


@compiles(EpochMicroseconds, "postgresql")
def _epoch_us_postgresql(element: EpochMicroseconds, compiler, **kw) -> str:
    (instant,) = element.clauses
    # EXTRACT gives an exact numeric on PostgreSQL 14+ (a double before: exact to the µs for our era).
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(instant, **kw)}) * 1000000 AS BIGINT)"


@compiles(EpochMicroseconds, "sqlite")
def _epoch_us_sqlite(element: EpochMicroseconds, compiler, **kw) -> str:
    (instant,) = element.clauses
    value = compiler.process(instant, **kw)
    # UTCDateTime stores 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC. The whole seconds go through strftime
    # without their fraction (SQLite would round the fraction to milliseconds, and round 59.9996 up a
    # second); the six digits of microseconds are added as they are.
    return f"(CAST(strftime('%s', substr({value}, 1, 19)) AS INTEGER) * 1000000 + CAST(substr({value}, 21, 6) AS INTEGER))"


def integer(value: int) -> ColumnElement[int]:
    """An integer written into the statement (our own constants, never user input)."""
    return literal_column(str(int(value)), BigInteger)


def local_microseconds(instant: ColumnElement, period: Period) -> ColumnElement[int]:
    """Local wall-clock time of ``instant`` in the period's zone, as microseconds since 1970-01-01
    local. The offset is chosen by comparing the column itself with each daylight-saving change, so
    the instant is converted once per row."""
    stretches = period.offset_stretches()
    microseconds = EpochMicroseconds(instant)
    if len(stretches) == 1:
        return microseconds + integer(stretches[0].offset_us)
    whens = []
    for current, following in itertools.pairwise(stretches):
        changes_at = EPOCH + timedelta(microseconds=following.starts_us)
        whens.append((instant < changes_at, integer(current.offset_us)))
    return microseconds + case(*whens, else_=integer(stretches[-1].offset_us))


def local_hour_index(instant: ColumnElement, period: Period) -> ColumnElement[int]:
    """Hours since 1970-01-01 00:00 local: ``// 24`` is the local day, ``% 24`` the local hour."""
    return local_microseconds(instant, period) // integer(MICROSECONDS_PER_HOUR)


def local_day_index(instant: ColumnElement, period: Period) -> ColumnElement[int]:
    """Days since 1970-01-01 local."""
    return local_microseconds(instant, period) // integer(MICROSECONDS_PER_DAY)


def duration_microseconds(start: ColumnElement, end: ColumnElement) -> ColumnElement[int]:
    return EpochMicroseconds(end) - EpochMicroseconds(start)
