"""``flask tokens create|list|revoke`` and ``flask ical link|list|revoke``: machine credentials, for IT."""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from api.models import ApiToken, CalendarFeed, FeedKind
from api.tokens import TokenError, create_feed, create_token, find_department, revoke_feed, revoke_token
from core import db
from core.actor import Actor
from core.cli import CommandGroup, cli_words, refusal
from core.clock import utc_text
from core.words import N_
from rota.queries import find_specialty

tokens_cli = CommandGroup("tokens", help="API tokens for /api/.")
ical_cli = CommandGroup("ical", help="Calendar (iCal) feed links for a senior or a specialty.")


# Some refusals are said in the command's own terms (its options), by code.
IN_COMMAND_TERMS = {
    "tokens.scope": N_("give the departments the token may change (--department), or make it --read-only or --all-departments"),
}


def _commit_or_fail(action, *details: object):
    """Call the operation as the command typed, commit once; a refusal is the command's error."""
    session = db.session()
    try:
        result = action(session, Actor.command(*details))
        session.commit()
        return result
    except TokenError as exc:
        session.rollback()
        if exc.code in IN_COMMAND_TERMS:
            raise click.ClickException(cli_words()._(IN_COMMAND_TERMS[exc.code])) from None
        raise refusal(exc) from None


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who or what uses the token (e.g. 'planning software').")
@click.option("--department", "departments", multiple=True, help="A department (id or name) the token may change; repeatable.")
@click.option("--read-only", is_flag=True, help="The token only reads.")
@click.option("--all-departments", is_flag=True, help="The token writes in every department and may create departments.")
def create_command(name: str, departments: tuple[str, ...], read_only: bool, all_departments: bool) -> None:
    """Create a token and print its secret, once: it cannot be shown again."""
    session = db.session()
    found = []
    for text in departments:
        department = find_department(session, text)
        if department is None:
            raise click.ClickException(cli_words()._("no department '{name}'", name=text))
        found.append(department)
    token, secret = _commit_or_fail(
        lambda s, who: create_token(s, who, name, found, read_only=read_only, all_departments=all_departments), repr(name)
    )
    # The secret alone on standard output, for a script to read; the sentence for the person on stderr.
    click.echo(cli_words()._("token #{id} '{name}' created; its secret, shown only now:", id=token.id, name=token.name), err=True)
    click.echo(secret)


@tokens_cli.command("list")
def list_command() -> None:
    """Every token, revoked ones too, with what it may do (never the secret: it is not stored)."""
    session = db.session()
    words = cli_words()
    tokens = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    if not tokens:
        click.echo(words._("no tokens"))
    for token in tokens:
        scope = (
            words._("read-only")
            if token.read_only
            else words._("writes in every department")
            if token.all_departments
            else words._("writes in {departments}", departments=", ".join(d.name for d in token.departments))
        )
        state = words._("revoked {at}", at=utc_text(token.revoked_at)) if token.revoked_at else words._("active")
        created = words._("created {at}", at=utc_text(token.created_at))
        click.echo(f"#{token.id}  {token.name}  {scope}  {created}  {state}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int) -> None:
    """Revoke a token: requests using it get 401 from now on."""
    token = _commit_or_fail(lambda s, who: revoke_token(s, who, token_id), token_id)
    click.echo(cli_words()._("token #{id} '{name}' revoked", id=token.id, name=token.name))


def feed_url(secret: str) -> str:
    return f"{current_app.config['SETTINGS'].public_base_url}/calendars/{secret}.ics"


@ical_cli.command("link")
@click.argument("kind", type=click.Choice([k.value for k in FeedKind]))
@click.argument("target")
def link_command(kind: str, target: str) -> None:
    """Create a feed link for a senior (id) or a specialty (id or code) and print its URL, once."""
    session = db.session()
    if kind == FeedKind.SPECIALTY:
        specialty = find_specialty(session, target)
        if specialty is None:
            raise click.ClickException(cli_words()._("no specialty '{name}'", name=target))
        target_id = specialty.id
    elif target.isdigit():
        target_id = int(target)
    else:
        raise click.BadParameter(cli_words()._("a senior is given by id"), param_hint="TARGET")
    feed, secret = _commit_or_fail(lambda s, who: create_feed(s, who, kind, target_id), kind, target)
    click.echo(cli_words()._("feed #{id} created; its URL, shown only now:", id=feed.id), err=True)
    click.echo(feed_url(secret))


@ical_cli.command("list")
def feed_list_command() -> None:
    """Every feed link (never the URL: it is not stored)."""
    session = db.session()
    words = cli_words()
    feeds = session.scalars(select(CalendarFeed).order_by(CalendarFeed.id)).all()
    if not feeds:
        click.echo(words._("no calendar feeds"))
    for feed in feeds:
        target = feed.senior.full_name if feed.senior else feed.specialty.code if feed.specialty else "?"
        state = words._("revoked {at}", at=utc_text(feed.revoked_at)) if feed.revoked_at else words._("active")
        created = words._("created {at}", at=utc_text(feed.created_at))
        click.echo(f"#{feed.id}  {feed.kind.value} {target}  {created}  {state}")


@ical_cli.command("revoke")
@click.argument("feed_id", type=int)
def feed_revoke_command(feed_id: int) -> None:
    """Revoke a feed link: calendar apps polling it get 404 from now on."""
    feed = _commit_or_fail(lambda s, who: revoke_feed(s, who, feed_id), feed_id)
    click.echo(cli_words()._("calendar feed #{id} revoked", id=feed.id))
