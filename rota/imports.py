"""Importing single shifts from the spreadsheet a department keeps: checked whole, then written whole.

Columns (header on line 1, any order, comma or semicolon separated, UTF-8): ``date``, ``start``,
``end``, ``senior``, ``specialty`` and optionally ``layer``; French headers (``début``, ``fin``,
``médecin``, ``spécialité``, ``ligne``) are accepted too.

- ``date``: ``dd/mm/yyyy`` (French) or ``yyyy-mm-dd`` (ISO);
- ``start``, ``end``: local wall-clock time in the specialty's department zone, ``08:30`` or ``8h30``;
  an end not after the start is on the next day (a night); ``24:00`` is the next midnight. A start or
  end that does not exist (the skipped spring-forward hour) is refused; an ambiguous one (the repeated
  autumn hour) is the first occurrence, the rule of :mod:`rota.patterns`;
- ``senior``: the senior's name as in Recours ("Dr" and case ignored) or one of their phone numbers;
- ``specialty``: its code or its name;
- ``layer``: ``primary``/``principal`` (the default when empty) or ``backup``/``secours``.

A line identical to a shift already in Recours is left alone, so a file can be imported again after
fixing it. The rules of :mod:`rota.rules` apply, as on the pages and in the API: a shift overlapping
another of the same senior for the same specialty — in the file or in Recours — is an error; two
primaries at once, a senior on two specialties at once and a shift far in the past are warnings.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utc_text
from core.errors import LineError, Problem
from core.phones import try_e164
from core.words import N_
from rota import bounds, rules
from rota.models import Department, Layer, Senior, SeniorPhone, Specialty
from rota.patterns import instant, is_nonexistent
from rota.precedence import MAX_SINGLE_SHIFT

COLUMNS = ("date", "start", "end", "senior", "specialty", "layer")
REQUIRED = COLUMNS[:5]
HEADER_ALIASES = {
    "debut": "start",
    "heure debut": "start",
    "fin": "end",
    "heure fin": "end",
    "medecin": "senior",
    "senior": "senior",
    "nom": "senior",
    "specialite": "specialty",
    "ligne": "layer",
    "niveau": "layer",
}
LAYERS = {
    "": Layer.PRIMARY,
    "primary": Layer.PRIMARY,
    "principal": Layer.PRIMARY,
    "premier": Layer.PRIMARY,
    "backup": Layer.BACKUP,
    "secours": Layer.BACKUP,
    "second": Layer.BACKUP,
}
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TIME = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)?(?::(\d{2}))?$")
TITLES = re.compile(r"^(dr|docteur|pr|professeur)\.?\s+")


@dataclass(frozen=True)
class ShiftRow:
    line: int
    specialty_id: int
    senior_id: int
    layer: Layer
    starts_at: datetime
    ends_at: datetime


@dataclass
class ImportResult:
    rows: list[ShiftRow]
    errors: list[LineError]
    warnings: list[LineError]
    unchanged: int = 0
    created: int = 0


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces: how names and headers are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def _person(text: str) -> str:
    return TITLES.sub("", _plain(text))


def parse_date(text: str) -> date:
    """``dd/mm/yyyy`` or ``yyyy-mm-dd``; raises ValueError in words."""
    text = text.strip()
    if match := ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := FRENCH_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise Problem(N_("date '{text}' is not dd/mm/yyyy or yyyy-mm-dd"), text=text)
    try:
        return date(year, month, day)
    except ValueError:
        raise Problem(N_("date '{text}' does not exist"), text=text) from None


def parse_time(text: str) -> tuple[time, bool]:
    """``08:30``, ``8h30``, ``8h``; returns the time and whether it was ``24:00`` (next midnight)."""
    match = TIME.match(text.strip())
    if not match:
        raise Problem(N_("time '{text}' is not written as {form}"), text=text.strip(), form="HH:MM")
    hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    if (hour, minute, second) == (24, 0, 0):
        return time(0, 0), True
    if hour > 23 or minute > 59 or second > 59:
        raise Problem(N_("time '{text}' does not exist"), text=text.strip())
    return time(hour, minute, second), False


class Directory:
    """Seniors and specialties by the names a spreadsheet uses."""

    def __init__(self, session: Session) -> None:
        self.seniors: dict[str, list[int]] = defaultdict(list)
        self.names: dict[int, str] = {}
        for sid, name in session.execute(select(Senior.id, Senior.full_name)):
            self.seniors[_person(name)].append(sid)
            self.names[sid] = name
        self.phones = dict(session.execute(select(SeniorPhone.e164, SeniorPhone.senior_id)).all())
        self.specialties: dict[str, tuple[int, ZoneInfo]] = {}
        for sid, code, fr, en, zone in session.execute(
            select(Specialty.id, Specialty.code, Specialty.name_fr, Specialty.name_en, Department.timezone).join(Specialty.department)
        ):
            for key in (code, fr, en):
                self.specialties.setdefault(_plain(key), (sid, ZoneInfo(zone)))

    def senior(self, text: str) -> int:
        if not text.strip():
            raise Problem(N_("senior is empty"))
        number = try_e164(text) if any(ch.isdigit() for ch in text) else None
        if number is not None:
            if number in self.phones:
                return self.phones[number]
            raise Problem(N_("no senior has the number {number}"), number=text.strip())
        found = self.seniors.get(_person(text), [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise Problem(N_("no senior named '{name}'"), name=text.strip())
        raise Problem(N_("{count} seniors are named '{name}': use a phone number instead"), count=len(found), name=text.strip())

    def specialty(self, text: str) -> tuple[int, ZoneInfo]:
        if not text.strip():
            raise Problem(N_("specialty is empty"))
        found = self.specialties.get(_plain(text))
        if found is None:
            raise Problem(N_("no specialty '{name}'"), name=text.strip())
        return found


def _attempt(problems: list[Problem], function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, or None with its ValueError added to ``problems``."""
    try:
        return function(*args)
    except ValueError as exc:
        problems.append(exc if isinstance(exc, Problem) else Problem(str(exc)))
        return None


