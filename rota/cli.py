"""``flask rota who|gaps|import``: the rota from a terminal, for the department secretary and for IT.

``import`` takes a CSV file (:mod:`rota.imports`) or an iCalendar file (:mod:`rota.ical_import`).

Times a person types without an offset are the department's local time; times shown are local too,
with the zone's abbreviation, so a DST change is visible.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from core import clock, db
from core.actor import Actor
from core.cli import CommandGroup, cli_words, local_time
from core.clock import utc_text
from core.phones import national
from core.words import Words
from reports.definitions import LAYER_LABELS
from rota.coverage import coverage, duty_timeline
from rota.ical_import import count_events, looks_like_ical, parse_shift_ics
from rota.imports import count_lines, parse_date, parse_shift_csv, parse_time
from rota.models import Department, Senior, Specialty
from rota.operations import import_shifts
from rota.patterns import instant, is_ambiguous, is_nonexistent
from rota.queries import find_specialty, on_duty_hunt_list

rota_cli = CommandGroup("rota", help="Duty rotas: who is on duty, gaps and conflicts, importing shifts.")

# Files with more lines than this show a progress bar while they are checked and written.
PROGRESS_FROM_LINES = 500


def local(at: datetime, zone: ZoneInfo, words: Words) -> str:
    return local_time(at, zone, words)


def parse_when(text: str, zone: ZoneInfo, words: Words) -> tuple[datetime, str | None]:
    """An instant typed by a person, and a note when the local time needed the DST rule.

    ISO with an offset (``2026-03-29T01:30Z``, ``...+02:00``) is taken as is; without one
    (``2026-03-29 02:30``, ``29/03/2026 2h30``) it is local time in ``zone``.
    """
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed, None
    if parsed is not None:
        day, wall = parsed.date(), parsed.time()
    else:
        parts = re.split(r"[ T]+", text, maxsplit=1)
        try:
            day = parse_date(parts[0])
            wall = parse_time(parts[1])[0] if len(parts) > 1 else time(0, 0)
        except ValueError:
            raise click.BadParameter(
                words._("'{typed}' is not an instant; expected e.g. 2026-03-29 14:30, 29/03/2026 14h30 or 2026-03-29T12:30Z", typed=text)
            ) from None
    note = None
    known = {"time": f"{wall:%H:%M}", "day": f"{day:%d/%m/%Y}", "zone": zone.key}
    if is_nonexistent(day, wall, zone):
        note = words._("{time} does not exist on {day} in {zone}: read as the instant the clocks jump", **known)
    elif is_ambiguous(day, wall, zone):
        note = words._("{time} happens twice on {day} in {zone}: read as the first (summer time)", **known)
    return instant(day, wall, zone), note


def _zone_of(specialty: Specialty) -> ZoneInfo:
    return ZoneInfo(specialty.department.timezone)


@rota_cli.command("who")
@click.argument("specialty")
@click.option("--at", "when", help="Instant to ask about (default: now); local time of the department unless an offset is given.")
def who_command(specialty: str, when: str | None) -> None:
    """Who the hotline rings for SPECIALTY (code or name), in order, and why."""
    session, words = db.session(), cli_words()
    found = find_specialty(session, specialty)
    if found is None:
        known = ", ".join(session.scalars(select(Specialty.code).order_by(Specialty.code)))
        if known:
            raise click.ClickException(words._("no specialty '{name}'; known: {known}", name=specialty, known=known))
        raise click.ClickException(words._("no specialty '{name}'; none is known yet", name=specialty))
    zone = _zone_of(found)
    at, note = parse_when(when, zone, words) if when else (clock.now(), None)
    if note:
        click.echo(words._("note: {note}", note=note))
    name = found.name(words.language)
    click.echo(
        words._("{specialty} ({code}) at {local} [{utc}]", specialty=name, code=found.code, local=local(at, zone, words), utc=utc_text(at))
    )
    entries = on_duty_hunt_list(session, found.id, at, words)  # the reasons in the reader's language
    if not entries:
        click.echo(words._("  nobody on duty and no last resort: the hotline offers a callback"))
    for rank, entry in enumerate(entries, 1):
        layer = words._(LAYER_LABELS[entry.layer]) if entry.layer in LAYER_LABELS else entry.layer
        click.echo(f"  {rank}. {layer:<11} {entry.name:<24} {national(entry.number):<16} {entry.reason}")
    periods = duty_timeline(session, at, at + timedelta(days=8), [found.id]).get(found.id, [])
    if periods and periods[0].ends_at < at + timedelta(days=8):
        click.echo(words._("  next change: {at}", at=local(periods[0].ends_at, zone, words)))


def _duration(delta: timedelta, words: Words) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    rest = f"{minutes // 60}h{minutes % 60:02d}"
    return words.ngettext("{count} day {rest}", "{count} days {rest}", days, rest=rest) if days else rest


@rota_cli.command("gaps")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660), help="Length of the period scanned.")
@click.option("--from", "since", help="Start of the period (default: now); local time of each department unless an offset is given.")
@click.option("--specialty", "specialties", multiple=True, help="Only this specialty (code or name); repeatable.")
def gaps_command(days: int, since: str | None, specialties: tuple[str, ...]) -> None:
    """Stretches with nobody primary, and conflicts (a senior on two specialties at once, a senior on
    leave still scheduled), for every specialty over the next DAYS days."""
    session, words = db.session(), cli_words()
    chosen: list[Specialty] = []
    for text in specialties:
        found = find_specialty(session, text)
        if found is None:
            raise click.ClickException(words._("no specialty '{name}'", name=text))
        chosen.append(found)
    default_zone = ZoneInfo(session.scalar(select(Department.timezone).order_by(Department.id)) or "Europe/Paris")
    start = parse_when(since, default_zone, words)[0] if since else clock.now()
    # N calendar days, not N x 24 h: a period from midnight ends at midnight across a DST change.
    local_start = start.astimezone(default_zone)
    end = instant(local_start.date() + timedelta(days=days), local_start.time().replace(tzinfo=None), default_zone)
    report = coverage(session, start, end, [s.id for s in chosen] if chosen else None)
    names = dict(session.execute(select(Senior.id, Senior.full_name)).all())
    by_id = {s.id: s for s in session.scalars(select(Specialty).where(Specialty.id.in_(report.specialty_ids)))}
    all_names = {s.id: s.name(words.language) for s in session.scalars(select(Specialty))}
    period = words.ngettext("{count} day", "{count} days", days)
    click.echo(
        words._("from {start} to {end} ({days})", start=local(start, default_zone, words), end=local(end, default_zone, words), days=period)
    )
    for specialty_id in report.specialty_ids:
        specialty = by_id[specialty_id]
        zone = _zone_of(specialty)
        gaps, conflicts = report.gaps_of(specialty_id), report.conflicts_of(specialty_id)
        status = words._("covered") if not gaps and not conflicts else _gaps_and_conflicts(words, len(gaps), len(conflicts))
        click.echo(words._("{specialty} ({code}): {status}", specialty=specialty.name(words.language), code=specialty.code, status=status))
        for gap in gaps:
            span = f"{local(gap.starts_at, zone, words)} → {local(gap.ends_at, zone, words)}"
            why = words._("({duration}, nobody primary)", duration=_duration(gap.ends_at - gap.starts_at, words))
            click.echo(words._("  gap       {span}  {why}", span=span, why=why))
        for c in conflicts:
            who = names.get(c.senior_id) or words._("senior #{id}", id=c.senior_id)
            if c.kind == "two_specialties":
                what = words._(
                    "{name} also on duty for {specialty}", name=who, specialty=all_names.get(c.other_specialty_id, c.other_specialty_id)
                )
            else:
                what = words._("{name} on leave but scheduled ({detail})", name=who, detail=c.detail)
            span = f"{local(c.starts_at, zone, words)} → {local(c.ends_at, zone, words)}"
            click.echo(words._("  conflict  {span}  {what}", span=span, what=what))
    total = _gaps_and_conflicts(words, len(report.gaps), len(report.conflicts))
    click.echo(words.ngettext("{total} in {count} specialty", "{total} in {count} specialties", len(report.specialty_ids), total=total))


def _gaps_and_conflicts(words: Words, gaps: int, conflicts: int) -> str:
    """``2 trous, 1 conflit``."""
    return words._(
        "{gaps}, {conflicts}",
        gaps=words.ngettext("{count} gap", "{count} gaps", gaps),
        conflicts=words.ngettext("{count} conflict", "{count} conflicts", conflicts),
    )


@rota_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report, write nothing.")
@click.option(
    "--senior",
    "default_senior",
    help="iCalendar only: the senior of events without X-RECOURS-SENIOR or ATTENDEE (before SUMMARY; e.g. a senior's own feed).",
)
@click.option("--specialty", "default_specialty", help="iCalendar only: the specialty of events whose CATEGORIES name none.")
def import_command(path: str, dry_run: bool, default_senior: str | None, default_specialty: str | None) -> None:
    """Import single shifts from a CSV file (date, start, end, senior, specialty, layer) or an
    iCalendar file (.ics: one VEVENT, one shift).

    The whole file is checked first; if any line (any event, by the line of its BEGIN:VEVENT) is wrong,
    every problem is listed with its line number and nothing is written. A shift identical to one
    already in Recours is left alone, so importing a file again changes nothing.

    \b
    iCalendar events:
      when       DTSTART + DTEND or DURATION, with TZID, in UTC (Z), or floating
                 (the department's local time); all-day events are refused
      senior     X-RECOURS-SENIOR, else the ATTENDEE's CN (or tel: number), else
                 --senior, else SUMMARY (after its last dash: "Astreinte
                 neurologie — Dr Martin")
      specialty  X-RECOURS-SPECIALTY, else the CATEGORIES value naming a
                 specialty, else --specialty
      layer      X-RECOURS-LAYER, else a CATEGORIES value primary/backup,
                 else primary
      recurring events (RRULE, RDATE, RECURRENCE-ID) are refused: export their
      occurrences as single events; cancelled events are skipped. Feeds
      exported by Recours import back (give --senior for a senior's feed).
    """
    words = cli_words()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            content = handle.read()
    except UnicodeDecodeError:
        raise click.ClickException(words._("{path} is not UTF-8 text: export the spreadsheet as CSV UTF-8", path=path)) from None
    is_ical = looks_like_ical(content)
    if not is_ical and (default_senior or default_specialty):
        raise click.UsageError(words._("--senior and --specialty apply to iCalendar files only"))
    session = db.session()
    lines = count_lines(content)
    show_bar = lines > PROGRESS_FROM_LINES
    with click.progressbar(
        length=count_events(content) if is_ical else lines, label=words._("checking"), hidden=not show_bar, file=sys.stderr
    ) as bar:
        if is_ical:
            result = parse_shift_ics(session, content, bar.update, senior=default_senior, specialty=default_specialty)
        else:
            result = parse_shift_csv(session, content, on_line=bar.update)
    for warning in result.warnings:
        click.echo(
            words._("{path}: warning: line {line}: {message}", path=path, line=warning.line, message=warning.in_words(words)), err=True
        )
    if result.errors:
        session.rollback()
        for error in result.errors:
            click.echo(words._("{path}: line {line}: {message}", path=path, line=error.line, message=error.in_words(words)), err=True)
        raise click.ClickException(
            words.ngettext("{count} problem; nothing was imported", "{count} problems; nothing was imported", len(result.errors))
        )
    to_add = words.ngettext("{count} shift to add", "{count} shifts to add", len(result.rows))
    if dry_run:
        click.echo(
            words._("{shifts}, {unchanged} already in Recours (dry run: nothing written)", shifts=to_add, unchanged=result.unchanged)
        )
        return
    try:
        with click.progressbar(length=len(result.rows), label=words._("writing"), hidden=not show_bar, file=sys.stderr) as bar:
            import_shifts(session, Actor.command(path), result.rows, source=os.path.basename(path), on_written=bar.update)
        session.commit()
    except Exception:
        session.rollback()
        raise
    added = words.ngettext("{count} shift added", "{count} shifts added", len(result.rows))
    click.echo(words._("{shifts}, {unchanged} already in Recours", shifts=added, unchanged=result.unchanged))
