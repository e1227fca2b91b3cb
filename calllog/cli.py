"""``flask calls list``: recent calls with their attempts, for IT and for checking a rota change."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from calllog.queries import recent_calls, seconds_between
from core import db
from core.cli import CommandGroup, cli_words
from core.phones import national
from core.words import Words
from reports.definitions import CALLBACK_LABELS, IN_PROGRESS, LAYER_LABELS, OUTCOME_LABELS, RESULT_LABELS
from rota.models import Senior, Specialty

calls_cli = CommandGroup("calls", help="The call log.")


def _secs(words: Words, value: float | None) -> str:
    return "-" if value is None else words.seconds(value, 0)


def _label(words: Words, labels: dict[str, str], value: object) -> str:
    """A code of the log (an outcome, a result, a layer) in words; one the table does not know, as it is."""
    code = getattr(value, "value", value)
    return words._(labels[code]) if code in labels else str(code)


@calls_cli.command("list")
@click.option("--limit", default=20, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True, help="Time zone to show times in.")
def list_command(limit: int, zone: str) -> None:
    """Recent calls, newest first, each with its attempts in hunt order."""
    session = db.session()
    words = cli_words()
    tz = ZoneInfo(zone)
    calls = recent_calls(session, limit)
    if not calls:
        click.echo(words._("no calls yet"))
        return
    specialties = {s.id: s.name(words.language) for s in session.query(Specialty)}
    seniors = {s.id: s.full_name for s in session.query(Senior)}
    in_progress = _label(words, OUTCOME_LABELS, IN_PROGRESS)
    for call in calls:
        caller = national(call.caller_e164) if call.caller_e164 else call.caller
        click.echo(
            words._(
                "{started}  {sid}  from {caller}  {specialty}  {outcome}  ring after {ring}, connected after {connected}",
                started=f"{call.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
                sid=call.sid,
                caller=caller,
                specialty=specialties.get(call.specialty_id) or words._("(no specialty)"),
                outcome=_label(words, OUTCOME_LABELS, call.outcome) if call.outcome else in_progress,
                ring=_secs(words, seconds_between(call.started_at, call.first_ringing_at)),
                connected=_secs(words, seconds_between(call.started_at, call.connected_at)),
            )
        )
        for attempt in call.attempts:
            result = _label(words, RESULT_LABELS, attempt.result) if attempt.result else in_progress
            click.echo(
                f"    #{attempt.rank + 1} {_label(words, LAYER_LABELS, attempt.layer):<11} {seniors.get(attempt.senior_id, '?'):<22} "
                f"{national(attempt.number):<16} {result}"
            )
        if call.callback is not None:
            cb = call.callback
            status = _label(words, CALLBACK_LABELS, cb.status)
            if cb.recording_url:
                click.echo(
                    words._(
                        "    callback request #{id}: {status}, message {seconds} s", id=cb.id, status=status, seconds=cb.recording_seconds
                    )
                )
            else:
                click.echo(words._("    callback request #{id}: {status}, no message", id=cb.id, status=status))


@calls_cli.command("journal")
@click.option("--drain/--no-drain", default=True, show_default=True, help="Store what the journal holds now.")
def journal_command(drain: bool) -> None:
    """The local journal of call-log facts: where it is, what is not in the database yet; then store it
    (facts left by a crashed worker or an outage, if the database answers)."""
    from flask import current_app

    from calllog import writer

    words = cli_words()
    journal_writer = writer.writer_of(current_app)
    journal = journal_writer.journal
    click.echo(words._("journal: {directory}", directory=journal.directory))
    pending = words.ngettext("{count} byte", "{count} bytes", journal.pending())
    click.echo(words._("files: {files}, not yet in the database: {pending}", files=words.number(len(journal.files())), pending=pending))
    if not drain:
        return
    report = journal_writer.drain()
    if report.database_down:
        raise click.ClickException(
            words._("the database does not answer ({error}); nothing stored, try again", error=journal_writer.last_error)
        )
    stored = words.ngettext("stored {count} fact", "stored {count} facts", report.applied)
    click.echo(
        words._(
            "{stored}, {waiting} waiting for their call, {rejected} set aside (.rejected)",
            stored=stored,
            waiting=report.waiting,
            rejected=report.rejected,
        )
    )