def local_instant(day: date, wall: time, zone: ZoneInfo, what: str) -> datetime:
    if is_nonexistent(day, wall, zone):
        raise Problem(
            N_("{what} {time} does not exist on {day} in {zone} (the clocks jump forward)"),
            what=what,
            time=f"{wall:%H:%M}",
            day=f"{day:%d/%m/%Y}",
            zone=zone.key,
        )
    return instant(day, wall, zone)


def _header(fieldnames: list[str] | None) -> tuple[list[str], list[str]]:
    header = []
    for name in fieldnames or []:
        plain = _plain(name or "")
        header.append(plain if plain in COLUMNS else HEADER_ALIASES.get(plain, plain))
    missing = [c for c in REQUIRED if c not in header]
    return header, missing


def count_lines(content: str) -> int:
    return max(0, content.count("\n") - 1 + (0 if content.endswith("\n") else 1))


def parse_shift_csv(session: Session, content: str, on_line: Callable[[int], None] | None = None) -> ImportResult:
    """Every row, every error (with the line number a spreadsheet shows, header = 1) and warning."""
    content = content.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(content.splitlines()[0] if content else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    header, missing = _header(reader.fieldnames)
    if missing:
        problem = (
            N_("missing columns: {missing} (expected {expected})")
            if len(missing) > 1
            else N_("missing column: {missing} (expected {expected})")
        )
        return ImportResult([], [LineError(1, problem, {"missing": ", ".join(missing), "expected": ", ".join(COLUMNS)})], [])
    reader.fieldnames = header
    directory = Directory(session)
    rows: list[ShiftRow] = []
    errors: list[LineError] = []
    for record in reader:
        line = reader.line_num
        if on_line is not None:
            on_line(1)
        values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
        if not any(values.values()):
            continue  # blank line
        problems: list[Problem] = []
        if None in record:
            problems.append(Problem(N_("more cells than columns")))
        attempt = functools.partial(_attempt, problems)
        day = attempt(parse_date, values.get("date", ""))
        start = attempt(parse_time, values.get("start", ""))
        end = attempt(parse_time, values.get("end", ""))
        senior_id = attempt(directory.senior, values.get("senior", ""))
        specialty = attempt(directory.specialty, values.get("specialty", ""))
        layer = LAYERS.get(_plain(values.get("layer", "")))
        if layer is None:
            problems.append(Problem(N_("layer '{layer}' is not primary or backup"), layer=values.get("layer", "")))
        if start is not None and start[1]:
            problems.append(Problem(N_("start 24:00: write 00:00 on the next day")))
        if not problems and day and start and end and specialty:
            specialty_id, zone = specialty
            end_time, end_is_midnight = end
            end_day = day + timedelta(days=1) if end_is_midnight or end_time <= start[0] else day
            starts_at = attempt(local_instant, day, start[0], zone, "start")
            ends_at = attempt(local_instant, end_day, end_time, zone, "end")
            if starts_at is not None and ends_at is not None:
                assert senior_id is not None and layer is not None
                row = shift_row(problems, line, specialty_id, senior_id, layer, starts_at, ends_at)
                if row is not None:
                    rows.append(row)
        errors.extend(p.on_line(line) for p in problems)
    return finish(session, rows, errors, directory)


def shift_row(
    problems: list[Problem], line: int, specialty_id: int, senior_id: int, layer: Layer, starts_at: datetime, ends_at: datetime
) -> ShiftRow | None:
    """The row a line or an event makes, or None with why not added to ``problems`` (every import's rules)."""
    if not (bounds.instant_in_range(starts_at) and bounds.instant_in_range(ends_at)):
        problems.append(Problem(N_("dates are planned from {first} to {last}"), **bounds.range_params()))
    elif ends_at <= starts_at:
        problems.append(Problem(N_("the shift is empty (it lies inside the hour skipped by the clock change)")))
    elif ends_at - starts_at > MAX_SINGLE_SHIFT:
        problems.append(Problem(N_("a single shift lasts at most {days} days"), days=MAX_SINGLE_SHIFT.days))
    else:
        return ShiftRow(line, specialty_id, senior_id, layer, starts_at, ends_at)
    return None


def finish(session: Session, rows: list[ShiftRow], errors: list[LineError], directory: Directory) -> ImportResult:
    """Checks across rows (overlaps in the file and with Recours, identical shifts left alone), errors in line order."""
    result = ImportResult(rows, errors, [])
    _check_overlaps(session, result, directory.names)
    result.errors.sort(key=lambda e: e.line)
    result.warnings.sort(key=lambda e: e.line)
    return result


def _check_overlaps(session: Session, result: ImportResult, names: dict[int, str]) -> None:
    """The rules of :mod:`rota.rules` between the file's shifts and against Recours (refused ones are
    errors; confirm-first ones and two specialties are warnings: IT importing a file means it), and
    identical existing shifts left alone."""
    if not result.rows:
        return
    plans = {row.line: rules.ShiftPlan(row.specialty_id, row.senior_id, row.layer, row.starts_at, row.ends_at) for row in result.rows}
    existing = rules.existing_shifts(session, plans.values())
    kept: list[ShiftRow] = []
    seen: list[tuple[ShiftRow, rules.ShiftPlan]] = []
    for row in sorted(result.rows, key=lambda r: r.line):
        plan = plans[row.line]
        key = (plan.specialty_id, plan.senior_id, plan.layer, plan.starts_at, plan.ends_at)
        if any((x.specialty_id, x.senior_id, x.layer, x.starts_at, x.ends_at) == key for x in existing):
            result.unchanged += 1
            continue
        bad = False
        name = names[row.senior_id]
        for other in existing:
            code = rules.pair(plan, other)
            if code == "shift_overlap":
                when = f"{utc_text(other.starts_at)} → {utc_text(other.ends_at)}"
                said = {"id": other.shift_id, "name": name, "when": when}
                result.errors.append(LineError(row.line, N_("overlaps single shift #{id} of {name} ({when})"), said))
                bad = True
            elif code == "two_specialties":
                also = N_("{name} is also on duty for another specialty (single shift #{id})")
                result.warnings.append(LineError(row.line, also, {"name": name, "id": other.shift_id}))
            elif code == "second_primary":
                other_name = names.get(other.senior_id, other.senior_id)
                both = N_("{name} is already primary then (single shift #{id}): both will be rung")
                result.warnings.append(LineError(row.line, both, {"name": other_name, "id": other.shift_id}))
        for other_row, other in seen:
            code = rules.pair(plan, other)
            if code == "shift_overlap":
                same = (other.starts_at, other.ends_at) == (plan.starts_at, plan.ends_at)
                what = N_("repeats line {other} ({name})") if same else N_("overlaps line {other} ({name})")
                result.errors.append(LineError(row.line, what, {"other": other_row.line, "name": name}))
                bad = True
            elif code == "two_specialties":
                also = N_("{name} is also on duty for another specialty on line {other}")
                result.warnings.append(LineError(row.line, also, {"name": name, "other": other_row.line}))
            elif code == "second_primary":
                both = N_("{name} is already primary then on line {other}: both will be rung")
                result.warnings.append(LineError(row.line, both, {"name": names[other_row.senior_id], "other": other_row.line}))
        if rules.long_past(plan.ends_at) is not None:
            result.warnings.append(LineError(row.line, N_("the shift ended more than {days} days ago"), {"days": rules.PAST_DAYS}))
        seen.append((row, plan))
        if not bad:
            kept.append(row)
    result.rows = kept
