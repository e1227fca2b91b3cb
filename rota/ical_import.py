"""Importing single shifts from an iCalendar file (RFC 5545): one VEVENT, one single shift.

The rules of the CSV import apply unchanged (:mod:`rota.imports`: same rows, same checks, same writing):
the file is checked whole, every bad event is reported with the line of its ``BEGIN:VEVENT``, nothing is
written if any is wrong, and an event identical to a shift already in Recours is left alone, so importing
the same file again changes nothing (duplicates are recognised by what they say, not by UID: Recours does
not store UIDs, and the same UID twice in a file is reported as a repeat).

How an event maps to a shift:

- **when**: ``DTSTART`` and ``DTEND`` (or ``DTSTART`` + ``DURATION``) as date-times: with ``TZID`` (the
  zone's wall clock, read with the DST rule of the CSV import: a time skipped by the spring-forward change
  is refused, a repeated autumn time is the first), in UTC (``...Z``), or floating (no zone: the
  department's local time, as in a CSV file). All-day events (``VALUE=DATE``) are refused: a duty needs
  its hours. An unknown ``TZID`` is refused.
- **senior**: ``X-RECOURS-SENIOR``, else the one ``ATTENDEE`` (its ``CN``, or a ``tel:`` number), else
  the ``--senior`` default, else ``SUMMARY``: the text after its last spaced dash (``Astreinte neurologie
  — Dr Claire Martin``, as in the specialty feeds of :mod:`rota.ical`) or the whole summary. Names and
  numbers are matched as in the CSV import.
- **specialty**: ``X-RECOURS-SPECIALTY``, else the one ``CATEGORIES`` value naming a specialty (code or
  name), else the ``--specialty`` default.
- **layer**: ``X-RECOURS-LAYER``, else a ``CATEGORIES`` value that is a layer word (``primary``,
  ``backup``, ``principal``, ``secours``…), else primary.
- ``STATUS:CANCELLED`` events are skipped with a warning; other components (VTODO, VTIMEZONE…) are ignored.
- **recurring events are refused** (``RRULE``, ``RDATE`` or a ``RECURRENCE-ID`` instance): a rota is a
  list of dated shifts, and expanding a rule silently over an arbitrary window would write shifts nobody
  saw; export the occurrences as single events instead (every calendar app can), or use a rotation.

The feeds Recours exports (:mod:`rota.ical`) import back: a specialty feed names the senior in SUMMARY
and the specialty and layer in CATEGORIES; a senior's feed does not name the senior per event, so give
``--senior``. They are imported as single shifts, so importing a feed into the Recours that produced it
is for moving a rota, not a no-op: rotation duty becomes single shifts too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar
from sqlalchemy.orm import Session

from core.errors import Problem
from core.words import N_
from rota.imports import LAYERS, Directory, ImportResult, LineError, ShiftRow, _attempt, _plain, finish, local_instant, shift_row
from rota.models import Layer

BEGIN_EVENT = re.compile(r"^BEGIN:VEVENT\s*$", re.IGNORECASE)
SUMMARY_DASH = re.compile(r"\s[—–-]\s")


def looks_like_ical(content: str) -> bool:
    return content.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCALENDAR")


def count_events(content: str) -> int:
    return sum(1 for line in content.splitlines() if BEGIN_EVENT.match(line))


def _event_lines(content: str) -> list[int]:
    """The line number (1-based, physical lines) of each ``BEGIN:VEVENT``, in document order."""
    return [number for number, line in enumerate(content.splitlines(), 1) if BEGIN_EVENT.match(line)]


def _all(event: Any, name: str) -> list[Any]:
    value = event.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(event: Any, name: str) -> str:
    value = event.get(name)
    return "" if value is None else str(value).strip()


def _categories(event: Any) -> list[str]:
    return [str(c).strip() for prop in _all(event, "CATEGORIES") for c in prop.cats if str(c).strip()]


class _Defaults:
    def __init__(self, directory: Directory, senior: str | None, specialty: str | None) -> None:
        self.senior, self.specialty = senior, specialty
        self.directory = directory


def _senior(event: Any, defaults: _Defaults) -> int:
    directory = defaults.directory
    if explicit := _text(event, "X-RECOURS-SENIOR"):
        return directory.senior(explicit)
    attendees = _all(event, "ATTENDEE")
    if len(attendees) > 1:
        raise Problem(N_("{count} ATTENDEEs: an event is one senior's shift (or set X-RECOURS-SENIOR)"), count=len(attendees))
    if attendees:
        name = str(attendees[0].params.get("CN", "")).strip()
        if name:
            return directory.senior(name)
        address = str(attendees[0]).strip()
        if address.lower().startswith("tel:"):
            return directory.senior(address[4:])
        raise Problem(N_("ATTENDEE '{address}' has no CN (name)"), address=address)
    if defaults.senior:
        return directory.senior(defaults.senior)
    summary = _text(event, "SUMMARY")
    if summary:
        return directory.senior(SUMMARY_DASH.split(summary)[-1])
    raise Problem(N_("no senior: give X-RECOURS-SENIOR, an ATTENDEE with CN, --senior or a SUMMARY"))


def _specialty(event: Any, categories: list[str], defaults: _Defaults) -> tuple[int, ZoneInfo]:
    directory = defaults.directory
    if explicit := _text(event, "X-RECOURS-SPECIALTY"):
        return directory.specialty(explicit)
    named = {}
    for category in categories:
        found = directory.specialties.get(_plain(category))
        if found is not None:
            named.setdefault(found[0], (category, found))
    if len(named) > 1:
        shown = ", ".join(c for c, _ in named.values())
        raise Problem(N_("CATEGORIES name {count} specialties ({names}): keep one"), count=len(named), names=shown)
    if named:
        return next(iter(named.values()))[1]
    if defaults.specialty:
        return directory.specialty(defaults.specialty)
    if categories:
        raise Problem(
            N_("no specialty: CATEGORIES {categories} name no specialty (set X-RECOURS-SPECIALTY or --specialty)"),
            categories=", ".join(categories),
        )
    raise Problem(N_("no specialty: no CATEGORIES (set X-RECOURS-SPECIALTY or --specialty)"))


def _layer(event: Any, categories: list[str]) -> Layer:
    if explicit := _text(event, "X-RECOURS-LAYER"):
        layer = LAYERS.get(_plain(explicit))
        if layer is None:
            raise Problem(N_("X-RECOURS-LAYER '{layer}' is not primary or backup"), layer=explicit)
        return layer
    layers = {LAYERS[_plain(c)] for c in categories if _plain(c) in LAYERS}
    if len(layers) > 1:
        raise Problem(N_("CATEGORIES say both primary and backup"))
    return layers.pop() if layers else Layer.PRIMARY


def _instant(event: Any, name: str, zone: ZoneInfo) -> datetime:
    """``DTSTART``/``DTEND`` as an aware UTC instant, by the rules of the module docstring."""
    prop = event.get(name)
    value = prop.dt
    if not isinstance(value, datetime):
        raise Problem(N_("all-day event ({name} is a date): a duty needs start and end times"), name=name)
    what = "start" if name == "DTSTART" else "end"
    if value.tzinfo is None:
        tzid = prop.params.get("TZID")
        if tzid:
            try:
                zone = ZoneInfo(str(tzid))
            except (ZoneInfoNotFoundError, ValueError):
                raise Problem(N_("{name} has an unknown time zone '{zone}'"), name=name, zone=str(tzid)) from None
        return local_instant(value.date(), value.time(), zone, what)
    if isinstance(value.tzinfo, ZoneInfo) and value.tzinfo.key not in ("UTC", "Etc/UTC"):
        return local_instant(value.date(), value.time().replace(tzinfo=None), value.tzinfo, what)
    return value.astimezone(UTC)


def _event_row(event: Any, line: int, defaults: _Defaults, problems: list[Problem]) -> ShiftRow | None:
    if event.errors:
        problems.extend(Problem(N_("{name}: {message}"), name=name, message=message) for name, message in event.errors)
        return None
    for name in ("RRULE", "RDATE", "RECURRENCE-ID"):
        if event.get(name) is not None:
            problems.append(Problem(N_("recurring event ({name}): export its occurrences as single events"), name=name))
            return None
    if event.get("DTSTART") is None:
        problems.append(Problem(N_("no DTSTART")))
        return None
    if not isinstance(event.get("DTSTART").dt, datetime):
        problems.append(Problem(N_("all-day event ({name} is a date): a duty needs start and end times"), name="DTSTART"))
        return None
    if event.get("DTEND") is not None and event.get("DURATION") is not None:
        problems.append(Problem(N_("both DTEND and DURATION")))
        return None
    if event.get("DTEND") is None and event.get("DURATION") is None:
        problems.append(Problem(N_("no DTEND or DURATION: a duty needs an end")))
        return None
    categories = _categories(event)
    senior_id = _attempt(problems, _senior, event, defaults)
    specialty = _attempt(problems, _specialty, event, categories, defaults)
    layer = _attempt(problems, _layer, event, categories)
    if specialty is None:
        return None
    specialty_id, zone = specialty
    starts_at = _attempt(problems, _instant, event, "DTSTART", zone)
    if event.get("DTEND") is not None:
        ends_at = _attempt(problems, _instant, event, "DTEND", zone)
    else:
        duration = event.get("DURATION").dt
        ends_at = starts_at + duration if starts_at is not None and isinstance(duration, timedelta) else None
    if problems or starts_at is None or ends_at is None or senior_id is None or layer is None:
        return None
    return shift_row(problems, line, specialty_id, senior_id, layer, starts_at, ends_at)


def parse_shift_ics(
    session: Session,
    content: str,
    on_event: Callable[[int], None] | None = None,
    *,
    senior: str | None = None,
    specialty: str | None = None,
) -> ImportResult:
    """Every event's row, every error and warning, with the line of the event's ``BEGIN:VEVENT``."""
    content = content.lstrip("\ufeff")
    try:
        calendars = Calendar.from_ical(content, multiple=True)
    except ValueError as exc:
        return ImportResult([], [LineError(1, N_("not a valid iCalendar file: {reason}"), {"reason": str(exc).splitlines()[0]})], [])
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    lines = _event_lines(content)
    if len(lines) != len(events):  # icalendar drops a badly nested event: never misattribute a line
        message = N_("not a valid iCalendar file: {begins} {begin} but {complete} complete events (check BEGIN/END pairs)")
        return ImportResult([], [LineError(1, message, {"begins": len(lines), "begin": "BEGIN:VEVENT", "complete": len(events)})], [])
    directory = Directory(session)
    defaults = _Defaults(directory, senior, specialty)
    rows: list[ShiftRow] = []
    errors: list[LineError] = []
    warnings: list[LineError] = []
    for event, line in zip(events, lines, strict=True):
        if on_event is not None:
            on_event(1)
        if _text(event, "STATUS").upper() == "CANCELLED":
            warnings.append(LineError(line, N_("cancelled event skipped")))
            continue
        problems: list[Problem] = []
        row = _event_row(event, line, defaults, problems)
        if row is not None:
            rows.append(row)
        errors.extend(p.on_line(line) for p in problems)
    result = finish(session, rows, errors, directory)
    result.warnings = sorted(warnings + result.warnings, key=lambda w: w.line)
    return result
