"""``flask notifications failed|list|retry``: what could not be sent, until the web admin shows it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from core import clock, db
from core.cli import CommandGroup, cli_words
from core.words import Words
from notify.models import PROBLEM_STATUSES, OutboundMessage
from notify.outbox import problem_messages, retry

notifications_cli = CommandGroup("notifications", help="Outbound SMS, calls and e-mail.")


def _line(message: OutboundMessage, tz: ZoneInfo, words: Words) -> str:
    error = f"\n      {message.error}" if message.error else ""
    line = words.ngettext(
        "#{id} {created} {channel} {purpose} to {recipient} {status} after {count} attempt",
        "#{id} {created} {channel} {purpose} to {recipient} {status} after {count} attempts",
        message.attempts,
        id=message.id,
        created=f"{message.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
        channel=f"{message.channel:<16}",
        purpose=f"{message.purpose:<20}",
        recipient=f"{message.recipient:<16}",
        status=message.status,
    )
    return line + error


@notifications_cli.command("failed")
@click.option("--limit", default=50, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True)
def failed_command(limit: int, zone: str) -> None:
    """Messages given up on (bad number, refused, too many failures), expired, or of unknown fate."""
    words = cli_words()
    messages = problem_messages(db.session(), limit)
    if not messages:
        click.echo(words._("no failed message"))
        return
    tz = ZoneInfo(zone)
    for message in messages:
        click.echo(_line(message, tz, words))


@notifications_cli.command("list")
@click.option("--limit", default=30, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True)
def list_command(limit: int, zone: str) -> None:
    """The latest messages, newest first."""
    tz, words = ZoneInfo(zone), cli_words()
    for message in db.session().scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)):
        click.echo(_line(message, tz, words))


@notifications_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Send a failed, expired or unknown message again (at the scheduler's next tick)."""
    session, words = db.session(), cli_words()
    message = session.get(OutboundMessage, message_id)
    if message is None:
        raise click.ClickException(words._("no message #{id}", id=message_id))
    if message.status not in PROBLEM_STATUSES:
        raise click.ClickException(words._("message #{id} is {status}: nothing to retry", id=message_id, status=message.status))
    retry(session, message, clock.now())
    session.commit()
    click.echo(words._("message #{id} queued again", id=message_id))
