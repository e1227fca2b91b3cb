"""``flask notifications failed|list|retry``: what could not be sent, until the web admin shows it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core import clock, db
from notify.models import PROBLEM_STATUSES, OutboundMessage
from notify.outbox import problem_messages, retry

notifications_cli = AppGroup("notifications", help="Outbound SMS, calls and e-mail.")


def _line(message: OutboundMessage, tz: ZoneInfo) -> str:
    error = f"\n      {message.error}" if message.error else ""
    return (
        f"#{message.id} {message.created_at.astimezone(tz):%Y-%m-%d %H:%M} {message.channel:<16} {message.purpose:<20} "
        f"to {message.recipient:<16} {message.status} after {message.attempts} attempt(s){error}"
    )


@notifications_cli.command("failed")
@click.option("--limit", default=50, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True)
def failed_command(limit: int, zone: str) -> None:
    """Messages given up on (bad number, refused, too many failures), expired, or of unknown fate."""
    messages = problem_messages(db.session(), limit)
    if not messages:
        click.echo("no failed message")
        return
    tz = ZoneInfo(zone)
    for message in messages:
        click.echo(_line(message, tz))


@notifications_cli.command("list")
@click.option("--limit", default=30, show_default=True)
@click.option("--zone", default="Europe/Paris", show_default=True)
def list_command(limit: int, zone: str) -> None:
    """The latest messages, newest first."""
    tz = ZoneInfo(zone)
    for message in db.session().scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)):
        click.echo(_line(message, tz))


@notifications_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Send a failed, expired or unknown message again (at the scheduler's next tick)."""
    session = db.session()
    message = session.get(OutboundMessage, message_id)
    if message is None:
        raise click.ClickException(f"no message #{message_id}")
    if message.status not in PROBLEM_STATUSES:
        raise click.ClickException(f"message #{message_id} is {message.status}: nothing to retry")
    retry(session, message, clock.now())
    session.commit()
    click.echo(f"message #{message_id} queued again")
