"""How far and how long anything a person types may reach: the rota's documented limits.

Every period typed on a page, in the API, in an import or on the command line is checked against these
before anything is expanded or written (by :mod:`rota.operations`, which refuses with a code, and by the
web forms first, in the reader's language), so no request can ask the rota engine for centuries of work (a
1,200-year leave once took 65 s and held the database's write lock all along). The limits are generous
for real rotas; past one, a clear error names the field.

=================  ==========================  ===============================================
what               longest                     why
=================  ==========================  ===============================================
any instant/day    1 Jan 2000 to 31 Dec 2099    rotas are planned years, not centuries, ahead
leave              366 days                    longer absences: deactivate the senior
swap (each leg)    31 days                     a swap exchanges duties, not a whole rota
single shift       8 days                      longer duty is a rotation (rota.precedence)
override           92 days                     a quarter; longer is a change of rotation
coverage, gaps     93 days                     the API's and the pages' longest scan
report             5 years (1,830 days)        reports.period.MAX_DAYS: SQL sums, read-only
calendar page      one week or one month       within the dates above
calendar feeds     fixed (7 days back, 92 on)  not typed
import (CSV, iCal)  each line a shift           rota.imports: within the dates above, 8 days
=================  ==========================  ===============================================
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.words import N_
from rota.precedence import MAX_SINGLE_SHIFT

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

MAX_LEAVE = timedelta(days=366)
MAX_SWAP = timedelta(days=31)
MAX_SHIFT = MAX_SINGLE_SHIFT
MAX_OVERRIDE = timedelta(days=92)
MAX_COVERAGE = timedelta(days=93)

LONGEST = {"leave": MAX_LEAVE, "swap": MAX_SWAP, "shift": MAX_SHIFT, "override": MAX_OVERRIDE, "coverage": MAX_COVERAGE}
TOO_LONG = {
    "leave": N_("A leave lasts at most {days} days: add another one after it, or deactivate the senior."),
    "swap": N_("A swap covers at most {days} days at a time: ask for several."),
    "shift": N_("A single shift lasts at most {days} days: use a rotation or several shifts."),
    "override": N_("An override lasts at most {days} days: change the rotation instead."),
    "coverage": N_("The period lasts at most {days} days."),
}
OUT_OF_RANGE = N_("Give a date between {first} and {last}.")


def range_params() -> dict[str, str]:
    return {"first": EARLIEST_DAY.strftime("%d/%m/%Y"), "last": LATEST_DAY.strftime("%d/%m/%Y")}


def day_in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def instant_in_range(at: datetime) -> bool:
    return EARLIEST <= at <= LATEST


def too_long(kind: str, starts_at: datetime, ends_at: datetime) -> bool:
    return ends_at - starts_at > LONGEST[kind]
