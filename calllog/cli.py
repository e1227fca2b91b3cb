"""``flask calls list``: recent calls with their attempts, for IT and for checking a rota change."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from calllog.queries import recent_calls, seconds_between
from core import db
from core.phones import national
from rota.models import Senior, Specialty

calls_cli = AppGroup("calls", help="The call log.")


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


@calls_cli.command("list")
@click.option("--limit", default=20, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True, help="Time zone to show times in.")
def list_command(limit: int, zone: str) -> None:
    """Recent calls, newest first, each with its attempts in hunt order."""
    session = db.session()
    tz = ZoneInfo(zone)
    calls = recent_calls(session, limit)
    if not calls:
        click.echo("no calls yet")
        return
    specialties = {s.id: s.name_fr for s in session.query(Specialty)}
    seniors = {s.id: s.full_name for s in session.query(Senior)}
    for call in calls:
        caller = national(call.caller_e164) if call.caller_e164 else call.caller
        click.echo(
            f"{call.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S}  {call.sid}  from {caller}  "
            f"{specialties.get(call.specialty_id, '(no specialty)')}  {call.outcome or 'in progress'}  "
            f"ring after {_secs(seconds_between(call.started_at, call.first_ringing_at))}, "
            f"connected after {_secs(seconds_between(call.started_at, call.connected_at))}"
        )
        for attempt in call.attempts:
            click.echo(
                f"    #{attempt.rank + 1} {attempt.layer:<11} {seniors.get(attempt.senior_id, '?'):<22} "
                f"{national(attempt.number):<16} {attempt.result or 'in progress'}"
            )
        if call.callback is not None:
            cb = call.callback
            message = f"message {cb.recording_seconds}s" if cb.recording_url else "no message"
            click.echo(f"    callback request #{cb.id}: {cb.status}, {message}")


@calls_cli.command("journal")
@click.option("--drain/--no-drain", default=True, show_default=True, help="Store what the journal holds now.")
def journal_command(drain: bool) -> None:
    """The local journal of call-log facts: where it is, what is not in the database yet; then store it
    (facts left by a crashed worker or an outage, if the database answers)."""
    from flask import current_app

    from calllog import writer

    journal_writer = writer.writer_of(current_app)
    journal = journal_writer.journal
    click.echo(f"journal: {journal.directory}")
    click.echo(f"files: {len(journal.files())}, bytes not yet in the database: {journal.pending()}")
    if not drain:
        return
    report = journal_writer.drain()
    if report.database_down:
        raise click.ClickException(f"the database does not answer ({journal_writer.last_error}); nothing stored, try again")
    click.echo(f"stored {report.applied} facts, {report.waiting} waiting for their call, {report.rejected} set aside (.rejected)")
