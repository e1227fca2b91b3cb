"""What a URL may carry, parsed in one place for every page: ids, page numbers, days and months.

A value a person (or an attacker) typed into a URL never reaches the database or the date arithmetic
unchecked: an id beyond 64 bits is no route at all (404, see :class:`IdConverter`), a page number or a
date outside what Recours plans is a 400 with a French (or English) sentence, never a 500.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from rota import bounds
from web.i18n import N_, _

# The largest id the tables hold: their keys are INTEGER (32 bits on PostgreSQL, which refuses to even
# compare a larger value cast to its type), so anything above is no such thing, not an error.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a positive whole number of at most :data:`MAX_ID`, so
    ``/shifts/99999999999999999999/edit`` or an id beyond 32 bits is a 404 like any other unknown id."""

    regex = r"\d{1,10}"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False) -> None:
        low, high = 0 if min is None else min, MAX_ID if max is None else max
        super().__init__(url_map, fixed_digits=fixed_digits, min=low, max=high, signed=False)


class BadParameter(BadRequest):
    """A URL parameter that cannot be honoured; ``description`` is already in the reader's language."""


def _refuse(message: str, **values: object) -> BadParameter:
    return BadParameter(_(message, **values))


BAD_NUMBER = N_("“{name}” must be a whole number between {low} and {high}.")
BAD_DAY = N_("“{name}” must be a date such as 2026-03-09, between {first} and {last}.")
BAD_MONTH = N_("“{name}” must be a month such as 2026-03, between {first} and {last}.")


def _range() -> dict[str, str]:
    return bounds.range_params()


def page_number(name: str = "page") -> int:
    """``?page=``: 1 when absent or empty, else a number from 1 to :data:`MAX_PAGE`."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return 1
    if not re.fullmatch(r"\d{1,6}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise _refuse(BAD_NUMBER, name=name, low=1, high=MAX_PAGE)
    return int(raw)


def optional_id(name: str) -> int | None:
    """``?department=`` and the like: None when absent or empty, else an id up to :data:`MAX_ID`."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,10}", raw) or not 1 <= int(raw) <= MAX_ID:
        raise _refuse(BAD_NUMBER, name=name, low=1, high=MAX_ID)
    return int(raw)


def day(name: str, default: date) -> date:
    """``?start=2026-03-09``: ``default`` when absent or empty; a date Recours plans, or a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        parsed = date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        parsed = None
    if parsed is None or not bounds.day_in_range(parsed):
        raise _refuse(BAD_DAY, name=name, **_range())
    return parsed


def month(name: str, default: date) -> date:
    """``?month=2026-03``: the first day of that month (``default`` when absent), or a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    parsed = None
    if match and 1 <= int(match[2]) <= 12:
        parsed = date(int(match[1]), int(match[2]), 1)
    if parsed is None or not bounds.day_in_range(parsed):
        raise _refuse(BAD_MONTH, name=name, **_range())
    return parsed


def instant_or_none(name: str) -> datetime | None:
    """An ISO date-time with its offset for pre-filling a form (``/me/swaps/new?start=…``): None when
    absent, malformed or outside the dates Recours plans (a pre-fill is never worth an error page)."""
    raw = request.args.get(name, "").strip()
    try:
        parsed = datetime.fromisoformat(raw) if raw and len(raw) <= 40 else None
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None or not bounds.instant_in_range(parsed):
        return None
    return parsed
