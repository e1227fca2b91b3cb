"""``flask demo seed``."""

from __future__ import annotations

import secrets

import click

from accounts.operations import create_user
from core import clock, db
from core.actor import Actor
from core.cli import CommandGroup, cli_words
from core.words import Words
from demo.seed import PARIS, is_empty, seed_demo

demo_cli = CommandGroup("demo", help="Demo data.")

DEMO_ADMIN = "admin@recours.example.org"


def _counted(words: Words, what: str, count: int) -> str:
    """``12 seniors``: one count of what the seed made, with its plural."""
    if what == "specialties":
        return words.ngettext("{count} specialty", "{count} specialties", count)
    if what == "seniors":
        return words.ngettext("{count} senior", "{count} seniors", count)
    if what == "duty_slots":
        return words.ngettext("{count} duty slot", "{count} duty slots", count)
    if what == "gps":
        return words.ngettext("{count} GP", "{count} GPs", count)
    if what == "calls":
        return words.ngettext("{count} call", "{count} calls", count)
    return f"{words.number(count)} {what.replace('_', ' ')}"  # a count the seed learnt since: its code


@demo_cli.command("seed")
@click.option("--days", default=7, show_default=True, help="Days of duty from today.")
def seed_command(days: int) -> None:
    """Fill an empty database with a demo hospital (does nothing if specialties exist)."""
    session = db.session()
    words = cli_words()
    if not is_empty(session):
        click.echo(words._("database already has specialties: demo data not added"))
        return
    counts = seed_demo(session, clock.now().astimezone(PARIS).date(), days)
    # A demo administrator, so the web pages can be tried at once. The password is random and shown
    # once; a real installation makes its first account with `flask users create`.
    password = secrets.token_urlsafe(12)
    create_user(
        session,
        Actor.command(),
        email=DEMO_ADMIN,
        full_name="Démo Administrateur",
        role="admin",
        password=password,
        senior_id=None,
        language="fr",
        must_change_password=True,  # shown on a terminal: the first sign-in asks for the person's own
    )
    session.commit()
    click.echo(words._("demo data added: {counts}", counts=", ".join(_counted(words, k, v) for k, v in counts.items())))
    click.echo(
        words._("demo administrator: {email} / {password}  (sign in at /sign-in; shown only now)", email=DEMO_ADMIN, password=password)
    )
